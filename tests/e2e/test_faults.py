"""Nacos misbehaving: every bad answer is a failed login that names the server, the status and
what was wrong, keeps the good token, and is bounded in time and memory (issue 2)."""

import os
import re
import time

from harness import TokendTestCase, main, proc_status_kib, wait_until


class FaultTest(TokendTestCase):
    def start_with_token(self, **settings):
        nacos = self.fake_nacos(ttl=3600)
        d = self.daemon([nacos.server_entry], **settings)
        token = d.wait_token()
        return nacos, d, token

    def force_login(self, d, count=1):
        d.signal(10)  # SIGUSR1

    def test_bad_answers_never_replace_a_good_token(self):
        # Slow retries, so the token can only change by a (forced) login that succeeded.
        cases = {
            "malformed": r"HTTP 200 but the answer is not valid JSON",
            "nonjson": r"HTTP 200 but the answer is not JSON \(Content-Type text/html",
            "missing_token": r"HTTP 200 but accessToken is missing",
            "empty_token": r"HTTP 200 but accessToken is empty",
            "bad_ttl": r"HTTP 200 but tokenTtl is a string",
            "negative_ttl": r"HTTP 200 but tokenTtl is not positive",
            "zero_ttl": r"HTTP 200 but tokenTtl is not positive",
            "500": r"HTTP 500: \"caused: java.lang.NullPointerException;\"",
            "503": r"HTTP 503",
            "reset": r"login failed: http://127\.0\.0\.1:\d+: .*(reset|Connection|closed|I/O)",
            "token:bad token": r"HTTP 200 but accessToken has a space",
        }
        # One stand-in and daemon per case, all at once: forced logins of one daemon start at
        # most once per 5 s (interface.md, "Forced logins"), which in turn would take a minute.
        runs = {mode: self.start_with_token(refresh__retry_min="30s", refresh__retry_max="60s",
                                            token_path=f"{self.dir}/run-{i}/token",
                                            socket_path=f"{self.dir}/run-{i}/tokend.sock")
                for i, mode in enumerate(cases)}
        for mode, (nacos, d, _) in runs.items():
            nacos.fault(mode, count=1)
            self.force_login(d)
        for mode, pattern in cases.items():
            nacos, d, token = runs[mode]
            with self.subTest(mode=mode):
                wait_until(lambda: "login failed" in d.log(), 8,
                           what=f"failure for {mode}\n" + d.log()[-2000:])
                self.assertRegex(d.log(), r"login failed: http://127\.0\.0\.1:\d+ \(v3 "
                                 r"/nacos/v3/auth/user/login\): " + pattern
                                 if not mode == "reset" else pattern)
                self.assertEqual(d.token(), token)
                self.assertEqual(d.request()[2], token)
                self.assert_token_accepted(nacos, d.token())
                self.assert_no_secrets(d.log(), [token])

    def test_drip_is_cut_at_request_timeout(self):
        nacos, d, token = self.start_with_token(nacos__request_timeout="2s")
        nacos.fault("drip", count=1)
        started = time.monotonic()
        self.force_login(d)
        d.wait_log(r"no complete answer within nacos.request_timeout \(2s\)", timeout=8)
        self.assertLess(time.monotonic() - started, 4.0)
        self.assertEqual(d.token(), token)

    def test_hang_is_cut_at_request_timeout(self):
        nacos, d, token = self.start_with_token(nacos__request_timeout="1500ms")
        nacos.fault("hang", count=1)
        started = time.monotonic()
        self.force_login(d)
        d.wait_log(r"login failed: http://127\.0\.0\.1:\d+: .*(request_timeout|Timeout)", timeout=6)
        self.assertLess(time.monotonic() - started, 3.5)
        status, _, body = d.request()  # the socket answers while the login hangs
        self.assertEqual((status, body), (200, token))

    def test_huge_answer_is_refused_without_being_held(self):
        nacos, d, token = self.start_with_token()
        before = proc_status_kib(d.pid, "VmHWM")
        nacos.fault("huge", count=1)
        self.force_login(d)
        d.wait_log(r"answer of 67108864 bytes refused \(limit 65536\)")
        self.assertLess(proc_status_kib(d.pid, "VmHWM") - before, 4096)
        self.assertEqual(d.token(), token)

    def test_redirect_is_not_followed(self):
        nacos, d, token = self.start_with_token()
        logins = nacos.stats()["logins"]
        nacos.fault("redirect", count=1)
        self.force_login(d)
        d.wait_log(r"HTTP 302, a redirect \(not followed: the password stays here\)")
        self.assertEqual(d.token(), token)
        # One request to the redirecting server, one healthy retry; nothing went elsewhere.
        wait_until(lambda: nacos.stats()["logins"] >= logins + 2, 5)

    def test_retry_after_is_honoured_within_bounds(self):
        nacos = self.fake_nacos(fault="429:3")
        d = self.daemon([nacos.server_entry], refresh__retry_min="100ms", refresh__retry_max="200ms")
        d.wait_log(r"login failed: .*HTTP 429.*retrying in \d+(\.\d+)?s \(the server asked for 3s\)")
        started = time.monotonic()
        nacos.fault("none")
        d.wait_token(timeout=6)
        waited = time.monotonic() - started
        self.assertGreater(waited, 2.0, "the daemon came back before Retry-After")
        self.assertLessEqual(nacos.stats()["logins"], 2)
        # Garbage is ignored: the ordinary backoff applies.
        nacos.fault("429:soon", count=1)
        d.signal(10)
        d.wait_log(r"HTTP 429: \"Too Many Requests\"; retrying in \d+ms \(the current token",
                   timeout=5)

    def test_auth_disabled_token_is_published_as_is(self):
        nacos = self.fake_nacos(fault="auth_disabled")
        d = self.daemon([nacos.server_entry])
        self.assertEqual(d.wait_token(), "AUTH_DISABLED")

    def test_a_silent_resolver_cannot_hold_a_login_past_request_timeout(self):
        # The daemon's own mount namespace sees a resolv.conf naming a DNS server that never
        # answers; the login must still end at request_timeout.
        import socket as socketlib
        import subprocess
        dns = socketlib.socket(socketlib.AF_INET, socketlib.SOCK_DGRAM)
        dns.bind(("127.0.0.2", 53))
        self.addCleanup(dns.close)
        resolv = os.path.join(self.dir, "resolv.conf")
        with open(resolv, "w") as f:
            f.write("nameserver 127.0.0.2\noptions timeout:30 attempts:3\n")
        d = self.daemon(["nacos.tokend-test.invalid:8848"], start=False,
                        nacos__request_timeout="1500ms")
        inner = " ".join("'" + a + "'" for a in d.command())
        log = open(d.log_path, "ab")
        proc = subprocess.Popen(["unshare", "-m", "--propagation", "private", "sh", "-c",
                                 f"mount --bind '{resolv}' /etc/resolv.conf && exec {inner}"],
                                stdout=log, stderr=log)
        self.addCleanup(lambda: (proc.kill(), proc.wait(), log.close()))
        started = time.monotonic()
        d.wait_log(r"looking up 'nacos.tokend-test.invalid' did not finish within "
                   r"nacos.request_timeout", timeout=8)
        self.assertLess(time.monotonic() - started, 4)

    def test_a_server_that_never_accepts_the_connection_is_left_at_connect_timeout(self):
        # A listener whose accept queue is full drops further SYNs: connect() hangs, as for a
        # black-holed host. The next server is tried at connect_timeout, not request_timeout.
        import socket as socketlib
        hole = socketlib.socket()
        hole.bind(("127.0.0.1", 0))
        hole.listen(0)
        self.addCleanup(hole.close)
        fillers = []
        for _ in range(8):  # more than the queue holds, whatever the kernel rounds it to
            c = socketlib.socket()
            c.setblocking(False)
            c.connect_ex(hole.getsockname())
            fillers.append(c)
        self.addCleanup(lambda: [c.close() for c in fillers])
        probe = socketlib.socket()
        probe.settimeout(0.5)
        self.addCleanup(probe.close)
        with self.assertRaises(TimeoutError, msg="the accept queue is not full"):
            probe.connect(hole.getsockname())
        nacos = self.fake_nacos()
        started = time.monotonic()
        d = self.daemon([f"127.0.0.1:{hole.getsockname()[1]}", nacos.server_entry],
                        nacos__connect_timeout="1s", nacos__request_timeout="10s")
        token = d.wait_token(timeout=8)
        # Well under request_timeout (10 s), with room for a slow start under the sanitizers.
        self.assertLess(time.monotonic() - started, 6, "not left at connect_timeout")
        # The server that failed is named, though the round succeeded.
        self.assertRegex(d.log(), rf"<4>logged in at http://{re.escape(nacos.server_entry)} after: "
                                  rf"http://127\.0\.0\.1:{hole.getsockname()[1]}: .*time")
        self.assert_token_accepted(nacos, token)


class FileFaultTest(TokendTestCase):
    def test_read_only_directory_keeps_the_old_file_and_recovers(self):
        # As an ordinary user, so that directory permissions apply (root ignores them).
        nacos = self.fake_nacos(ttl=3)
        drop = self.as_nobody()
        run = os.path.join(self.dir, "run")
        d = self.daemon([nacos.server_entry], preexec=drop, refresh__retry_max="1s")
        token = d.wait_token()
        os.chmod(run, 0o550)
        d.wait_log(rf"<3>{run}/token: cannot create a temporary file in {run}: Permission denied; "
                   r"retrying in", timeout=6)
        self.assertEqual(d.token(), token)  # the previous file, intact
        os.chmod(run, 0o750)
        d.wait_log(r"<6>.*/token: published again after \d+ failed attempt", timeout=6)
        # A write cut by the chmod may have left a temp file it could not unlink; the first
        # successful write sweeps it.
        self.assertEqual([n for n in os.listdir(run) if ".tmp." in n], [])
        fresh = d.token()
        self.assertNotEqual(fresh, token)
        self.assert_token_accepted(nacos, fresh)


if __name__ == "__main__":
    main()
