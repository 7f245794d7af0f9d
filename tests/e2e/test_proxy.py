"""The Nacos proxy on a Unix socket: forwarding with the token injected, what is stripped and
what is refused, healing a rejected token, limits, streaming, long polls and failover."""

from __future__ import annotations

import hashlib
import http.client
import signal
import http.server
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_nacos import V1_CONFIGS, V1_LISTENER, listening_configs, token_fingerprint  # noqa: E402
from harness import (NOBODY, KeepAliveClient, TokendTestCase, UnixHTTPConnection, main,  # noqa: E402
                     read_file, wait_until, write_ini)

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


class ProxyTestCase(TokendTestCase):
    def start(self, nacos_list=None, **settings):
        self.nacos = nacos_list[-1] if nacos_list else self.fake_nacos(long_poll_min_ms=0)
        servers = [n if isinstance(n, str) else n.server_entry for n in (nacos_list or [self.nacos])]
        self.proxy_path = os.path.join(self.dir, "run", "nacos.sock")
        settings.setdefault("proxy__path", self.proxy_path)
        self.d = self.daemon(servers, **settings)
        self.d.wait_log("proxy for identity default on")
        self.token = self.d.wait_token()
        return self.d

    def conn(self, timeout: float = 10.0) -> UnixHTTPConnection:
        return UnixHTTPConnection(self.proxy_path, timeout=timeout)

    def call(self, method, target, body=None, headers=None, conn=None, timeout=10.0):
        c = conn or self.conn(timeout)
        try:
            c.request(method, "/nacos" + target, body=body, headers=headers or {})
            r = c.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            if conn is None:
                c.close()

    def publish(self, data_id, content, conn=None):
        body = urllib.parse.urlencode({"dataId": data_id, "group": "DEFAULT_GROUP",
                                       "content": content})
        return self.call("POST", V1_CONFIGS, body, FORM, conn=conn)

    def get(self, data_id, conn=None):
        return self.call("GET", f"{V1_CONFIGS}?dataId={data_id}&group=DEFAULT_GROUP", conn=conn)

    def config_requests(self) -> int:
        return sum(self.nacos.config_stats()["requests"].values())


