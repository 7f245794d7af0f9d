"""nacos-token, the client scripts and cron jobs run (issue 3): every format, --wait through an
outage, --refresh, the fallback to the token file, and each exit code."""

import json
import os
import subprocess
import time

from harness import TOKEN_CLI, TokendTestCase, main, run_cli, wait_until


class CliTest(TokendTestCase):
    def start(self, **settings):
        nacos = self.fake_nacos(**settings.pop("nacos", {}))
        d = self.daemon([nacos.server_entry], **settings)
        return nacos, d

    def cli(self, d, *args, **kwargs):
        return run_cli(["--socket", d.socket_path, "--file", d.token_path, *args], **kwargs)

    def test_formats(self):
        nacos, d = self.start()
        token = d.wait_token()
        wait_until(lambda: os.path.exists(d.socket_path))
        for args, expected in (([], token + "\n"),
                               (["--header"], f"Authorization: Bearer {token}\n"),
                               (["--env"], f"NACOS_ACCESS_TOKEN={token}\n")):
            with self.subTest(args=args):
                r = self.cli(d, *args)
                self.assertEqual((r.returncode, r.stdout, r.stderr), (0, expected, ""))
        r = self.cli(d, "--json")
        self.assertEqual(r.returncode, 0)
        meta = json.loads(r.stdout)
        self.assertEqual((meta["accessToken"], meta["generation"]), (token, 1))
        # The header form is what curl needs for an authenticated Nacos call.
        header = self.cli(d, "--header").stdout.strip()
        out = subprocess.run(
            ["curl", "-sS", "-H", header, nacos.url + "/nacos/v3/admin/cs/config/list"],
            capture_output=True, text=True, timeout=10)
        self.assertIn('"code":0', out.stdout)

    def test_exit_75_when_the_daemon_has_no_token(self):
        nacos, d = self.start(nacos={"fault": "503"})
        d.wait_log("login failed")
        r = self.cli(d)
        self.assertEqual(r.returncode, 75)
        self.assertEqual(r.stdout, "")
        self.assertRegex(r.stderr, r"^nacos-token: the daemon has no valid token: .*HTTP 503.*\n$")

    def test_wait_through_an_outage(self):
        nacos, d = self.start(nacos={"fault": "down"})
        d.wait_log("login failed")
        started = time.monotonic()
        waiting = subprocess.Popen([TOKEN_CLI, "--socket", d.socket_path, "--wait", "15"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.0)
        self.assertIsNone(waiting.poll(), "--wait must keep waiting while there is no token")
        nacos.fault("none")
        out, err = waiting.communicate(timeout=15)
        self.assertEqual(waiting.returncode, 0, err)
        self.assertEqual(out.strip(), d.wait_token())
        self.assertLess(time.monotonic() - started, 10)
        # A wait that runs out ends with 75 after about the time asked for.
        nacos.fault("down")
        d.signal(10)
        started = time.monotonic()
        r = run_cli(["--socket", "/nonexistent/sock", "--file", "/nonexistent/token", "--wait",
                     "1"])
        self.assertEqual(r.returncode, 69)
        self.assertGreaterEqual(time.monotonic() - started, 0.9)

    def test_refresh_logs_in_again_first(self):
        nacos, d = self.start()
        d.wait_token()
        time.sleep(1.1)
        r = self.cli(d, "--refresh", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["generation"], 2)
        self.assertEqual(nacos.stats()["login_ok"], 2)

    def test_falls_back_to_the_file(self):
        nacos, d = self.start()
        token = d.wait_token()
        r = run_cli(["--socket", os.path.join(self.dir, "missing.sock"), "--file", d.token_path,
                     "--refresh"])
        self.assertEqual((r.returncode, r.stdout), (0, token + "\n"), r.stderr)
        r = run_cli(["--socket", os.path.join(self.dir, "missing.sock"), "--file", d.token_path])
        self.assertEqual((r.returncode, r.stdout), (0, token + "\n"))
        d.stop()  # the socket is gone, the valid file stays
        r = run_cli(["--socket", d.socket_path, "--file", d.token_path, "--header"])
        self.assertEqual((r.returncode, r.stdout), (0, f"Authorization: Bearer {token}\n"))

    def test_file_fallback_reads_env_and_json_and_refuses_expired_json(self):
        for fmt in ("env", "json"):
            with self.subTest(format=fmt):
                nacos = self.fake_nacos()
                path = os.path.join(self.dir, "run", f"token.{fmt}")
                d = self.daemon([nacos.server_entry], file__format=fmt, token_path=path,
                                socket__path="")
                d.wait_token()
                r = run_cli(["--socket", "/nonexistent/s", "--file", path])
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertRegex(r.stdout, r"^eyJ[\w.-]+\n$")
                d.stop()
        expired = os.path.join(self.dir, "expired.json")
        with open(expired, "w") as f:
            f.write('{"accessToken":"eyJx.y.z","expiresAt":"2001-01-01T00:00:00Z"}\n')
        r = run_cli(["--socket", "/nonexistent/s", "--file", expired])
        self.assertEqual(r.returncode, 69)
        self.assertIn("expired", r.stderr)

    def test_exit_69_when_nothing_can_be_used(self):
        r = run_cli(["--socket", "/nonexistent/s", "--file", "/nonexistent/t"])
        self.assertEqual(r.returncode, 69)
        self.assertEqual(r.stderr, "nacos-token: cannot use the socket /nonexistent/s (No such "
                                   "file or directory) nor the file /nonexistent/t (No such file "
                                   "or directory)\n")

    def test_bad_command_line_exits_64(self):
        for args in (["--bogus"], ["--wait"], ["--wait", "soon"], ["--header", "--json"],
                     ["--socket"], ["x"]):
            with self.subTest(args=args):
                r = run_cli(args)
                self.assertEqual(r.returncode, 64)
                self.assertIn("nacos-token:", r.stderr)
        r = run_cli(["--help"])
        self.assertEqual(r.returncode, 0)
        for word in ("--socket", "--file", "--header", "--json", "--env", "--wait", "--refresh",
                     "75", "69", "64"):
            self.assertIn(word, r.stdout)

    def test_cli_starts_without_loading_frameworks(self):
        out = subprocess.run(["ldd", TOKEN_CLI], capture_output=True, text=True).stdout
        self.assertNotIn("Poco", out)
        self.assertNotIn("ssl", out)


if __name__ == "__main__":
    main()
