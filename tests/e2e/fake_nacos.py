"""Driver for the fake-nacos test server (tests/fake_nacos). Standard library only.

Typical use:

    with FakeNacos(binary, workdir, api="v1", flavor=2, ttl=3) as nacos:
        daemon_config["servers"] = [nacos.server_entry]
        nacos.fault("500", count=2)
        ...
        assert nacos.stats()["logins_with_token"] == 0

The process is killed on stop(), on leaving the `with` block and at interpreter exit; it also
exits by itself when its parent dies or after --max-lifetime (default 900 s).
"""

from __future__ import annotations

import hashlib
import http.client
import itertools
import json
import os
import ssl
import subprocess
import urllib.parse

from port_file_server import PortFileServer

V1_LOGIN = "/v1/auth/users/login"
V1_LOGIN_SHORT = "/v1/auth/login"
V3_LOGIN = "/v3/auth/user/login"
V1_API = "/v1/cs/configs"
V3_API = "/v3/admin/cs/config/list"
V1_CONFIGS = "/v1/cs/configs"
V1_LISTENER = "/v1/cs/configs/listener"
V3_CLIENT_CONFIG = "/v3/client/cs/config"
# Seeded by default so api_get() on the v1 config path finds something to return.
PROBE_DATA_ID = "probe"

# Keyword options that map 1:1 to "--name value" (underscores become hyphens).
_VALUE_OPTIONS = (
    "listen", "context_path", "api", "flavor", "user", "ttl", "ttl_mode", "secret",
    "tls_cert", "tls_key", "fault", "max_lifetime", "log", "fixed_now", "long_poll_min_ms",
    "oidc_issuer", "oidc_audience", "oidc_ca",
)
_instance_ids = itertools.count(1)


