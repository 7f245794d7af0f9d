"""Driver for the test OpenID provider (tests/oidc/provider.mjs, the oidc-provider package).
Standard library only.

    with OidcProvider(workdir, ttl=5) as idp:
        token = idp.client_credentials("basic-client")["access_token"]
        nacos = FakeNacos(binary, workdir, oidc_issuer=idp.issuer)

Needs tests/oidc/node_modules (tests/oidc/install.sh, which .ci/test runs). Without it start()
raises: the tests fail loudly instead of skipping. The provider exits when its stdin (a pipe
held by this driver) closes, when this process dies, after max_lifetime and on stop().
"""

from __future__ import annotations

import base64
import http.client
import itertools
import json
import os
import shutil
import ssl
import subprocess
import urllib.parse

from port_file_server import PortFileServer

OIDC_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "oidc")
JWT_AUDIENCE = "urn:nacos:api"          # Default resource: JWT access tokens.
OPAQUE_AUDIENCE = "urn:nacos:opaque"    # Opaque tokens, which introspection accepts.
DEFAULT_CLIENTS = (
    {"client_id": "basic-client", "client_secret": "basic-secret-0123456789",
     "token_endpoint_auth_method": "client_secret_basic"},
    {"client_id": "post-client", "client_secret": "post-secret-0123456789",
     "token_endpoint_auth_method": "client_secret_post"},
)
_ids = itertools.count(1)


def jwt_parts(token: str) -> tuple[dict, dict]:
    """(header, payload) of a JWS compact token, unverified."""
    def decode(part: str) -> dict:
        return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    header, payload, _ = token.split(".")
    return decode(header), decode(payload)


