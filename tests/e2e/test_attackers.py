"""Local attackers (issue 5): files planted at the token or socket path are never followed or
clobbered, and every file the daemon creates has exactly the configured mode under any umask."""

import os
import stat

from harness import TokendTestCase, main, wait_until


class AttackerTest(TokendTestCase):
    def test_symlink_at_the_token_path_is_replaced_not_followed(self):
        nacos = self.fake_nacos()
        victim = os.path.join(self.dir, "victim")
        with open(victim, "w") as f:
            f.write("precious")
        os.chmod(victim, 0o600)
        run = os.path.join(self.dir, "run")
        os.makedirs(run, 0o750, exist_ok=True)
        os.symlink(victim, os.path.join(run, "token"))
        d = self.daemon([nacos.server_entry])
        wait_until(lambda: os.path.isfile(d.token_path) and not os.path.islink(d.token_path),
                   what="a regular file")
        token = d.wait_token()
        with open(victim) as f:
            self.assertEqual(f.read(), "precious")
        self.assertTrue(stat.S_ISREG(os.lstat(d.token_path).st_mode))
        self.assert_token_accepted(nacos, token)

    def test_symlink_at_the_socket_path_is_left_alone(self):
        nacos = self.fake_nacos()
        run = os.path.join(self.dir, "run")
        os.makedirs(run, 0o750, exist_ok=True)
        target = os.path.join(self.dir, "elsewhere.sock")
        os.symlink(target, os.path.join(run, "tokend.sock"))
        d = self.daemon([nacos.server_entry])
        self.assertNotEqual(d.process.wait(5), 0)
        self.assertIn("exists and is not a socket; not touching it", d.log())
        self.assertTrue(os.path.islink(os.path.join(run, "tokend.sock")))
        self.assertFalse(os.path.exists(target))

    def test_exact_modes_under_every_umask(self):
        nacos = self.fake_nacos()
        for umask in (0o000, 0o022, 0o077):
            with self.subTest(umask=oct(umask)):
                run = os.path.join(self.dir, f"run{umask:o}")
                d = self.daemon([nacos.server_entry], umask=umask, file__mode="0640",
                                socket__mode="0660", token_path=os.path.join(run, "token"),
                                socket_path=os.path.join(run, "tokend.sock"))
                d.wait_token()
                self.assert_mode(d.token_path, 0o640)
                self.assert_mode(d.socket_path, 0o660)
                self.assert_mode(d.wait_state(), 0o600)
                d.stop()

    def test_group_of_the_file_and_socket(self):
        nacos = self.fake_nacos()
        gid = 4343  # root may give files to any group
        d = self.daemon([nacos.server_entry], file__group=str(gid), socket__group=str(gid))
        d.wait_token()
        self.assertEqual(os.stat(d.token_path).st_gid, gid)
        self.assertEqual(os.stat(d.socket_path).st_gid, gid)
        self.assertEqual(os.stat(d.wait_state()).st_gid,
                         os.getegid(), "the saved state is not for the readers' group")


if __name__ == "__main__":
    main()
