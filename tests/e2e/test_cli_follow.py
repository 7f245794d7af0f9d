"""nacos-token's contract features beyond printing one token: --identity, --rejected,
--min-valid, --watch and exec (shared/interface.md: "nacos-token", "Forced logins", "Several
identities", "Change notification").

StandInTest runs the real nacos-token against daemon_standin.DaemonStandIn, which answers the
socket requests exactly as the contract says (identity=, rejected=, the long poll with
wait/after, X-Token-Generation), so the client is tested precisely, including a daemon that
goes away and comes back. RealDaemonTest runs the parts the current nacos-tokend already
serves (GET /v1/token, POST /v1/refresh, the token file) against the real daemon.
"""

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time

from daemon_standin import DaemonStandIn, Identity, utc
from harness import TOKEN_CLI, TokendTestCase, main, run_cli, wait_until

RFC3339 = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"


class Running:
    """A nacos-token process whose stdout lines and stderr text are collected as they come."""

    def __init__(self, args: list[str], **popen):
        self.process = subprocess.Popen([TOKEN_CLI, *args], stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, bufsize=1, **popen)
        self.lines: "queue.Queue[str]" = queue.Queue()
        self.err: list[str] = []
        threading.Thread(target=self._read, args=(self.process.stdout, self.lines.put),
                         daemon=True).start()
        threading.Thread(target=self._read, args=(self.process.stderr, self.err.append),
                         daemon=True).start()

    @staticmethod
    def _read(stream, put) -> None:
        for line in stream:
            put(line)

    def line(self, timeout: float = 10.0) -> str:
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no line within {timeout}s; stderr: {self.stderr()!r}")

    def assert_no_line(self, seconds: float) -> None:
        try:
            extra = self.lines.get(timeout=seconds)
        except queue.Empty:
            return
        raise AssertionError(f"unexpected line {extra!r}")

    def stderr(self) -> str:
        return "".join(self.err)

    def stop(self, signo: int = signal.SIGTERM, timeout: float = 5.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signo)
        try:
            return self.process.wait(timeout)
        finally:
            self.kill()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream and not stream.closed:
                try:
                    stream.close()
                except OSError:
                    pass


