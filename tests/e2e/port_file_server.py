"""What the test servers run as child processes share (fake_nacos.FakeNacos,
oidc_provider.OidcProvider): started with their output captured, ready once each of their port
files exists, stopped for sure (also at exit, if a test forgot). Standard library only."""

from __future__ import annotations

import atexit
import os
import subprocess
import time

_running: "set[PortFileServer]" = set()  # Strong refs: a forgotten instance is still stopped.


@atexit.register
def _stop_leftovers() -> None:
    for server in list(_running):
        server.stop()


def read_port(path: str) -> int:
    with open(path, encoding="ascii") as handle:
        return int(handle.read().strip())


class PortFileServer:
    """A subclass sets `what` (for messages), `stderr_path` and `process = None`, and starts
    itself with _launch()."""

    what = "server"
    start_timeout = 5.0

    def _launch(self, args: list[str], port_files: list[str], stdin=subprocess.DEVNULL,
                cwd: str | None = None) -> list[int]:
        """Starts `args` and waits for every port file; returns the ports in that order."""
        for path in port_files:
            if os.path.exists(path):
                os.remove(path)
        with open(self.stderr_path, "wb") as stderr:
            self.process = subprocess.Popen(args, stdin=stdin, stdout=stderr, stderr=stderr,
                                            cwd=cwd)
        _running.add(self)
        deadline = time.monotonic() + self.start_timeout
        while not all(os.path.exists(path) for path in port_files):
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.what} exited with {self.process.returncode}: {self.stderr_text()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{self.what} did not start: {self.stderr_text()}")
            time.sleep(0.01)
        return [read_port(path) for path in port_files]

    def stop(self) -> int | None:
        """Closes its stdin if it has one (a child that exits when it closes), then SIGTERM and
        SIGKILL, each after 3 s; returns its exit status."""
        process, self.process = self.process, None
        _running.discard(self)
        if process is None:
            return None
        if process.stdin:
            process.stdin.close()
            try:
                process.wait(timeout=3)
            except subprocess.TimeoutExpired:
                pass
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=3)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        return process.returncode

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def stderr_text(self) -> str:
        try:
            with open(self.stderr_path, encoding="utf-8", errors="replace") as handle:
                return handle.read()
        except OSError:
            return ""
