#!/usr/bin/env python3
"""Soak: runs nacos-tokend for a long time (default 10 minutes) at a 2-second TTL against the
fake Nacos cycling through every fault mode, with readers on the file and on the socket, and
reports reads, bad reads, logins, and the daemon's RSS and open descriptors at start and end.

A read is bad when the file is missing, empty or not a token, or the socket does not answer 200
with a token, or the token served is past its exp. Bad reads are counted only in healthy windows
(the stand-in up, after one TTL of recovery); during a fault, an expired token leads to the file
being removed and 503 answers, which is correct behaviour and counted separately.

Usage: bench/soak.py [--duration SECONDS] [--build BUILD_DIR]      (standard library only)
"""

import argparse
import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))

from fake_nacos import FakeNacos  # noqa: E402

FAULTS = ["503", "reset", "malformed", "nonjson", "missing_token", "bad_ttl", "500", "drip",
          "hang", "redirect", "huge", "down", "empty_token", "negative_ttl"]
TTL = 2


def jwt_exp(token: str) -> int:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["exp"]


def proc_stats(pid: int) -> tuple[int, int]:
    with open(f"/proc/{pid}/status") as f:
        rss = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    return rss, len(os.listdir(f"/proc/{pid}/fd"))


class Readers:
    def __init__(self, token_path: str, socket_path: str):
        self.token_path, self.socket_path = token_path, socket_path
        self.healthy = threading.Event()
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.counts = {"file_reads": 0, "socket_reads": 0, "bad_file": 0, "bad_socket": 0,
                       "unavailable_during_faults": 0}
        self.examples: list[str] = []

    def judge(self, kind: str, token: str | None, why: str):
        ok = token is not None and token.startswith("eyJ") and jwt_exp(token) >= int(time.time())
        with self.lock:
            self.counts[f"{kind}_reads"] += 1
            if ok:
                return
            if self.healthy.is_set():
                self.counts[f"bad_{kind}"] += 1
                if len(self.examples) < 10:
                    self.examples.append(f"{kind}: {why or repr((token or '')[:30])}")
            else:
                self.counts["unavailable_during_faults"] += 1

    def file_loop(self):
        while not self.stop.is_set():
            try:
                with open(self.token_path) as f:
                    self.judge("file", f.read(), "")
            except FileNotFoundError:
                self.judge("file", None, "missing")
            time.sleep(0.002)

    def socket_loop(self):
        while not self.stop.is_set():
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.settimeout(2)
                s.connect(self.socket_path)
                s.sendall(b"GET /v1/token HTTP/1.1\r\nConnection: close\r\n\r\n")
                data = b""
                while chunk := s.recv(65536):
                    data += chunk
                s.close()
                head, _, body = data.partition(b"\r\n\r\n")
                status = head.split(b" ")[1] if head else b"?"
                self.judge("socket", body.decode() if status == b"200" else None,
                           f"HTTP {status.decode()}")
            except OSError as e:
                self.judge("socket", None, str(e))
            time.sleep(0.002)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=600)
    parser.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    args = parser.parse_args()
    tokend = os.path.join(args.build, "src", "nacos-tokend")
    fake = os.path.join(args.build, "tests", "fake_nacos", "fake-nacos")
    if not (os.access(tokend, os.X_OK) and os.access(fake, os.X_OK)):
        sys.exit(f"soak: build first (cmake --build {args.build}); missing {tokend} or {fake}")

    work = tempfile.mkdtemp(prefix="tokend-soak-")
    os.chmod(work, 0o700)
    run = os.path.join(work, "run")
    os.mkdir(run, 0o750)
    password_file = os.path.join(work, "password")
    with open(os.open(password_file, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
        f.write("soak-password\n")
    nacos = FakeNacos(fake, work, ttl=TTL, password="soak-password",
                      max_lifetime=int(args.duration) + 120).start()
    token_path, socket_path = os.path.join(run, "token"), os.path.join(run, "tokend.sock")
    log_path = os.path.join(work, "tokend.log")
    log = open(log_path, "wb")
    daemon = subprocess.Popen(
        [tokend, "-D", f"nacos.servers={nacos.server_entry}", "-D", "nacos.username=nacos",
         "-D", f"nacos.password_file={password_file}", "-D", f"file.path={token_path}",
         "-D", f"socket.path={socket_path}", "-D", "nacos.request_timeout=1500ms",
         "-D", "refresh.retry_min=200ms", "-D", "refresh.retry_max=1s"],
        stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 10
        while not os.path.exists(token_path) and time.monotonic() < deadline:
            time.sleep(0.05)
        start_stats = proc_stats(daemon.pid)
        readers = Readers(token_path, socket_path)
        readers.healthy.set()
        threads = [threading.Thread(target=readers.file_loop, daemon=True),
                   threading.Thread(target=readers.socket_loop, daemon=True)]
        for t in threads:
            t.start()

        began = time.monotonic()
        cycle = 0
        while time.monotonic() - began < args.duration:
            mode = FAULTS[cycle % len(FAULTS)]
            cycle += 1
            readers.healthy.clear()
            nacos.fault(mode)
            time.sleep(min(3, max(0, args.duration - (time.monotonic() - began))))
            nacos.fault("none")
            time.sleep(TTL + 0.5)   # recovery: one TTL for the next login and publication
            readers.healthy.set()
            time.sleep(min(5, max(0, args.duration - (time.monotonic() - began))))
        readers.stop.set()
        for t in threads:
            t.join()
        end_stats = proc_stats(daemon.pid)
        stats = nacos.stats()
    finally:
        daemon.send_signal(signal.SIGTERM)
        rc = daemon.wait(10)
        log.close()
        nacos.stop()

    with open(log_path, errors="replace") as f:
        text = f.read()
    leaked = "soak-password" in text or "eyJhbGciOiJIUzI1NiJ9." in text
    c = readers.counts
    print(f"soak: {args.duration:.0f} s at a {TTL} s TTL, {cycle} fault windows "
          f"({', '.join(FAULTS[:min(cycle, len(FAULTS))])})")
    print(f"reads: file {c['file_reads']}, socket {c['socket_reads']}; bad reads while the "
          f"stand-in was up: file {c['bad_file']}, socket {c['bad_socket']}; "
          f"unavailable during faults (expected): {c['unavailable_during_faults']}")
    print(f"logins: {stats['logins']} requests, {stats['login_ok']} ok, "
          f"{stats['login_faulted']} faulted, {stats['logins_with_token']} carrying a token")
    print(f"daemon RSS: {start_stats[0]} KiB at start, {end_stats[0]} KiB at end; "
          f"open fds: {start_stats[1]} at start, {end_stats[1]} at end")
    print(f"daemon exit code {rc}; secrets in its log: {'YES' if leaked else 'none'}")
    for e in readers.examples:
        print("  bad read:", e)
    shutil.rmtree(work, ignore_errors=True)
    failed = (c["bad_file"] or c["bad_socket"] or rc != 0 or leaked
              or end_stats[1] > start_stats[1] + 2 or end_stats[0] > start_stats[0] + 2048)
    print("soak:", "FAIL" if failed else "PASS")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