class FakeNacos(PortFileServer):
    """One fake-nacos process.

    Options (all optional): listen ("127.0.0.1:0"), context_path ("/nacos"), api
    ("both"|"v1"|"v3"), flavor (1|2|3), user, password (written to a 0600 file), ttl, ttl_mode
    ("remaining"|"configured"), cache (bool), unknown_user_500 (bool), secret (base64), tls_cert + tls_key (PEM paths),
    fault (mode), max_lifetime (s), log (path; default a file in workdir), fixed_now (epoch s,
    freezes the server clock), long_poll_min_ms (shortest listener hold; Nacos: 10000),
    oidc_issuer / oidc_audience (OIDC mode), seed_configs (dict dataId -> content in
    DEFAULT_GROUP of the public namespace; default {"probe": "probe"}), extra_args (list of raw
    arguments).
    """

    def __init__(self, binary: str, workdir: str, **options):
        self.binary = binary
        self.workdir = workdir
        self.options = dict(options)
        self.ssl_context: ssl.SSLContext | None = self.options.pop("ssl_context", None)
        self.name = f"fake-nacos-{os.getpid()}-{next(_instance_ids)}"
        self.process: subprocess.Popen | None = None
        self.port: int | None = None
        self.control_port: int | None = None
        self.log_path = self.options.get("log") or os.path.join(workdir, self.name + ".log")
        self.stderr_path = os.path.join(workdir, self.name + ".stderr")

    # ----------------------------------------------------------------- lifecycle

    @property
    def tls(self) -> bool:
        return bool(self.options.get("tls_cert"))

    @property
    def context_path(self) -> str:
        return str(self.options.get("context_path", "/nacos")).rstrip("/")

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    @property
    def server_entry(self) -> str:
        """Server list entry for the daemon: "127.0.0.1:PORT" or "https://127.0.0.1:PORT"."""
        entry = f"127.0.0.1:{self.port}"
        return "https://" + entry if self.tls else entry

    def command(self) -> list[str]:
        os.makedirs(self.workdir, exist_ok=True)
        port_file = os.path.join(self.workdir, self.name + ".port")
        control_file = os.path.join(self.workdir, self.name + ".control-port")
        args = [self.binary, "--port-file", port_file, "--control-port-file", control_file]
        options = dict(self.options)
        options.setdefault("log", self.log_path)
        if "password" in options:
            password_file = os.path.join(self.workdir, self.name + ".password")
            fd = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(str(options.pop("password")) + "\n")
            args += ["--password-file", password_file]
        if options.pop("cache", False):
            args.append("--cache")
        if options.pop("unknown_user_500", False):
            args.append("--unknown-user-500")
        for data_id, content in options.pop("seed_configs", {PROBE_DATA_ID: "probe"}).items():
            args += ["--seed-config", f"{data_id}={content}"]
        extra = list(options.pop("extra_args", []))
        for key in _VALUE_OPTIONS:
            if key in options and options[key] is not None:
                args += ["--" + key.replace("_", "-"), str(options.pop(key))]
            else:
                options.pop(key, None)
        if options:
            raise TypeError(f"unknown FakeNacos options: {sorted(options)}")
        return args + extra

    what = "fake-nacos"

    def start(self) -> "FakeNacos":
        args = self.command()
        self.port, self.control_port = self._launch(args, [args[2], args[4]])
        return self

    def log_text(self) -> str:
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as handle:
                return handle.read()
        except OSError:
            return ""

    # ----------------------------------------------------------------- control API

    def _control(self, method: str, path: str, params: dict | None = None) -> str:
        query = "?" + urllib.parse.urlencode(params) if params else ""
        connection = http.client.HTTPConnection("127.0.0.1", self.control_port, timeout=15)
        try:
            connection.request(method, path + query)
            response = connection.getresponse()
            body = response.read().decode("utf-8")
        finally:
            connection.close()
        if response.status != 200:
            raise RuntimeError(f"fake-nacos control {path}: {response.status} {body}")
        return body

    def fault(self, mode: str, count: int | None = None) -> None:
        """Arms a login fault; with count, only for the next `count` logins."""
        params = {"mode": mode}
        if count is not None:
            params["count"] = str(count)
        self._control("POST", "/_fake/fault", params)

    def set(self, **settings) -> None:
        """Changes ttl, cache, ttl_mode, secret, password, clock_offset(_ms) at runtime."""
        params = {}
        for key, value in settings.items():
            params[key] = ("1" if value else "0") if isinstance(value, bool) else str(value)
        self._control("POST", "/_fake/set", params)

    def stats(self) -> dict:
        return json.loads(self._control("GET", "/_fake/stats"))

    def reset_stats(self) -> None:
        """Resets the login/API counters and the config-API counters."""
        self._control("POST", "/_fake/reset-stats")

    def config_stats(self) -> dict:
        """Config-API counters: requests ("METHOD PATH STATUS" -> n), tokens_seen (fingerprint
        -> n, see token_fingerprint), token_carriers, without_token, last_request."""
        return json.loads(self._control("GET", "/_fake/config-stats"))

    def invalidate_tokens(self) -> None:
        """A new random secret key: every token issued so far is refused."""
        self._control("POST", "/_fake/invalidate-tokens")

    def deny(self, user: str = "*", tenant: str = "*", group: str = "*", data_id: str = "*",
             action: str = "rw") -> None:
        """Adds a permission rule: `user` may not read (r) and/or write (w) matching configs."""
        self._control("POST", "/_fake/deny", {"user": user, "tenant": tenant, "group": group,
                                              "data_id": data_id, "action": action})

    def allow_all(self) -> None:
        self._control("POST", "/_fake/allow-all")

    # ----------------------------------------------------------------- main listener

    def connection(self, timeout: float = 10,
                   ssl_context: ssl.SSLContext | None = None) -> http.client.HTTPConnection:
        """A new http.client connection to the main listener."""
        if self.tls:
            context = ssl_context or self.ssl_context or ssl._create_unverified_context()
            return http.client.HTTPSConnection(
                "127.0.0.1", self.port, timeout=timeout, context=context)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method: str, path: str, body: str | bytes | None = None,
                headers: dict | None = None, timeout: float = 10,
                ssl_context: ssl.SSLContext | None = None):
        """One request below the context path -> (status, headers dict lower-cased, body str)."""
        connection = self.connection(timeout=timeout, ssl_context=ssl_context)
        try:
            connection.request(method, self.context_path + path, body=body,
                               headers=headers or {})
            response = connection.getresponse()
            data = response.read().decode("utf-8", errors="replace")
            return (response.status,
                    {name.lower(): value for name, value in response.getheaders()}, data)
        finally:
            connection.close()

    def login(self, username: str = "nacos", password: str | None = "nacos",
              path: str = V3_LOGIN, headers: dict | None = None, **kwargs):
        """Logs in like the Java client: username in the query, password in a form body."""
        query = urllib.parse.urlencode({"username": username})
        body = None
        all_headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if password is not None:
            body = urllib.parse.urlencode({"password": password})
        all_headers.update(headers or {})
        return self.request("POST", f"{path}?{query}", body=body, headers=all_headers, **kwargs)

    def api_get(self, token: str, carrier: str = "bearer", path: str | None = None,
                ssl_context: ssl.SSLContext | None = None, timeout: float = 10):
        """Authenticated call to the protected API -> (status, body str).

        carrier: "bearer" (Authorization: Bearer), "param" (?accessToken=) or "header"
        (accessToken header). The path defaults to the v3 admin API, or the v1 one with api="v1".
        """
        if path is None:
            path = V1_API if self.options.get("api") == "v1" else V3_API
        query = {"dataId": "probe", "group": "DEFAULT_GROUP"}
        headers = {"Accept": "application/json"}
        if carrier == "bearer":
            headers["Authorization"] = "Bearer " + token
        elif carrier == "param":
            query["accessToken"] = token
        elif carrier == "header":
            headers["accessToken"] = token
        else:
            raise ValueError(f"unknown carrier {carrier}")
        status, _, body = self.request("GET", path + "?" + urllib.parse.urlencode(query),
                                       headers=headers, ssl_context=ssl_context, timeout=timeout)
        return status, body

    def publish_config(self, token: str | None, data_id: str, content: str,
                       headers: dict | None = None, **params):
        """POST /v1/cs/configs (form body; group, tenant, type in params), with
        Authorization: Bearer unless token is None -> (status, headers, body)."""
        all_headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if token is not None:
            all_headers["Authorization"] = "Bearer " + token
        all_headers.update(headers or {})
        body = urllib.parse.urlencode({"dataId": data_id, "content": content, **params})
        return self.request("POST", V1_CONFIGS, body=body, headers=all_headers)

    def get_config(self, token: str | None, data_id: str, headers: dict | None = None,
                   **params):
        """GET /v1/cs/configs?dataId=...(&group, tenant) -> (status, headers, body)."""
        all_headers = {"Authorization": "Bearer " + token} if token is not None else {}
        all_headers.update(headers or {})
        query = urllib.parse.urlencode({"dataId": data_id, **params})
        return self.request("GET", f"{V1_CONFIGS}?{query}", headers=all_headers)


def token_fingerprint(token: str) -> str:
    """The key fake-nacos uses for a token in config_stats()["tokens_seen"]."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def listening_configs(entries) -> str:
    """Listening-Configs value for [(dataId, group, md5[, tenant]), ...] (before form encoding)."""
    return "".join("\x02".join(entry) + "\x01" for entry in entries)


