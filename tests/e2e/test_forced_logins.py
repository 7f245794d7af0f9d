"""Forced logins (issue 8): POST /v1/refresh, USR1 and rejected=<token> are answered by a login
that had not ended when they were asked, at most one forced login per 5 s except a rejected
current token; READY=1 only once a token is valid, even across a reload; and a saved state that
cannot be used says why. Each of these tests fails on the code before the redesign (98ca1dc),
which replayed the last outcome for 5 s, sent READY=1 after any reload and dropped unusable
saved states silently."""

import json
import os
import signal
import threading
import time

from harness import JWT_HEADER, PASSWORD, TokendTestCase, main, read_file, state_path_of, wait_until
from test_service import NotifyListener

SPACING = 5.0  # at most one forced login per this many seconds


class ForcedLoginsTest(TokendTestCase):
    def start(self, **settings):
        nacos = self.fake_nacos(**settings.pop("nacos", {}))
        d = self.daemon([nacos.server_entry], **settings)
        return nacos, d

    def refresh(self, d, target="/v1/refresh", form=None, timeout=20):
        """POST a refresh -> (status, metadata or error object, seconds it took)."""
        started = time.monotonic()
        status, headers, body = d.request("POST", target, timeout=timeout, form=form)
        took = time.monotonic() - started
        answer = json.loads(body) if headers.get("Content-Type") == "application/json" else body
        if status == 200:
            self.assertEqual(headers["X-Token-Generation"], str(answer["generation"]))
        return status, answer, took

    def concurrently(self, count, call):
        results = [None] * count

        def run(i):
            results[i] = call()

        threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        return results

    # ------------------------------------------------------------------ POST /v1/refresh, USR1

    def test_refresh_after_nacos_is_fixed_is_answered_by_a_new_login(self):
        nacos, d = self.start()
        token = d.wait_token()
        nacos.fault("500")
        status, answer, _ = self.refresh(d)
        self.assertEqual(status, 502, answer)
        self.assertIn("HTTP 500", answer["reason"])
        self.assertEqual(d.token(), token, "a failed forced login keeps the valid token")
        nacos.fault("none")
        ok_before = nacos.stats()["login_ok"]
        status, answer, took = self.refresh(d)  # at once: within 5 s of the failed one
        self.assertEqual(status, 200, answer)
        self.assertEqual(nacos.stats()["login_ok"], ok_before + 1, "answered by a new login")
        # A retry of the failed login may start first and answer (it began after the fix);
        # otherwise the next forced one, 5 s after the failed one.
        self.assertLess(took, SPACING + 1.5, "delayed by the 5 s spacing at most")
        self.assert_token_accepted(nacos, answer["accessToken"])

    def test_a_refresh_as_soon_as_the_file_appears_is_answered_by_a_new_login(self):
        # The first login's outcome is still being applied (its saved state written) when its
        # file appears; a refresh sent then asks for a login after that one, never its answer.
        nacos = self.fake_nacos()
        for i in range(12):
            run = os.path.join(self.dir, f"run{i}")
            d = self.daemon([nacos.server_entry], start=False,
                            token_path=os.path.join(run, "token"),
                            socket_path=os.path.join(run, "tokend.sock"))
            logins = nacos.stats()["logins"]
            d.start()
            wait_until(lambda: d.token(), interval=0.0005, what="the token file")
            status, answer, _ = self.refresh(d)
            self.assertEqual(status, 200, answer)
            self.assertEqual(nacos.stats()["logins"], logins + 2,
                             f"run {i}: answered without a login after the request")
            d.kill()

    def test_two_refreshes_one_second_apart_are_spaced_five_seconds(self):
        nacos, d = self.start()
        d.wait_token()
        time.sleep(1.1)  # Nacos tokens are per second: a new second gives a new token
        status, first, took = self.refresh(d)
        self.assertEqual((status, first["generation"]), (200, 2), first)
        self.assertLess(took, 1.5, "no forced login before: at once")
        first_done = time.monotonic()
        time.sleep(1.0)
        logins = nacos.stats()["logins"]
        status, second, took = self.refresh(d)
        self.assertEqual(status, 200, second)
        self.assertEqual(nacos.stats()["logins"], logins + 1, "answered by a new login")
        self.assertEqual(second["generation"], 3, "a new token, not the earlier answer")
        self.assertNotEqual(second["accessToken"], first["accessToken"])
        self.assertGreater(took, SPACING - 1.0 - 1.0, "waited for the 5 s spacing")
        self.assertLess(time.monotonic() - first_done, SPACING + 1.5)
        d.wait_log(r"<6>a login was asked for; the last forced one was less than 5s ago, "
                   r"logging in in [34]s")

        # Twenty callers at once, right after: one login (two at most) answers them all.
        logins = nacos.stats()["logins"]
        results = self.concurrently(20, lambda: self.refresh(d))
        self.assertEqual([r[0] for r in results], [200] * 20)
        self.assertLessEqual(nacos.stats()["logins"] - logins, 2, "20 callers share a login")
        self.assertGreaterEqual(nacos.stats()["logins"] - logins, 1, "none answered stale")
        self.assertEqual({r[1]["generation"] for r in results}, {4})

    def test_usr1_is_a_forced_login_within_the_same_spacing(self):
        nacos, d = self.start()
        d.wait_token()
        time.sleep(1.1)
        d.signal(signal.SIGUSR1)
        wait_until(lambda: d.request()[1].get("X-Token-Generation") == "2",
                   what="the USR1 login's token served")
        self.assertEqual(nacos.stats()["login_ok"], 2)
        usr1_login = time.monotonic()
        # A refresh and another USR1 within 5 s share one login, made 5 s after the first.
        answers = []
        waiter = threading.Thread(target=lambda: answers.append(self.refresh(d)))
        waiter.start()
        time.sleep(0.3)
        d.signal(signal.SIGUSR1)
        time.sleep(1.5)
        self.assertEqual(nacos.stats()["login_ok"], 2, "no forced login within 5 s of the last")
        waiter.join(15)
        status, answer, _ = answers[0]
        self.assertEqual(status, 200, answer)
        self.assertEqual(nacos.stats()["login_ok"], 3, "one login for both")
        self.assertEqual(answer["generation"], 3)
        self.assertGreater(time.monotonic() - usr1_login, SPACING - 0.5)
        self.assertEqual(d.log().count("received SIGUSR1, logging in now"), 2)
        wait_until(lambda: d.token() == answer["accessToken"], what="the file follows")

    # ------------------------------------------------------------------ rejected=<token>

    def test_rejected_old_token_answers_the_current_one_without_a_login(self):
        nacos, d = self.start()
        old = d.wait_token()
        time.sleep(1.1)
        d.signal(signal.SIGUSR1)
        current = d.wait_token(different_from=old)
        wait_until(lambda: d.request()[2] == current)
        logins = nacos.stats()["logins"]
        for reported in (old, "not-a-token-at-all"):
            with self.subTest(reported=reported[:12]):
                status, answer, took = self.refresh(d, form={"rejected": reported})
                self.assertEqual(status, 200, answer)
                self.assertEqual((answer["accessToken"], answer["generation"]), (current, 2))
                self.assertLess(took, 1.0, "at once")
        time.sleep(0.5)
        self.assertEqual(nacos.stats()["logins"], logins, "nothing is sent to Nacos")
        self.assertNotIn("reported as rejected", d.log())

    def test_rejected_current_token_logs_in_at_once_even_right_after_a_forced_login(self):
        nacos, d = self.start()
        d.wait_token()
        time.sleep(1.1)
        status, forced, _ = self.refresh(d)
        self.assertEqual((status, forced["generation"]), (200, 2))
        time.sleep(1.1)  # within the 5 s spacing, but in a new second
        logins = nacos.stats()["logins"]
        status, answer, took = self.refresh(d, form={"rejected": forced["accessToken"]})
        self.assertEqual(status, 200, answer)
        self.assertLess(took, 1.5, "the 5 s spacing is bypassed")
        self.assertEqual(nacos.stats()["logins"], logins + 1)
        self.assertEqual(answer["generation"], 3)
        self.assertNotEqual(answer["accessToken"], forced["accessToken"])
        self.assert_token_accepted(nacos, answer["accessToken"])
        wait_until(lambda: d.token() == answer["accessToken"], what="the file follows")
        d.wait_log(r"<4>token sha256:[0-9a-f]{8} \(generation 2\) was reported as rejected by "
                   r"Nacos; logging in")
        # That login counts toward the spacing: a plain refresh now waits for the next slot.
        status, after, took = self.refresh(d)
        self.assertEqual((status, after["generation"]), (200, 4), after)
        self.assertGreater(took, SPACING - 1.5)

    def test_callers_reporting_the_same_token_share_one_login(self):
        nacos, d = self.start()
        d.wait_token()
        time.sleep(1.1)
        status, forced, _ = self.refresh(d)  # the spacing is now in force for 5 s
        self.assertEqual(status, 200)
        time.sleep(1.1)
        logins = nacos.stats()["logins"]
        results = self.concurrently(
            10, lambda: self.refresh(d, form={"rejected": forced["accessToken"]}))
        self.assertEqual([r[0] for r in results], [200] * 10, results)
        self.assertEqual(nacos.stats()["logins"], logins + 1, "exactly one login for ten")
        self.assertEqual({r[1]["generation"] for r in results}, {3})
        self.assertEqual(len({r[1]["accessToken"] for r in results}), 1)
        self.assertLess(max(r[2] for r in results), 2.0, "none waited for the spacing")
        self.assertEqual(d.log().count("was reported as rejected by Nacos"), 1, "said once")
        # A token Nacos refuses for good (a new secret key) is replaced at once too.
        time.sleep(1.1)
        nacos.set(secret="bmV3LXNlY3JldC1rZXktdGhhdC1pcy1sb25nLWVub3VnaC0zMmI=")
        current = results[0][1]["accessToken"]
        self.assertEqual(nacos.api_get(current)[0], 403)
        status, answer, took = self.refresh(d, form={"rejected": current})
        self.assertEqual((status, answer["generation"]), (200, 4), answer)
        self.assert_token_accepted(nacos, answer["accessToken"])

    # ------------------------------------------------------------------ READY=1

    def listener(self) -> NotifyListener:
        listener = NotifyListener(os.path.join(self.dir, "notify.sock"))
        listener.start()
        self.addCleanup(listener.stop)
        return listener

    def test_ready_only_after_the_first_valid_token_even_across_a_reload(self):
        nacos = self.fake_nacos(fault="503")
        notify = self.listener()
        d = self.daemon([nacos.server_entry], env={"NOTIFY_SOCKET": notify.path})
        wait_until(lambda: any("STATUS=login failed:" in m for m in notify.texts()),
                   what="a STATUS about the failure")
        d.signal(signal.SIGHUP)
        d.wait_log(r"<6>configuration reloaded")
        wait_until(lambda: nacos.stats()["logins"] >= 3, what="more failed logins")
        time.sleep(0.3)
        self.assertEqual([m for m in notify.texts() if "READY=1" in m or "RELOADING=1" in m], [],
                         "READY=1 (or RELOADING=1) before any token")
        self.assertIsNone(d.token())
        nacos.fault("none")
        wait_until(lambda: notify.has("READY=1"), what="READY=1")
        self.assertTrue(d.token())
        time.sleep(0.5)
        self.assertEqual(sum("READY=1" in m for m in notify.texts()), 1, "exactly one READY=1")
        # Once ready, a reload says RELOADING=1, then READY=1 again.
        d.signal(signal.SIGHUP)
        wait_until(lambda: sum("READY=1" in m for m in notify.texts()) == 2, what="READY=1 again")
        self.assertTrue(notify.has("RELOADING=1"))

    def test_ready_waits_for_every_identity(self):
        base = self.fake_nacos()
        staging = self.fake_nacos(user="user-staging", fault="503")
        notify = self.listener()
        d = self.daemon([base.server_entry], env={"NOTIFY_SOCKET": notify.path},
                        defines=self.identity_defines("staging", staging, "user-staging",
                                                      PASSWORD))
        d.wait_token()
        wait_until(lambda: any(m.startswith("STATUS=waiting for a token: staging: login failed:")
                               for m in notify.texts()), what="STATUS naming the one waiting")
        self.assertFalse(notify.has("READY=1"))
        staging.fault("none")
        wait_until(lambda: notify.has("READY=1"), what="READY=1")
        self.assertTrue(read_file(os.path.join(self.dir, "run", "staging.token")))
        wait_until(lambda: notify.has("STATUS=2 identities, every token valid"))

    # ------------------------------------------------------------------ unusable saved state

    def plant_state(self, content: str) -> str:
        run = os.path.join(self.dir, "run")
        os.makedirs(run, 0o750, exist_ok=True)
        with open(os.path.join(run, "token"), "w") as f:
            f.write("stale-token-left-behind")
        os.chmod(os.path.join(run, "token"), 0o640)
        path = state_path_of(os.path.join(run, "token"))
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(content)
        return path

    def assert_not_reused(self, d, nacos, path, reason_pattern, content):
        line = d.wait_log(rf"<6>not reusing the saved token {path}: {reason_pattern}; removed "
                          rf"it, logging in\n")
        token = d.wait_token(different_from="stale-token-left-behind")
        self.assert_token_accepted(nacos, token)
        self.assertEqual(nacos.stats()["login_ok"], 1)
        for piece in (content, content.strip()[:20], "CANARY-STATE"):
            if piece.strip():
                self.assertNotIn(piece, line.replace(path, ""), "the saved content in the log")
        self.assertNotIn("reusing the token saved", d.log())

    def test_a_damaged_saved_state_is_logged_and_replaced(self):
        nacos = self.fake_nacos()
        for content, reason in (
                ("CANARY-STATE garbage {\n", r"it is not a JSON object \(damaged\?\)"),
                ('{"version": 1, "accessToken": "CANARY-STATE with spaces", "username": "nacos", '
                 '"server": "x"}\n', r"its token is malformed"),
                ('{"version": 7, "accessToken": "CANARY-STATE"}\n',
                 r"it was written in an unknown format \(another version of nacos-tokend\?\)")):
            with self.subTest(reason=reason):
                nacos.reset_stats()
                path = self.plant_state(content)
                d = self.daemon([nacos.server_entry])
                self.assert_not_reused(d, nacos, path, reason, content)
                wait_until(lambda: "CANARY" not in (read_file(path) or ""), what="state replaced")
                self.assertEqual(d.stop(), 0)

    def test_a_saved_state_of_another_user_or_expired_is_logged(self):
        nacos = self.fake_nacos(ttl=2)
        other = self.fake_nacos(user="someone-else")
        d = self.daemon([nacos.server_entry], refresh__at="0.9", refresh__jitter="0.05")
        token = d.wait_token()
        path = d.wait_state()
        self.assertEqual(d.stop(), 0)
        content = read_file(path)
        self.assertIn(token, content)
        # Another user at another server: the saved token is not theirs.
        d2 = self.daemon([other.server_entry], nacos__username="someone-else")
        self.assert_not_reused(d2, other, path, r"it holds a token of user 'nacos', not "
                                                r"'someone-else'", content)
        self.assertEqual(d2.stop(), 0)
        # Expired while the daemon was stopped.
        d3 = self.daemon([nacos.server_entry], refresh__at="0.9", refresh__jitter="0.05")
        d3.wait_log(r"<6>new token from")
        wait_until(lambda: JWT_HEADER in (read_file(path) or "") and "nacos" in read_file(path)
                   and "someone-else" not in read_file(path), what="d3's saved state")
        self.assertEqual(d3.stop(), 0)
        time.sleep(2.1)  # the saved token's TTL
        nacos.reset_stats()
        d4 = self.daemon([nacos.server_entry])
        d4.wait_log(rf"<6>not reusing the saved token {path}: its token expired at "
                    r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ; removed it, logging in")
        d4.wait_token()
        wait_until(lambda: nacos.stats()["login_ok"] == 1)
        self.assertNotIn(JWT_HEADER, d4.log())

    # ------------------------------------------------------------------ directory fsync

    def test_a_failed_directory_fsync_still_counts_as_published(self):
        # fsync #1 is the token's temp file, #2 its directory (after the rename): fail that one.
        nacos = self.fake_nacos()
        notify = self.listener()
        d = self.daemon([nacos.server_entry], start=False, env={"NOTIFY_SOCKET": notify.path})
        command = d.command
        d.command = lambda extra=None: ["strace", "-f", "-qq", "-o", "/dev/null", "-e",
                                        "inject=fsync:error=EIO:when=2"] + command(extra)
        d.start()
        token = d.wait_token()
        d.wait_log(rf"<4>{d.token_path}: published, but fsync of the directory "
                   rf"{os.path.dirname(d.token_path)} failed: Input/output error; the file may "
                   r"not survive a power loss\n")
        wait_until(lambda: notify.has("READY=1"), what="READY=1: the file is published")
        d.wait_state()
        self.assertEqual(d.request()[2], token)
        self.assert_token_accepted(nacos, token)
        time.sleep(1.0)  # retry_min is 200 ms: a publication taken as failed would retry by now
        self.assertNotIn("retrying", d.log())
        self.assertEqual(d.log().count("published, but fsync"), 1)


if __name__ == "__main__":
    main()
