"""The daemon logs in, publishes the token to a file and keeps it fresh (issue 2)."""

import json
import os
import re
import stat
import threading
import time

from harness import PASSWORD, TokendTestCase, main, read_file, wait_until


class Reader(threading.Thread):
    """Reads the token file in a tight loop and records every bad read."""

    def __init__(self, path: str):
        super().__init__(daemon=True)
        self.path = path
        self.stop = threading.Event()
        self.reads = 0
        self.bad: list[str] = []
        self.seen: set[str] = set()

    def run(self):
        while not self.stop.is_set():
            try:
                with open(self.path) as handle:
                    content = handle.read()
            except FileNotFoundError:
                self.bad.append("missing")
                continue
            self.reads += 1
            if not re.fullmatch(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", content):
                self.bad.append(repr(content[:40]))
            else:
                self.seen.add(content)


class CoreTest(TokendTestCase):
    def test_first_token_file_mode_and_authenticated_call(self):
        nacos = self.fake_nacos()
        d = self.daemon([nacos.server_entry], umask=0o000)
        token = d.wait_token()
        self.assert_mode(d.token_path, 0o640)  # exactly, even under umask 000
        self.assertEqual(os.stat(d.token_path).st_uid, os.geteuid())
        self.assert_token_accepted(nacos, token)
        self.assertEqual(nacos.stats()["logins_with_token"], 0)
        self.assertIn("application/x-www-form-urlencoded", nacos.stats()["last_login_content_type"])
        self.assertNotIn("password", nacos.stats()["last_login_query"])  # credentials in the body
        d.wait_log(r"<6>new token from http://127\.0\.0\.1:\d+ \(sha256:[0-9a-f]{8}, generation 1\)")
        self.assertEqual(d.stop(), 0)
        self.assert_no_secrets(d.log(), [token])
        # A valid token file stays after a clean stop; the socket goes.
        self.assertEqual(d.token(), token)
        self.assertFalse(os.path.exists(d.socket_path))

    def test_formats_env_and_json(self):
        nacos = self.fake_nacos()
        d = self.daemon([nacos.server_entry], file__format="env", umask=0o077)
        content = d.wait_token()
        self.assertRegex(content, r"^NACOS_ACCESS_TOKEN=eyJ[\w.-]+\n$")
        self.assert_mode(d.token_path, 0o640)
        d.stop()
        d2 = self.daemon([nacos.server_entry], file__format="json",
                         token_path=os.path.join(self.dir, "run", "token.json"))
        meta = json.loads(d2.wait_token())
        self.assertEqual(meta["tokenType"], "Bearer")
        self.assertEqual(meta["username"], "nacos")
        self.assertEqual(meta["server"], nacos.url)
        self.assertGreater(meta["expiresIn"], 17000)
        self.assertEqual(meta["generation"], 1)
        self.assert_token_accepted(nacos, meta["accessToken"])

    def test_stays_valid_over_several_refreshes_with_readers(self):
        nacos = self.fake_nacos(ttl=2)
        d = self.daemon([nacos.server_entry])
        d.wait_token()
        reader = Reader(d.token_path)
        reader.start()
        deadline = time.monotonic() + 7
        accepted = 0
        while time.monotonic() < deadline:
            token = d.token()
            status, body = nacos.api_get(token)
            self.assertEqual(status, 200, f"token in the file was refused: {body}")
            accepted += 1
            time.sleep(0.1)
        reader.stop.set()
        reader.join()
        self.assertEqual(reader.bad, [])
        self.assertGreater(reader.reads, 1000)
        self.assertGreaterEqual(len(reader.seen), 3, "expected several rotations in 7 s at TTL 2 s")
        logins = nacos.stats()["login_ok"]
        self.assertLessEqual(logins, 12, "refreshing far more often than at 0.8 of a 2 s TTL")

    def test_outage_across_the_refresh_point_is_invisible(self):
        nacos = self.fake_nacos(ttl=4)
        d = self.daemon([nacos.server_entry])
        first = d.wait_token()
        nacos.fault("503")
        reader = Reader(d.token_path)
        reader.start()
        d.wait_log(r"login failed: .*HTTP 503.*retrying in", timeout=6)
        self.assert_token_accepted(nacos, d.token())  # still served while retries go on
        status, _, body = d.request()
        self.assertEqual((status, body), (200, first))
        nacos.fault("none")
        d.wait_token(different_from=first, timeout=6)
        reader.stop.set()
        reader.join()
        self.assertEqual(reader.bad, [])

    def test_outage_past_expiry_removes_file_then_recovers(self):
        nacos = self.fake_nacos(ttl=2)
        d = self.daemon([nacos.server_entry])
        d.wait_token()
        nacos.fault("down")
        wait_until(lambda: not os.path.exists(d.token_path), 6, what="file removed at expiry")
        d.wait_log(r"expired and no new one could be obtained")
        d.wait_log(r"removed .*token \(its token expired\)")
        status, _, body = d.request()
        self.assertEqual(status, 503)
        self.assertIn("no valid token", body)
        nacos.fault("none")
        token = d.wait_token(timeout=5)
        self.assert_token_accepted(nacos, token)

    def test_wrong_password_backs_off_and_once_exits_77(self):
        nacos = self.fake_nacos(password="something-else")
        d = self.daemon([nacos.server_entry], refresh__retry_min="100ms", refresh__retry_max="2s")
        d.wait_log(r"<3>login as nacos rejected: check the user name and password: .*HTTP 403, "
                   r"credentials rejected: \"User not found! Please check user exist or password "
                   r"is right!\"")
        time.sleep(2.5)
        # Rejections retry at the retry_max pace from the start: a few, not dozens.
        self.assertLessEqual(nacos.stats()["logins"], 4)
        self.assertFalse(os.path.exists(d.token_path))
        result = d.run_once()
        self.assertEqual(result.returncode, 77, result.stderr)
        self.assertIn("rejected", result.stderr)
        self.assert_no_secrets(result.stderr + d.log())

    def test_unknown_user_of_nacos_2_2_1_to_3_1_is_a_rejection_not_an_outage(self):
        # Those versions answer a user they do not know with 500 "caused: User x not found;".
        nacos = self.fake_nacos(user="someone-else", flavor=2, unknown_user_500=True)
        d = self.daemon([nacos.server_entry], start=False)
        result = d.run_once()
        self.assertEqual(result.returncode, 77, result.stderr)
        self.assertRegex(result.stderr, r"login as nacos rejected: check the user name and "
                         r"password: .*HTTP 500, credentials rejected \(no such user, or a server that "
                         r"has not loaded its users yet\): "
                         r"\"caused: User nacos not found;\"")
        self.assertEqual(nacos.stats()["logins"], 1, "not retried as a server fault")

    def test_once_publishes_and_exits(self):
        nacos = self.fake_nacos()
        d = self.daemon([nacos.server_entry], start=False)
        result = d.run_once()
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assert_token_accepted(nacos, d.token())
        self.assertFalse(os.path.exists(d.socket_path))
        nacos.fault("down")
        result = d.run_once()
        self.assertEqual(result.returncode, 69, result.stderr)
        self.assertRegex(result.stderr, r"login failed: http://127\.0\.0\.1:\d+: .*refused")

    def test_failover_past_a_dead_first_server(self):
        dead = self.fake_nacos()
        dead.fault("down")
        alive = self.fake_nacos()
        d = self.daemon([dead.server_entry, alive.server_entry])
        token = d.wait_token()
        self.assert_token_accepted(alive, token)
        self.assertEqual(alive.stats()["login_ok"], 1)
        status, _, body = d.request(target="/v1/token?format=json")
        self.assertEqual(json.loads(body)["server"], alive.url)

    def test_v1_only_and_v3_only_servers(self):
        old = self.fake_nacos(api="v1", flavor=2)
        d = self.daemon([old.server_entry])
        self.assert_token_accepted(old, d.wait_token())
        stats = old.stats()
        self.assertEqual((stats["v3_logins"], stats["v1_logins"]), (1, 1))  # v3 tried, then v1
        d.signal(10)  # USR1: the next login goes straight to v1, remembered
        wait_until(lambda: old.stats()["v1_logins"] == 2, what="second v1 login")
        self.assertEqual(old.stats()["v3_logins"], 1)
        d.stop()

        new = self.fake_nacos(api="v3")
        d3 = self.daemon([new.server_entry], token_path=os.path.join(self.dir, "run", "t3"))
        self.assert_token_accepted(new, d3.wait_token())
        self.assertEqual(new.stats()["v1_logins"], 0)

    def test_token_cache_causes_no_login_loop(self):
        # Nacos 2.2.1+ with the token cache: the same token with a shrinking TTL until a tenth of
        # the validity is left. At most a few logins per lifetime, and a new token before expiry.
        nacos = self.fake_nacos(ttl=10, cache=True)
        d = self.daemon([nacos.server_entry], refresh__retry_min="200ms")
        first = d.wait_token()
        second = d.wait_token(different_from=first, timeout=12)
        self.assertLessEqual(nacos.stats()["logins"], 4)
        self.assert_token_accepted(nacos, second)

    def test_a_shorter_lived_token_does_not_replace_a_longer_one(self):
        nacos = self.fake_nacos(ttl=30)
        d = self.daemon([nacos.server_entry], refresh__at="0.1", refresh__jitter="0.05")
        token = d.wait_token()
        nacos.set(ttl=2)  # the server now hands out 2-second tokens
        d.wait_log(r"login gave a token valid for [0-9ms]+, less than the current one .*keeping "
                   r"the current token", timeout=8)
        nacos.fault("down")
        time.sleep(2.5)  # the short token would have expired by now
        self.assertEqual(d.token(), token)
        self.assertEqual(d.request()[2], token)

    def test_reader_racing_fast_rotations(self):
        nacos = self.fake_nacos(ttl=1)
        d = self.daemon([nacos.server_entry], refresh__retry_min="100ms", refresh__at="0.5",
                        refresh__jitter="0.1")
        d.wait_token()
        readers = [Reader(d.token_path) for _ in range(3)]
        for r in readers:
            r.start()
        time.sleep(5)
        for r in readers:
            r.stop.set()
            r.join()
        self.assertEqual([b for r in readers for b in r.bad], [])
        self.assertGreaterEqual(len(set().union(*(r.seen for r in readers))), 4)


if __name__ == "__main__":
    main()
