"""Several identities in one daemon (issue 9): one file, saved state and login schedule per
identity, the socket's ?identity=, /v1/identities, health over all of them, per-identity allow
lists, reloads that add and remove identities, restarts that reuse every saved token, and the
configuration rules for named sections. Each identity logs in to its own fake-nacos as its own
user, so a token can be traced to the identity it belongs to."""

import json
import os
import re
import signal
import subprocess
import time
import unittest

from harness import (NOBODY, PASSWORD, TOKEND, KeepAliveClient, TokendTestCase, main, request_as,
                     read_file, run_cli, socket_fds, state_path_of, wait_until, write_ini,
                     write_secret)


def reap(process: subprocess.Popen) -> None:
    process.kill()
    process.communicate()


def cli_supports(*options: str) -> bool:
    """Whether this nacos-token knows every one of `options` (the CLI is merged separately)."""
    try:
        help_text = run_cli(["--help"], timeout=10).stdout
    except OSError:
        return False
    return all(option in help_text for option in options)


class IdentitiesTest(TokendTestCase):
    def run_dir(self) -> str:
        run = os.path.join(self.dir, "run")
        os.makedirs(run, 0o750, exist_ok=True)
        return run

    def identity(self, name: str, user: str, **nacos_options):
        """A fake-nacos for identity `name` that accepts `user` with a password of its own
        (it contains PASSWORD, so the hygiene checks catch it too)."""
        password = f"{PASSWORD}#{name}"
        nacos = self.fake_nacos(user=user, password=password, **nacos_options)
        return nacos, password

    def start_identities(self, default_user="nacos", named=("staging", "prod"), ttl=60,
                         daemon_settings=None, **per_identity):
        """The default identity plus the named ones ("user-NAME"), each at its own stand-in.
        per_identity[NAME]: keys for identity_defines, and "nacos" for its FakeNacos options.
        Returns (daemon, {name: (nacos, user, token_path)})."""
        run = self.run_dir()
        default, default_password = self.identity("default", default_user, ttl=ttl)
        ids = {"default": (default, default_user, os.path.join(run, "token"))}
        defines = {}
        for name in named:
            keys = dict(per_identity.get(name, {}))
            user = "user-" + name
            nacos, password = self.identity(name, user, **{"ttl": ttl, **keys.pop("nacos", {})})
            path = os.path.join(run, name + ".token")
            ids[name] = (nacos, user, path)
            defines.update(self.identity_defines(name, nacos, user, password, path, **keys))
        password_file = os.path.join(self.dir, "password-default")
        write_secret(password_file, default_password)
        d = self.daemon([default.server_entry], nacos__username=default_user,
                        password_file=password_file, defines=defines, **(daemon_settings or {}))
        return d, ids

    def wait_all(self, d, ids, timeout=10.0) -> dict:
        tokens = {}
        for name, (_, _, path) in ids.items():
            tokens[name] = wait_until(lambda: read_file(path), timeout, what=f"{name}'s file")
            wait_until(lambda: os.path.exists(state_path_of(path)), timeout,
                       what=f"{name}'s saved state")
        return tokens

    # ------------------------------------------------------------------ several identities

    def test_three_identities_each_with_its_own_file_state_and_answers(self):
        d, ids = self.start_identities()
        tokens = self.wait_all(d, ids)
        self.assertEqual(len(set(tokens.values())), 3, "three users, three tokens")
        for name, (nacos, user, path) in ids.items():
            with self.subTest(identity=name):
                token = tokens[name]
                self.assert_token_accepted(nacos, token, user)
                self.assert_mode(path, 0o640)
                self.assert_mode(state_path_of(path), 0o600)
                self.assertEqual(nacos.stats()["login_ok"], 1)
                status, headers, body = d.request(target=f"/v1/token?identity={name}")
                self.assertEqual((status, body), (200, token))
                self.assertEqual(headers["X-Token-Generation"], "1")
                status, _, body = d.request(target=f"/v1/token?identity={name}&format=json")
                meta = json.loads(body)
                self.assertEqual((meta["identity"], meta["username"], meta["server"],
                                  meta["accessToken"]), (name, user, nacos.url, token))
        # Without identity=, requests mean the default identity.
        self.assertEqual(d.request()[2], tokens["default"])
        self.assertEqual(json.loads(d.request(target="/v1/token?format=json")[2])["identity"],
                         "default")

        status, _, body = d.request(target="/v1/token?identity=nope")
        self.assertEqual(status, 404)
        self.assertIn("'nope'", body)

        status, _, body = d.request(target="/v1/identities")
        self.assertEqual(status, 200)
        for token in tokens.values():
            self.assertNotIn(token, body)
        listed = {i["name"]: i for i in json.loads(body)["identities"]}
        self.assertEqual(set(listed), {"default", "staging", "prod"})
        for name, (nacos, user, _) in ids.items():
            self.assertEqual((listed[name]["status"], listed[name]["username"],
                              listed[name]["server"], listed[name]["generation"]),
                             ("ok", user, nacos.url, 1))
            self.assertGreater(listed[name]["expiresIn"], 50)

        status, _, body = d.request(target="/v1/health")
        self.assertEqual(status, 200, body)
        health = json.loads(body)
        self.assertEqual(health["status"], "ok")
        self.assertEqual({n: i["status"] for n, i in health["identities"].items()},
                         {"default": "ok", "staging": "ok", "prod": "ok"})

        status, _, metrics = d.request(target="/metrics")
        for name in ids:
            self.assertIn(f'nacos_tokend_token_valid{{identity="{name}"}} 1', metrics)
            self.assertIn(f'nacos_tokend_logins_total{{identity="{name}",result="ok"}} 1', metrics)
            self.assertIn(f'nacos_tokend_token_generation{{identity="{name}"}} 1', metrics)
        for token in tokens.values():
            self.assertNotIn(token, metrics)

        # Every log line about one identity names it, now that there are several.
        log = d.log()
        for name in ids:
            self.assertRegex(log, rf"<6>\[{name}\] new token from http://127\.0\.0\.1:\d+ "
                                  rf"\(sha256:[0-9a-f]{{8}}, generation 1\)")
        self.assertNotRegex(log, r"<6>new token from", "an identity line without its name")

        # A refresh for one identity logs in for it alone.
        time.sleep(1.1)  # Nacos tokens are per second: a new second gives a new token
        status, _, body = d.request("POST", "/v1/refresh?identity=staging", timeout=15)
        self.assertEqual(status, 200, body)
        self.assertEqual((json.loads(body)["identity"], json.loads(body)["generation"]),
                         ("staging", 2))
        self.assertEqual([ids[n][0].stats()["login_ok"] for n in ("default", "staging", "prod")],
                         [1, 2, 1])
        self.assertEqual(d.request("POST", "/v1/refresh?identity=nope")[0], 404)

    def test_two_named_identities_without_a_default(self):
        run = self.run_dir()
        a, pa = self.identity("a", "user-a")
        b, pb = self.identity("b", "user-b")
        # From a configuration file, as deployed (the others mostly use -D).
        config = self.write_config(self.sections({"a": (a, "user-a", pa), "b": (b, "user-b", pb)}))
        d = self.daemon([], bare=True, config_file=config, token_path=os.path.join(run, "a.token"))
        token_a = wait_until(lambda: read_file(os.path.join(run, "a.token")), what="a's file")
        token_b = wait_until(lambda: read_file(os.path.join(run, "b.token")), what="b's file")
        self.assert_token_accepted(a, token_a, "user-a")
        self.assert_token_accepted(b, token_b, "user-b")
        self.assertFalse(os.path.exists(os.path.join(run, "token")), "no default identity")
        status, _, body = d.request()
        self.assertEqual(status, 404)
        self.assertIn("'default'", body)
        self.assertEqual(d.request(target="/v1/token?identity=b")[2], token_b)
        wait_until(lambda: d.request(target="/v1/health")[0] == 200, what="health 200")
        self.assertEqual(sorted(json.loads(d.request(target="/v1/health")[2])["identities"]),
                         ["a", "b"])

    def test_a_server_down_past_expiry_takes_only_its_identity_down(self):
        d, ids = self.start_identities(
            named=("flaky",), ttl=2, daemon_settings=dict(refresh__at="0.5", refresh__jitter="0"))
        self.wait_all(d, ids)
        default, _, default_path = ids["default"]
        flaky, _, flaky_path = ids["flaky"]
        flaky.stop()  # the server is gone: connections are refused
        started = time.monotonic()
        default_logins = default.stats()["login_ok"]
        # Throughout, the healthy identity answers at once with a valid token.
        went_down = None
        while time.monotonic() - started < 4.0:
            status, _, body = d.request()
            self.assertEqual(status, 200, body)
            self.assert_token_accepted(default, body, "nacos")
            if went_down is None and d.request(target="/v1/token?identity=flaky")[0] == 503:
                went_down = time.monotonic() - started
            time.sleep(0.1)
        self.assertIsNotNone(went_down, "the flaky identity's token expired")
        self.assertLess(went_down, 2.6, "no token served past its expiry")
        self.assertGreaterEqual(default.stats()["login_ok"] - default_logins, 2,
                                "the healthy identity kept refreshing")
        self.assertIsNone(read_file(flaky_path), "the expired token's file is removed")
        self.assertTrue(read_file(default_path))
        status, _, body = d.request(target="/v1/token?identity=flaky")
        self.assertEqual(status, 503)
        self.assertRegex(body, r"^no valid token: login failed: ")
        status, _, body = d.request(target="/v1/health")
        self.assertEqual(status, 503)
        health = json.loads(body)
        self.assertEqual((health["identities"]["default"]["status"],
                          health["identities"]["flaky"]["status"]), ("ok", "unavailable"))
        self.assertTrue(health["reason"].startswith("flaky: "), health["reason"])
        listed = {i["name"]: i["status"] for i in
                  json.loads(d.request(target="/v1/identities")[2])["identities"]}
        self.assertEqual(listed, {"default": "ok", "flaky": "unavailable"})
        self.assertIn('nacos_tokend_token_valid{identity="flaky"} 0',
                      d.request(target="/metrics")[2])
        d.wait_log(r"<4>\[flaky\] token sha256:[0-9a-f]{8} expired and no new one could be "
                   r"obtained")
        d.wait_log(rf"<6>\[flaky\] removed {re.escape(flaky_path)} \(its token expired\)\n")

    def test_a_hanging_server_does_not_delay_the_other_identity(self):
        d, ids = self.start_identities(
            named=("hung",), ttl=2, daemon_settings=dict(refresh__at="0.5", refresh__jitter="0"),
            hung=dict(request_timeout="30s", nacos=dict(ttl=60)))
        self.wait_all(d, ids)
        default, _, default_path = ids["default"]
        hung, _, hung_path = ids["hung"]
        hung.fault("hang")
        d.signal(signal.SIGUSR1)  # every identity logs in now; the hung one's login hangs
        wait_until(lambda: hung.stats()["logins"] >= 2, what="the hanging login")
        before = default.stats()["login_ok"]
        first = read_file(default_path)
        time.sleep(3.2)
        self.assertGreaterEqual(default.stats()["login_ok"] - before, 2,
                                "the other identity refreshed on its schedule")
        self.assertNotEqual(read_file(default_path), first)
        self.assert_token_accepted(default, read_file(default_path), "nacos")
        self.assertEqual(hung.stats()["logins"], 2, "still the one hanging login")
        self.assertEqual(d.request(target="/v1/token?identity=hung")[0], 200,
                         "its token is still valid")
        started = time.monotonic()
        self.assertEqual(d.stop(), 0)
        self.assertLess(time.monotonic() - started, 1.5, "stopping does not wait for the hang")

    def test_per_identity_allow_lists(self):
        allowed = 12345
        d, ids = self.start_identities(
            named=("staging",),
            daemon_settings=dict(socket__mode="0666",
                                 socket__allow_users=f"0, {NOBODY}, {allowed}"),
            staging=dict(socket__allow_users=str(allowed)))
        tokens = self.wait_all(d, ids)
        os.chmod(self.dir, 0o711)
        os.chmod(os.path.dirname(d.socket_path), 0o755)

        # nobody may use the socket, but not the staging identity.
        self.assertEqual(request_as(NOBODY, NOBODY, d.socket_path), (200, tokens["default"]))
        status, body = request_as(NOBODY, NOBODY, d.socket_path, "/v1/token?identity=staging")
        self.assertEqual(status, 403)
        self.assertIn("staging", body)
        self.assertNotIn(tokens["staging"], body)
        status, body = request_as(NOBODY, NOBODY, d.socket_path, "/v1/refresh?identity=staging",
                                  "POST")
        self.assertEqual(status, 403)
        status, body = request_as(NOBODY, NOBODY, d.socket_path, "/v1/identities")
        self.assertEqual(status, 200)
        self.assertEqual([i["name"] for i in json.loads(body)["identities"]], ["default"])
        # The user on staging's list gets its token; one on no list is refused at the door.
        self.assertEqual(request_as(allowed, NOBODY, d.socket_path, "/v1/token?identity=staging"),
                         (200, tokens["staging"]))
        self.assertEqual(request_as(54321, NOBODY, d.socket_path, "/v1/token")[0], 403)
        self.assertEqual(ids["staging"][0].stats()["login_ok"], 1, "a 403 logs in for nobody")

    def test_an_identitys_lists_replace_the_socket_lists_for_it(self):
        # [socket:NAME] set: those lists decide for NAME, whatever [socket] says.
        staff = 12345
        d, ids = self.start_identities(
            named=("staging",),
            daemon_settings=dict(socket__mode="0666", socket__allow_users="0"),
            staging=dict(socket__allow_users=str(staff)))
        tokens = self.wait_all(d, ids)
        os.chmod(self.dir, 0o711)
        os.chmod(os.path.dirname(d.socket_path), 0o755)
        self.assertEqual(request_as(staff, NOBODY, d.socket_path, "/v1/token?identity=staging"),
                         (200, tokens["staging"]))
        self.assertEqual(request_as(staff, NOBODY, d.socket_path, "/v1/token")[0], 403)
        self.assertEqual(request_as(NOBODY, NOBODY, d.socket_path, "/v1/token?identity=staging")[0],
                         403)

    def test_a_reload_that_narrows_the_lists_reaches_open_connections(self):
        # Rights are checked at accept, but a long poll or a keep-alive connection outlives a
        # reload: once the lists no longer name the peer, it gets 403, never the next token.
        run = self.run_dir()
        nacos, password = self.identity("default", "nacos")
        sections = self.sections({"default": (nacos, "nacos", password)})
        sections["socket"].update({"mode": "0666", "allow_users": f"0, {NOBODY}"})
        d = self.daemon([], bare=True, config_file=self.write_config(sections))
        token = d.wait_token()
        wait_until(lambda: os.path.exists(d.socket_path), what="the socket")
        os.chmod(self.dir, 0o711)
        os.chmod(run, 0o755)
        sockets = socket_fds(d.pid)
        self.assertEqual(request_as(NOBODY, NOBODY, d.socket_path), (200, token))
        # The count to start from is one without that request's connection, which the daemon
        # closes a moment after answering (counted too early, it hid one of the two below).
        wait_until(lambda: socket_fds(d.pid) == sockets, what="the first connection closed")

        # Held as nobody: a long poll for the next token, and an open keep-alive connection.
        poll = subprocess.Popen(
            ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "curl",
             "-sS", "-o", "-", "-w", "\n%{http_code}", "--unix-socket", d.socket_path,
             "http://localhost/v1/token?wait=60s&after=1"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(reap, poll)
        client = KeepAliveClient(NOBODY, d.socket_path, "/v1/health", "/v1/token")
        self.addCleanup(client.close)
        self.assertEqual(client.answer().split()[0], "200", "first request, allowed")
        # Both connections accepted (each a socket of the daemon's); the poll's request, sent
        # with its connect, is read and held a moment later.
        wait_until(lambda: socket_fds(d.pid) >= sockets + 2, what="both connections accepted")
        time.sleep(0.3)
        self.assertIsNone(poll.poll(), "the long poll is held until the token changes")

        sections["socket"]["allow_users"] = "0"
        self.write_config(sections)
        d.signal(signal.SIGHUP)
        d.wait_log(r"<6>configuration reloaded")
        out, _ = poll.communicate(timeout=5)
        body, _, code = out.rpartition("\n")
        self.assertEqual(code, "403", out)
        self.assertIn("not allowed to use identity 'default'", body, "answered where it was held")
        self.assertNotIn(token, body)
        answer = client.next()
        self.assertTrue(answer.startswith("403 "), answer)
        self.assertNotIn(token, answer)
        self.assertEqual(client.process.wait(timeout=5), 0)
        self.assertEqual(request_as(NOBODY, NOBODY, d.socket_path)[0], 403)
        self.assertEqual(d.request()[2], token, "root still may")
        self.assertEqual(nacos.stats()["logins"], 1)

    # ------------------------------------------------------------------ reload and restart

    def write_config(self, sections: dict) -> str:
        return write_ini(os.path.join(self.dir, "tokend.ini"), sections)

    def sections(self, identities: dict) -> dict:
        """INI sections for {name: (nacos, user, password)}, default identity included."""
        run = self.run_dir()
        out = {"socket": {"path": os.path.join(run, "tokend.sock")},
               "refresh": {"retry_min": "200ms", "retry_max": "1s"}, "log": {"level": "debug"}}
        for name, (nacos, user, password) in identities.items():
            defines = self.identity_defines(name, nacos, user, password)
            for key, value in defines.items():
                section, _, key = key.partition(".")
                if name == "default":
                    section = section.split(":")[0]
                    if section == "file":
                        value = os.path.join(run, "token")
                out.setdefault(section, {})[key] = value
        return out

    def test_reload_adds_and_removes_identities_all_or_nothing(self):
        run = self.run_dir()
        base, pw_base = self.identity("default", "nacos")
        old, pw_old = self.identity("old", "user-old")
        new, pw_new = self.identity("new", "user-new")
        config = self.write_config(self.sections({"default": (base, "nacos", pw_base),
                                                  "old": (old, "user-old", pw_old)}))
        d = self.daemon([], bare=True, config_file=config)
        token = d.wait_token()
        old_path = os.path.join(run, "old.token")
        old_token = wait_until(lambda: read_file(old_path), what="old's file")
        wait_until(lambda: os.path.exists(state_path_of(old_path)), what="old's saved state")
        self.assertEqual(d.request(target="/v1/token?identity=old")[2], old_token)

        self.write_config(self.sections({"default": (base, "nacos", pw_base),
                                         "new": (new, "user-new", pw_new)}))
        d.signal(signal.SIGHUP)
        d.wait_log(r"<6>configuration reloaded; added new; removed old\n")
        new_path = os.path.join(run, "new.token")
        new_token = wait_until(lambda: read_file(new_path), what="the added identity's file")
        self.assert_token_accepted(new, new_token, "user-new")
        wait_until(lambda: os.path.exists(state_path_of(new_path)), what="new's saved state")
        self.assertFalse(os.path.exists(old_path), "the removed identity's file")
        self.assertFalse(os.path.exists(state_path_of(old_path)), "the removed one's state")
        status, _, body = d.request(target="/v1/token?identity=old")
        self.assertEqual(status, 404)
        self.assertIn("'old'", body)
        self.assertEqual(d.request(target="/v1/token?identity=new")[2], new_token)
        # The unchanged identity kept its token and logged in no more.
        self.assertEqual(base.stats()["logins"], 1)
        self.assertEqual(d.token(), token)
        status, headers, body = d.request()
        self.assertEqual((status, body, headers["X-Token-Generation"]), (200, token, "1"))
        d.wait_log(r"<6>\[new\] new token from")

        # A bad new configuration changes nothing at all.
        bad = self.sections({"default": (base, "nacos", pw_base), "new": (new, "user-new", pw_new),
                             "extra": (old, "user-old", pw_old)})
        del bad["nacos:extra"]["username"]
        self.write_config(bad)
        logins = (base.stats()["logins"], new.stats()["logins"], old.stats()["logins"])
        d.signal(signal.SIGHUP)
        d.wait_log(r"<3>reload: .*nacos:extra\.username: missing")
        d.wait_log(r"<3>reload failed; the previous configuration stays in force")
        self.assertEqual(d.request(target="/v1/token?identity=extra")[0], 404)
        self.assertEqual(d.request(target="/v1/token?identity=new")[2], new_token)
        self.assertEqual(d.request()[2], token)
        self.assertFalse(os.path.exists(os.path.join(run, "extra.token")))
        self.assertEqual((base.stats()["logins"], new.stats()["logins"], old.stats()["logins"]),
                         logins)

    def test_restart_reuses_every_saved_token_and_keeps_its_generation(self):
        d, ids = self.start_identities(named=("staging",))
        tokens = self.wait_all(d, ids)
        time.sleep(1.1)  # a new second: the forced login gives a new token
        status, _, body = d.request("POST", "/v1/refresh?identity=staging", timeout=15)
        self.assertEqual((status, json.loads(body)["generation"]), (200, 2), body)
        tokens["staging"] = json.loads(body)["accessToken"]
        wait_until(lambda: read_file(ids["staging"][2]) == tokens["staging"])
        logins = {name: nacos.stats()["logins"] for name, (nacos, _, _) in ids.items()}
        self.assertEqual(d.stop(), 0)
        for name, (_, _, path) in ids.items():
            self.assertEqual(read_file(path), tokens[name], "a valid token's file is kept")

        d2 = self.daemon([], bare=True, defines=d.defines)
        d2.wait_log(r"<6>\[staging\] reusing the token saved by the previous run "
                    r"\(sha256:[0-9a-f]{8}, generation 2\), valid for")
        d2.wait_log(r"<6>\[default\] reusing the token saved by the previous run "
                    r"\(sha256:[0-9a-f]{8}, generation 1\), valid for")
        wait_until(lambda: os.path.exists(d2.socket_path), what="the socket")
        for name, generation in (("default", 1), ("staging", 2)):
            with self.subTest(identity=name):
                status, headers, body = d2.request(target=f"/v1/token?identity={name}")
                self.assertEqual((status, body, headers["X-Token-Generation"]),
                                 (200, tokens[name], str(generation)))
                meta = json.loads(d2.request(target=f"/v1/token?identity={name}&format=json")[2])
                self.assertEqual(meta["generation"], generation)
        self.assertEqual({name: nacos.stats()["logins"] for name, (nacos, _, _) in ids.items()},
                         logins, "no login after a restart")
        self.assertEqual(d2.request(target="/v1/health")[0], 200)

    def test_reload_changes_one_identity_and_reuses_a_saved_token_for_an_added_one(self):
        run = self.run_dir()
        base, pw_base = self.identity("default", "nacos")
        staging, pw_staging = self.identity("staging", "user-staging")
        moved = self.fake_nacos(user="user-staging", password=pw_staging)
        both = {"default": (base, "nacos", pw_base), "staging": (staging, "user-staging", pw_staging)}
        config = self.write_config(self.sections(both))
        d = self.daemon([], bare=True, config_file=config)
        d.wait_token()
        staging_path = os.path.join(run, "staging.token")
        staging_token = wait_until(lambda: read_file(staging_path), what="staging's file")
        wait_until(lambda: os.path.exists(state_path_of(staging_path)), what="staging's state")
        self.assertEqual(d.stop(), 0)

        # Without staging, then staging added back by a reload: its saved token is reused.
        config = self.write_config(self.sections({"default": both["default"]}))
        d2 = self.daemon([], bare=True, config_file=config)
        d2.wait_log(r"<6>reusing the token saved by the previous run")
        self.write_config(self.sections(both))
        d2.signal(signal.SIGHUP)
        d2.wait_log(r"<6>configuration reloaded; added staging\n")
        d2.wait_log(r"<6>\[staging\] reusing the token saved by the previous run \(sha256:"
                    r"[0-9a-f]{8}, generation 1\)")
        self.assertEqual(d2.request(target="/v1/token?identity=staging")[2], staging_token)
        self.assertEqual((base.stats()["logins"], staging.stats()["logins"]), (1, 1))

        # Staging moves to another server: it alone logs in again, there.
        self.write_config(self.sections({"default": both["default"],
                                         "staging": (moved, "user-staging", pw_staging)}))
        d2.signal(signal.SIGHUP)
        d2.wait_log(r"<6>configuration reloaded; logging in again with new credentials or "
                    r"servers for staging\n")
        wait_until(lambda: moved.stats()["login_ok"] == 1, what="the login at the new server")
        wait_until(lambda: d2.request(target="/v1/token?identity=staging&format=json")[2]
                   .find(moved.url) > 0, what="staging served from the new server")
        self.assertEqual((base.stats()["logins"], staging.stats()["logins"]), (1, 1))
        self.assert_token_accepted(moved, read_file(staging_path), "user-staging")

    def test_forced_logins_are_per_identity(self):
        d, ids = self.start_identities(named=("staging",))
        tokens = self.wait_all(d, ids)
        time.sleep(1.1)  # a new second: new tokens
        started = time.monotonic()
        status, _, default_meta = d.request("POST", "/v1/refresh", timeout=15)
        status2, _, staging_meta = d.request("POST", "/v1/refresh?identity=staging", timeout=15)
        self.assertEqual((status, status2), (200, 200))
        self.assertLess(time.monotonic() - started, 2.0,
                        "one identity's forced login does not space the other's")
        self.assertEqual((json.loads(default_meta)["generation"],
                          json.loads(staging_meta)["generation"]), (2, 2))
        self.assertEqual([ids[n][0].stats()["login_ok"] for n in ("default", "staging")], [2, 2])
        # rejected= names the identity's token: only that identity logs in.
        time.sleep(1.1)
        current = json.loads(staging_meta)["accessToken"]
        status, _, body = d.request("POST", "/v1/refresh?identity=staging", timeout=15,
                                    form={"rejected": current})
        self.assertEqual((status, json.loads(body)["generation"]), (200, 3), body)
        self.assertEqual([ids[n][0].stats()["login_ok"] for n in ("default", "staging")], [2, 3])
        d.wait_log(r"<4>\[staging\] token sha256:[0-9a-f]{8} \(generation 2\) was reported as "
                   r"rejected by Nacos; logging in")
        # Another identity's token reported under this one is not this one's: no login.
        status, _, body = d.request("POST", "/v1/refresh", timeout=15,
                                    form={"rejected": json.loads(body)["accessToken"]})
        self.assertEqual((status, json.loads(body)["identity"]), (200, "default"))
        time.sleep(0.3)
        self.assertEqual(ids["default"][0].stats()["logins"], 2)

    # ------------------------------------------------------------------ configuration

    def tokend(self, *args, timeout=30):
        if "--config" not in args:  # not the installed /etc/nacos-tokend/nacos-tokend.ini
            empty = os.path.join(self.dir, "empty.ini")
            open(empty, "w").close()
            args = ("--config", empty) + args
        return subprocess.run([TOKEND, *args], capture_output=True, text=True, timeout=timeout)

    def test_check_config_names_section_and_key(self):
        run = self.run_dir()
        r = self.tokend("-D", "nacos.servers=127.0.0.1:1", "-D", "nacos.username=u",
                        "-D", f"nacos.password_file={self.password_file}",
                        "-D", f"file.path={run}/t", "-D", f"socket.path={run}/s",
                        "-D", "nacos:staging.servers=127.0.0.1:2",
                        "-D", f"nacos:staging.password_file={self.password_file}",
                        "-D", "nacos:Bad.servers=x", "--check-config")
        self.assertEqual(r.returncode, 78, r.stderr)
        self.assertIn("nacos:staging.username: missing", r.stderr)
        self.assertIn("[nacos:Bad]: 'Bad' is not an identity name", r.stderr)

        # Only named identities: valid; a [file] section then belongs to no one.
        ini = os.path.join(self.dir, "named.ini")
        text = (f"[socket]\npath = {run}/s\n"
                f"[nacos:a]\nservers = 127.0.0.1:1\nusername = a\n"
                f"password_file = {self.password_file}\n[file:a]\npath = {run}/a.token\n"
                f"[nacos:b]\nservers = 127.0.0.1:2\nusername = b\n"
                f"password_file = {self.password_file}\n[file:b]\npath = {run}/b.token\n")
        with open(ini, "w") as f:
            f.write(text)
        r = self.tokend("--config", ini, "--check-config")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("configuration OK", r.stdout)
        with open(ini, "a") as f:
            f.write(f"[file]\npath = {run}/token\n[socket:c]\nallow_users = 1\n")
        r = self.tokend("--config", ini, "--check-config")
        self.assertEqual(r.returncode, 78, r.stderr)
        self.assertRegex(r.stderr, rf"{re.escape(ini)}:\d+: \[file\]: there is no \[nacos\] "
                                   r"section, so no default identity whose file this is")
        self.assertRegex(r.stderr, rf"{re.escape(ini)}:\d+: \[socket:c\]: there is no "
                                   r"\[nacos:c\] section")

    def test_once_with_two_identities(self):
        run = self.run_dir()
        base, pw_base = self.identity("default", "nacos")
        staging, pw_staging = self.identity("staging", "user-staging")
        password_file = os.path.join(self.dir, "password-default")
        write_secret(password_file, pw_base)
        d = self.daemon([base.server_entry], start=False, password_file=password_file,
                        defines=self.identity_defines("staging", staging, "user-staging",
                                                      pw_staging))
        r = d.run_once()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assert_no_secrets(r.stdout + r.stderr)
        self.assertNotIn("eyJ", r.stdout + r.stderr)
        self.assert_token_accepted(base, d.token(), "nacos")
        self.assert_token_accepted(staging, read_file(os.path.join(run, "staging.token")),
                                   "user-staging")
        self.assertFalse(os.path.exists(d.socket_path), "--once serves no socket")
        # One identity refused: 77, and the other's file is still published.
        staging.set(password="something else")
        os.remove(d.token_path)
        r = d.run_once()
        self.assertEqual(r.returncode, 77, r.stderr)
        self.assertRegex(r.stderr, r"\[staging\] login as user-staging rejected")
        self.assertTrue(d.token())

    # ------------------------------------------------------------------ nacos-token -i

    @unittest.skipUnless(cli_supports("--identity"), "nacos-token has no --identity yet")
    def test_cli_identity(self):
        d, ids = self.start_identities(named=("staging",))
        tokens = self.wait_all(d, ids)
        for flag in ("--identity", "-i"):
            with self.subTest(flag=flag):
                r = run_cli(["--socket", d.socket_path, flag, "staging"])
                self.assertEqual((r.returncode, r.stdout), (0, tokens["staging"] + "\n"), r.stderr)
        r = run_cli(["--socket", d.socket_path, "-i", "staging", "--json"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["identity"], "staging")
        r = run_cli(["--socket", d.socket_path])
        self.assertEqual(r.stdout, tokens["default"] + "\n")
        r = run_cli(["--socket", d.socket_path, "-i", "nope"])
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("nope", r.stderr)
        self.assertEqual(r.stdout, "")
        # The socket unreachable: --file is that identity's fallback.
        r = run_cli(["--socket", os.path.join(self.dir, "none.sock"), "-i", "staging",
                     "--file", ids["staging"][2]])
        self.assertEqual((r.returncode, r.stdout), (0, tokens["staging"] + "\n"), r.stderr)

    @unittest.skipUnless(cli_supports("--identity", "--rejected"),
                         "nacos-token has no --identity / --rejected yet")
    def test_cli_rejected_for_one_identity(self):
        d, ids = self.start_identities(named=("staging",))
        tokens = self.wait_all(d, ids)
        staging = ids["staging"][0]
        time.sleep(1.1)  # a new second: the login gives a new token
        # Read from standard input (kept out of argv): the current token, so a new login.
        r = run_cli(["--socket", d.socket_path, "-i", "staging", "--rejected", "-"],
                    input=tokens["staging"] + "\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        fresh = r.stdout.strip()
        self.assertNotEqual(fresh, tokens["staging"])
        self.assert_token_accepted(staging, fresh, "user-staging")
        self.assertEqual((staging.stats()["login_ok"], ids["default"][0].stats()["login_ok"]),
                         (2, 1))
        # The old one again: the current token at once, no login.
        r = run_cli(["--socket", d.socket_path, "-i", "staging", "--rejected", "-"],
                    input=tokens["staging"] + "\n")
        self.assertEqual((r.returncode, r.stdout.strip()), (0, fresh), r.stderr)
        self.assertEqual(staging.stats()["logins"], 2)


if __name__ == "__main__":
    main()
