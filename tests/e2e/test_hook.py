"""The hook (issue 11): [hook] on_change runs after each new token, with no shell, in its own
process group, with a clean environment holding the token's variables, stdin from /dev/null and
default signal handling; runs never overlap and are coalesced to the newest token; a hook past
its timeout is killed; its status and first stderr line are logged; never for a reused token."""

import os
import stat
import subprocess
import time

from harness import TOKEND, TokendTestCase, main, wait_until

RECORDER = r"""#!/usr/bin/env python3
import json, os, sys, time
out = sys.argv[1]
record = {
    "argv": sys.argv[1:],
    "env": dict(os.environ),
    "pgid_is_pid": os.getpgid(0) == os.getpid(),
    "stdin": os.readlink("/proc/self/fd/0"),
    "fds": sorted(int(fd) for fd in os.listdir("/proc/self/fd")),
    "start": time.time(),
}
delay = float(os.environ.get("HOOK_DELAY", "0") or 0)
busy = out + ".busy"
if os.path.exists(busy):
    record["overlap"] = True
open(busy, "w").close()
time.sleep(float(sys.argv[2]) if len(sys.argv) > 2 else 0)
os.unlink(busy)
record["end"] = time.time()
with open(out, "a") as f:
    f.write(json.dumps(record) + "\n")
"""


