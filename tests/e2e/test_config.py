"""Command line and configuration of nacos-tokend: exit codes 64/78, every problem listed with
the key or path at fault, the password sources, and no secret anywhere (issue 2)."""

import os
import re
import signal
import subprocess

from harness import NOBODY, PASSWORD, TOKEND, TokendTestCase, main, write_ini, write_secret


def tokend(*args, env=None, timeout=20):
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([TOKEND, *args], capture_output=True, text=True, timeout=timeout,
                          env=full_env)


class ConfigTest(TokendTestCase):
    def test_help_and_version(self):
        r = tokend("--help")
        self.assertEqual(r.returncode, 0)
        for word in ("--config", "--define", "--once", "--check-config", "HUP", "USR1", "78"):
            self.assertIn(word, r.stdout)
        r = tokend("--version")
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^nacos-tokend \d+\.\d+\.\d+\n$")

    def test_bad_command_line_exits_64(self):
        for args in (["--bogus"], ["--config"], ["-D"], ["--once", "--check-config"], ["extra"]):
            with self.subTest(args=args):
                r = tokend(*args)
                self.assertEqual(r.returncode, 64)
                self.assertIn("nacos-tokend:", r.stderr)

    def test_check_config_lists_every_problem(self):
        ini = os.path.join(self.dir, "bad.ini")
        with open(ini, "w") as f:
            f.write("[nacos]\nservers = nacos://x\nusername =\nrequest_timeout = soon\n"
                    "[refresh]\nat = 2\n[file]\nformat = yaml\nmode = 0666\n[colour]\nx = 1\n")
        r = tokend("--config", ini, "--check-config")
        self.assertEqual(r.returncode, 78)
        for expected in (f"{ini}:2: nacos.servers", "nacos.username: missing",
                         f"{ini}:4: nacos.request_timeout", f"{ini}:6: refresh.at",
                         f"{ini}:8: file.format", f"{ini}:9: file.mode",
                         f"{ini}:11: colour.x: unknown key"):
            self.assertIn(expected, r.stderr)

    def test_check_config_ok_and_no_file_needed_with_defines(self):
        run = os.path.join(self.dir, "run")
        os.mkdir(run, 0o750)
        r = tokend("-D", "nacos.servers=127.0.0.1:1", "--define", "nacos.username=u",
                   f"-Dnacos.password_file={self.password_file}", f"--define=file.path={run}/t",
                   f"-D socket.path={run}/s".replace("-D ", "-D"), "--check-config")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("configuration OK", r.stdout)

    def test_config_errors_exit_78_naming_key_or_path(self):
        run = os.path.join(self.dir, "run")
        os.mkdir(run, 0o750)
        base = ["-D", "nacos.servers=127.0.0.1:1", "-D", "nacos.username=u",
                "-D", f"file.path={run}/t", "-D", f"socket.path={run}/s"]
        cases = [
            (["-D", "nacos.password_file=/nonexistent/pw"],
             "nacos.password_file: cannot open '/nonexistent/pw'"),
            (["-D", "nacos.password_env=NO_SUCH_VAR_XYZ"],
             "nacos.password_env: the environment variable it names is not set or empty"),
            ([], "no password source"),
            (["-D", f"nacos.password_file={self.password_file}", "-D", "file.path=/tmp/t"],
             "file.path: directory /tmp (mode 1777) is writable by every user"),
            (["-D", f"nacos.password_file={self.password_file}", "-D",
              "socket.path=/" + "s" * 120], "socket.path: is 121 bytes long"),
            (["--config", "/nonexistent/x.ini"], "/nonexistent/x.ini: cannot read the configuration"),
        ]
        for extra, message in cases:
            with self.subTest(message=message):
                r = tokend(*base, *extra, env={"CREDENTIALS_DIRECTORY": ""})
                self.assertEqual(r.returncode, 78, r.stderr)
                self.assertIn(message, r.stderr)

    def test_password_sources(self):
        nacos = self.fake_nacos()
        # From the environment: works, warns, and the variable is not inherited further.
        d = self.daemon([nacos.server_entry], start=False, nacos__password_file="",
                        nacos__password_env="TOKEND_TEST_PW", env={"TOKEND_TEST_PW": PASSWORD})
        d.defines["nacos.password_file"] = ""
        d.env = {"TOKEND_TEST_PW": PASSWORD}
        d.start()
        d.wait_token()
        self.assertIn("password in the environment is visible", d.log())
        with open(f"/proc/{d.pid}/environ", "rb") as f:
            self.assertNotIn(PASSWORD.encode(), f.read())
        d.stop()
        # From the systemd credential directory.
        creds = os.path.join(self.dir, "creds")
        os.mkdir(creds, 0o700)
        write_secret(os.path.join(creds, "nacos-password"), PASSWORD, 0o400)
        d2 = self.daemon([nacos.server_entry], start=False,
                         token_path=os.path.join(self.dir, "run", "t2"))
        d2.defines["nacos.password_file"] = ""
        d2.env = {"CREDENTIALS_DIRECTORY": creds}
        d2.start()
        d2.wait_token()
        with open(f"/proc/{d2.pid}/cmdline", "rb") as f:
            self.assertNotIn(PASSWORD.encode(), f.read())

    def test_a_configuration_file_others_may_change_is_refused(self):
        nacos = self.fake_nacos()
        ini = write_ini(os.path.join(self.dir, "tokend.ini"),
                        {"nacos": {"servers": nacos.server_entry}})
        d = self.daemon([nacos.server_entry], start=False, config_file=ini)
        del d.defines["nacos.servers"]  # from the file
        for change, expected in ((lambda: os.chmod(ini, 0o646), "writable by every user"),
                                 (lambda: os.chown(ini, NOBODY, 0), f"owned by uid {NOBODY}")):
            change()
            r = subprocess.run(d.command(["--check-config"]), capture_output=True, text=True)
            self.assertEqual(r.returncode, 78, r.stderr)
            self.assertIn(f"{ini}: {expected}", r.stderr)
            os.chmod(ini, 0o644)
            os.chown(ini, 0, 0)
        # On a reload too: the configuration in force stays.
        d.start()
        token = d.wait_token()
        os.chmod(ini, 0o666)
        d.signal(signal.SIGHUP)
        d.wait_log(rf"<3>reload: {re.escape(ini)}: writable by every user of the host \(mode "
                   r"0666\): whoever can change it can send the password to a server of their "
                   r"choosing; chmod o-w it")
        d.wait_log("reload failed; the previous configuration stays in force")
        self.assertEqual(d.request()[2], token)

    def test_password_file_readable_by_others_is_warned_about(self):
        nacos = self.fake_nacos()
        os.chmod(self.password_file, 0o644)
        d = self.daemon([nacos.server_entry])
        d.wait_token()
        self.assertRegex(d.log(), r"<4>nacos.password_file: '.*password' is readable by every "
                                  r"user of the host; chmod 0600 it")

    def test_process_is_not_dumpable(self):
        # Run as an ordinary user: /proc/PID/environ and mem would then belong to that user,
        # unless PR_SET_DUMPABLE is off, which hands them to root.
        nacos = self.fake_nacos()
        drop = self.as_nobody()
        d = self.daemon([nacos.server_entry], preexec=drop)
        d.wait_token()
        self.assertEqual(os.stat(f"/proc/{d.pid}").st_uid, NOBODY)
        self.assertEqual(os.stat(f"/proc/{d.pid}/environ").st_uid, 0)
        self.assertEqual(os.stat(f"/proc/{d.pid}/mem").st_uid, 0)

if __name__ == "__main__":
    main()
