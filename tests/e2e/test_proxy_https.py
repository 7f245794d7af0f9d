"""The Nacos proxy in front of https servers: the identity's ca_file and host-name checks, the
same forwarding and healing as over http, and a server whose certificate does not verify."""

from __future__ import annotations

import hashlib
import os
import ssl
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_nacos import token_fingerprint  # noqa: E402
from harness import make_certificates, main  # noqa: E402
from test_proxy import ProxyTestCase  # noqa: E402


class HttpsUpstreamTest(ProxyTestCase):
    def setUp(self):
        super().setUp()
        self.certs = make_certificates(self.dir)

    def https_nacos(self, cert: str = "good"):
        pem, key = self.certs[cert]
        context = ssl.create_default_context(cafile=self.certs["ca"])
        return self.fake_nacos(tls_cert=pem, tls_key=key, ssl_context=context,
                               long_poll_min_ms=0)

    def test_forwarding_and_healing_over_https(self):
        nacos = self.https_nacos()
        self.start([nacos], nacos__ca_file=self.certs["ca"])
        c = self.conn()
        status, _, body = self.get("probe", conn=c)
        self.assertEqual((status, body), (200, b"probe"))
        headers = {k.lower(): v for k, v in nacos.config_stats()["last_request"]["headers"]}
        self.assertEqual(headers["authorization"],
                         "Bearer sha256:" + token_fingerprint(self.token))
        content = hashlib.sha256(b"tls").hexdigest() * 40000  # 2.5 MiB each way, streamed
        self.assertEqual(self.publish("big", content, conn=c)[:3:2], (200, b"true"))
        status, _, body = self.get("big", conn=c)
        self.assertEqual(body, content.encode())
        c.close()
        logins = nacos.stats()["login_ok"]
        nacos.invalidate_tokens()
        for _ in range(3):  # new callers: pooled TLS connections
            status, _, body = self.get("probe")
            self.assertEqual((status, body), (200, b"probe"))
        self.assertEqual(nacos.stats()["login_ok"], logins + 1)

    def test_a_certificate_that_does_not_verify_is_never_sent_a_request(self):
        good = self.https_nacos()
        bad = self.https_nacos("wrongname")  # a valid chain, but not for 127.0.0.1
        # The daemon logs in through the good one; the proxy tries the bad one first.
        self.start([bad, good], nacos__ca_file=self.certs["ca"])
        before = bad.config_stats()["requests"]
        status, _, body = self.get("probe")
        self.assertEqual((status, body), (200, b"probe"))
        self.assertEqual(bad.config_stats()["requests"], before)
        self.d.wait_log(r"proxy: cannot connect to https://127\.0\.0\.1:\d+: TLS: certificate")


if __name__ == "__main__":
    main()