class ForwardingTest(ProxyTestCase):
    def test_curl_get_injects_the_token_and_strips_identity_headers(self):
        self.start()
        out = subprocess.run(
            ["curl", "-sS", "--unix-socket", self.proxy_path, "-D", "-",
             "-H", "Authorization: Bearer forged", "-H", "accessToken: forged",
             "-H", "X-Forwarded-For: 10.9.9.9", "-H", "X-Real-IP: 10.9.9.9",
             "-H", "Connection: keep-alive, X-Secret-Hop", "-H", "X-Secret-Hop: 1",
             "http://nacos/nacos/v1/cs/configs?dataId=probe&group=DEFAULT_GROUP"],
            capture_output=True, text=True, timeout=20)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("200", out.stdout.splitlines()[0])
        self.assertTrue(out.stdout.endswith("probe"), out.stdout)
        last = self.nacos.config_stats()["last_request"]
        headers = {k.lower(): v for k, v in last["headers"]}
        self.assertEqual(headers["authorization"], "Bearer sha256:" + token_fingerprint(self.token))
        self.assertEqual(headers["host"], self.nacos.server_entry)
        for gone in ("accesstoken", "x-forwarded-for", "x-real-ip", "x-secret-hop", "connection"):
            self.assertNotIn(gone, headers)
        self.assertEqual(last["query"], "dataId=probe&group=DEFAULT_GROUP")

    def test_publish_and_get_on_one_keep_alive_connection(self):
        self.start()
        c = self.conn()
        status, _, body = self.publish("app.yaml", "a: 1\nb: ü", conn=c)
        self.assertEqual((status, body), (200, b"true"))
        status, headers, body = self.get("app.yaml", conn=c)
        self.assertEqual(status, 200)
        self.assertEqual(body.decode(), "a: 1\nb: ü")
        self.assertIn("content-md5", headers)
        status, _, body = self.get("missing", conn=c)
        self.assertEqual(status, 404)
        c.close()

    def test_identity_parameters_are_refused_before_anything_is_sent(self):
        self.start()
        before = self.config_requests()
        for target in (f"{V1_CONFIGS}?dataId=probe&accessToken=x",
                       f"{V1_CONFIGS}?dataId=probe&%41CCESSTOKEN=x",
                       f"{V1_CONFIGS}?Username=u&dataId=probe",
                       f"{V1_CONFIGS}?dataId=probe&authorization=Bearer+x"):
            status, headers, body = self.call("GET", target)
            self.assertEqual(status, 400, target)
            self.assertEqual(headers.get("x-nacos-tokend-error"), "1")
            self.assertEqual(headers.get("content-type"), "text/plain; charset=utf-8")
            self.assertIn(b"identity parameter", body)
        body = urllib.parse.urlencode({"dataId": "x", "content": "y", "password": "p"})
        status, headers, text = self.call("POST", V1_CONFIGS, body, FORM)
        self.assertEqual(status, 400)
        self.assertIn(b"'password'", text)
        self.assertEqual(self.config_requests(), before, "a refused request reached Nacos")

    def test_chunked_request_body(self):
        self.start()
        body = urllib.parse.urlencode({"dataId": "chunky", "content": "x" * 50000})
        c = self.conn()
        c.putrequest("POST", "/nacos" + V1_CONFIGS)
        c.putheader("Content-Type", FORM["Content-Type"])
        c.putheader("Transfer-Encoding", "chunked")
        c.endheaders()
        data = body.encode()
        for i in range(0, len(data), 7000):
            piece = data[i:i + 7000]
            c.send(b"%x\r\n%s\r\n" % (len(piece), piece))
        c.send(b"0\r\n\r\n")
        r = c.getresponse()
        self.assertEqual((r.status, r.read()), (200, b"true"))
        status, _, content = self.get("chunky", conn=c)
        self.assertEqual(content, b"x" * 50000)
        c.close()

    def test_limits(self):
        self.start()
        before = self.config_requests()
        s = socket.socket(socket.AF_UNIX)
        s.connect(self.proxy_path)
        s.sendall(b"POST /nacos/v1/cs/configs HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Length: 40000000\r\n\r\n")
        answer = s.recv(4096)
        self.assertTrue(answer.startswith(b"HTTP/1.1 413 "), answer)
        self.assertIn(b"X-Nacos-Tokend-Error: 1", answer)
        s.close()
        status, _, _ = self.call("GET", V1_CONFIGS + "?dataId=probe",
                                 headers={"X-Big": "a" * 17000})
        self.assertEqual(status, 431)
        self.assertEqual(self.config_requests(), before)

    def test_ten_mib_config_round_trip_is_streamed(self):
        self.start()
        def peak_kib():
            with open(f"/proc/{self.d.pid}/status") as f:
                return int(next(l for l in f if l.startswith("VmHWM:")).split()[1])
        self.get("probe")
        before = peak_kib()
        content = (hashlib.sha256(b"seed").hexdigest() * (10 * 1024 * 1024 // 64))
        self.assertEqual(len(content), 10 * 1024 * 1024)
        status, _, body = self.publish("big", content)
        self.assertEqual((status, body), (200, b"true"))
        status, _, body = self.get("big")
        self.assertEqual(status, 200)
        self.assertEqual(hashlib.sha256(body).hexdigest(),
                         hashlib.sha256(content.encode()).hexdigest())
        # A slow reader: the answer waits in the proxy only as far as its buffer bound.
        c = self.conn()
        c.request("GET", f"/nacos{V1_CONFIGS}?dataId=big&group=DEFAULT_GROUP")
        r = c.getresponse()
        digest = hashlib.sha256()
        while chunk := r.read(64 * 1024):
            digest.update(chunk)
            time.sleep(0.004)
        c.close()
        self.assertEqual(digest.hexdigest(), hashlib.sha256(content.encode()).hexdigest())
        # Thrice 10 MiB went through; held whole, the peak would have grown by that much.
        # (ASan's quarantine keeps freed memory resident: memory is measured in plain builds.)
        if not os.environ.get("TOKEND_SANITIZED"):
            self.assertLess(peak_kib() - before, 5 * 1024, "the proxy held a body whole")

    def test_upstream_connections_are_pooled_across_callers(self):
        self.start()

        def upstream(state):
            return subprocess.run(["ss", "-Htn", "state", state, "dst",
                                   f"127.0.0.1:{self.nacos.port}"],
                                  capture_output=True, text=True, check=True).stdout.splitlines()

        closed_before = set(upstream("time-wait"))  # the daemon's login, maybe
        for _ in range(20):  # a new caller connection each time
            self.assertEqual(self.get("probe")[0], 200)
        # One pooled connection per event loop at most, none closed after use.
        self.assertIn(len(upstream("established")), (1, 2))
        self.assertEqual(set(upstream("time-wait")) - closed_before, set())

    def test_failover_to_the_next_server(self):
        dead = socket.socket()
        dead.bind(("127.0.0.1", 0))
        dead_entry = f"127.0.0.1:{dead.getsockname()[1]}"
        dead.close()  # nobody listens there: connection refused
        nacos = self.fake_nacos(long_poll_min_ms=0)
        self.start([dead_entry, nacos])
        status, _, body = self.get("probe")
        self.assertEqual((status, body), (200, b"probe"))

    def test_no_token_is_503_and_nothing_is_sent(self):
        self.nacos = self.fake_nacos(fault="down")
        self.proxy_path = os.path.join(self.dir, "run", "nacos.sock")
        self.daemon([self.nacos.server_entry], proxy__path=self.proxy_path)
        wait_until(lambda: os.path.exists(self.proxy_path), what="the proxy socket")
        time.sleep(0.2)
        status, headers, body = self.get("probe")
        self.assertEqual(status, 503)
        self.assertEqual(headers.get("x-nacos-tokend-error"), "1")

    def test_second_uid_is_refused(self):
        os.chmod(self.dir, 0o711)
        self.start(proxy__mode="0666", proxy__allow_users="12345", proxy__allow_groups="4242")
        os.chmod(os.path.dirname(self.proxy_path), 0o755)

        def curl_as(*ids):
            return subprocess.run(
                ["setpriv", *ids, "curl", "-sS", "-o", "-", "-w", "\n%{http_code}",
                 "--unix-socket", self.proxy_path,
                 "http://nacos/nacos/v1/cs/configs?dataId=probe"],
                capture_output=True, text=True, timeout=10)

        before = self.config_requests()
        refused = curl_as(f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups")
        self.assertEqual(refused.stdout.splitlines()[-1], "403", refused.stderr)
        self.assertEqual(self.config_requests(), before, "a refused peer's request was sent")
        self.d.wait_log(rf"proxy: refused a client: uid {NOBODY} gid {NOBODY}")
        by_user = curl_as("--reuid=12345", f"--regid={NOBODY}", "--clear-groups")
        self.assertEqual(by_user.stdout.splitlines(), ["probe", "200"])
        by_group = curl_as(f"--reuid={NOBODY}", f"--regid={NOBODY}", "--groups=4242")
        self.assertEqual(by_group.stdout.splitlines(), ["probe", "200"])


class FramingUpstream(http.server.BaseHTTPRequestHandler):
    """A minimal Nacos stand-in for answer framings fake-nacos does not use: logins succeed
    with a plain token; /nacos/chunked answers chunked, /nacos/close until the connection
    closes; both echo the Authorization they got."""
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        body = json.dumps({"accessToken": "plain-token-" + "x" * 20, "tokenTtl": 18000,
                           "globalAdmin": False, "username": "nacos"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        seen = self.headers.get("Authorization", "").encode()
        if self.path == "/nacos/slow":
            time.sleep(2.5)
        if self.path == "/nacos/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for piece in (b"part1;", seen, b";" + b"y" * 300000):
                self.wfile.write(b"%x;ext=1\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\nX-Trailer: t\r\n\r\n")
        else:
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"until-close;" + seen)
            self.close_connection = True


class HostNameTest(ProxyTestCase):
    def test_a_server_given_by_name_is_looked_up_and_reached(self):
        # The proxy's resolver thread looks "localhost" up; the event loop only reads its answer.
        nacos = self.fake_nacos(long_poll_min_ms=0)
        self.start([f"localhost:{nacos.port}"])
        self.nacos = nacos
        for _ in range(3):
            status, _, body = self.get("probe")
            self.assertEqual((status, body), (200, b"probe"))
        self.assertEqual(nacos.config_stats()["tokens_seen"],
                         {token_fingerprint(self.token): 3})
        self.assertNotIn("cannot resolve", self.d.log())


class AnswerFramingTest(ProxyTestCase):
    def setUp(self):
        super().setUp()
        self.upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FramingUpstream)
        self.addCleanup(self.upstream.server_close)
        self.addCleanup(self.upstream.shutdown)
        threading.Thread(target=self.upstream.serve_forever, daemon=True).start()
        self.entry = f"127.0.0.1:{self.upstream.server_address[1]}"

    def test_chunked_and_until_close_answers(self):
        self.start([self.entry])
        c = self.conn()
        status, headers, body = self.call("GET", "/chunked", conn=c)
        self.assertEqual(status, 200)
        self.assertEqual(headers.get("transfer-encoding"), "chunked")
        self.assertEqual(body, b"part1;Bearer " + self.token.encode() + b";" + b"y" * 300000)
        status, headers, body = self.call("GET", "/close", conn=c)  # same connection
        self.assertEqual((status, body), (200, b"until-close;Bearer " + self.token.encode()))
        self.assertEqual(headers.get("connection"), "close")
        c.close()

    def test_http_1_0_caller_gets_the_chunked_answer_without_framing(self):
        self.start([self.entry])
        s = socket.socket(socket.AF_UNIX)
        s.connect(self.proxy_path)
        self.addCleanup(s.close)
        s.sendall(b"GET /nacos/chunked HTTP/1.0\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        self.assertNotIn(b"Transfer-Encoding", head)
        self.assertEqual(body, b"part1;Bearer " + self.token.encode() + b";" + b"y" * 300000)


    def test_an_exchange_past_the_timeout_gets_504(self):
        self.start([self.entry], proxy__timeout="1s")
        started = time.monotonic()
        status, headers, body = self.call("GET", "/slow")
        self.assertEqual(status, 504)
        self.assertEqual(headers.get("x-nacos-tokend-error"), "1")
        self.assertLess(time.monotonic() - started, 2.4)


class SlowCallerTest(ProxyTestCase):
    def test_slow_and_silent_callers_are_dropped(self):
        self.start()
        slow = socket.socket(socket.AF_UNIX)
        silent = socket.socket(socket.AF_UNIX)
        self.addCleanup(slow.close)
        self.addCleanup(silent.close)
        slow.connect(self.proxy_path)
        silent.connect(self.proxy_path)
        slow.settimeout(10)
        silent.settimeout(10)
        started = time.monotonic()
        slow.sendall(b"GET /nacos/v1/cs/configs?dataId=probe HTTP/1.1\r\n")
        for _ in range(5):
            time.sleep(0.5)
            slow.sendall(b"X-Drip: 1\r\n")
        answer = slow.recv(4096)
        self.assertTrue(answer.startswith(b"HTTP/1.1 408 "), answer)
        self.assertEqual(silent.recv(4096), b"")  # closed without a word
        self.assertLess(time.monotonic() - started, 6)


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class TcpListenerTest(ProxyTestCase):
    def test_tcp_callers_are_told_apart_by_the_owner_of_their_socket(self):
        port = free_port()
        nogroup = 65534
        self.start(proxy__listen=f"127.0.0.1:{port}", proxy__allow_users="4321",
                   proxy__allow_groups=str(nogroup))
        # A Python client (root may always).
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        for _ in range(2):  # keep-alive
            c.request("GET", f"/nacos{V1_CONFIGS}?dataId=probe")
            r = c.getresponse()
            self.assertEqual((r.status, r.read()), (200, b"probe"))
        c.close()

        def curl_as(*ids):
            return subprocess.run(
                ["setpriv", *ids, "--clear-groups", "curl", "-sS", "-o", "-", "-w",
                 "\n%{http_code}", f"http://127.0.0.1:{port}/nacos{V1_CONFIGS}?dataId=probe"],
                capture_output=True, text=True, timeout=10)

        before = self.config_requests()
        # uid 12345 has no account, so no groups: not listed, refused.
        refused = curl_as("--reuid=12345", "--regid=12345")
        self.assertEqual(refused.stdout.splitlines()[-1], "403", refused.stderr)
        self.assertIn("X-Nacos-Tokend-Error", subprocess.run(
            ["setpriv", "--reuid=12345", "--regid=12345", "--clear-groups", "curl", "-sSI",
             f"http://127.0.0.1:{port}/nacos{V1_CONFIGS}?dataId=probe"],
            capture_output=True, text=True, timeout=10).stdout)
        self.assertEqual(self.config_requests(), before, "a refused peer's request was sent")
        self.d.wait_log(r"proxy: refused a client: uid 12345 ")
        # Listed by uid.
        self.assertEqual(curl_as("--reuid=4321", "--regid=4321").stdout.splitlines(),
                         ["probe", "200"])
        # nobody: allowed through its group in the group database (not the process's groups).
        self.assertEqual(curl_as(f"--reuid={NOBODY}", f"--regid=1").stdout.splitlines(),
                         ["probe", "200"])


class IdentitiesTest(ProxyTestCase):
    def test_a_proxy_per_identity(self):
        a = self.fake_nacos(long_poll_min_ms=0)
        b = self.fake_nacos(long_poll_min_ms=0)
        staging_sock = os.path.join(self.dir, "run", "staging.sock")
        staging_token = os.path.join(self.dir, "run", "staging.token")
        self.nacos = a
        self.start([a], **{"nacos:staging__servers": b.server_entry,
                           "nacos:staging__username": "nacos",
                           "nacos:staging__password_file": self.password_file,
                           "file:staging__path": staging_token,
                           "proxy:staging__path": staging_sock})
        wait_until(lambda: os.path.exists(staging_sock) and os.path.exists(staging_token),
                   what="the staging proxy and token")
        self.assertEqual(self.get("probe")[0], 200)
        c = UnixHTTPConnection(staging_sock)
        c.request("GET", f"/nacos{V1_CONFIGS}?dataId=probe")
        r = c.getresponse()
        self.assertEqual((r.status, r.read()), (200, b"probe"))
        c.close()
        with open(staging_token) as f:
            token_b = f.read()
        seen_a = a.config_stats()["tokens_seen"]
        seen_b = b.config_stats()["tokens_seen"]
        self.assertEqual(list(seen_a), [token_fingerprint(self.token)])
        self.assertEqual(list(seen_b), [token_fingerprint(token_b)])

    def test_a_reload_moves_the_proxy_to_new_servers(self):
        a = self.fake_nacos(long_poll_min_ms=0)
        b = self.fake_nacos(long_poll_min_ms=0)
        ini = os.path.join(self.dir, "tokend.ini")
        with open(ini, "w") as f:
            f.write(f"[nacos]\nservers = {a.server_entry}\n")
        self.nacos = a
        self.proxy_path = os.path.join(self.dir, "run", "nacos.sock")
        d = self.daemon([a.server_entry], start=False, config_file=ini,
                        proxy__path=self.proxy_path)
        del d.defines["nacos.servers"]  # from the file, so that a reload can change them
        d.start()
        d.wait_log("proxy for identity default on")
        d.wait_token()  # the proxy answers 503 until the first token
        self.assertEqual(self.get("probe")[0], 200)
        # Two callers keep their connections (and so the proxy its connections to a) open
        # across the reload.
        kept, closing = self.conn(), self.conn()
        for c in (kept, closing):
            self.assertEqual(self.get("probe", conn=c)[0], 200)
        with open(ini, "w") as f:
            f.write(f"[nacos]\nservers = {b.server_entry}\n")
        d.signal(signal.SIGHUP)
        d.wait_log("configuration reloaded")
        wait_until(lambda: b.stats()["login_ok"] >= 1, what="the login on the new server")
        # One leaves: its connection to a goes back to the pool, under a, not under b.
        closing.close()
        time.sleep(0.2)
        before = sum(a.config_stats()["requests"].values())
        self.assertEqual(self.get("probe")[0], 200)  # a new caller
        self.assertEqual(self.get("probe", conn=kept)[0], 200)  # the one that stayed
        kept.close()
        self.assertEqual(sum(a.config_stats()["requests"].values()), before, "nothing to a")
        self.assertGreaterEqual(sum(b.config_stats()["requests"].values()), 2)


class ProxyReloadTest(ProxyTestCase):
    def write_ini(self, proxy: dict | None) -> None:
        sections = {"nacos": {"servers": self.nacos.server_entry}}
        write_ini(self.ini, sections if proxy is None else {**sections, "proxy": proxy})

    def reload(self, expect: str) -> None:
        """HUP, then waits until that reload ended (each ends with one of two lines, and the
        previous one has ended), and checks it logged `expect`."""
        done = r"<6>configuration reloaded|<3>reload failed"
        before = self.d.log()
        self.d.signal(signal.SIGHUP)
        log = self.d.wait_log(done, count=len(re.findall(done, before)) + 1)
        self.assertRegex(log[len(before):], expect)

    def as_nobody(self, path: str) -> str:
        client = KeepAliveClient(NOBODY, path, f"/nacos{V1_CONFIGS}?dataId=probe")
        try:
            return client.answer().split()[0]
        finally:
            client.close()

    def test_a_reload_adds_narrows_and_removes_the_proxy(self):
        self.nacos = self.fake_nacos(long_poll_min_ms=0)
        self.ini = os.path.join(self.dir, "tokend.ini")
        self.proxy_path = os.path.join(self.dir, "run", "nacos.sock")
        self.write_ini(None)
        d = self.d = self.daemon([self.nacos.server_entry], start=False, config_file=self.ini)
        del d.defines["nacos.servers"]  # from the file
        d.start()
        d.wait_token()
        os.chmod(self.dir, 0o711)
        os.chmod(os.path.dirname(self.proxy_path), 0o755)
        self.assertFalse(os.path.exists(self.proxy_path))

        # A new section that cannot be bound fails the whole reload and changes nothing.
        elsewhere = os.path.join(self.dir, "no-such-dir", "nacos.sock")
        self.write_ini({"path": elsewhere})
        self.reload("reload failed; the previous configuration stays in force")
        self.assertEqual(self.d.request()[0], 200)

        # Added by a reload: bound and serving, root and nobody allowed.
        open_to_nobody = {"path": self.proxy_path, "mode": "0666", "allow_users": f"0, {NOBODY}"}
        self.write_ini(open_to_nobody)
        self.reload("proxy for identity default on " + self.proxy_path)
        self.assertEqual(self.get("probe")[0], 200)
        self.assertEqual(self.as_nobody(self.proxy_path), "200")

        # A long poll of nobody's that Nacos holds when the reload comes, and a connection of
        # nobody's kept open.
        listening = urllib.parse.urlencode(
            {"Listening-Configs": listening_configs([("probe", "DEFAULT_GROUP", md5("probe"))])})
        poll = subprocess.Popen(
            ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "curl", "-s",
             "-o", "/dev/null", "-w", "%{http_code}", "--unix-socket", self.proxy_path,
             "-H", "Long-Pulling-Timeout: 30000", "--data", listening,
             f"http://localhost/nacos{V1_LISTENER}"], stdout=subprocess.PIPE, text=True)
        self.addCleanup(poll.kill)
        wait_until(lambda: "long poll held" in self.nacos.log_text(), what="the poll held")
        held = KeepAliveClient(NOBODY, self.proxy_path, f"/nacos{V1_CONFIGS}?dataId=probe",
                               f"/nacos{V1_CONFIGS}?dataId=probe")
        self.addCleanup(held.close)
        self.assertEqual(held.answer().split()[0], "200")

        # Narrowed: nobody is refused, on a new connection, on the one it kept open, and in the
        # exchange it had under way.
        self.write_ini({**open_to_nobody, "allow_users": "0"})
        self.reload("configuration reloaded")
        self.assertEqual(poll.communicate(timeout=5)[0], "403")
        self.assertEqual(self.as_nobody(self.proxy_path), "403")
        self.assertEqual(held.next().split()[0], "403")
        self.assertEqual(self.get("probe")[0], 200, "root still may")

        # A new path: bound before the commit, with the rest of the section; the old one goes.
        moved = os.path.join(self.dir, "run", "moved.sock")
        self.write_ini({**open_to_nobody, "path": moved})
        self.reload(r"proxy for identity default stopped \(its section has a new path or listen "
                    r"address\)[\s\S]*proxy for identity default on " + re.escape(moved))
        self.assertFalse(os.path.exists(self.proxy_path))
        self.assertEqual(self.as_nobody(moved), "200", "allow_users applied")

        # A new path that cannot be bound fails the reload; the proxy goes on where it was.
        self.write_ini({**open_to_nobody, "path": elsewhere})
        self.reload("reload failed; the previous configuration stays in force")
        self.assertEqual(self.as_nobody(moved), "200")

        # Removed: stopped, its socket file gone.
        self.write_ini(None)
        self.reload(r"proxy for identity default stopped \(its section was removed\)")
        wait_until(lambda: not os.path.exists(moved), what="the proxy socket removed")
        self.assertEqual(self.d.request()[0], 200, "the token socket is unaffected")

    def test_a_reload_hands_a_path_to_another_section_and_keeps_a_listen_address(self):
        # [proxy] moves to a new path while keeping its TCP address, and [proxy:staging] takes
        # the path [proxy] had: both are addresses the running proxy holds until it stops.
        a = self.fake_nacos(long_poll_min_ms=0)
        b = self.fake_nacos(long_poll_min_ms=0)
        self.ini = os.path.join(self.dir, "tokend.ini")
        run = os.path.join(self.dir, "run")
        first, second = os.path.join(run, "first.sock"), os.path.join(run, "second.sock")
        listen = f"127.0.0.1:{free_port()}"
        identities = {"nacos": {"servers": a.server_entry},
                      "nacos:staging": {"servers": b.server_entry, "username": "nacos",
                                        "password_file": self.password_file},
                      "file:staging": {"path": os.path.join(run, "staging.token")}}
        write_ini(self.ini, {**identities, "proxy": {"path": first, "listen": listen}})
        d = self.d = self.daemon([a.server_entry], start=False, config_file=self.ini)
        del d.defines["nacos.servers"]
        d.start()
        d.wait_log("proxy for identity default on")
        token_a = d.wait_token()

        # A new path that cannot be bound fails the reload, the kept listen address too.
        write_ini(self.ini, {**identities, "proxy": {"path": os.path.join(run, "no", "x.sock"),
                                                     "listen": listen}})
        self.reload("reload failed; the previous configuration stays in force")
        self.assertTrue(os.path.exists(first))

        write_ini(self.ini, {**identities, "proxy": {"path": second, "listen": listen},
                             "proxy:staging": {"path": first}})
        before = d.log()
        self.reload(r"proxy for identity default stopped \(its section has a new path")
        log = d.wait_log(r"proxy for identity default on .*second\.sock")[len(before):]
        self.assertIn("proxy for identity staging on " + first, log)
        self.assertNotRegex(log, r"<[0-3]>")
        token_b = wait_until(lambda: read_file(os.path.join(run, "staging.token")),
                             what="the staging token")
        probe = f"/nacos{V1_CONFIGS}?dataId=probe"
        for where in (first, second, f"tcp:{listen}"):
            client = KeepAliveClient(0, where, probe)
            try:
                self.assertEqual(client.answer().split()[0], "200", where)
            finally:
                client.close()
        self.assertEqual(set(b.config_stats()["tokens_seen"]), {token_fingerprint(token_b)},
                         "the first path now serves staging")
        self.assertEqual(set(a.config_stats()["tokens_seen"]), {token_fingerprint(token_a)})
        self.assertEqual(a.config_stats()["requests"].get(f"GET /nacos{V1_CONFIGS} 200"), 2,
                         "the new path and the kept listen address serve default")


    def test_a_reload_that_lists_groups_waits_for_a_tcp_callers_groups(self):
        # A TCP caller's groups come from the user database, looked up off the event loop; a
        # reload that starts deciding by group makes a kept-open connection wait for them.
        self.nacos = self.fake_nacos(long_poll_min_ms=0)
        self.ini = os.path.join(self.dir, "tokend.ini")
        port = free_port()
        by_uid = {"listen": f"127.0.0.1:{port}", "allow_users": f"0, {NOBODY}"}
        self.write_ini(by_uid)
        d = self.d = self.daemon([self.nacos.server_entry], start=False, config_file=self.ini)
        del d.defines["nacos.servers"]
        d.start()
        d.wait_log("proxy for identity default on 127.0.0.1:")
        d.wait_token()
        probe = f"/nacos{V1_CONFIGS}?dataId=probe"
        held = KeepAliveClient(NOBODY, f"tcp:127.0.0.1:{port}", probe, probe, probe)
        self.addCleanup(held.close)
        self.assertEqual(held.answer().split()[0], "200", "allowed by uid")

        nogroup = 65534  # nobody's primary group in the group database
        self.write_ini({**by_uid, "allow_users": "0", "allow_groups": str(nogroup)})
        self.reload("configuration reloaded")
        self.assertEqual(held.next().split()[0], "200", "allowed by its group, once looked up")

        self.write_ini({**by_uid, "allow_users": "0", "allow_groups": "4242"})
        self.reload("configuration reloaded")
        self.assertEqual(held.next().split()[0], "403")


class HealingTest(ProxyTestCase):
    def logins(self) -> int:
        return self.nacos.stats()["login_ok"]

    def test_revoked_token_is_healed_for_get_and_small_post(self):
        self.start()
        before = self.logins()
        self.nacos.invalidate_tokens()
        status, _, body = self.get("probe")
        self.assertEqual((status, body), (200, b"probe"))
        self.assertEqual(self.logins(), before + 1)
        self.d.wait_log("healed with generation")
        new_token = self.d.wait_token(different_from=self.token)
        self.nacos.invalidate_tokens()
        status, _, body = self.publish("after", "healed")
        self.assertEqual((status, body), (200, b"true"))
        self.assertEqual(self.logins(), before + 2)
        self.d.wait_token(different_from=new_token)
        status, _, body = self.get("after")
        self.assertEqual(body, b"healed")
        _, _, metrics = self.d.request("GET", "/metrics")
        self.assertIn('nacos_tokend_proxy_relogins_total{identity="default"} 2', metrics)
        self.assertRegex(metrics, r'nacos_tokend_proxy_requests_total\{identity="default",'
                                  r'code="200"\} [3-9]')

    def test_twenty_concurrent_callers_cause_one_login(self):
        self.start()
        before = self.logins()
        self.nacos.invalidate_tokens()
        results = []

        def one():
            results.append(self.get("probe")[:3:2])

        threads = [threading.Thread(target=one) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(results, [(200, b"probe")] * 20)
        self.assertEqual(self.logins(), before + 1)
        self.assertEqual(self.d.log().count("healed with generation"), 1, "one line per token")

    def test_large_post_after_revocation_gets_the_403(self):
        self.start()
        before = self.logins()
        self.nacos.invalidate_tokens()
        status, headers, body = self.publish("large", "z" * (2 * 1024 * 1024))
        self.assertEqual(status, 403)
        self.assertNotIn("x-nacos-tokend-error", headers)  # Nacos's answer, handed back
        wait_until(lambda: self.logins() == before + 1, what="the healing login")
        self.d.wait_token(different_from=self.token)
        status, _, body = self.publish("large", "z" * (2 * 1024 * 1024))
        self.assertEqual((status, body), (200, b"true"))

    def test_permission_403_is_not_retried(self):
        self.start()
        before = self.logins()
        self.nacos.deny(data_id="secret")
        status, _, body = self.get("secret")
        self.assertEqual(status, 403)
        self.assertIn(b"authorization failed", body)
        time.sleep(0.3)
        self.assertEqual(self.logins(), before)


class LongPollTest(ProxyTestCase):
    def test_long_poll_outlives_the_timeout(self):
        self.start(proxy__timeout="1s")
        body = urllib.parse.urlencode(
            {"Listening-Configs": listening_configs([("probe", "DEFAULT_GROUP", md5("probe"))])})
        started = time.monotonic()
        status, _, answer = self.call("POST", V1_LISTENER, body,
                                      {**FORM, "Long-Pulling-Timeout": "2500"}, timeout=20)
        took = time.monotonic() - started
        self.assertEqual(status, 200)
        self.assertEqual(answer, b"")
        self.assertGreater(took, 1.5)

    def test_long_poll_answers_on_a_change(self):
        self.start(proxy__timeout="1s")
        body = urllib.parse.urlencode(
            {"Listening-Configs": listening_configs([("probe", "DEFAULT_GROUP", md5("probe"))])})
        self.nacos.set(long_poll_min_ms=10000)
        result = {}

        def poll():
            result["r"] = self.call("POST", V1_LISTENER, body,
                                    {**FORM, "Long-Pulling-Timeout": "30000"}, timeout=40)

        t = threading.Thread(target=poll)
        t.start()
        time.sleep(1.5)  # past the proxy's timeout: held as a long poll
        self.assertEqual(self.publish("probe", "changed")[0], 200)
        t.join(10)
        status, _, answer = result["r"]
        self.assertEqual(status, 200)
        self.assertIn(b"probe", answer)


if __name__ == "__main__":
    main()