class OidcProvider(PortFileServer):
    what = "oidc provider"
    start_timeout = 15.0

    def __init__(self, workdir: str, clients=DEFAULT_CLIENTS, ttl: int = 300,
                 audience: str = JWT_AUDIENCE, max_lifetime: int = 300,
                 tls_cert: str | None = None, tls_key: str | None = None,
                 ssl_context: ssl.SSLContext | None = None, port: int = 0,
                 auth_methods: tuple[str, ...] = ()):
        self.workdir = workdir
        self.clients = {client["client_id"]: dict(client) for client in clients}
        self.ttl = ttl
        self.audience = audience
        self.max_lifetime = max_lifetime
        self.tls_cert, self.tls_key = tls_cert, tls_key
        self.ssl_context = ssl_context
        self.fixed_port = port  # 0: ephemeral; else listen there (a restart on the same issuer)
        self.auth_methods = tuple(auth_methods)  # () : both secret methods are advertised
        self.name = f"oidc-{os.getpid()}-{next(_ids)}"
        self.port_file = os.path.join(workdir, self.name + ".port")
        self.stderr_path = os.path.join(workdir, self.name + ".stderr")
        self.process: subprocess.Popen | None = None
        self.port: int | None = None

    @property
    def issuer(self) -> str:
        return f"{'https' if self.tls_cert else 'http'}://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        node = shutil.which("node")
        if not node:
            raise RuntimeError("node is not installed: run tests/oidc/install.sh")
        if not os.path.isdir(os.path.join(OIDC_DIR, "node_modules", "oidc-provider")):
            raise RuntimeError(f"{OIDC_DIR}/node_modules is missing: run tests/oidc/install.sh "
                               "(.ci/test does)")
        clients_file = os.path.join(self.workdir, self.name + ".clients.json")
        fd = os.open(clients_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(list(self.clients.values()), handle)
        args = [node, os.path.join(OIDC_DIR, "provider.mjs"), "--port-file", self.port_file,
                "--clients", clients_file, "--ttl", str(self.ttl), "--audience", self.audience,
                "--max-lifetime", str(self.max_lifetime)]
        if self.tls_cert:
            args += ["--tls-cert", self.tls_cert, "--tls-key", self.tls_key]
        if self.fixed_port:
            args += ["--port", str(self.fixed_port)]
        if self.auth_methods:
            args += ["--auth-methods", ",".join(self.auth_methods)]
        return args

    def start(self) -> "OidcProvider":
        """Starts it with its stdin a pipe: it exits when that closes (stop(), or this process
        dying)."""
        (self.port,) = self._launch(self.command(), [self.port_file], stdin=subprocess.PIPE,
                                    cwd=OIDC_DIR)
        return self

    # ----------------------------------------------------------------- HTTP

    def request(self, method: str, path: str, body: str | None = None,
                headers: dict | None = None, timeout: float = 10):
        """-> (status, headers lower-cased, body str)."""
        if self.tls_cert:
            connection = http.client.HTTPSConnection(
                "127.0.0.1", self.port, timeout=timeout,
                context=self.ssl_context or ssl._create_unverified_context())
        else:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            data = response.read().decode("utf-8", errors="replace")
            return (response.status,
                    {name.lower(): value for name, value in response.getheaders()}, data)
        finally:
            connection.close()

    def discovery(self) -> dict:
        status, _, body = self.request("GET", "/.well-known/openid-configuration")
        if status != 200:
            raise RuntimeError(f"discovery: {status} {body}")
        return json.loads(body)

    def _path(self, url: str) -> str:
        parsed = urllib.parse.urlsplit(url)
        return parsed.path + ("?" + parsed.query if parsed.query else "")

    def _client_post(self, endpoint: str, client_id: str, params: dict,
                     secret: str | None = None, method: str | None = None):
        client = self.clients[client_id]
        secret = client["client_secret"] if secret is None else secret
        method = method or client["token_endpoint_auth_method"]
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        params = dict(params)
        if method == "client_secret_basic":
            pair = f"{urllib.parse.quote(client_id)}:{urllib.parse.quote(secret)}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        else:
            params.update({"client_id": client_id, "client_secret": secret})
        status, _, body = self.request("POST", self._path(self.discovery()[endpoint]),
                                       body=urllib.parse.urlencode(params), headers=headers)
        return status, json.loads(body)

    def token_request(self, client_id: str, secret: str | None = None,
                      method: str | None = None, resource: str | None = None):
        """Client-credentials grant -> (status, JSON answer)."""
        params = {"grant_type": "client_credentials"}
        if resource:
            params["resource"] = resource
        return self._client_post("token_endpoint", client_id, params, secret, method)

    def client_credentials(self, client_id: str = "basic-client", **kwargs) -> dict:
        status, answer = self.token_request(client_id, **kwargs)
        if status != 200:
            raise RuntimeError(f"token request: {status} {answer}")
        return answer

    def introspect(self, token: str, client_id: str = "basic-client"):
        return self._client_post("introspection_endpoint", client_id, {"token": token})

    def verify_jwt(self, token: str, audience: str | None = None) -> dict:
        """Checks a JWT access token as a resource server does (tests/oidc/verify_jwt.mjs: jose,
        the provider's JWKS, iss, aud, typ, exp) and returns its claims; raises AssertionError
        with the reason when it does not verify."""
        args = [shutil.which("node") or "node", os.path.join(OIDC_DIR, "verify_jwt.mjs"),
                "--issuer", self.issuer, "--audience", audience or self.audience]
        env = dict(os.environ)
        if getattr(self, "ca_file", None):  # a private CA for an https issuer
            env["NODE_EXTRA_CA_CERTS"] = self.ca_file
        out = subprocess.run(args, input=token, capture_output=True, text=True, timeout=20,
                             cwd=OIDC_DIR, env=env)
        if out.returncode != 0:
            raise AssertionError(f"token does not verify against {self.issuer}: {out.stderr}")
        return json.loads(out.stdout)

    def assert_active(self, token: str, client_id: str = "basic-client") -> dict:
        """The provider's own word that `token` is live: a JWT verifies against its JWKS
        (oidc-provider does not introspect JWTs), an opaque token introspects active."""
        if token.count(".") == 2:
            return self.verify_jwt(token)
        status, answer = self.introspect(token, client_id)
        if status != 200 or answer.get("active") is not True:
            raise AssertionError(f"introspection says the token is not active: {status} {answer}")
        return answer
