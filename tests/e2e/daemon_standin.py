"""A stand-in for nacos-tokend's token socket, for testing nacos-token against the contract
(shared/interface.md: "The socket", "Forced logins", "Several identities", "Change
notification") where the real daemon does not serve it yet. Standard library only.

It answers exactly these requests, per identity:
  GET /v1/token[?format=json][&identity=NAME][&wait=D&after=G]   200 (X-Token-Generation) | 503
  POST /v1/refresh[?identity=NAME] [rejected=<token>]            200 metadata | 502
404 naming an unknown identity, 403 for one in `forbidden`, 405/404 otherwise. A request with
`wait` and `after` is held while the generation equals `after` and the token is valid, up to
`wait` (or `max_hold`, to play a daemon that does not hold). stop() drops held requests
without an answer, as a daemon that goes away does; start() again plays its restart with the
saved state (change `identities` in between to play a lost state).
"""

from __future__ import annotations

import http.server
import json
import os
import re
import socketserver
import threading
import time
import urllib.parse

JWT_HEADER = "eyJhbGciOiJIUzI1NiJ9."


def utc(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def parse_wait(text: str) -> float | None:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m|h)?", text)
    if not m:
        return None
    return float(m.group(1)) * {"ms": 0.001, "s": 1, None: 1, "m": 60, "h": 3600}[m.group(2)]


class Identity:
    """One identity's token. Times are wall-clock seconds."""

    def __init__(self, name: str, ttl: float = 3600, generation: int = 1, token: str | None = None,
                 valid: bool = True):
        self.name = name
        self.generation = generation
        self.token: str | None = None
        self.expires = 0.0
        self.obtained = 0.0
        self.reason = "login failed: HTTP 503 from http://127.0.0.1:1"
        self.refresh_ttl = 3600.0   # lifetime of the tokens a login gives
        self.refresh_fails = False  # a login fails: 502
        self.refresh_same = False   # a login gives the token already served
        self.logins = 0
        self._counter = 0
        if valid:
            self.set_token(token or self.new_token(), ttl, generation)

    def new_token(self) -> str:
        self._counter += 1
        return f"{JWT_HEADER}{self.name}-{self._counter}-{os.urandom(4).hex()}.sig"

    def set_token(self, token: str, ttl: float, generation: int) -> None:
        self.token, self.generation = token, generation
        self.obtained = time.time()
        self.expires = self.obtained + ttl

    def valid(self) -> bool:
        return self.token is not None and time.time() < self.expires

    def metadata(self) -> str:
        return json.dumps({
            "accessToken": self.token, "tokenType": "Bearer", "expiresAt": utc(self.expires),
            "expiresIn": max(0, int(self.expires - time.time())), "obtainedAt": utc(self.obtained),
            "username": "nacos", "server": "http://127.0.0.1:8848", "generation": self.generation,
            "identity": self.name}, separators=(",", ":"))


