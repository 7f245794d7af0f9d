"""The test OpenID provider (tests/oidc, oidc-provider) and fake-nacos in OIDC mode.

Needs tests/oidc/node_modules (tests/oidc/install.sh; .ci/test runs it). Without it every test
here fails with that instruction: they never skip.

Run: FAKE_NACOS=/path/to/fake-nacos python3 tests/e2e/test_oidc.py
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_nacos import FakeNacos, V1_CONFIGS, V3_CLIENT_CONFIG, token_fingerprint  # noqa: E402
from harness import make_certificates  # noqa: E402
from oidc_provider import (  # noqa: E402
    JWT_AUDIENCE, OIDC_DIR, OPAQUE_AUDIENCE, OidcProvider, jwt_parts)

BINARY = os.environ.get("FAKE_NACOS", "")
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class OidcTestCase(unittest.TestCase):
    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix="oidc-test-")
        self.stoppers = []

    def tearDown(self):
        for stop in reversed(self.stoppers):
            stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def provider(self, **options) -> OidcProvider:
        provider = OidcProvider(self.workdir, **options)
        self.stoppers.append(provider.stop)
        return provider.start()

    def fake_nacos(self, **options) -> FakeNacos:
        nacos = FakeNacos(BINARY, self.workdir, **options)
        self.stoppers.append(nacos.stop)
        return nacos.start()


class ProviderTest(OidcTestCase):
    def test_discovery(self):
        idp = self.provider()
        meta = idp.discovery()
        self.assertEqual(meta["issuer"], idp.issuer)
        self.assertTrue(idp.issuer.startswith("http://127.0.0.1:"))
        self.assertIn("client_credentials", meta["grant_types_supported"])
        for endpoint in ("token_endpoint", "jwks_uri", "introspection_endpoint"):
            self.assertTrue(meta[endpoint].startswith(idp.issuer + "/"), endpoint)
        self.assertIn("client_secret_basic", meta["token_endpoint_auth_methods_supported"])
        self.assertIn("client_secret_post", meta["token_endpoint_auth_methods_supported"])
        status, _, body = idp.request("GET", idp._path(meta["jwks_uri"]))
        keys = json.loads(body)["keys"]
        self.assertEqual((status, [k["kty"] for k in keys]), (200, ["RSA"]))
        self.assertNotIn("d", keys[0])  # Only the public half is published.

    def test_client_credentials_basic_and_post(self):
        idp = self.provider(ttl=5)
        for client_id in ("basic-client", "post-client"):
            with self.subTest(client=client_id):
                answer = idp.client_credentials(client_id)
                self.assertEqual((answer["token_type"], answer["expires_in"]), ("Bearer", 5))
                header, payload = jwt_parts(answer["access_token"])
                self.assertEqual(header["alg"], "RS256")
                self.assertEqual(header["typ"], "at+jwt")
                self.assertIn("kid", header)
                self.assertEqual((payload["iss"], payload["aud"], payload["client_id"]),
                                 (idp.issuer, JWT_AUDIENCE, client_id))
                self.assertEqual(payload["exp"] - payload["iat"], 5)
                self.assertLessEqual(abs(payload["iat"] - time.time()), 5)

    def test_wrong_client_authentication_is_invalid_client(self):
        idp = self.provider()
        # (oidc-provider 8 accepts either secret method from a client registered for one.)
        cases = (
            ("basic-client", {"secret": "wrong"}),
            ("post-client", {"secret": "wrong"}),
            ("basic-client", {"secret": "basic-secret-0123456789x"}),
        )
        for client_id, kwargs in cases:
            with self.subTest(client=client_id, **kwargs):
                status, answer = idp.token_request(client_id, **kwargs)
                self.assertIn(status, (400, 401))
                self.assertEqual(answer["error"], "invalid_client")
        status, answer = idp.token_request("basic-client", resource="urn:unknown")
        self.assertEqual((status, answer["error"]), (400, "invalid_target"))

    def test_introspection(self):
        idp = self.provider(ttl=60)
        opaque = idp.client_credentials("basic-client", resource=OPAQUE_AUDIENCE)["access_token"]
        self.assertEqual(opaque.count("."), 0)
        status, answer = idp.introspect(opaque)
        self.assertEqual(status, 200)
        self.assertEqual((answer["active"], answer["client_id"], answer["aud"]),
                         (True, "basic-client", OPAQUE_AUDIENCE))
        self.assertEqual(idp.introspect(opaque, client_id="post-client")[1]["active"], True)
        self.assertEqual(idp.introspect("not-a-token")[1], {"active": False})
        # oidc-provider does not introspect structured (JWT) access tokens: it answers
        # inactive. Those are verified locally against the JWKS (fake-nacos's OIDC mode).
        jwt = idp.client_credentials("basic-client")["access_token"]
        self.assertEqual(idp.introspect(jwt), (200, {"active": False}))

    def test_short_ttl_expires(self):
        idp = self.provider(ttl=1)
        opaque = idp.client_credentials("basic-client", resource=OPAQUE_AUDIENCE)["access_token"]
        self.assertTrue(idp.introspect(opaque)[1]["active"])
        time.sleep(2.1)
        self.assertEqual(idp.introspect(opaque)[1], {"active": False})

    def test_https_with_given_certificate(self):
        certs = make_certificates(self.workdir)
        pem, key = certs["good"]
        context = ssl.create_default_context(cafile=certs["ca"])
        idp = self.provider(tls_cert=pem, tls_key=key, ssl_context=context)
        self.assertTrue(idp.issuer.startswith("https://127.0.0.1:"))
        self.assertEqual(idp.discovery()["issuer"], idp.issuer)
        self.assertIn("access_token", idp.client_credentials("post-client"))

    def test_stops_by_itself(self):
        # stdin closed (the parent's pipe goes away).
        idp = self.provider()
        process = idp.process
        process.stdin.close()
        self.assertEqual(process.wait(timeout=5), 0)
        self.assertIn("stdin closed", idp.stderr_text())
        idp.stop()
        # Maximum lifetime.
        short = self.provider(max_lifetime=1)
        self.assertEqual(short.process.wait(timeout=5), 0)
        self.assertIn("max lifetime", short.stderr_text())
        # Parent death: a shell starts it with an inherited pipe, then exits; the provider
        # notices the new parent (ppid check) although its stdin stays open.
        reader, writer = os.pipe()
        idp = OidcProvider(self.workdir)
        script = (f"exec 0<&{reader}; {' '.join(map(_quote, idp.command()))} & "
                  "echo $!; sleep 0.5")
        out = subprocess.run(["bash", "-c", script], capture_output=True, text=True,
                             timeout=10, pass_fds=(reader,))
        pid = int(out.stdout.split()[0])
        deadline = time.monotonic() + 6
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.1)
        os.close(writer)
        os.close(reader)
        self.assertFalse(_alive(pid), "provider outlived its parent")
        # The port file was written atomically: no temp file is left beside it.
        self.assertEqual([n for n in os.listdir(self.workdir) if n.endswith(".tmp")], [])

    def test_missing_node_modules_fails_loudly(self):
        self.assertTrue(os.path.isdir(os.path.join(OIDC_DIR, "node_modules", "oidc-provider")),
                        "tests/oidc/node_modules is missing: run tests/oidc/install.sh")


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


class FakeNacosOidcModeTest(OidcTestCase):
    def start_pair(self, flavor: int = 3, **nacos_options):
        idp = self.provider(ttl=30)
        nacos = self.fake_nacos(oidc_issuer=idp.issuer, flavor=flavor, **nacos_options)
        return idp, nacos

    def call(self, nacos, token, method="GET", path=V1_CONFIGS, params=None):
        params = params or {"dataId": "probe"}
        headers = {"Authorization": "Bearer " + token} if token else {}
        if method == "POST":
            return nacos.request(method, path, body=urllib.parse.urlencode(params),
                                 headers={**headers, **FORM})
        return nacos.request(method, f"{path}?{urllib.parse.urlencode(params)}", headers=headers)

    def message(self, response) -> str:
        status, _, body = response
        self.assertEqual(status, 403, body)
        return json.loads(body)["message"]

    def test_provider_token_is_accepted(self):
        idp, nacos = self.start_pair(oidc_audience=JWT_AUDIENCE)
        token = idp.client_credentials("post-client")["access_token"]
        self.assertEqual(self.call(nacos, token)[::2], (200, "probe"))
        status, _, body = self.call(nacos, token, "POST",
                                    params={"dataId": "oidc", "content": "via oidc"})
        self.assertEqual((status, body), (200, "true"))
        status, _, body = self.call(nacos, token, path=V3_CLIENT_CONFIG,
                                    params={"dataId": "oidc"})
        self.assertEqual(json.loads(body)["data"]["content"], "via oidc")
        # accessToken parameter works too, and the stats saw one token.
        status, _, _ = nacos.request("GET", f"{V1_CONFIGS}?dataId=oidc&accessToken={token}")
        self.assertEqual(status, 200)
        self.assertEqual(nacos.config_stats()["tokens_seen"], {token_fingerprint(token): 4})
        # The subject is the client (sub = client_id): permission rules apply to it.
        nacos.deny(user="post-client", data_id="oidc")
        self.assertEqual(self.message(self.call(nacos, token, params={"dataId": "oidc"})),
                         "Code: 403, Message: authorization failed!.")
        other = idp.client_credentials("basic-client")["access_token"]
        self.assertEqual(self.call(nacos, other, params={"dataId": "oidc"})[0], 200)

    def test_tampered_and_foreign_tokens_are_refused(self):
        idp, nacos = self.start_pair()
        token = idp.client_credentials("basic-client")["access_token"]
        header, payload, signature = token.split(".")
        claims = jwt_parts(token)[1]
        claims["sub"] = "admin"
        forged = ".".join((header, b64url(json.dumps(claims).encode()), signature))
        self.assertEqual(self.message(self.call(nacos, forged)),
                         "Code: 401, Message: Invalid signature.")
        flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
        self.assertEqual(self.message(self.call(nacos, f"{header}.{payload}.{flipped}")),
                         "Code: 401, Message: Invalid signature.")
        # A token from another provider (other key) fails the same way.
        stranger = self.provider().client_credentials("basic-client")["access_token"]
        self.assertEqual(self.message(self.call(nacos, stranger)),
                         "Code: 401, Message: Invalid signature.")
        # alg "none" and Nacos's own HS256 tokens are not provider tokens.
        none = ".".join((b64url(b'{"alg":"none"}'), payload, ""))
        self.assertEqual(self.message(self.call(nacos, none)),
                         "Code: 401, Message: unsupported signature algorithm.")
        nacos_token = json.loads(nacos.login()[2])["accessToken"]
        self.assertEqual(self.message(self.call(nacos, nacos_token)),
                         "Code: 401, Message: unsupported signature algorithm.")
        opaque = idp.client_credentials("basic-client", resource=OPAQUE_AUDIENCE)["access_token"]
        self.assertEqual(self.message(self.call(nacos, opaque)),
                         "Code: 401, Message: token invalid!.")
        self.assertEqual(self.call(nacos, token)[0], 200)

    def test_expiry_audience_and_flavor_texts(self):
        idp, nacos = self.start_pair(flavor=2, oidc_audience="urn:other")
        token = idp.client_credentials("basic-client")["access_token"]
        self.assertEqual(self.message(self.call(nacos, token)), "token invalid!")  # Wrong aud.
        idp2, nacos2 = self.start_pair(flavor=2)
        token = idp2.client_credentials("basic-client")["access_token"]
        self.assertEqual(self.call(nacos2, token)[0], 200)
        exp = jwt_parts(token)[1]["exp"]
        nacos2.set(clock_offset=exp - int(time.time()) + 2)  # Server clock past exp.
        self.assertEqual(self.message(self.call(nacos2, token)), "token expired!")
        self.assertEqual(self.message(self.call(nacos2, None)), "user not found!")

    def test_https_issuer_verified_against_a_ca(self):
        certs = make_certificates(self.workdir)
        context = ssl.create_default_context(cafile=certs["ca"])
        results = {}
        for cert in ("good", "wrongname", "self"):
            pem, key = certs[cert]
            idp = self.provider(tls_cert=pem, tls_key=key, ssl_context=context if cert == "good"
                                else ssl._create_unverified_context())
            nacos = self.fake_nacos(oidc_issuer=idp.issuer, oidc_ca=certs["ca"])
            token = idp.client_credentials("basic-client")["access_token"]
            status, _, body = self.call(nacos, token)
            results[cert] = (status, json.loads(body)["message"] if status == 403 else body)
        # Keys from an issuer whose certificate does not verify are never used.
        self.assertEqual(results, {
            "good": (200, "probe"),
            "wrongname": (403, "Code: 401, Message: Invalid signature."),
            "self": (403, "Code: 401, Message: Invalid signature."),
        })

    def test_password_login_unaffected_without_oidc(self):
        idp = self.provider()
        nacos = self.fake_nacos()
        token = json.loads(nacos.login()[2])["accessToken"]
        self.assertEqual(self.call(nacos, token)[0], 200)
        provider_token = idp.client_credentials("basic-client")["access_token"]
        self.assertEqual(self.message(self.call(nacos, provider_token)),
                         "Code: 401, Message: unsupported signature algorithm.")


if __name__ == "__main__":
    if len(sys.argv) > 1 and os.path.isfile(sys.argv[1]):
        BINARY = sys.argv.pop(1)
    if not BINARY:
        sys.exit("set FAKE_NACOS or pass the fake-nacos binary as the first argument")
    unittest.main(verbosity=2)
