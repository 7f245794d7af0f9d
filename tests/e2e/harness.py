"""End-to-end harness: runs the real nacos-tokend and nacos-token binaries against the fake
Nacos, each test in its own temporary directory and ports. Standard library only.

Binaries come from the environment (ctest sets them): TOKEND, TOKEN_CLI, FAKE_NACOS.
Waiting is always a bounded poll (`wait_until`), never a bare sleep.
"""

from __future__ import annotations

import atexit
import glob
import http.client
import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

from fake_nacos import FakeNacos

TOKEND = os.environ.get("TOKEND", "build/src/nacos-tokend")
TOKEN_CLI = os.environ.get("TOKEN_CLI", "build/src/nacos-token")
FAKE_NACOS = os.environ.get("FAKE_NACOS", "build/tests/fake_nacos/fake-nacos")

# A password that must never show up in any log or file the daemon writes.
PASSWORD = "CANARY-PW-" + os.urandom(6).hex() + "&=%+ é"

NOBODY = 65534

# Every token fake-nacos signs starts with this (base64url of {"alg":"HS256"}).
JWT_HEADER = "eyJhbGciOiJIUzI1NiJ9."

# A sanitized build (.ci/sanitize) prints one of these when it finds a bug.
SANITIZER_REPORT = r"(AddressSanitizer|LeakSanitizer|ThreadSanitizer|runtime error:)"

_daemons: "set[Daemon]" = set()


@atexit.register
def _kill_leftovers() -> None:
    for d in list(_daemons):
        d.kill()


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.02, what: str = "condition"):
    """Polls `predicate` until it returns a truthy value (returned) or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def read_file(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float = 5.0):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_path)


def proc_status_kib(pid: int, field: str = "VmRSS") -> int:
    """A memory figure of /proc/PID/status in KiB (VmRSS, VmHWM, ...); 0 if it is not there."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def socket_fds(pid: int) -> int:
    """How many sockets process `pid` has open (its listeners and connections)."""
    count = 0
    for fd in glob.glob(f"/proc/{pid}/fd/*"):
        try:
            count += os.readlink(fd).startswith("socket:")
        except OSError:
            pass
    return count


def context_switches(pid: int) -> int:
    """Every thread's voluntary and involuntary context switches: how often the process woke."""
    total = 0
    for status in glob.glob(f"/proc/{pid}/task/*/status"):
        try:
            with open(status) as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return total


