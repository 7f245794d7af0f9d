"""https to Nacos: a private CA works; an untrusted CA or a wrong host name never does, also on
loopback; tls_verify=false works only with a loud warning (issue 2)."""

import os

from harness import TokendTestCase, main, make_certificates, wait_until


class TlsTest(TokendTestCase):
    def setUp(self):
        super().setUp()
        self.certs = make_certificates(os.path.join(self.dir))

    def https_nacos(self, cert: str):
        pem, key = self.certs[cert]
        import ssl
        context = ssl.create_default_context(cafile=self.certs["ca"])
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return self.fake_nacos(tls_cert=pem, tls_key=key, ssl_context=context)

    def test_private_ca(self):
        nacos = self.https_nacos("good")
        self.assertTrue(nacos.server_entry.startswith("https://127.0.0.1:"))
        d = self.daemon([nacos.server_entry], nacos__ca_file=self.certs["ca"])
        self.assert_token_accepted(nacos, d.wait_token())
        # Also by name: the certificate names localhost too.
        d.stop()
        d2 = self.daemon([f"https://localhost:{nacos.port}"], nacos__ca_file=self.certs["ca"],
                         token_path=os.path.join(self.dir, "run", "t2"))
        self.assert_token_accepted(nacos, d2.wait_token())

    def test_untrusted_ca_is_refused(self):
        nacos = self.https_nacos("self")
        d = self.daemon([nacos.server_entry], nacos__ca_file=self.certs["ca"])
        d.wait_log(r"login failed: https://127\.0\.0\.1:\d+: .*(certificate|verify)")
        self.assertIsNone(d.token())
        self.assertEqual(nacos.stats()["logins"], 0, "the password must not be sent")

    def test_wrong_host_name_is_refused_on_loopback(self):
        nacos = self.https_nacos("wrongname")
        d = self.daemon([nacos.server_entry], nacos__ca_file=self.certs["ca"])
        d.wait_log(r"login failed: https://127\.0\.0\.1:\d+: .*(certificate|host)")
        self.assertIsNone(d.token())
        self.assertEqual(nacos.stats()["logins"], 0, "the password must not be sent")

    def test_system_store_does_not_trust_a_private_ca(self):
        nacos = self.https_nacos("good")
        d = self.daemon([nacos.server_entry])
        d.wait_log(r"login failed: https://127\.0\.0\.1:\d+: .*(certificate|verify)")
        self.assertEqual(nacos.stats()["logins"], 0)

    def test_tls_verify_false_warns_loudly(self):
        nacos = self.https_nacos("self")
        d = self.daemon([nacos.server_entry], nacos__tls_verify="false")
        self.assert_token_accepted(nacos, d.wait_token())
        self.assertRegex(d.log(), r"<4>nacos.tls_verify = false: the certificate of https://.* "
                                  r"is NOT checked")

    def test_tls_stack_is_loaded_only_for_https_servers(self):
        def maps(pid):
            with open(f"/proc/{pid}/maps") as f:
                return f.read()

        plain = self.fake_nacos()
        d = self.daemon([plain.server_entry])
        d.wait_token()
        self.assertNotIn("libssl", maps(d.pid))
        self.assertNotIn("nacos-tokend-tls.so", maps(d.pid))
        d.stop()
        secure = self.https_nacos("good")
        d2 = self.daemon([secure.server_entry], nacos__ca_file=self.certs["ca"],
                         token_path=os.path.join(self.dir, "run", "t2"))
        d2.wait_token()
        self.assertIn("nacos-tokend-tls.so", maps(d2.pid))
        self.assertIn("libssl", maps(d2.pid))

    def test_missing_ca_file_is_a_config_error(self):
        nacos = self.https_nacos("good")
        d = self.daemon([nacos.server_entry], start=False, nacos__ca_file="/nonexistent/ca.pem")
        result = d.run_once()
        self.assertEqual(result.returncode, 78)
        self.assertIn("nacos.ca_file: cannot read '/nonexistent/ca.pem'", result.stderr)


if __name__ == "__main__":
    main()