class StandInTest(TokendTestCase):
    def setUp(self):
        super().setUp()
        self.sock = os.path.join(self.dir, "tokend.sock")
        self.missing = os.path.join(self.dir, "missing")

    def standin(self, names=("default",), **identity_args) -> DaemonStandIn:
        s = DaemonStandIn(self.sock, names, **identity_args).start()
        self.addCleanup(s.stop)
        return s

    def cli(self, *args, **kwargs) -> subprocess.CompletedProcess:
        return run_cli(["--socket", self.sock, "--file", self.missing, *args], **kwargs)

    def running(self, *args, **popen) -> Running:
        r = Running(["--socket", self.sock, *args], **popen)
        self.addCleanup(r.kill)
        return r

    def held(self, s: DaemonStandIn, after: str, count: int = 1) -> None:
        """Waits until `count` long polls with after=`after` have reached the stand-in."""
        wait_until(lambda: sum(1 for r in list(s.requests) if r["query"].get("after") == after
                               and "wait" in r["query"]) >= count, what=f"long poll after={after}")

    # --- --identity -----------------------------------------------------------------
    def test_identity_selects_the_token_and_is_sent_with_every_request(self):
        s = self.standin(("default", "staging"))
        staging = s.identities["staging"].token
        for flag in (["-i", "staging"], ["--identity", "staging"], ["--identity=staging"]):
            with self.subTest(flag=flag):
                r = self.cli(*flag)
                self.assertEqual((r.returncode, r.stdout, r.stderr), (0, staging + "\n", ""))
                self.assertEqual(s.requests[-1]["query"], {"identity": "staging"})
        r = self.cli("-i", "staging", "--json")
        self.assertEqual(json.loads(r.stdout)["identity"], "staging")
        self.assertEqual(s.requests[-1]["query"], {"identity": "staging", "format": "json"})
        r = self.cli("-i", "staging", "--refresh")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, s.identities["staging"].token + "\n")
        self.assertNotEqual(r.stdout, staging + "\n")
        self.assertEqual((s.requests[-1]["method"], s.requests[-1]["path"],
                          s.requests[-1]["query"]), ("POST", "/v1/refresh", {"identity": "staging"}))
        self.assertEqual(s.identities["default"].logins, 0)
        # Without --identity nothing is sent: the daemon's default.
        r = self.cli()
        self.assertEqual(r.stdout, s.identities["default"].token + "\n")
        self.assertEqual(s.requests[-1]["query"], {})

    def test_unknown_or_forbidden_identity_falls_back_to_its_own_file(self):
        s = self.standin(("default", "staging"))
        s.forbidden.add("staging")
        r = run_cli(["--socket", self.sock, "-i", "nope"])
        self.assertEqual(r.returncode, 69)
        self.assertEqual(r.stdout, "")
        self.assertIn("HTTP 404 no identity 'nope'", r.stderr)
        self.assertIn("nor the file /run/nacos-tokend/nope.token (", r.stderr)
        r = run_cli(["--socket", self.sock, "-i", "staging"])
        self.assertEqual(r.returncode, 69)
        self.assertIn("HTTP 403", r.stderr)
        self.assertIn("/run/nacos-tokend/staging.token", r.stderr)
        # --file wins over the identity's default file.
        path = os.path.join(self.dir, "staging.token")
        with open(path, "w") as f:
            f.write("eyJfile.token.x")
        r = run_cli(["--socket", self.sock, "-i", "staging", "--file", path])
        self.assertEqual((r.returncode, r.stdout), (0, "eyJfile.token.x\n"), r.stderr)

    def test_identity_default_file_paths(self):
        for args, path in ((["-i", "default"], "/run/nacos-tokend/token"), ([], "/run/nacos-tokend/token"),
                           (["-i", "a" * 32], f"/run/nacos-tokend/{'a' * 32}.token"),
                           (["-i", "ci-staging_2"], "/run/nacos-tokend/ci-staging_2.token")):
            with self.subTest(args=args):
                r = run_cli(["--socket", self.missing, *args])
                self.assertEqual(r.returncode, 69)
                self.assertIn(f"nor the file {path} (", r.stderr)

    def test_bad_identity_names_exit_64_naming_them(self):
        for name in ("Staging", "_x", "-x", "a" * 33, "a/b", "a b", "é", ""):
            with self.subTest(name=name):
                r = run_cli(["--socket", self.missing, "-i", name])
                self.assertEqual(r.returncode, 64)
                self.assertIn(f"invalid identity name '{name}'", r.stderr)
        self.assertEqual(run_cli(["-i"]).returncode, 64)

    # --- --rejected -----------------------------------------------------------------
    def test_rejected_current_token_gets_a_new_one(self):
        s = self.standin()
        old = s.identities["default"].token
        r = self.cli("--rejected", old, "--header")
        new = s.identities["default"].token
        self.assertNotEqual(new, old)
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, f"Authorization: Bearer {new}\n", ""))
        req = s.requests[-1]
        self.assertEqual((req["method"], req["path"], req["body"]), ("POST", "/v1/refresh",
                                                                     f"rejected={old}"))
        self.assertEqual(req["headers"]["Content-Type"], "application/x-www-form-urlencoded")
        self.assertEqual(s.identities["default"].logins, 1)

    def test_rejected_other_token_gives_the_current_one_without_a_login(self):
        s = self.standin()
        current = s.identities["default"].token
        r = self.cli("--rejected", "eyJold.token.x")
        self.assertEqual((r.returncode, r.stdout), (0, current + "\n"), r.stderr)
        self.assertEqual(s.identities["default"].logins, 0)

    def test_rejected_token_is_url_encoded(self):
        s = self.standin(token="eyJa+b/c=d&e%f~g.h")
        r = self.cli("--rejected", "eyJa+b/c=d&e%f~g.h", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(s.requests[-1]["body"], "rejected=eyJa%2Bb%2Fc%3Dd%26e%25f~g.h")
        self.assertEqual(json.loads(r.stdout)["accessToken"], s.identities["default"].token)
        self.assertEqual(s.identities["default"].logins, 1)

    def test_rejected_from_stdin_keeps_the_token_out_of_argv(self):
        s = self.standin()
        old = s.identities["default"].token
        s.refresh_gate.clear()  # hold the refresh, to look at the running CLI
        r = self.running("--file", self.missing, "--rejected", "-", "-i", "default",
                         stdin=subprocess.PIPE)
        r.process.stdin.write(old + "\n")
        r.process.stdin.close()
        wait_until(lambda: s.count("POST", "/v1/refresh"), what="the refresh request")
        with open(f"/proc/{r.process.pid}/cmdline", "rb") as f:
            self.assertNotIn(old.encode(), f.read())
        s.refresh_gate.set()
        self.assertEqual(r.line(), s.identities["default"].token + "\n")
        self.assertEqual(r.process.wait(5), 0)
        self.assertEqual(s.requests[-1]["body"], f"rejected={old}")

    def test_rejected_failures_exit_75_and_never_show_the_token(self):
        s = self.standin()
        ident = s.identities["default"]
        old = ident.token
        ident.refresh_fails = True
        r = self.cli("--rejected", old)
        self.assertEqual((r.returncode, r.stdout), (75, ""))
        self.assertIn("could not log in again: login failed", r.stderr)
        self.assertNotIn(old, r.stderr)
        # A login that gives the same token back does not make it usable.
        ident.refresh_fails, ident.refresh_same = False, True
        r = self.cli("--rejected", old)
        self.assertEqual((r.returncode, r.stdout), (75, ""))
        self.assertIn("still serves the token Nacos rejected", r.stderr)
        self.assertNotIn(old, r.stderr)
        # With --wait it keeps asking until a new token comes.
        r = self.running("--file", self.missing, "--rejected", old, "--wait", "10")
        wait_until(lambda: s.count("POST", "/v1/refresh") >= 4, what="retries")
        ident.refresh_same = False
        self.assertEqual(r.line(), ident.token + "\n")
        self.assertEqual(r.process.wait(5), 0)

    def test_rejected_without_daemon_uses_the_file_unless_it_holds_that_token(self):
        path = os.path.join(self.dir, "token")
        with open(path, "w") as f:
            f.write("eyJbad.token.x\n")
        r = run_cli(["--socket", self.missing, "--file", path, "--rejected", "eyJbad.token.x"])
        self.assertEqual((r.returncode, r.stdout), (69, ""))
        self.assertIn("it holds the token Nacos rejected", r.stderr)
        self.assertNotIn("eyJbad.token.x", r.stderr)
        r = run_cli(["--socket", self.missing, "--file", path, "--rejected", "eyJother.token"])
        self.assertEqual((r.returncode, r.stdout), (0, "eyJbad.token.x\n"))

    def test_rejected_bad_command_lines(self):
        for args, stdin in ((["--rejected"], ""), (["--rejected", ""], ""),
                            (["--rejected", "-"], ""), (["--rejected", "-"], "two words\n"),
                            (["--rejected", "eyJx", "--refresh"], "")):
            with self.subTest(args=args, stdin=stdin):
                r = run_cli(["--socket", self.missing, *args], input=stdin)
                self.assertEqual(r.returncode, 64)
                self.assertNotIn("two words", r.stderr)

    # --- --min-valid ----------------------------------------------------------------
    def test_min_valid_satisfied_needs_no_login(self):
        s = self.standin(ttl=7200)
        for value in ("10m", "600", "500ms", "1h"):
            with self.subTest(value=value):
                r = self.cli("--min-valid", value)
                self.assertEqual((r.returncode, r.stdout), (0, s.identities["default"].token + "\n"))
        self.assertEqual(s.count("POST", "/v1/refresh"), 0)
        self.assertEqual(s.requests[-1]["query"], {"format": "json"})

    def test_min_valid_asks_for_a_login_when_the_token_expires_too_soon(self):
        s = self.standin(ttl=30)
        old = s.identities["default"].token
        r = self.cli("--min-valid", "1m", "--env")
        new = s.identities["default"].token
        self.assertNotEqual(new, old)
        self.assertEqual((r.returncode, r.stdout), (0, f"NACOS_ACCESS_TOKEN={new}\n"), r.stderr)
        self.assertEqual(s.count("POST", "/v1/refresh"), 1)

    def test_min_valid_exits_75_when_even_a_new_token_is_too_short(self):
        s = self.standin(ttl=30)
        s.identities["default"].refresh_ttl = 40
        r = self.cli("--min-valid", "2m")
        self.assertEqual((r.returncode, r.stdout), (75, ""))
        self.assertRegex(r.stderr, r"even a new token is valid for \d+s only, less than --min-valid 120s")
        self.assertEqual(s.count("POST", "/v1/refresh"), 1)

    def test_min_valid_with_wait_waits_for_a_token_that_will_do(self):
        s = self.standin(ttl=30)
        s.identities["default"].refresh_ttl = 40
        r = self.running("--file", self.missing, "--min-valid", "2m", "--wait", "20")
        wait_until(lambda: s.count("POST", "/v1/refresh") == 1, what="the forced login")
        # It waits with a long poll for the next generation, not with more logins.
        self.held(s, str(s.identities["default"].generation))
        r.assert_no_line(0.5)
        self.assertEqual(s.count("POST", "/v1/refresh"), 1)
        good = s.publish(ttl=3600)
        self.assertEqual(r.line(), good + "\n")
        self.assertEqual(r.process.wait(5), 0)
        self.assertEqual(s.count("POST", "/v1/refresh"), 1)

    def test_min_valid_wait_ends_on_time_and_never_spins(self):
        s = self.standin(ttl=30)
        s.identities["default"].refresh_ttl = 40
        for max_hold in (None, 0):  # a daemon that holds the long poll, one that does not
            with self.subTest(max_hold=max_hold):
                s.max_hold = max_hold
                s.requests.clear()
                started = time.monotonic()
                r = self.cli("--min-valid", "2m", "--wait", "1.5")
                elapsed = time.monotonic() - started
                self.assertEqual((r.returncode, r.stdout), (75, ""))
                self.assertGreaterEqual(elapsed, 1.4)
                self.assertLess(elapsed, 3.0)
                self.assertEqual(s.count("POST", "/v1/refresh"), 1)
                self.assertLessEqual(len(s.requests), 20)

    def test_min_valid_file_fallback_needs_an_expiry(self):
        raw = os.path.join(self.dir, "raw")
        with open(raw, "w") as f:
            f.write("eyJraw.token.x")
        r = run_cli(["--socket", self.missing, "--file", raw, "--min-valid", "1s"])
        self.assertEqual(r.returncode, 69)
        self.assertIn("does not say when its token expires", r.stderr)
        meta = os.path.join(self.dir, "meta")
        for left, code in ((3600, 0), (30, 69)):
            with open(meta, "w") as f:
                json.dump({"accessToken": "eyJjson.token.x", "expiresAt": utc(time.time() + left)}, f)
            r = run_cli(["--socket", self.missing, "--file", meta, "--min-valid", "1m"])
            self.assertEqual(r.returncode, code, r.stderr)

    def test_min_valid_bad_durations_exit_64(self):
        for value in ("", "soon", "-1", "5x", "1.5.5s"):
            with self.subTest(value=value):
                self.assertEqual(run_cli(["--min-valid", value]).returncode, 64)

    # --- --watch ----------------------------------------------------------------------
    def test_watch_prints_each_new_token_once_without_polling(self):
        s = self.standin()
        ident = s.identities["default"]
        w = self.running("--watch")
        self.assertEqual(w.line(), ident.token + "\n")
        self.held(s, "1")
        self.assertEqual(s.requests[-1]["query"]["wait"], "300")
        b = s.publish()
        self.assertEqual(w.line(), b + "\n")
        self.held(s, "2")
        s.publish(token=b)  # a new generation, the same token: nothing to print
        self.held(s, "3")
        c = s.publish()
        self.assertEqual(w.line(), c + "\n")
        self.held(s, "4")
        w.assert_no_line(1.0)
        # One request per change and the first: no polling in between.
        self.assertLessEqual(s.count("GET", "/v1/token"), 5)
        self.assertEqual(w.stop(), 0)
        self.assertEqual(w.stderr(), "")

    def test_watch_json_and_header_and_identity(self):
        s = self.standin(("default", "staging"))
        w = self.running("--watch", "--json", "-i", "staging")
        first = json.loads(w.line())
        self.assertEqual((first["accessToken"], first["generation"], first["identity"]),
                         (s.identities["staging"].token, 1, "staging"))
        self.held(s, "1")
        self.assertEqual(s.requests[-1]["query"]["identity"], "staging")
        self.assertEqual(s.requests[-1]["query"]["format"], "json")
        s.publish("default")  # another identity's change wakes nothing here
        w.assert_no_line(0.5)
        new = s.publish("staging")
        line = w.line()
        self.assertTrue(line.endswith("}\n") and line.count("\n") == 1, line)
        self.assertEqual((json.loads(line)["accessToken"], json.loads(line)["generation"]), (new, 2))
        self.assertEqual(w.stop(signal.SIGINT), 0)
        w = self.running("--watch", "--header")
        self.assertEqual(w.line(), f"Authorization: Bearer {s.identities['default'].token}\n")
        self.assertEqual(w.stop(), 0)

    def test_watch_follows_the_daemon_through_restarts_without_duplicates(self):
        s = self.standin()
        ident = s.identities["default"]
        a = ident.token
        w = self.running("--watch")
        self.assertEqual(w.line(), a + "\n")
        self.held(s, "1")
        # Away: nothing on stdout, one note on stderr however many retries.
        s.stop()
        wait_until(lambda: "cannot reach the daemon" in w.stderr(), what="the outage note")
        time.sleep(1.5)
        self.assertEqual(w.stderr().count("cannot reach the daemon"), 1, w.stderr())
        # Back with the saved token and generation: no line.
        before = len(s.requests)
        s.start()
        wait_until(lambda: any(r["query"].get("after") == "1" for r in s.requests[before:]),
                   what="long poll after the restart")
        w.assert_no_line(0.5)
        self.assertIn("answers again", w.stderr())
        b = s.publish()
        self.assertEqual(w.line(), b + "\n")
        self.held(s, "2", count=1)
        # A restart that lost the state: generation 1 again, the token already printed...
        s.stop()
        s.identities["default"] = Identity("default", token=b, generation=1)
        s.start()
        self.held(s, "1", count=2)
        w.assert_no_line(0.5)
        # ...and then a new token at generation 2 again: printed.
        c = s.publish()
        self.assertEqual(w.line(), c + "\n")
        self.held(s, "2", count=2)
        # A restart that reuses generation 2 for another token: printed at once, since after
        # an outage the first request asks for the current token, not past a generation.
        s.stop()
        s.identities["default"] = Identity("default", generation=2)
        d = s.identities["default"].token
        s.start()
        self.assertEqual(w.line(), d + "\n")
        self.held(s, "2", count=3)
        # Settled: the daemon holds, nacos-token waits (no busy loop after all this).
        n = len(s.requests)
        w.assert_no_line(1.5)
        self.assertLessEqual(len(s.requests) - n, 1)
        self.assertEqual(w.stderr().count("cannot reach the daemon"), 3, w.stderr())
        self.assertEqual(w.stop(), 0)

    def test_watch_generation_moving_back_is_followed_not_looped_on(self):
        s = self.standin(generation=7)
        w = self.running("--watch")
        w.line()
        self.held(s, "7")
        # The generation goes back without an outage (say, a reload that reset it).
        b = s.publish(generation=3)
        self.assertEqual(w.line(), b + "\n")
        self.held(s, "3")
        n = len(s.requests)
        w.assert_no_line(1.0)
        self.assertLessEqual(len(s.requests) - n, 1)  # with after=7 it would spin
        self.assertEqual(w.stop(), 0)

    def test_watch_against_a_daemon_that_does_not_hold_does_not_busy_loop(self):
        s = self.standin()
        s.max_hold = 0
        w = self.running("--watch")
        w.line()
        n = len(s.requests)
        time.sleep(2.0)
        self.assertLessEqual(len(s.requests) - n, 4)
        new = s.publish()
        self.assertEqual(w.line(3), new + "\n")
        self.assertEqual(w.stop(), 0)

    def test_watch_waits_through_no_token_and_an_absent_daemon(self):
        s = self.standin(valid=False)
        w = self.running("--watch", "--file", self.missing)
        wait_until(lambda: "no valid token" in w.stderr(), what="the note")
        w.assert_no_line(0.7)
        a = s.publish()
        self.assertEqual(w.line(), a + "\n")
        s.expire()
        wait_until(lambda: w.stderr().count("no valid token") == 2, what="the second note")
        b = s.publish()
        self.assertEqual(w.line(), b + "\n")
        self.assertEqual(w.stop(), 0)
        # Started while there is no daemon at all: waits for it.
        s.stop()
        w = self.running("--watch", "--file", self.missing)
        wait_until(lambda: "cannot reach the daemon" in w.stderr(), what="the outage note")
        w.assert_no_line(0.5)
        s.start()
        self.assertEqual(w.line(), b + "\n")
        self.assertEqual(w.stop(), 0)

    def test_watch_starts_from_the_file_when_the_daemon_is_away(self):
        path = os.path.join(self.dir, "token")
        with open(path, "w") as f:
            f.write("eyJfrom.file.x")
        w = self.running("--watch", "--file", path)
        self.assertEqual(w.line(), "eyJfrom.file.x\n")
        s = DaemonStandIn(self.sock, token="eyJfrom.file.x")
        self.addCleanup(s.stop)
        s.start()
        self.held(s, "1")
        w.assert_no_line(0.3)
        new = s.publish()
        self.assertEqual(w.line(), new + "\n")
        self.assertEqual(w.stop(), 0)

    def test_watch_exits_0_on_term_and_int_whatever_it_is_doing(self):
        s = self.standin()
        for signo in (signal.SIGTERM, signal.SIGINT):
            with self.subTest(signal=signo):
                w = self.running("--watch")
                w.line()
                self.held(s, "1", count=1)
                started = time.monotonic()
                self.assertEqual(w.stop(signo), 0)
                self.assertLess(time.monotonic() - started, 1.0)
                s.requests.clear()
        s.stop()  # retrying an absent daemon
        w = self.running("--watch", "--file", self.missing)
        wait_until(lambda: "cannot reach" in w.stderr(), what="the note")
        self.assertEqual(w.stop(), 0)

    def test_watch_gives_up_only_when_refused(self):
        s = self.standin()
        r = self.cli("--watch", "-i", "nope", timeout=5)
        self.assertEqual((r.returncode, r.stdout), (69, ""))
        self.assertIn("no identity 'nope'", r.stderr)
        for args in (["--watch", "--refresh"], ["--watch", "--min-valid", "1m"],
                     ["--watch", "--wait", "3"], ["--watch", "--rejected", "eyJx"],
                     ["--watch", "exec", "--", "true"]):
            with self.subTest(args=args):
                self.assertEqual(self.cli(*args).returncode, 64)
        self.assertEqual(s.count("GET", "/v1/token"), 1)

    # --- exec -------------------------------------------------------------------------
    def test_exec_puts_the_token_in_the_environment_not_on_the_command_line(self):
        s = self.standin()
        ident = s.identities["default"]
        script = 'printf "%s\\n%s\\n" "$NACOS_ACCESS_TOKEN" "$NACOS_TOKEN_EXPIRES_AT"; tr "\\0" " " </proc/$$/cmdline'
        r = self.cli("exec", "--", "sh", "-c", script)
        self.assertEqual(r.returncode, 0, r.stderr)
        token, expires, cmdline = r.stdout.split("\n", 2)
        self.assertEqual(token, ident.token)
        self.assertRegex(expires, RFC3339)
        self.assertEqual(expires, utc(ident.expires))
        self.assertNotIn(ident.token, cmdline)
        # A stale NACOS_TOKEN_EXPIRES_AT is not passed on when the expiry is unknown (raw file).
        path = os.path.join(self.dir, "raw")
        with open(path, "w") as f:
            f.write("eyJraw.token.x")
        env = dict(os.environ, NACOS_TOKEN_EXPIRES_AT="2001-01-01T00:00:00Z")
        r = run_cli(["--socket", self.missing, "--file", path, "exec", "--", "sh", "-c",
                     'echo "$NACOS_ACCESS_TOKEN ${NACOS_TOKEN_EXPIRES_AT-unset}"'], env=env)
        self.assertEqual((r.returncode, r.stdout), (0, "eyJraw.token.x unset\n"))

    def test_exec_exit_status_is_the_commands(self):
        self.standin()
        self.assertEqual(self.cli("exec", "--", "sh", "-c", "exit 7").returncode, 7)
        self.assertEqual(self.cli("exec", "sh", "-c", "exit 0").returncode, 0)
        # nacos-token becomes the command: a signal that kills it is what the caller sees
        # (a shell shows 128+N).
        self.assertEqual(self.cli("exec", "--", "sh", "-c", "kill -TERM $$").returncode,
                         -signal.SIGTERM)
        r = subprocess.run(["sh", "-c", f'"{TOKEN_CLI}" --socket "{self.sock}" exec -- sh -c '
                            f'"kill -HUP \\$\\$"; echo $?'], capture_output=True, text=True)
        self.assertEqual(r.stdout, f"{128 + signal.SIGHUP}\n")

    def test_exec_signals_reach_the_command(self):
        self.standin()
        script = ("import os, signal, sys, time\n"
                  "def got(n, f):\n"
                  "    print('got', n, flush=True); sys.exit(n)\n"
                  "for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT,"
                  " signal.SIGUSR1, signal.SIGUSR2):\n"
                  "    signal.signal(s, got)\n"
                  "print('ready', os.getpid(), flush=True)\n"
                  "time.sleep(30)\n")
        for signo in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT,
                      signal.SIGUSR1, signal.SIGUSR2):
            with self.subTest(signal=signo):
                r = self.running("exec", "--", sys.executable, "-c", script)
                self.assertEqual(r.line(), f"ready {r.process.pid}\n")
                r.process.send_signal(signo)
                self.assertEqual(r.line(), f"got {int(signo)}\n")
                self.assertEqual(r.process.wait(5), int(signo))

    def test_exec_options_on_either_side(self):
        s = self.standin(("default", "staging"), ttl=30)
        s.identities["staging"].refresh_ttl = 3600
        command = ["sh", "-c", 'echo "$NACOS_ACCESS_TOKEN"']
        for before, after in ((["-i", "staging", "--min-valid", "1m"], ["--"]),
                              ([], ["-i", "staging", "--min-valid", "1m", "--"]),
                              (["-i", "staging"], ["--min-valid=1m"])):  # no --: COMMAND is
            with self.subTest(before=before, after=after):          # the first non-option
                r = run_cli(["--socket", self.sock, "--file", self.missing, *before, "exec",
                             *after, *command])
                self.assertEqual((r.returncode, r.stdout),
                                 (0, s.identities["staging"].token + "\n"), r.stderr)
                self.assertEqual(s.requests[-1]["query"].get("identity"), "staging")
        self.assertEqual(s.count("POST", "/v1/refresh"), 1)  # 30 s < 1 m once, then 1 h

    def test_exec_without_a_token_does_not_run_the_command(self):
        s = self.standin(valid=False)
        marker = os.path.join(self.dir, "ran")
        r = self.cli("exec", "--", "touch", marker)
        self.assertEqual(r.returncode, 75)
        self.assertIn("no valid token", r.stderr)
        s.stop()
        r = self.cli("exec", "--", "touch", marker)
        self.assertEqual(r.returncode, 69)
        self.assertFalse(os.path.exists(marker))

    def test_exec_command_lookup_and_failures(self):
        self.standin()
        bindir = os.path.join(self.dir, "bin")
        os.mkdir(bindir)
        tool = os.path.join(bindir, "nacos-test-tool")
        with open(tool, "w") as f:
            f.write('#!/bin/sh\necho "tool $1 ${NACOS_ACCESS_TOKEN:+has-token}"\n')
        os.chmod(tool, 0o755)
        env = dict(os.environ, PATH=bindir + ":" + os.environ.get("PATH", "/usr/bin:/bin"))
        r = self.cli("exec", "--", "nacos-test-tool", "arg", env=env)
        self.assertEqual((r.returncode, r.stdout), (0, "tool arg has-token\n"), r.stderr)
        r = self.cli("exec", "--", "no-such-command-here", env=env)
        self.assertEqual(r.returncode, 127)
        self.assertIn("cannot run no-such-command-here", r.stderr)
        os.chmod(tool, 0o644)
        r = self.cli("exec", "--", tool)
        self.assertEqual(r.returncode, 126)
        self.assertIn(f"cannot run {tool}", r.stderr)
        r = self.cli("exec", "--", self.dir)
        self.assertEqual(r.returncode, 126)

    def test_exec_bad_command_lines(self):
        for args in (["exec"], ["exec", "--"], ["exec", "--json", "--", "true"],
                     ["--header", "exec", "--", "true"], ["--", "true"], ["true"],
                     ["exec", "--bogus", "--", "true"]):
            with self.subTest(args=args):
                r = run_cli(["--socket", self.missing, *args])
                self.assertEqual(r.returncode, 64, r.stderr)

    def test_help_names_the_new_options(self):
        r = run_cli(["--help"])
        self.assertEqual(r.returncode, 0)
        for word in ("--identity", "-i,", "--rejected", "--rejected -", "--min-valid", "--watch",
                     "exec", "NACOS_ACCESS_TOKEN", "NACOS_TOKEN_EXPIRES_AT", "127", "126"):
            self.assertIn(word, r.stdout)