def socket_request(path: str, method: str = "GET", target: str = "/v1/token",
                   timeout: float = 5.0, form: dict | None = None) -> tuple[int, dict, str]:
    """One request over the Unix socket; `form` is sent as a url-encoded body, as curl -d does."""
    conn = UnixHTTPConnection(path, timeout)
    try:
        if form is None:
            conn.request(method, target)
        else:
            conn.request(method, target, body=urllib.parse.urlencode(form),
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        conn.close()


def request_as(uid: int, gid: int, socket_path: str, target: str = "/v1/token",
               method: str = "GET", groups: list[int] = ()) -> tuple[int, str]:
    """One request over the socket from another user (curl under setpriv) -> (status, body)."""
    ids = [f"--reuid={uid}", f"--regid={gid}"]
    ids += [f"--groups={','.join(map(str, groups))}"] if groups else ["--clear-groups"]
    out = subprocess.run(["setpriv", *ids, "curl", "-sS", "-X", method, "-o", "-", "-w",
                          "\n%{http_code}", "--unix-socket", socket_path,
                          "http://localhost" + target],
                         capture_output=True, text=True, timeout=20)
    body, _, code = out.stdout.rpartition("\n")
    if not code.isdigit():
        raise AssertionError(f"curl as uid {uid} failed: {out.stderr}")
    return int(code), body


_KEEP_ALIVE_SCRIPT = r"""
import socket, sys
if sys.argv[1].startswith("tcp:"):
    host, _, port = sys.argv[1][4:].rpartition(":")
    s = socket.create_connection((host, int(port)))
else:
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
f = s.makefile("rb")
for i, path in enumerate(sys.argv[2:]):
    if i:
        sys.stdin.readline()
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
    line = f.readline().split()
    if not line:
        print("closed", flush=True)  # by the server (say, idle for too long)
        break
    status = line[1].decode()
    length = 0
    while (line := f.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value)
    print(status, f.read(length).decode().strip(), flush=True)
"""


class KeepAliveClient:
    """GET requests on one keep-alive connection to a Unix socket (or "tcp:HOST:PORT"), as
    another user (uid and gid `uid`, no supplementary groups): the first at once, each next one
    when next() is called. answer()/next() return "STATUS BODY" ("closed" if the server
    closed the connection)."""

    def __init__(self, uid: int, socket_path: str, *paths: str):
        self.process = subprocess.Popen(
            ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", sys.executable,
             "-c", _KEEP_ALIVE_SCRIPT, socket_path, *paths],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def answer(self) -> str:
        return self.process.stdout.readline()

    def next(self) -> str:
        self.process.stdin.write("next\n")
        self.process.stdin.flush()
        return self.answer()

    def close(self) -> None:
        self.process.kill()
        self.process.communicate()


def run_cli(args: list[str], timeout: float = 30.0, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([TOKEN_CLI] + args, capture_output=True, text=True, timeout=timeout,
                          **kwargs)


def state_path_of(token_path: str) -> str:
    """The saved state the daemon keeps beside a token file: DIR/.NAME.state."""
    return os.path.join(os.path.dirname(token_path), "." + os.path.basename(token_path) + ".state")


class Daemon:
    """One nacos-tokend process with its configuration given by -D defines.

    `defines` adds raw keys (e.g. "nacos:staging.servers", which no keyword can spell);
    `bare=True` leaves out the built-in [nacos]/[file]/[socket]/... defaults, for a daemon
    configured by `config_file` and `defines` alone."""

    def __init__(self, workdir: str, servers: list[str], **settings):
        self.workdir = workdir
        self.token_path = settings.pop("token_path", os.path.join(workdir, "run", "token"))
        self.socket_path = settings.pop("socket_path", os.path.join(workdir, "run", "tokend.sock"))
        self.password_file = settings.pop("password_file", os.path.join(workdir, "password"))
        self.env = settings.pop("env", None)
        self.args = settings.pop("args", [])
        self.config_file = settings.pop("config_file", None)
        self.umask = settings.pop("umask", None)
        self.preexec = settings.pop("preexec", None)
        extra_defines = settings.pop("defines", {})
        bare = settings.pop("bare", False)
        os.makedirs(os.path.dirname(self.token_path), mode=0o750, exist_ok=True)
        self.defines = {} if bare else {
            "nacos.servers": ", ".join(servers),
            "nacos.username": "nacos",
            "nacos.password_file": self.password_file,
            "nacos.request_timeout": "3s",
            "nacos.connect_timeout": "1s",
            "refresh.retry_min": "200ms",
            "refresh.retry_max": "1s",
            "file.path": self.token_path,
            "socket.path": self.socket_path,
            "log.level": "debug",
        }
        for key, value in settings.items():
            self.defines[key.replace("__", ".")] = str(value)
        self.defines.update({key: str(value) for key, value in extra_defines.items()})
        if not os.path.exists(self.password_file):
            write_secret(self.password_file, PASSWORD)
        self.log_path = os.path.join(workdir, f"tokend-{id(self)}.log")
        self.process: subprocess.Popen | None = None

    def command(self, extra: list[str] | None = None) -> list[str]:
        cmd = [TOKEND, "--config", self.config_file or self._empty_config()]
        for key, value in self.defines.items():
            cmd += ["-D", f"{key}={value}"]
        return cmd + self.args + (extra or [])

    def _empty_config(self) -> str:
        """Configured by -D alone, yet never by an installed /etc/nacos-tokend/nacos-tokend.ini
        (which the daemon reads when it exists, and which would add its [nacos] identity)."""
        path = os.path.join(self.workdir, "empty.ini")
        if not os.path.exists(path):
            open(path, "w").close()
        return path

    def _preexec(self):
        if self.umask is not None:
            os.umask(self.umask)
        if self.preexec:
            self.preexec()

    def start(self) -> "Daemon":
        self.log_handle = open(self.log_path, "ab")
        env = dict(os.environ)
        env.update(self.env or {})
        self.process = subprocess.Popen(self.command(), stdout=self.log_handle,
                                        stderr=self.log_handle, env=env,
                                        preexec_fn=self._preexec, pass_fds=())
        _daemons.add(self)
        return self

    def run_once(self, timeout: float = 30.0) -> subprocess.CompletedProcess:
        return subprocess.run(self.command(["--once"]), capture_output=True, text=True,
                              timeout=timeout, preexec_fn=self._preexec)

    @property
    def pid(self) -> int:
        return self.process.pid

    def signal(self, signo: int) -> None:
        self.process.send_signal(signo)

    def stop(self, timeout: float = 5.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            rc = self.process.wait(timeout)
        finally:
            self.kill()
        return rc

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        _daemons.discard(self)
        if getattr(self, "log_handle", None):
            self.log_handle.close()

    def log(self) -> str:
        return read_file(self.log_path) or ""

    def wait_log(self, pattern: str, timeout: float = 10.0, count: int = 1) -> str:
        regex = re.compile(pattern)
        return wait_until(lambda: len(regex.findall(self.log())) >= count and self.log(),
                          timeout, what=f"log line /{pattern}/ x{count}\n--- log ---\n"
                          + self.log()[-3000:])

    def token(self) -> str | None:
        return read_file(self.token_path)

    @property
    def state_path(self) -> str:
        return state_path_of(self.token_path)

    def wait_token(self, timeout: float = 10.0, different_from: str | None = None) -> str:
        return wait_until(lambda: (t := self.token()) and t != different_from and t,
                          timeout, what="token file")

    def wait_state(self, timeout: float = 10.0) -> str:
        """Waits for the saved state, written just after the token file."""
        wait_until(lambda: os.path.exists(self.state_path), timeout, what="saved state")
        return self.state_path

    def request(self, method: str = "GET", target: str = "/v1/token", timeout: float = 5.0,
                form: dict | None = None):
        return socket_request(self.socket_path, method, target, timeout, form)

    def __enter__(self) -> "Daemon":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.kill()


def write_ini(path: str, sections: dict) -> str:
    """Writes {section: {key: value}} as an INI file; returns `path`."""
    with open(path, "w") as f:
        for section, keys in sections.items():
            f.write(f"[{section}]\n" + "".join(f"{k} = {v}\n" for k, v in keys.items()))
    return path


def write_secret(path: str, content: str, mode: int = 0o600) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as handle:
        handle.write(content + "\n")
    os.chmod(path, mode)


def make_certificates(directory: str) -> dict:
    """A private CA, a server certificate for 127.0.0.1/localhost, one for nacos.example only,
    and an untrusted self-signed one. Returns their paths."""
    def run(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=directory)

    paths = {}
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
        "-days", "2", "-subj", "/CN=tokend test CA")
    for name, san in (("good", "IP:127.0.0.1,DNS:localhost"), ("wrongname", "DNS:nacos.example")):
        run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out",
            f"{name}.csr", "-subj", f"/CN={name}")
        with open(os.path.join(directory, f"{name}.ext"), "w") as ext:
            ext.write(f"subjectAltName={san}\n")
        run("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext")
        paths[name] = (os.path.join(directory, f"{name}.pem"), os.path.join(directory, f"{name}.key"))
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "self.key", "-out",
        "self.pem", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext",
        "subjectAltName=IP:127.0.0.1")
    paths["self"] = (os.path.join(directory, "self.pem"), os.path.join(directory, "self.key"))
    paths["ca"] = os.path.join(directory, "ca.pem")
    return paths


