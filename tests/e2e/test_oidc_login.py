"""login = oidc against a real OpenID provider (issue 12): the oidc-provider package started by
the tests (tests/oidc), and fake-nacos in OIDC mode accepting its tokens.

"Every published token is active" is checked with the provider's own means: a JWT access token
must verify against the provider's JWKS as a resource server checks it (jose, oidc-provider's
JOSE library: signature, iss, aud, typ, exp; oidc-provider does not introspect JWTs), and an
opaque token (resource urn:nacos:opaque) must introspect active. JWTs are also shown to work
for a Nacos call against fake-nacos in OIDC mode.

Needs tests/oidc/node_modules (tests/oidc/install.sh; .ci/test runs it): fails, never skips.
"""

import json
import os
import signal
import socket
import ssl
import subprocess
import time

from harness import (TokendTestCase, UnixHTTPConnection, main, make_certificates, read_file,
                     wait_until, write_secret)
from oidc_provider import DEFAULT_CLIENTS, JWT_AUDIENCE, OPAQUE_AUDIENCE, OidcProvider

SECRETS = {c["client_id"]: c["client_secret"] for c in DEFAULT_CLIENTS}
# The start of every JWT the provider signs ({"alg":"RS256","typ":"at+jwt",...}).
PROVIDER_JWT_HEADER = "eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCIs"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OidcLoginTest(TokendTestCase):
    def setUp(self):
        super().setUp()
        self.empty_ini = os.path.join(self.dir, "empty.ini")  # not /etc/nacos-tokend's file
        write_secret(self.empty_ini, "")
        self.secret_files = {}
        for client_id, secret in SECRETS.items():
            path = os.path.join(self.dir, client_id + ".secret")
            write_secret(path, secret)
            self.secret_files[client_id] = path
        self.addCleanup(self._no_oidc_secrets_in_logs)

    def _no_oidc_secrets_in_logs(self):
        for d in self.daemons:
            log = d.log()
            for secret in SECRETS.values():
                self.assertNotIn(secret, log, "a client secret appeared in the daemon's log")
            self.assertNotIn(PROVIDER_JWT_HEADER, log, "a token appeared in the daemon's log")

    def idp(self, **options) -> OidcProvider:
        provider = OidcProvider(self.dir, **options)
        self.addCleanup(provider.stop)
        return provider.start()

    def oidc_daemon(self, idp=None, client="basic-client", start=True, **settings):
        defines = {"nacos.login": "oidc", "nacos.oidc_client_id": client,
                   "nacos.oidc_client_secret_file": self.secret_files[client]}
        if idp is not None:
            defines["nacos.oidc_issuer"] = idp.issuer
        env = settings.pop("env", None)
        defines.update(settings)  # a value of None drops the key
        d = self.daemon([], start=False, config_file=self.empty_ini, env=env)
        for key in ("nacos.servers", "nacos.username", "nacos.password_file"):
            d.defines.pop(key)
        d.defines.update({k: str(v) for k, v in defines.items() if v is not None})
        return d.start() if start else d

    def metadata(self, d) -> dict:
        status, _, body = d.request(target="/v1/token?format=json")
        self.assertEqual(status, 200, body)
        return json.loads(body)

    def test_first_token_via_discovery_and_a_nacos_config_call(self):
        idp = self.idp(ttl=30)
        nacos = self.fake_nacos(oidc_issuer=idp.issuer, oidc_audience=JWT_AUDIENCE)
        d = self.oidc_daemon(idp)
        token = d.wait_token()
        claims = idp.assert_active(token)
        self.assertEqual((claims["client_id"], claims["aud"]), ("basic-client", JWT_AUDIENCE))
        meta = self.metadata(d)
        self.assertEqual(meta["accessToken"], token)
        self.assertEqual(meta["username"], "basic-client")
        self.assertEqual(meta["server"], idp.discovery()["token_endpoint"])
        self.assertTrue(25 <= meta["expiresIn"] <= 30, meta)
        d.wait_log(r"nacos-tokend started: oidc client basic-client at http://127\.0\.0\.1:\d+, file ")
        d.wait_log(r"discovery http://127\.0\.0\.1:\d+/\.well-known/openid-configuration: "
                   r"token endpoint http://127\.0\.0\.1:\d+/token, client_secret_basic")
        # A Nacos (in OIDC mode) config call made with the provider's token, read from the file.
        status, _, body = nacos.publish_config(d.token(), "oidc-demo", "greeting=hello")
        self.assertEqual((status, body), (200, "true"))
        status, _, body = nacos.get_config(d.token(), "oidc-demo")
        self.assertEqual((status, body), (200, "greeting=hello"))
        self.assertEqual(nacos.get_config(None, "oidc-demo")[0], 403)
        self.assertEqual(d.stop(), 0)

    def test_the_proxy_and_the_hook_work_for_an_oidc_identity(self):
        # Issue 12, item 3: the proxy sends the provider's token to Nacos; the hook runs on it.
        idp = self.idp(ttl=4)
        nacos = self.fake_nacos(oidc_issuer=idp.issuer, oidc_audience=JWT_AUDIENCE)
        proxy_path = os.path.join(self.dir, "run", "nacos.sock")
        ran = os.path.join(self.dir, "hook-ran")
        hook = os.path.join(self.dir, "hook")
        with open(hook, "w") as f:
            f.write(f"#!/bin/sh\necho \"$NACOS_TOKEN_IDENTITY $NACOS_TOKEN_GENERATION\" >> {ran}\n")
        os.chmod(hook, 0o755)
        d = self.oidc_daemon(idp, **{"nacos.servers": nacos.server_entry,
                                     "proxy.path": proxy_path, "hook.on_change": hook})
        token = d.wait_token()
        status, _, body = nacos.publish_config(token, "oidc-proxy", "via=proxy")
        self.assertEqual((status, body), (200, "true"))
        wait_until(lambda: os.path.exists(proxy_path), 5, what="the proxy socket")
        conn = UnixHTTPConnection(proxy_path, 5)
        conn.request("GET", "/nacos/v1/cs/configs?dataId=oidc-proxy&group=DEFAULT_GROUP")
        answer = conn.getresponse()
        self.assertEqual((answer.status, answer.read().decode()), (200, "via=proxy"))
        conn.close()
        wait_until(lambda: (read_file(ran) or "").count("\n") >= 2, 10,
                   what="the hook for the first and a refreshed provider token")
        self.assertTrue((read_file(ran) or "").startswith("default 1\n"))

    def test_client_secret_post_when_discovery_lists_only_that(self):
        post_only = ({"client_id": "post-client", "client_secret": SECRETS["post-client"],
                      "token_endpoint_auth_method": "client_secret_post"},)
        idp = self.idp(ttl=30, clients=post_only, auth_methods=("client_secret_post",))
        d = self.oidc_daemon(idp, client="post-client")
        idp.assert_active(d.wait_token())
        d.wait_log(r"token endpoint http://\S+/token, client_secret_post")
        # Without discovery the default is client_secret_basic, which this provider refuses:
        # so the method above was discovery's choice, and a refusal is a rejection (77).
        direct = self.oidc_daemon(client="post-client", start=False, **{
            "nacos.oidc_token_endpoint": idp.discovery()["token_endpoint"]})
        once = direct.run_once()
        self.assertEqual(once.returncode, 77, once.stderr)
        self.assertIn("HTTP 401, client credentials rejected: invalid_client: "
                      "\"client_secret_basic is not accepted here\"", once.stderr)

    def test_refresh_before_expires_in_every_token_active(self):
        idp = self.idp(ttl=4)
        d = self.oidc_daemon(idp)
        seen = []
        token = d.wait_token()
        for _ in range(3):
            claims = idp.assert_active(token)  # at once, while it is the published one
            seen.append(token)
            token = d.wait_token(timeout=8, different_from=token)
            # The next one arrived before the previous one expired (exp is its last second).
            self.assertLess(time.time(), claims["exp"] + 1)
        idp.assert_active(token)
        self.assertEqual(len(set(seen)), 3)
        self.assertNotIn("login failed", d.log())

    def test_wrong_secret_once_exits_77_and_the_daemon_says_why(self):
        idp = self.idp()
        wrong = os.path.join(self.dir, "wrong.secret")
        write_secret(wrong, "not-the-secret")
        d = self.oidc_daemon(idp, start=False, **{"nacos.oidc_client_secret_file": wrong})
        once = d.run_once()
        self.assertEqual(once.returncode, 77, once.stderr)
        self.assertIn("login as basic-client rejected: check the client id and secret: token "
                      "endpoint http://127.0.0.1:", once.stderr)
        self.assertIn("HTTP 401, client credentials rejected: invalid_client: "
                      "\"client authentication failed\"", once.stderr)
        self.assertNotIn("not-the-secret", once.stderr)
        self.assertIsNone(d.token())
        d.start()
        d.wait_log(r"<3>login as basic-client rejected")
        status, _, body = d.request()
        self.assertEqual(status, 503, body)
        self.assertNotIn("not-the-secret", d.log())

    def test_provider_down_past_expiry_and_back(self):
        idp = self.idp(ttl=3)
        d = self.oidc_daemon(idp)
        first = d.wait_token()
        idp.assert_active(first)
        port = idp.port
        idp.stop()
        # Past expiry: the file goes, the socket answers 503, the daemon keeps retrying.
        wait_until(lambda: d.token() is None, timeout=8, what="token file removed at expiry")
        self.assertEqual(d.request()[0], 503)
        d.wait_log(r"login failed: discovery http://127\.0\.0\.1:%d/\.well-known/"
                   r"openid-configuration: .*(refused|Connection)" % port)
        back = self.idp(ttl=30, port=port)  # same issuer, new signing key
        second = d.wait_token(timeout=10)
        self.assertNotEqual(first, second)
        back.assert_active(second)
        self.assertEqual(self.metadata(d)["accessToken"], second)

    def test_discovery_unreachable_but_token_endpoint_set(self):
        idp = self.idp(ttl=30)
        dead_issuer = f"http://127.0.0.1:{closed_port()}"
        d = self.oidc_daemon(start=False, **{
            "nacos.oidc_issuer": dead_issuer,
            "nacos.oidc_token_endpoint": idp.discovery()["token_endpoint"]})
        once = d.run_once()
        self.assertEqual(once.returncode, 0, once.stderr)
        idp.assert_active(d.token())
        self.assertNotIn("discovery", once.stderr)
        # The same without the token endpoint: discovery fails, nothing usable (69).
        d2 = self.oidc_daemon(start=False, **{"nacos.oidc_issuer": dead_issuer,
                                              "file.path": os.path.join(self.dir, "run", "t2")})
        once = d2.run_once()
        self.assertEqual(once.returncode, 69, once.stderr)
        self.assertIn(f"discovery {dead_issuer}/.well-known/openid-configuration: ", once.stderr)

    def test_token_endpoint_bounded_like_a_nacos_login(self):
        # A misbehaving token endpoint (fake-nacos's login path with its faults): the same
        # deadline, size cap and no-redirect rule as a Nacos login; each is a transient (69).
        bad = self.fake_nacos()
        d = self.oidc_daemon(start=False, **{
            "nacos.oidc_token_endpoint": f"{bad.url}{bad.context_path}/v3/auth/user/login",
            "nacos.request_timeout": "2s"})
        expected = {
            "hang": "no complete answer within nacos.request_timeout (2s)",
            "drip": "no complete answer within nacos.request_timeout (2s)",
            "huge": "bytes refused",
            "redirect": "HTTP 302, a redirect (not followed: the client secret stays here)",
            "500": "HTTP 500",
        }
        for fault, text in expected.items():
            with self.subTest(fault=fault):
                bad.fault(fault, count=1)
                start = time.monotonic()
                once = d.run_once()
                took = time.monotonic() - start
                self.assertEqual(once.returncode, 69, once.stderr)
                self.assertIn(text, once.stderr)
                self.assertLess(took, 4.5)
                self.assertNotIn(SECRETS["basic-client"], once.stderr)

    def test_opaque_token_is_active_by_introspection(self):
        idp = self.idp(ttl=30, audience=OPAQUE_AUDIENCE)
        d = self.oidc_daemon(idp)
        token = d.wait_token()
        self.assertEqual(token.count("."), 0)  # opaque: only expires_in gives its lifetime
        answer = idp.assert_active(token)
        self.assertEqual((answer["client_id"], answer["aud"]), ("basic-client", OPAQUE_AUDIENCE))
        self.assertTrue(25 <= self.metadata(d)["expiresIn"] <= 30)

    def test_forced_and_rejected_logins_and_restart_reuse(self):
        idp = self.idp(ttl=60)
        d = self.oidc_daemon(idp, **{"file.format": "json"})
        d.wait_token()
        d.wait_state()
        first = self.metadata(d)
        status, _, body = d.request("POST", "/v1/refresh")
        self.assertEqual(status, 200, body)
        forced = json.loads(body)
        self.assertNotEqual(forced["accessToken"], first["accessToken"])  # a new jti
        self.assertEqual(forced["generation"], first["generation"] + 1)
        idp.assert_active(forced["accessToken"])
        # "Nacos rejected this token": the current one causes a login, an old one does not.
        out = self.run_rejected(d, first["accessToken"])
        self.assertEqual(out["accessToken"], forced["accessToken"])
        out = self.run_rejected(d, forced["accessToken"])
        self.assertNotEqual(out["accessToken"], forced["accessToken"])
        idp.assert_active(out["accessToken"])
        self.assertEqual(d.stop(), 0)
        # A restart reuses the saved token without asking the provider.
        idp.stop()
        again = self.oidc_daemon(idp, **{"file.format": "json"})
        again.wait_log(r"reusing the token saved by the previous run")
        self.assertEqual(self.metadata(again)["accessToken"], out["accessToken"])
        self.assertEqual(self.metadata(again)["username"], "basic-client")

    def run_rejected(self, d, token: str) -> dict:
        conn = UnixHTTPConnection(d.socket_path, 30)
        try:
            conn.request("POST", "/v1/refresh", body=f"rejected={token}",
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
            response = conn.getresponse()
            body = response.read().decode()
            self.assertEqual(response.status, 200, body)
            return json.loads(body)
        finally:
            conn.close()

    def test_https_issuer_verified_against_ca_file(self):
        certs = make_certificates(self.dir)
        context = ssl.create_default_context(cafile=certs["ca"])
        idp = self.idp(ttl=30, tls_cert=certs["good"][0], tls_key=certs["good"][1],
                       ssl_context=context)
        idp.ca_file = certs["ca"]
        d = self.oidc_daemon(idp, start=False, **{"nacos.ca_file": certs["ca"]})
        once = d.run_once()
        self.assertEqual(once.returncode, 0, once.stderr)
        idp.assert_active(d.token())
        # A certificate for another name is refused: no secret is sent, nothing usable (69).
        bad = self.idp(tls_cert=certs["wrongname"][0], tls_key=certs["wrongname"][1],
                       ssl_context=ssl._create_unverified_context())
        d2 = self.oidc_daemon(bad, start=False, **{
            "nacos.ca_file": certs["ca"], "file.path": os.path.join(self.dir, "run", "t2")})
        once = d2.run_once()
        self.assertEqual(once.returncode, 69, once.stderr)
        self.assertIn("discovery https://127.0.0.1:", once.stderr)

    def test_secret_from_environment_and_named_identity_credential(self):
        idp = self.idp(ttl=30)
        env_daemon = self.oidc_daemon(idp, start=False, env={"IDP_SECRET": SECRETS["basic-client"]},
                                      **{"nacos.oidc_client_secret_file": None,
                                         "nacos.oidc_client_secret_env": "IDP_SECRET"})
        once = subprocess_run(env_daemon)
        self.assertEqual(once.returncode, 0, once.stderr)
        idp.assert_active(env_daemon.token())
        # [nacos:idp] with no secret key: the systemd credential nacos-oidc-secret-idp.
        creds = os.path.join(self.dir, "creds")
        os.mkdir(creds, 0o700)
        write_secret(os.path.join(creds, "nacos-oidc-secret-idp"), SECRETS["post-client"])
        named_file = os.path.join(self.dir, "run", "idp.token")
        named = self.daemon([], start=False, config_file=self.empty_ini, **{
            "nacos:idp.login": "oidc", "nacos:idp.oidc_issuer": idp.issuer,
            "nacos:idp.oidc_client_id": "post-client", "file:idp.path": named_file})
        for key in [k for k in named.defines if k.startswith(("nacos.", "file."))]:
            named.defines.pop(key)  # only the named identity
        named.env = {"CREDENTIALS_DIRECTORY": creds}
        once = subprocess_run(named)
        self.assertEqual(once.returncode, 0, once.stderr)
        self.assertEqual(idp.assert_active(read_file(named_file))["client_id"], "post-client")

    def test_reload_keeps_an_unchanged_identity_and_logs_in_for_a_new_secret(self):
        idp = self.idp(ttl=60)
        secret_file = os.path.join(self.dir, "rotating.secret")
        write_secret(secret_file, SECRETS["basic-client"])
        config = os.path.join(self.dir, "oidc.ini")
        write_secret(config, f"[nacos]\nlogin = oidc\noidc_issuer = {idp.issuer}\n"
                             f"oidc_client_id = basic-client\n"
                             f"oidc_client_secret_file = {secret_file}\n")
        d = self.oidc_daemon(start=False, **{"nacos.login": None, "nacos.oidc_client_id": None,
                                             "nacos.oidc_client_secret_file": None})
        d.config_file = config  # the oidc keys come from the file, which HUP reads again
        d.start()
        first = d.wait_token()
        d.signal(signal.SIGHUP)
        d.wait_log(r"configuration reloaded\n")
        self.assertEqual(d.token(), first)  # unchanged: no login
        self.assertNotIn("logging in again", d.log())
        # A wrong secret is a change: the daemon logs in with it and is refused; the token it
        # has stays served while valid.
        write_secret(secret_file, "rotated-but-wrong")
        d.signal(signal.SIGHUP)
        d.wait_log(r"configuration reloaded; logging in again with new credentials or servers "
                   r"for default")
        d.wait_log(r"<3>login as basic-client rejected")
        self.assertEqual(d.token(), first)
        write_secret(secret_file, SECRETS["basic-client"])
        d.signal(signal.SIGHUP)
        second = d.wait_token(different_from=first)
        idp.assert_active(second)
        self.assertNotIn("rotated-but-wrong", d.log())

    def test_check_config_names_the_missing_and_the_foreign_keys(self):
        d = self.oidc_daemon(start=False, **{"nacos.oidc_client_id": None,
                                             "nacos.oidc_client_secret_file": None,
                                             "nacos.username": "someone"})
        out = subprocess_run(d, ["--check-config"], env={"CREDENTIALS_DIRECTORY": ""})
        self.assertEqual(out.returncode, 78, out.stderr)
        self.assertIn("nacos.oidc_issuer: missing: the OpenID provider's issuer URL (or set "
                      "nacos.oidc_token_endpoint)", out.stderr)
        self.assertIn("nacos.oidc_client_id: missing", out.stderr)
        self.assertIn("nacos.username: is not used with nacos.login = oidc", out.stderr)
        self.assertNotIn("nacos.servers", out.stderr)
        d = self.oidc_daemon(start=False, **{"nacos.oidc_client_secret_file": None,
                                             "nacos.oidc_issuer": "https://idp.example"})
        out = subprocess_run(d, ["--check-config"], env={"CREDENTIALS_DIRECTORY": ""})
        self.assertEqual(out.returncode, 78, out.stderr)
        self.assertIn("no client secret source: set nacos.oidc_client_secret_file or "
                      "nacos.oidc_client_secret_env, or run under systemd with "
                      "LoadCredential=nacos-oidc-secret:", out.stderr)


def subprocess_run(d, extra=("--once",), env=None):
    full = dict(os.environ)
    full.update(d.env or {})
    full.update(env or {})
    return subprocess.run(d.command(list(extra)), capture_output=True, text=True, timeout=30,
                          env=full)


if __name__ == "__main__":
    main()