class DaemonStandIn:
    def __init__(self, socket_path: str, names: tuple[str, ...] = ("default",), **identity_args):
        self.socket_path = socket_path
        self.identities = {n: Identity(n, **identity_args) for n in names}
        self.forbidden: set[str] = set()
        self.max_hold: float | None = None  # cap on holding; 0: answers at once (no long poll)
        self.refresh_gate = threading.Event()  # cleared: POST /v1/refresh waits until set
        self.refresh_gate.set()
        self.requests: list[dict] = []
        self.cond = threading.Condition()
        self._server = None
        self._stopping = False
        self._epoch = 0  # moves at each stop: a request held by a stopped server never resumes

    # --- what tests do -------------------------------------------------------------
    def start(self) -> "DaemonStandIn":
        self._stopping = False
        standin = self

        class Handler(_Handler):
            owner = standin

        class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass  # a client that left early (a test killed it) is no error here

        if os.path.exists(self.socket_path):
            os.unlink(self.socket_path)
        self._server = Server(self.socket_path, Handler)
        self._server.epoch = self._epoch  # the connections it accepts end when it stops
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        return self

    def stop(self) -> None:
        """Goes away: held requests are dropped without an answer, the socket is removed."""
        if not self._server:
            return
        with self.cond:
            self._stopping = True
            self._epoch += 1
            self.cond.notify_all()
        self._server.shutdown()
        self._server.server_close()
        self._server = None
        if os.path.exists(self.socket_path):
            os.unlink(self.socket_path)

    def publish(self, name: str = "default", token: str | None = None, ttl: float = 3600,
                generation: int | None = None) -> str:
        """A new token (a new generation unless given), waking held requests."""
        with self.cond:
            ident = self.identities[name]
            token = token or ident.new_token()
            ident.set_token(token, ttl, ident.generation + 1 if generation is None else generation)
            self.cond.notify_all()
        return token

    def expire(self, name: str = "default") -> None:
        with self.cond:
            self.identities[name].token = None
            self.cond.notify_all()

    def count(self, method: str, path: str) -> int:
        with self.cond:
            return sum(1 for r in self.requests if r["method"] == method and r["path"] == path)

    def __enter__(self) -> "DaemonStandIn":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    owner: DaemonStandIn

    def log_message(self, *args) -> None:
        pass

    def answer(self, status: int, body: str, content_type: str = "text/plain",
               generation: int | None = None) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        if generation is not None:
            self.send_header("X-Token-Generation", str(generation))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)
        self.close_connection = True

    def record(self) -> tuple[str, dict, str]:
        url = urllib.parse.urlsplit(self.path)
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query, keep_blank_values=True).items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        with self.owner.cond:
            self.owner.requests.append({"method": self.command, "path": url.path, "query": query,
                                        "body": body, "headers": dict(self.headers.items())})
        return url.path, query, body

    def identity(self, query: dict) -> Identity | None:
        name = query.get("identity", "default")
        ident = self.owner.identities.get(name)
        if ident is None:
            self.answer(404, f"no identity '{name}'\n")
        elif name in self.owner.forbidden:
            self.answer(403, f"not allowed for identity '{name}'\n")
            return None
        return ident

    def do_GET(self) -> None:
        path, query, _ = self.record()
        if path != "/v1/token":
            return self.answer(404 if path != "/v1/refresh" else 405, "not found\n")
        ident = self.identity(query)
        if ident is None:
            return
        owner = self.owner
        if "wait" in query and "after" in query:
            wait = parse_wait(query["wait"])
            if wait is None or wait > 600:
                return self.answer(400, "wait must be a duration of at most 10 min\n")
            if owner.max_hold is not None:
                wait = min(wait, owner.max_hold)
            deadline = time.monotonic() + wait
            with owner.cond:
                # The epoch of the server that accepted this connection: once it stopped, the
                # request is dropped, even if a restart came before this thread woke.
                epoch = self.server.epoch
                while (owner._epoch == epoch and ident.valid()
                       and str(ident.generation) == query["after"] and time.monotonic() < deadline):
                    owner.cond.wait(min(0.05, max(0.0, deadline - time.monotonic())))
                if owner._epoch != epoch:
                    self.close_connection = True
                    return  # gone: no answer at all
        self.serve_token(ident, query.get("format") == "json")

    def serve_token(self, ident: Identity, as_json: bool) -> None:
        with self.owner.cond:
            if not ident.valid():
                return self.answer(503, f"no valid token: {ident.reason}\n")
            body, gen = (ident.metadata() if as_json else ident.token), ident.generation
        self.answer(200, body, "application/json" if as_json else "text/plain", gen)

    def do_POST(self) -> None:
        path, query, body = self.record()
        if path != "/v1/refresh":
            return self.answer(404 if path != "/v1/token" else 405, "not found\n")
        ident = self.identity(query)
        if ident is None:
            return
        self.owner.refresh_gate.wait(30)
        form = urllib.parse.parse_qs(body)
        rejected = form.get("rejected", [None])[0]
        with self.owner.cond:
            if rejected is not None and ident.valid() and rejected != ident.token:
                pass  # not the current token: the current one, no login
            elif ident.refresh_fails:
                ident.logins += 1
                return self.answer(502, json.dumps({"status": "failed", "reason": "login failed: "
                                                    "HTTP 503 from http://127.0.0.1:1"}),
                                   "application/json")
            else:
                ident.logins += 1
                same = ident.refresh_same and ident.token is not None
                token = ident.token if same else ident.new_token()
                ident.set_token(token, ident.refresh_ttl, ident.generation + (0 if same else 1))
                self.owner.cond.notify_all()
            body, gen = ident.metadata(), ident.generation
        self.answer(200, body, "application/json", gen)
