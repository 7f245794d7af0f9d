#!/usr/bin/env python3
"""1000 held long polls on the token socket (issue 11): the idle daemon's RSS, threads and
wake-ups while they are held, and the time from the publication of a new token (the token
file's mtime: the file is written just before the socket's waiters are woken) to the last of
the 1000 answers. Goal: under 50 ms, and no wake-ups while nothing changes.

    python3 bench/long_polls.py [--build build] [--clients 1000] [--seconds 5]
"""

import argparse
import os
import resource
import selectors
import signal
import socket
import sys
import tempfile
import time

from bench_harness import DEFAULT_BUILD, load_harness


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build", default=DEFAULT_BUILD)
    p.add_argument("--clients", type=int, default=1000)
    p.add_argument("--seconds", type=float, default=5)
    a = p.parse_args()
    harness = load_harness(a.build)

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, a.clients * 2 + 256)), hard))
    with tempfile.TemporaryDirectory(prefix="tokend-bench-lp-") as workdir:
        harness.write_secret(os.path.join(workdir, "password"), harness.PASSWORD)
        nacos = harness.FakeNacos(harness.FAKE_NACOS, workdir, password=harness.PASSWORD,
                                  ttl=3600).start()
        d = harness.Daemon(workdir, [nacos.server_entry], log__level="warning",
                           password_file=os.path.join(workdir, "password")).start()
        try:
            d.wait_token()
            _, headers, _ = d.request(target="/v1/token")
            gen = headers["X-Token-Generation"]
            idle_rss = harness.proc_status_kib(d.pid)
            request = (f"GET /v1/token?wait=10m&after={gen} HTTP/1.1\r\nHost: x\r\n\r\n").encode()
            sel = selectors.DefaultSelector()
            conns = []
            for _ in range(a.clients):
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(d.socket_path)
                s.sendall(request)
                s.setblocking(False)
                sel.register(s, selectors.EVENT_READ)
                conns.append(s)
            time.sleep(2)  # every request read and held
            early = sum(1 for _ in sel.select(timeout=0))
            held_rss = harness.proc_status_kib(d.pid)
            threads = len(os.listdir(f"/proc/{d.pid}/task"))
            before = harness.context_switches(d.pid)
            time.sleep(a.seconds)
            wakeups = (harness.context_switches(d.pid) - before) / a.seconds
            time.sleep(1.1)  # a new second: the stand-in's next login gives a new token
            old_mtime = os.stat(d.token_path).st_mtime_ns
            d.signal(signal.SIGUSR1)
            answered, last = 0, 0.0
            deadline = time.time() + 30
            while answered < a.clients and time.time() < deadline:
                for key, _ in sel.select(timeout=1):
                    data = key.fileobj.recv(65536)
                    if data.startswith(b"HTTP/1.1 200"):
                        answered += 1
                        last = time.time()
                    sel.unregister(key.fileobj)
            published = os.stat(d.token_path).st_mtime_ns
            for s in conns:
                s.close()
        finally:
            d.stop()
            nacos.stop()
    spread_ms = (last - published / 1e9) * 1000
    print(f"held long polls:                {a.clients} ({early} answered early)")
    print(f"daemon VmRSS idle / with them:  {idle_rss / 1024:.2f} MiB / {held_rss / 1024:.2f} MiB")
    print(f"daemon threads:                 {threads}")
    print(f"wake-ups per second while held: {wakeups:.1f}")
    print(f"answered after the new token:   {answered} of {a.clients}")
    print(f"publication -> last answer:     {spread_ms:.1f} ms (goal < 50 ms)")
    ok = (early == 0 and answered == a.clients and spread_ms < 50 and wakeups <= 0.5
          and published != old_mtime)
    print("PASS" if ok else "MISS")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
