#!/usr/bin/env python3
"""fleet_bench: N real nacos-tokend daemons (default 200) against one fake-nacos, on one machine.

Four fleets, each of fresh daemons in a private temp dir:
  steady    daemons started one by one over 0.8 TTL (a fleet in steady state); logins per second
            over one TTL against N / (0.8 TTL); then an outage of --outage seconds and recovery;
  together  all daemons started (and logged in) at once; all restarted while their tokens are
            valid (must cause no login); then an outage from 0.6 TTL lasting --outage seconds,
            which holds every refresh and every expiry;
  before-expiry  all daemons logged in at once; an outage from 0.3 TTL to 0.95 TTL, so the
            server is back just before their common expiry (the case that brought the whole
            fleet back in one second before issue 14);
  at-cap    all daemons started while the server is down, which stays down --outage seconds, so
            the fleet sits at retry_max when it returns.
After each recovery it prints the busiest second as a ratio of N / retry_max, the time until
every daemon holds a token again, and the logins.

Logins are timed from fake-nacos's own log (one line per login, millisecond timestamps, the
same clock as the "listener reopened" line that marks recovery). A daemon holds a token while
its token file exists (the daemon removes it at expiry); the bench polls the files every 50 ms.

It is a report, not a test: exit 0 when it ran, whatever the figures; 1 when something broke.
Every process it starts dies with it (PR_SET_PDEATHSIG, and a kill on every exit path), and
--timeout (default 900 s) bounds the whole run.

    bench/fleet_bench.py [--daemons 200] [--ttl 30] [--retry-max 10] [--outage 25]
                         [--build-dir build] [--only steady,together,before-expiry,at-cap]
"""

from __future__ import annotations

import argparse
import ctypes
import datetime
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))
from fake_nacos import FakeNacos  # noqa: E402

PASSWORD = "fleet-bench-" + os.urandom(6).hex()
POLL = 0.05
_LOGIN_OK = re.compile(r"^(\d\d):(\d\d):(\d\d)\.(\d{3}) login as '[^']*' ok")
_REOPENED = re.compile(r"^(\d\d):(\d\d):(\d\d)\.(\d{3}) \S+ listener reopened")
_libc = ctypes.CDLL(None, use_errno=True)


def _die_with_parent() -> None:
    _libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: no daemon outlives the bench


def seconds_of_day(h: str, m: str, s: str, ms: str) -> float:
    return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000


def now_of_day() -> float:
    t = datetime.datetime.now()
    return t.hour * 3600 + t.minute * 60 + t.second + t.microsecond / 1e6