class TokendTestCase(unittest.TestCase):
    """Gives each test a private temp dir (mode 0700) and cleans up processes and files."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="tokend-e2e-")
        os.chmod(self.dir, 0o700)
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.password_file = os.path.join(self.dir, "password")
        write_secret(self.password_file, PASSWORD)
        self.daemons: list[Daemon] = []
        self.addCleanup(self._stop_all)

    def _stop_all(self):
        # Secrets hygiene, for every test: no password and no token in any daemon log (tokens
        # from the fake all start with this JWT header), and no file the daemon wrote readable
        # by other users.
        for d in self.daemons:
            d.kill()
            log = d.log()
            self.assert_no_secrets(log)
            self.assertNotIn(JWT_HEADER, log, "a token appeared in the daemon's log")
            self.assertNotRegex(log, SANITIZER_REPORT, "the sanitizers reported a problem")
            for directory in {os.path.dirname(d.token_path), os.path.dirname(d.socket_path)}:
                for name in os.listdir(directory) if os.path.isdir(directory) else []:
                    path = os.path.join(directory, name)
                    if os.path.isfile(path) and not os.path.islink(path):
                        self.assertEqual(os.lstat(path).st_mode & 0o007, 0, path)
                        with open(path, "rb") as f:
                            self.assertNotIn(PASSWORD.encode(), f.read(), path)

    def fake_nacos(self, **options) -> FakeNacos:
        options.setdefault("password", PASSWORD)
        nacos = FakeNacos(FAKE_NACOS, self.dir, **options).start()
        self.addCleanup(nacos.stop)
        return nacos

    def daemon(self, servers: list[str], start: bool = True, **settings) -> Daemon:
        settings.setdefault("password_file", self.password_file)
        d = Daemon(self.dir, servers, **settings)
        self.daemons.append(d)
        return d.start() if start else d

    def as_nobody(self):
        """Prepares this test's directories for a daemon running as nobody (65534), so that file
        permissions and /proc ownership apply as for an ordinary user (root bypasses both), and
        returns a preexec function that drops to that user."""
        os.chmod(self.dir, 0o711)
        run = os.path.join(self.dir, "run")
        os.makedirs(run, 0o750, exist_ok=True)
        os.chown(run, NOBODY, NOBODY)
        os.chown(self.password_file, NOBODY, NOBODY)

        def drop():
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)

        return drop

    def assert_no_secrets(self, text: str, tokens: list[str] = ()):
        self.assertNotIn(PASSWORD, text)
        self.assertNotIn(PASSWORD.split("&")[0], text)
        for t in tokens:
            if t:
                self.assertNotIn(t, text)

    def assert_mode(self, path: str, mode: int):
        self.assertEqual(stat.S_IMODE(os.lstat(path).st_mode), mode, path)

    def assert_token_accepted(self, nacos: FakeNacos, token: str, user: str | None = None):
        """The stand-in accepts `token`; with `user`, as a token of that user."""
        status, body = nacos.api_get(token)
        self.assertEqual(status, 200, body)
        if user is not None:
            self.assertEqual(json.loads(body)["data"]["user"], user, "the token of another user")

    def identity_defines(self, name: str, nacos: FakeNacos, user: str, password: str,
                         token_path: str | None = None, **keys) -> dict:
        """-D keys for identity `name` (sections [nacos:NAME] and [file:NAME]) logging in to
        `nacos` as `user` with `password` (kept in its own 0600 file). `keys` go to
        [nacos:NAME]; "file__x" ones to [file:NAME], "socket__x" ones to [socket:NAME]."""
        password_file = os.path.join(self.dir, f"password-{name}")
        write_secret(password_file, password)
        defines = {f"nacos:{name}.servers": nacos.server_entry,
                   f"nacos:{name}.username": user,
                   f"nacos:{name}.password_file": password_file,
                   f"nacos:{name}.request_timeout": "3s",
                   f"nacos:{name}.connect_timeout": "1s",
                   f"file:{name}.path": token_path or os.path.join(self.dir, "run", name + ".token")}
        for key, value in keys.items():
            section, _, rest = key.partition("__")
            if section not in ("file", "socket"):
                section, rest = "nacos", key
            defines[f"{section}:{name}.{rest}"] = str(value)
        return defines


def main():
    unittest.main(verbosity=2)