class HookTest(TokendTestCase):
    def script(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o755)
        return path

    def records(self, path):
        import json
        if not os.path.exists(path):
            return []
        with open(path) as f:
            return [json.loads(line) for line in f if line.strip()]

    def test_runs_with_a_clean_environment_on_each_new_token(self):
        nacos = self.fake_nacos(ttl=3)
        out = os.path.join(self.dir, "runs.jsonl")
        self.script("recorder.py", RECORDER)
        # grep, run by a shell, shows the signal state the hook got (Python changes its own;
        # the shell itself blocks signals while it waits for a child).
        hook = self.script("recorder", "#!/bin/sh\n"
                           "grep -E '^Sig(Blk|Ign)' /proc/self/status > \"$1.sig\"\n"
                           f"exec {self.dir}/recorder.py \"$@\"\n")
        d = self.daemon([nacos.server_entry], hook__on_change=f"{hook} {out}",
                        env={"SECRET_OF_THE_CALLER": "x"})
        wait_until(lambda: len(self.records(out)) >= 2, 10, what="two hook runs")
        first, second = self.records(out)[:2]
        self.assertEqual(first["argv"], [out])
        env = first["env"]
        # (The shell adds PWD; Python adds LC_CTYPE when it coerces the C locale.)
        self.assertEqual(set(env) - {"PATH", "LC_CTYPE", "PWD"}, {"NACOS_ACCESS_TOKEN", "NACOS_TOKEN_FILE",
                                               "NACOS_TOKEN_IDENTITY", "NACOS_TOKEN_GENERATION",
                                               "NACOS_TOKEN_EXPIRES_AT"})
        self.assertEqual(env["NACOS_TOKEN_IDENTITY"], "default")
        self.assertEqual(env["NACOS_TOKEN_FILE"], d.token_path)
        self.assertRegex(env["NACOS_TOKEN_EXPIRES_AT"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual(int(second["env"]["NACOS_TOKEN_GENERATION"]),
                         int(env["NACOS_TOKEN_GENERATION"]) + 1)
        self.assertTrue(first["pgid_is_pid"], "its own process group")
        self.assertEqual(first["stdin"], "/dev/null")
        with open(out + ".sig") as f:
            sig = dict(line.split(":", 1) for line in f)
        # Signals 1-31 (32 and 33 are glibc's own, which no program may set or rely on).
        self.assertEqual(int(sig["SigBlk"], 16) & 0x7FFFFFFF, 0, "no blocked signal inherited")
        self.assertEqual(int(sig["SigIgn"], 16) & 0x7FFFFFFF, 0, "no ignored signal inherited")
        self.assertEqual(first["fds"][:3], [0, 1, 2])
        self.assertLessEqual(len(first["fds"]), 4, "no descriptor of the daemon leaks")
        self.assert_token_accepted(nacos, second["env"]["NACOS_ACCESS_TOKEN"])
        d.wait_log(r"hook .*recorder: exit status 0")
        self.assertNotIn(second["env"]["NACOS_ACCESS_TOKEN"], d.log())

    def test_failing_and_hanging_hooks_are_logged_and_never_delay_the_token(self):
        nacos = self.fake_nacos(ttl=2)
        failing = self.script("failing", "#!/bin/sh\necho 'boom: it broke' >&2\necho more >&2\n"
                              "echo \"$NACOS_ACCESS_TOKEN\" >&2\nexit 3\n")
        d = self.daemon([nacos.server_entry], hook__on_change=failing)
        d.wait_log(r"hook .*failing: exit status 3: boom: it broke")
        d.stop()
        self.assertNotRegex(d.log(), r"eyJ")  # a token echoed by the hook is not logged
        pgid_file = os.path.join(self.dir, "pgid")
        hanging = self.script("hanging", f"#!/bin/sh\nps -o pgid= $$ > {pgid_file}\n"
                              "sleep 60 &\nsleep 60\n")
        d2 = self.daemon([nacos.server_entry], hook__on_change=hanging, hook__timeout="1s")
        first = d2.wait_token()
        d2.wait_log(r"hook .*hanging still running after 1s \(hook.timeout\); killed its process group")
        # Rotation went on while the hook hung: the file changed at the token's pace.
        d2.wait_token(different_from=first, timeout=4)
        with open(pgid_file) as f:
            pgid = int(f.read())

        def group_gone():
            try:
                os.killpg(pgid, 0)
                return False
            except ProcessLookupError:
                return True
        wait_until(group_gone, 5, what="the hook's whole process group gone")

    def test_a_reload_that_removes_a_running_hook(self):
        nacos = self.fake_nacos(ttl=300)
        hanging = self.script("hanging", "#!/bin/sh\nsleep 60\n")
        config = os.path.join(self.dir, "tokend.ini")
        with open(config, "w") as f:
            f.write(f"[hook]\non_change = {hanging}\ntimeout = 2s\n")
        d = self.daemon([nacos.server_entry], config_file=config)
        d.wait_token()
        wait_until(lambda: "hook " + hanging in d.log() or "started (pid" in d.log(), 5,
                   what="the hook started")
        with open(config, "w") as f:
            f.write("[log]\nlevel = debug\n")
        d.signal(1)  # HUP: the hook is gone from the configuration while it runs
        d.wait_log("configuration reloaded")
        d.wait_log(r"hook .*hanging still running after 2s", timeout=6)
        d.wait_log(r"hook .*hanging: killed by signal", timeout=4)
        self.assertIsNone(d.process.poll(), "the daemon is still running")
        self.assertEqual(d.request()[0], 200)

    def test_runs_never_overlap_and_coalesce_to_the_newest_token(self):
        nacos = self.fake_nacos(ttl=1)
        out = os.path.join(self.dir, "runs.jsonl")
        hook = self.script("recorder", RECORDER)
        d = self.daemon([nacos.server_entry], hook__on_change=f"{hook} {out} 2.5",
                        hook__timeout="10s", refresh__retry_min="100ms")
        wait_until(lambda: len(self.records(out)) >= 3, 15, what="three slow hook runs")
        runs = self.records(out)
        self.assertFalse(any(r.get("overlap") for r in runs), "runs overlapped")
        for a, b in zip(runs, runs[1:]):
            self.assertGreaterEqual(b["start"], a["end"] - 0.01)
        gens = [int(r["env"]["NACOS_TOKEN_GENERATION"]) for r in runs]
        self.assertEqual(gens, sorted(gens))
        self.assertGreater(gens[2] - gens[1], 1, "tokens that came meanwhile were coalesced")

    def test_not_run_for_a_reused_token_and_bad_commands_refused(self):
        nacos = self.fake_nacos(ttl=300)
        out = os.path.join(self.dir, "runs.jsonl")
        hook = self.script("recorder", RECORDER)
        d = self.daemon([nacos.server_entry], hook__on_change=f"{hook} {out}")
        wait_until(lambda: len(self.records(out)) == 1, 10, what="one run")
        d.wait_state()
        d.stop()
        d2 = self.daemon([nacos.server_entry], hook__on_change=f"{hook} {out}")
        d2.wait_log("reusing the token saved")
        time.sleep(1)
        self.assertEqual(len(self.records(out)), 1, "no run for the reused token")
        for value, message in (("reload-my-app", "must be an absolute path"),
                               ("/nonexistent/hook", "cannot execute '/nonexistent/hook'")):
            r = subprocess.run([TOKEND, "--check-config", "-D", "nacos.servers=127.0.0.1:1",
                                "-D", "nacos.username=u", "-D",
                                f"nacos.password_file={self.password_file}", "-D",
                                f"file.path={self.dir}/t", "-D", "socket.path=",
                                "-D", f"hook.on_change={value}"],
                               capture_output=True, text=True)
            self.assertEqual(r.returncode, 78, r.stderr)
            self.assertIn("hook.on_change", r.stderr)
            self.assertIn(message, r.stderr)


if __name__ == "__main__":
    main()