class RealDaemonTest(TokendTestCase):
    """What the current nacos-tokend already serves: GET /v1/token, POST /v1/refresh, the file."""

    def start(self, **nacos_options):
        nacos = self.fake_nacos(**nacos_options)
        d = self.daemon([nacos.server_entry])
        token = d.wait_token()
        wait_until(lambda: os.path.exists(d.socket_path))
        return nacos, d, token

    def cli(self, d, *args, **kwargs):
        return run_cli(["--socket", d.socket_path, "--file", d.token_path, *args], **kwargs)

    def test_rejected_current_token_gives_a_new_one(self):
        nacos, d, old = self.start()
        time.sleep(1.1)  # fake-nacos tokens are per second
        r = self.cli(d, "--rejected", "-", "--json", input=old + "\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        meta = json.loads(r.stdout)
        self.assertNotEqual(meta["accessToken"], old)
        self.assertEqual(meta["generation"], 2)
        self.assert_token_accepted(nacos, meta["accessToken"])
        self.assertEqual(nacos.stats()["login_ok"], 2)
        self.assertEqual(d.wait_token(different_from=old), meta["accessToken"])

    def test_min_valid(self):
        nacos, d, token = self.start(ttl=20)
        r = self.cli(d, "--min-valid", "5s")
        self.assertEqual((r.returncode, r.stdout), (0, token + "\n"), r.stderr)
        self.assertEqual(nacos.stats()["login_ok"], 1)
        time.sleep(1.1)
        r = self.cli(d, "--min-valid", "1m")
        self.assertEqual((r.returncode, r.stdout), (75, ""))
        self.assertIn("even a new token is valid for", r.stderr)
        self.assertEqual(nacos.stats()["login_ok"], 2)

    def test_exec_gets_the_daemons_token(self):
        nacos, d, token = self.start()
        meta = json.loads(self.cli(d, "--json").stdout)
        r = self.cli(d, "exec", "--", "sh", "-c", 'echo "$NACOS_ACCESS_TOKEN $NACOS_TOKEN_EXPIRES_AT"')
        self.assertEqual((r.returncode, r.stdout), (0, f"{token} {meta['expiresAt']}\n"), r.stderr)
        d.stop()  # the socket is gone; the file stands in
        r = self.cli(d, "exec", "--", "sh", "-c", 'echo "$NACOS_ACCESS_TOKEN"')
        self.assertEqual((r.returncode, r.stdout), (0, token + "\n"))

    def test_identity_file_fallback(self):
        nacos, d, token = self.start()
        r = run_cli(["--socket", os.path.join(self.dir, "missing.sock"), "-i", "staging", "--file",
                     d.token_path])
        self.assertEqual((r.returncode, r.stdout), (0, token + "\n"), r.stderr)

    def test_watch_follows_new_tokens(self):
        nacos, d, token = self.start()
        w = Running(["--socket", d.socket_path, "--file", d.token_path, "--watch"])
        self.addCleanup(w.kill)
        self.assertEqual(w.line(), token + "\n")
        time.sleep(1.1)
        d.signal(signal.SIGUSR1)
        new = d.wait_token(different_from=token)
        self.assertEqual(w.line(), new + "\n")
        w.assert_no_line(1.5)
        self.assertEqual(w.stop(), 0)

    def test_watch_holds_one_request_and_survives_a_restart_without_duplicates(self):
        nacos, d, token = self.start(ttl=300)
        d.wait_state()
        w = Running(["--socket", d.socket_path, "--file", d.token_path, "--watch"])
        self.addCleanup(w.kill)
        self.assertEqual(w.line(), token + "\n")
        time.sleep(0.5)
        metrics = lambda: d.request(target="/metrics")[2]
        served = lambda: sum(int(line.rsplit(" ", 1)[1]) for line in metrics().splitlines()
                             if line.startswith('nacos_tokend_requests_total{path="/v1/token"'))
        before = served()
        time.sleep(3)
        self.assertLessEqual(served() - before, 1, "--watch polls instead of holding")
        # The daemon restarts and reuses its saved token: nothing new, no line.
        d.stop()
        d2 = self.daemon([nacos.server_entry])
        d2.wait_log("reusing the token saved")
        w.assert_no_line(2.0)
        time.sleep(1.1)
        d2.signal(signal.SIGUSR1)
        new = d2.wait_token(different_from=token)
        self.assertEqual(w.line(), new + "\n")
        w.assert_no_line(1.0)
        self.assertEqual(w.stop(), 0)


if __name__ == "__main__":
    main()
