"""File-system faults (issue 5): a full disk, a removed directory and a kill -9 in the middle of
a publication. The previous token file stays intact and valid, nothing half-written is ever
visible, leftovers are cleaned up, errors name the path and reason, and publication recovers by
itself when the fault clears."""

import errno
import os
import re
import stat
import shutil
import signal
import subprocess
import time

from harness import TokendTestCase, main, wait_until


class FsFaultTest(TokendTestCase):
    def test_disk_full(self):
        # The run directory is a 64 KiB tmpfs in the daemon's own mount namespace; the test
        # fills it through /proc/PID/root, which resolves paths in that namespace.
        nacos = self.fake_nacos(ttl=3600)
        d = self.daemon([nacos.server_entry], start=False, refresh__retry_max="1s")
        run = os.path.dirname(d.token_path)
        inner = " ".join("'" + a + "'" for a in d.command())
        d.args = []
        d_cmd = ["unshare", "-m", "--propagation", "private", "sh", "-c",
                 f"mount -t tmpfs -o size=64k,mode=0750 tmpfs '{run}' && exec {inner}"]
        log = open(d.log_path, "ab")
        proc = subprocess.Popen(d_cmd, stdout=log, stderr=log)
        self.addCleanup(lambda: (proc.kill(), proc.wait(), log.close()))
        d.process = proc
        inside = f"/proc/{proc.pid}/root{run}"
        wait_until(lambda: os.path.exists(f"{inside}/token"), what="first token")
        with open(f"{inside}/token") as f:
            token = f.read()
        filler = f"{inside}/filler"
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            while True:
                os.write(fd, b"x" * 4096)
        except OSError as e:
            self.assertEqual(e.errno, errno.ENOSPC)
        finally:
            os.close(fd)
        time.sleep(1.1)  # Nacos tokens are per second: the next login must get a new one
        proc.send_signal(signal.SIGUSR1)
        d.wait_log(rf"<3>{run}/token: write failed: No space left on device; the previous file is "
                   r"unchanged; retrying in")
        with open(f"{inside}/token") as f:
            self.assertEqual(f.read(), token)
        # A failed write removes its file; a retry may be between creating and removing one.
        wait_until(lambda: not [n for n in os.listdir(inside) if ".tmp." in n], timeout=3,
                   what="no temporary file left behind")
        os.unlink(filler)
        d.wait_log(r"published again after \d+ failed attempt", timeout=8)
        with open(f"{inside}/token") as f:
            fresh = f.read()
        self.assertNotEqual(fresh, token)
        self.assert_token_accepted(nacos, fresh)

    def test_directory_removed_then_recreated(self):
        nacos = self.fake_nacos(ttl=3600)
        d = self.daemon([nacos.server_entry], refresh__retry_max="1s")
        token = d.wait_token()
        run = os.path.dirname(d.token_path)
        shutil.rmtree(run)
        d.signal(signal.SIGUSR1)
        d.wait_log(rf"<3>{run}/token: cannot open directory {run}: No such file or directory")
        os.mkdir(run, 0o750)
        d.wait_log(r"published again after \d+ failed attempt", timeout=8)
        self.assert_token_accepted(nacos, d.token())
        self.assertNotEqual(d.token(), None)

    def test_a_token_file_removed_replaced_or_changed_by_someone_is_written_again(self):
        nacos = self.fake_nacos(ttl=3600)
        d = self.daemon([nacos.server_entry])
        token = d.wait_token()
        repaired = r"<4>.*/token: removed, replaced or changed by someone else; writing it again"
        os.unlink(d.token_path)
        d.wait_log(repaired)
        self.assertEqual(d.wait_token(), token)
        with open(f"{d.token_path}.new", "w") as f:
            f.write("not a token")
        os.rename(f"{d.token_path}.new", d.token_path)
        d.wait_log(repaired, count=2)
        wait_until(lambda: d.token() == token, what="the token back")
        # A change time moves at the kernel's tick: change the mode well after the last write.
        time.sleep(0.05)
        os.chmod(d.token_path, 0o644)
        d.wait_log(repaired, count=3)
        wait_until(lambda: stat.S_IMODE(os.stat(d.token_path).st_mode) == 0o640,
                   what="the mode back")
        self.assertEqual(d.token(), token)
        self.assertEqual(nacos.stats()["logins"], 1, "no login for that")
        # Its own writes do not count as someone else's: each is checked a second later.
        time.sleep(1.5)
        self.assertEqual(len(re.findall(repaired, d.log())), 3)

    def test_kill_9_between_write_and_rename(self):
        nacos = self.fake_nacos(ttl=3600)
        d = self.daemon([nacos.server_entry], start=False)
        first = d.run_once()
        self.assertEqual(first.returncode, 0, first.stderr)
        token = d.token()
        # renameat #1 is the token file, #2 the saved state: kill at the token's rename.
        cmd = ["strace", "-f", "-qq", "-o", "/dev/null", "-e",
               "inject=rename,renameat,renameat2:signal=SIGKILL:when=1"] + d.command(["--once"])
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        self.assertNotEqual(result.returncode, 0)
        run = os.path.dirname(d.token_path)
        leftovers = [n for n in os.listdir(run) if ".tmp." in n]
        self.assertEqual(len(leftovers), 1, os.listdir(run))
        self.assertEqual(d.token(), token, "the previous file is intact")
        self.assert_token_accepted(nacos, d.token())
        # The next start removes the leftover.
        d.start()
        d.wait_log(r"removed 1 temporary file\(s\) left by an interrupted run")
        # Only the killed run's file: the new daemon may be mid-write of its own.
        self.assertNotIn(leftovers[0], os.listdir(run))


if __name__ == "__main__":
    main()