class Fleet:
    """N daemons, each with its own directory, token file and log; no socket."""

    def __init__(self, tokend: str, root: str, count: int, server: str, retry_max: str):
        self.tokend = tokend
        self.dirs = [os.path.join(root, f"d{i:05d}") for i in range(count)]
        os.makedirs(root, mode=0o700)
        self.password_file = os.path.join(root, "password")
        fd = os.open(self.password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(PASSWORD + "\n")
        self.server = server
        self.retry_max = retry_max
        self.processes: list[subprocess.Popen | None] = [None] * count
        for d in self.dirs:
            os.makedirs(d, mode=0o700)

    def token_path(self, i: int) -> str:
        return os.path.join(self.dirs[i], "token")

    def log_path(self, i: int) -> str:
        return os.path.join(self.dirs[i], "tokend.log")

    def start(self, i: int) -> None:
        defines = {
            "nacos.servers": self.server,
            "nacos.username": "nacos",
            "nacos.password_file": self.password_file,
            "nacos.connect_timeout": "1s",
            "nacos.request_timeout": "3s",
            "refresh.retry_max": self.retry_max,
            "file.path": self.token_path(i),
            "socket.path": "",
            "log.level": "info",
        }
        cmd = [self.tokend]
        for key, value in defines.items():
            cmd += ["-D", f"{key}={value}"]
        with open(self.log_path(i), "ab") as log:
            self.processes[i] = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                                 stderr=log, preexec_fn=_die_with_parent)

    def start_all(self) -> None:
        for i in range(len(self.dirs)):
            self.start(i)

    def stop_all(self, timeout: float = 10) -> list[int]:
        running = [p for p in self.processes if p and p.poll() is None]
        for p in running:
            p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        codes = []
        for p in running:
            try:
                codes.append(p.wait(max(0.1, deadline - time.monotonic())))
            except subprocess.TimeoutExpired:
                p.kill()
                codes.append(p.wait())
        self.processes = [None] * len(self.dirs)
        return codes

    def kill_all(self) -> None:
        for p in self.processes:
            if p and p.poll() is None:
                p.kill()
                p.wait()

    def crashed(self) -> list[int]:
        return [i for i, p in enumerate(self.processes) if p and p.poll() is not None]

    def holding(self) -> int:
        return sum(os.path.exists(self.token_path(i)) for i in range(len(self.dirs)))

    def wait_all_hold(self, timeout: float) -> float | None:
        """Seconds until every daemon holds a token, or None after `timeout`."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.holding() == len(self.dirs):
                return time.monotonic() - started
            if self.crashed():
                raise RuntimeError(f"daemon(s) exited: {self.crashed()[:5]}")
            time.sleep(POLL)
        return None

    def renewed_since(self, wall: float) -> int:
        """Daemons whose token file was written at or after `wall` (time.time())."""
        count = 0
        for i in range(len(self.dirs)):
            try:
                count += os.stat(self.token_path(i)).st_mtime >= wall
            except FileNotFoundError:
                pass
        return count

    def wait_all_renewed(self, wall: float, timeout: float) -> float | None:
        """Seconds from `wall` until every daemon published a token obtained since, or None."""
        while time.time() - wall < timeout:
            if self.renewed_since(wall) == len(self.dirs):
                return time.time() - wall
            time.sleep(POLL)
        return None

    def logs_with(self, text: str) -> int:
        count = 0
        for i in range(len(self.dirs)):
            with open(self.log_path(i), encoding="utf-8", errors="replace") as handle:
                count += text in handle.read()
        return count


def login_times(nacos: FakeNacos) -> list[float]:
    return [seconds_of_day(*m.groups()) for line in nacos.log_text().splitlines()
            if (m := _LOGIN_OK.match(line))]


def last_reopen(nacos: FakeNacos) -> float:
    times = [seconds_of_day(*m.groups()) for line in nacos.log_text().splitlines()
             if (m := _REOPENED.match(line))]
    if not times:
        raise RuntimeError("fake-nacos logged no reopening")
    return times[-1]


def per_second(times: list[float], start: float, seconds: int) -> list[int]:
    bins = [0] * seconds
    for t in times:
        k = int(t - start) if t >= start else -1
        if 0 <= k < seconds:
            bins[k] += 1
    return bins


def outage_and_recovery(args, fleet: Fleet, nacos: FakeNacos, name: str,
                        outage_already_started: bool = False, renewal: bool = False) -> dict:
    """Ends the outage and reports the recovery. With `renewal`, "healed" means every daemon
    published a token obtained since recovery (their old tokens were still valid then)."""
    n = len(fleet.dirs)
    if not outage_already_started:
        nacos.fault("down")
        time.sleep(args.outage)
    before = nacos.stats()["login_ok"]
    recovered_wall = time.time()
    nacos.fault("none")
    if renewal:
        heal = fleet.wait_all_renewed(recovered_wall, args.retry_max + 30)
    else:
        heal = fleet.wait_all_hold(args.retry_max + 30)
    time.sleep(1.5)  # let the last logins reach the log
    recovery = last_reopen(nacos)
    window = int(max(args.retry_max, heal or 0)) + 1
    bins = per_second(login_times(nacos), recovery, window)
    even = n / args.retry_max
    peak = max(bins)
    logins = nacos.stats()["login_ok"] - before
    heal_text = f"{heal:.1f} s" if heal is not None else f"not within {args.retry_max + 30} s"
    what = "has a token obtained since recovery" if renewal else "holds a token"
    print(f"{name}: outage {args.outage} s; after recovery: busiest second {peak} logins = "
          f"{peak / even:.2f} x N/retry_max ({even:.1f}/s); every daemon {what} after "
          f"{heal_text}; {logins} logins since recovery (first {window} s per second: "
          f"{' '.join(map(str, bins))})", flush=True)
    return {"peak_ratio": peak / even, "heal": heal, "logins": logins}


def steady(args, tokend: str, root: str, nacos: FakeNacos) -> None:
    n = args.daemons
    fleet = Fleet(tokend, os.path.join(root, "steady"), n, nacos.server_entry,
                  f"{args.retry_max}s")
    try:
        spacing = 0.8 * args.ttl / n
        started = time.monotonic()
        for i in range(n):
            fleet.start(i)
            time.sleep(max(0.0, started + (i + 1) * spacing - time.monotonic()))
        if fleet.wait_all_hold(30) is None:
            raise RuntimeError("steady: not every daemon got a token")
        before = nacos.stats()["login_ok"]
        t0 = now_of_day()
        time.sleep(args.ttl)
        bins = per_second(login_times(nacos), t0, int(args.ttl))
        even = n / (0.8 * args.ttl)
        logins = nacos.stats()["login_ok"] - before
        print(f"steady: {n} daemons started over {0.8 * args.ttl:.0f} s; over one TTL "
              f"({args.ttl} s): {logins} logins, mean {logins / args.ttl:.1f}/s, busiest second "
              f"{max(bins)} = {max(bins) / even:.2f} x N/(0.8 TTL) ({even:.1f}/s)", flush=True)
        outage_and_recovery(args, fleet, nacos, "steady")
    finally:
        fleet.stop_all()


def together(args, tokend: str, root: str, nacos: FakeNacos) -> None:
    """Logged in together, restarted, then an outage from 0.6 TTL holding refreshes and expiry."""
    fleet, started = _logged_in_together(args, tokend, root, nacos, "together")
    try:
        n = len(fleet.dirs)
        # Restart every daemon while the tokens are valid: no login may follow.
        before = nacos.stats()["logins"]
        codes = fleet.stop_all()
        fleet.start_all()
        deadline = time.monotonic() + 20
        while fleet.logs_with("reusing the token saved by the previous run") < n:
            if time.monotonic() > deadline:
                break
            time.sleep(0.2)
        reused = fleet.logs_with("reusing the token saved by the previous run")
        time.sleep(1)
        restart_logins = nacos.stats()["logins"] - before
        print(f"together: restarted all {n} (exit codes {sorted(set(codes))}): {reused} reused "
              f"their saved token, {restart_logins} logins", flush=True)
        _outage_between(args, fleet, nacos, "together", started, 0.6 * args.ttl, args.outage)
    finally:
        fleet.stop_all()


def before_expiry(args, tokend: str, root: str, nacos: FakeNacos) -> None:
    """Logged in together; the server is back at 0.95 TTL, just before their common expiry.

    The previous policy put every daemon's last attempt at expiry - retry_min, one instant,
    so the recovering server got the whole fleet in one second."""
    fleet, started = _logged_in_together(args, tokend, root, nacos, "before-expiry")
    try:
        _outage_between(args, fleet, nacos, "before-expiry", started, 0.3 * args.ttl,
                        0.65 * args.ttl, renewal=True)
    finally:
        fleet.stop_all()


def _logged_in_together(args, tokend: str, root: str, nacos: FakeNacos, name: str):
    fleet = Fleet(tokend, os.path.join(root, name), args.daemons, nacos.server_entry,
                  f"{args.retry_max}s")
    started = time.monotonic()
    fleet.start_all()
    if fleet.wait_all_hold(30) is None:
        fleet.stop_all()
        raise RuntimeError(f"{name}: not every daemon got a token")
    print(f"{name}: {args.daemons} daemons logged in together in "
          f"{time.monotonic() - started:.1f} s", flush=True)
    return fleet, started


def _outage_between(args, fleet: Fleet, nacos: FakeNacos, name: str, started: float,
                    offset: float, length: float, renewal: bool = False) -> None:
    wait = started + offset - time.monotonic()
    if wait < 0:
        print(f"{name}: the outage starts {-wait:.1f} s late", flush=True)
    time.sleep(max(0.0, wait))
    nacos.fault("down")
    time.sleep(length)
    args_for_print = argparse.Namespace(**vars(args))
    args_for_print.outage = round(length, 1)
    outage_and_recovery(args_for_print, fleet, nacos, name, outage_already_started=True,
                        renewal=renewal)


def at_cap(args, tokend: str, root: str, nacos: FakeNacos) -> None:
    n = args.daemons
    fleet = Fleet(tokend, os.path.join(root, "at-cap"), n, nacos.server_entry,
                  f"{args.retry_max}s")
    try:
        nacos.fault("down")
        fleet.start_all()
        time.sleep(args.outage)
        outage_and_recovery(args, fleet, nacos, "at-cap", outage_already_started=True)
    finally:
        fleet.stop_all()


def machine() -> str:
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    with open("/proc/loadavg", encoding="utf-8") as handle:
        load = " ".join(handle.read().split()[:3])
    return f"{os.cpu_count()} CPUs, {model}, kernel {os.uname().release}, load at start {load}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--daemons", type=int, default=200)
    parser.add_argument("--ttl", type=int, default=30, help="token TTL in seconds")
    parser.add_argument("--retry-max", type=int, default=10, help="refresh.retry_max, seconds")
    parser.add_argument("--outage", type=int, default=25, help="outage length, seconds")
    parser.add_argument("--build-dir", default=os.path.join(REPO, "build"))
    parser.add_argument("--only", default="steady,together,before-expiry,at-cap")
    parser.add_argument("--timeout", type=int, default=900, help="bound on the whole run")
    args = parser.parse_args()
    tokend = os.path.join(args.build_dir, "src", "nacos-tokend")
    fake = os.path.join(args.build_dir, "tests", "fake_nacos", "fake-nacos")
    for binary in (tokend, fake):
        if not os.access(binary, os.X_OK):
            print(f"fleet_bench: {binary} is missing; build first (cmake --build build -j2)",
                  file=sys.stderr)
            return 1
    scenarios = {"steady": steady, "together": together, "before-expiry": before_expiry,
                 "at-cap": at_cap}
    chosen = [s for s in args.only.split(",") if s]
    if any(s not in scenarios for s in chosen):
        parser.error(f"--only takes {','.join(scenarios)}")

    def on_signal(signo, _frame):
        raise SystemExit(f"fleet_bench: stopped by signal {signo}")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGALRM, lambda *_: on_signal("ALRM (--timeout)", None))
    signal.alarm(args.timeout)
    root = tempfile.mkdtemp(prefix="fleet-bench-")
    print(f"fleet_bench: {args.daemons} daemons, TTL {args.ttl} s, retry_max {args.retry_max} s, "
          f"outage {args.outage} s; {machine()}", flush=True)
    nacos = FakeNacos(fake, root, ttl=args.ttl, password=PASSWORD, max_lifetime=args.timeout + 60)
    began = time.monotonic()
    try:
        nacos.start()
        for name in chosen:
            scenarios[name](args, tokend, root, nacos)
        print(f"fleet_bench: done in {time.monotonic() - began:.0f} s; "
              f"{nacos.stats()['login_ok']} logins in all", flush=True)
        return 0
    except (RuntimeError, OSError) as e:
        print(f"fleet_bench: {e}", file=sys.stderr)
        return 1
    finally:
        signal.alarm(0)
        nacos.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
