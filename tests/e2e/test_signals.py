"""Signals: TERM/INT stop cleanly, HUP reloads all or nothing, USR1 logs in now (issues 2, 4)."""

import os
import signal
import time

from harness import TokendTestCase, main, wait_until


class SignalTest(TokendTestCase):
    def write_config(self, text: str) -> str:
        path = os.path.join(self.dir, "tokend.ini")
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_term_and_int_stop_within_a_second(self):
        nacos = self.fake_nacos()
        for signo in (signal.SIGTERM, signal.SIGINT):
            with self.subTest(signal=signo):
                d = self.daemon([nacos.server_entry])
                token = d.wait_token()
                wait_until(lambda: os.path.exists(d.socket_path))
                started = time.monotonic()
                d.signal(signo)
                self.assertEqual(d.process.wait(5), 0)
                self.assertLess(time.monotonic() - started, 1.0)
                self.assertFalse(os.path.exists(d.socket_path), "socket file removed")
                self.assertEqual(d.token(), token, "a still-valid token file is kept")
                self.assertRegex(d.log(), r"<6>stopped")

    def test_term_while_a_login_hangs(self):
        nacos = self.fake_nacos(fault="hang")
        d = self.daemon([nacos.server_entry], nacos__request_timeout="30s")
        wait_until(lambda: nacos.stats()["logins"] >= 1)
        started = time.monotonic()
        d.signal(signal.SIGTERM)
        self.assertEqual(d.process.wait(5), 0)
        self.assertLess(time.monotonic() - started, 1.0)

    def test_usr1_logs_in_now(self):
        nacos = self.fake_nacos()
        d = self.daemon([nacos.server_entry])
        d.wait_token()
        self.assertEqual(nacos.stats()["login_ok"], 1)
        d.signal(signal.SIGUSR1)
        wait_until(lambda: nacos.stats()["login_ok"] == 2, what="a second login")
        d.wait_log(r"received SIGUSR1, logging in now")

    def test_hup_applies_a_good_config_as_a_whole(self):
        nacos = self.fake_nacos()
        other = self.fake_nacos()
        run = os.path.join(self.dir, "run")
        config = self.write_config(
            f"[nacos]\nservers = {nacos.server_entry}\nusername = nacos\n"
            f"password_file = {self.password_file}\n[file]\npath = {run}/token\n"
            f"[socket]\npath = {run}/tokend.sock\n")
        d = self.daemon([], start=False, config_file=config)
        d.defines = {}
        d.start()
        d.wait_token()
        # New servers and a new file format: log in again at the new server, republish as env.
        self.write_config(
            f"[nacos]\nservers = {other.server_entry}\nusername = nacos\n"
            f"password_file = {self.password_file}\n[file]\npath = {run}/token\nformat = env\n"
            f"[socket]\npath = {run}/tokend.sock\n")
        d.signal(signal.SIGHUP)
        d.wait_log(r"configuration reloaded; logging in again")
        wait_until(lambda: other.stats()["login_ok"] == 1, what="login at the new server")
        wait_until(lambda: (d.token() or "").startswith("NACOS_ACCESS_TOKEN="), what="env format")
        self.assert_token_accepted(other, d.token().split("=", 1)[1].strip())

    def daemon_with_config(self, nacos, extra=""):
        run = os.path.join(self.dir, "run")
        text = (f"[nacos]\nservers = {nacos.server_entry}\nusername = nacos\n"
                f"password_file = {self.password_file}\nrequest_timeout = 20s\n"
                f"[file]\npath = {run}/token\n[socket]\npath = {run}/tokend.sock\n")
        config = self.write_config(text)
        d = self.daemon([], start=False, config_file=config)
        d.defines = {}
        d.start()
        return d, text

    def test_hup_to_an_unwritable_directory_keeps_the_old_file(self):
        nacos = self.fake_nacos()
        d, text = self.daemon_with_config(nacos)
        token = d.wait_token()
        self.write_config(text.replace(f"path = {self.dir}/run/token", "path = /proc/sys/tokend-token"))
        d.signal(signal.SIGHUP)
        d.wait_log(r"<3>reload: file.path: cannot write in directory /proc/sys")
        self.assertEqual(d.token(), token)

    def test_hup_moves_the_file_then_removes_the_old_one(self):
        nacos = self.fake_nacos()
        d, text = self.daemon_with_config(nacos)
        token = d.wait_token()
        other = os.path.join(self.dir, "other")
        os.mkdir(other, 0o750)
        self.write_config(text.replace(f"path = {self.dir}/run/token", f"path = {other}/token"))
        d.signal(signal.SIGHUP)
        wait_until(lambda: os.path.exists(f"{other}/token"), what="the file at its new path")
        with open(f"{other}/token") as f:
            self.assertEqual(f.read(), token)
        wait_until(lambda: not os.path.exists(d.token_path), what="the old file removed")
        wait_until(lambda: os.path.exists(f"{other}/.token.state"), what="the moved state")
        self.assertFalse(os.path.exists(os.path.join(self.dir, "run", ".token.state")))

    def test_term_right_after_a_reload_during_a_hanging_login(self):
        nacos = self.fake_nacos()
        d, text = self.daemon_with_config(nacos)
        d.wait_token()
        nacos.fault("hang")
        d.signal(signal.SIGUSR1)
        wait_until(lambda: nacos.stats()["logins"] >= 2)
        self.write_config(text.replace("request_timeout = 20s", "request_timeout = 25s"))
        d.signal(signal.SIGHUP)
        d.wait_log("configuration reloaded; logging in again")
        started = time.monotonic()
        d.signal(signal.SIGTERM)
        self.assertEqual(d.process.wait(10), 0)
        self.assertLess(time.monotonic() - started, 1.5)

    def test_hup_with_a_bad_config_keeps_the_old_one(self):
        nacos = self.fake_nacos()
        d, good = self.daemon_with_config(nacos)
        token = d.wait_token()
        for bad in (good.replace("username = nacos", "username = nacos\nbogus = 1"),
                    good.replace(self.password_file, "/nonexistent/password"),
                    good + "[file]\nformat = yaml\n"):
            with self.subTest(bad=bad[-40:]):
                self.write_config(bad)
                before = d.log().count("reload failed")
                d.signal(signal.SIGHUP)
                wait_until(lambda: d.log().count("reload failed") > before,
                           what="reload failure in the log")
                self.assertEqual(d.token(), token)
                self.assertEqual(d.request()[2], token)
        self.assertRegex(d.log(), r"<3>reload: .*tokend.ini:\d+: nacos.bogus: unknown key")
        self.assertRegex(d.log(), r"<3>reload: nacos.password_file: cannot open")
        # The old config is still in force: USR1 logs in with it.
        d.signal(signal.SIGUSR1)
        wait_until(lambda: nacos.stats()["login_ok"] == 2)
        self.assertTrue(d.token().startswith("eyJ"))


if __name__ == "__main__":
    main()
