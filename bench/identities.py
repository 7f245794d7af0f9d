#!/usr/bin/env python3
"""What an identity costs: idle RSS and wake-ups of one nacos-tokend with 1 and with N identities
(default 20), measured in the same run against the same stand-in, printed side by side.
Goal (issue 9): each added identity costs under 0.2 MiB of RSS and no wake-ups.

    python3 bench/identities.py [--build build] [--identities 20] [--seconds 5]
"""

import argparse
import os
import sys
import tempfile
import time

from bench_harness import DEFAULT_BUILD, load_harness


def threads(pid):
    return len(os.listdir(f"/proc/{pid}/task"))


def measure(harness, nacos, workdir, count, seconds):
    run = os.path.join(workdir, f"run{count}")
    os.makedirs(run, 0o750, exist_ok=True)
    settings = {"token_path": os.path.join(run, "token"),
                "socket_path": os.path.join(run, "tokend.sock"),
                "password_file": os.path.join(workdir, "password"), "log__level": "warning"}
    files = [settings["token_path"]]
    for i in range(1, count):
        name = f"id{i:02d}"
        settings[f"nacos:{name}__servers"] = nacos.server_entry
        settings[f"nacos:{name}__username"] = "nacos"
        settings[f"nacos:{name}__password_file"] = settings["password_file"]
        settings[f"file:{name}__path"] = os.path.join(run, f"{name}.token")
        files.append(settings[f"file:{name}__path"])
    d = harness.Daemon(workdir, [nacos.server_entry], **settings).start()
    try:
        harness.wait_until(lambda: all(os.path.exists(f) for f in files), 30,
                           what=f"{count} token files")
        time.sleep(2)  # settle: the logins' threads are gone, the allocator is quiet
        before = harness.context_switches(d.pid)
        time.sleep(seconds)
        woken = (harness.context_switches(d.pid) - before) / seconds
        return harness.proc_status_kib(d.pid), woken, threads(d.pid)
    finally:
        d.stop()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build", default=DEFAULT_BUILD)
    p.add_argument("--identities", type=int, default=20)
    p.add_argument("--seconds", type=float, default=5)
    a = p.parse_args()
    harness = load_harness(a.build)

    with tempfile.TemporaryDirectory(prefix="tokend-bench-ids-") as workdir:
        harness.write_secret(os.path.join(workdir, "password"), harness.PASSWORD)
        nacos = harness.FakeNacos(harness.FAKE_NACOS, workdir, password=harness.PASSWORD,
                                  ttl=3600).start()
        try:
            one = measure(harness, nacos, workdir, 1, a.seconds)
            many = measure(harness, nacos, workdir, a.identities, a.seconds)
        finally:
            nacos.stop()
    per = (many[0] - one[0]) / 1024 / max(1, a.identities - 1)
    print(f"{'':28}{'1 identity':>14}{str(a.identities) + ' identities':>16}")
    print(f"{'idle VmRSS (MiB)':28}{one[0] / 1024:>14.2f}{many[0] / 1024:>16.2f}")
    print(f"{'wake-ups per second':28}{one[1]:>14.1f}{many[1]:>16.1f}")
    print(f"{'threads':28}{one[2]:>14}{many[2]:>16}")
    print(f"each added identity: {per:.3f} MiB RSS (goal < 0.2), "
          f"{(many[1] - one[1]) / max(1, a.identities - 1):.2f} wake-ups/s (goal 0)")
    ok = per < 0.2 and many[1] - one[1] <= 0.2
    print("PASS" if ok else "MISS")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
