"""Self-test of the fake-nacos stand-in (stdlib unittest).

Run: FAKE_NACOS=/path/to/fake-nacos python3 tests/e2e/test_fake_nacos.py
 or: python3 tests/e2e/test_fake_nacos.py /path/to/fake-nacos [unittest args]
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_nacos import (  # noqa: E402
    FakeNacos, V1_API, V1_LOGIN, V1_LOGIN_SHORT, V3_API, V3_LOGIN)

BINARY = os.environ.get("FAKE_NACOS", "")
SECRET = "VGhpc0lzTXlDdXN0b21TZWNyZXRLZXkwMTIzNDU2Nzg="
OTHER_SECRET = base64.b64encode(b"AnotherSecretKeyOfThirtyTwoBytes").decode()
# nacos-auth.md §2.2 test vector.
VECTOR_EXP = 1700000000
VECTOR_TOKEN = ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJuYWNvcyIsImV4cCI6MTcwMDAwMDAwMH0."
                "dDekJ5JWHewJzbpBo_SiTvI6x6plFi4fjuKdVc49lOE")
FIXED_NOW = VECTOR_EXP - 18000
USER_NOT_FOUND_3 = "User not found! Please check user exist or password is right!"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_jwt(sub: str, exp: int, secret_b64: str = SECRET,
             header: str = "eyJhbGciOiJIUzI1NiJ9") -> str:
    payload = b64url(json.dumps({"sub": sub, "exp": exp}, separators=(",", ":")).encode())
    signing_input = f"{header}.{payload}"
    mac = hmac.new(base64.b64decode(secret_b64), signing_input.encode(), hashlib.sha256)
    return signing_input + "." + b64url(mac.digest())


def jwt_payload(token: str) -> dict:
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def raw_login_request(nacos: FakeNacos) -> bytes:
    body = b"password=nacos"
    return (f"POST {nacos.context_path}{V3_LOGIN}?username=nacos HTTP/1.1\r\n"
            f"Host: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


class FakeNacosTestCase(unittest.TestCase):
    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix="fake-nacos-test-")
        self.servers: list[FakeNacos] = []

    def tearDown(self):
        for server in self.servers:
            server.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def start(self, **options) -> FakeNacos:
        server = FakeNacos(BINARY, self.workdir, **options)
        self.servers.append(server)
        return server.start()


class LoginTest(FakeNacosTestCase):
    def test_token_matches_reference_vector_and_python_hmac(self):
        nacos = self.start(fixed_now=FIXED_NOW)
        self.assertEqual(make_jwt("nacos", VECTOR_EXP), VECTOR_TOKEN)
        for path in (V3_LOGIN, V1_LOGIN, V1_LOGIN_SHORT):
            status, headers, body = nacos.login(path=path)
            self.assertEqual(status, 200, body)
            self.assertEqual(headers["content-type"], "application/json")
            self.assertEqual(headers["authorization"], "Bearer " + VECTOR_TOKEN)
            self.assertEqual(body, '{"accessToken":"%s","tokenTtl":18000,"globalAdmin":true,'
                                   '"username":"nacos"}' % VECTOR_TOKEN)
        # Same second, no cache: same token, three mints.
        self.assertEqual(nacos.stats()["tokens_issued"], 3)

    def test_login_real_clock_and_stats(self):
        nacos = self.start(ttl=600)
        before = int(time.time())
        status, _, body = nacos.login(path=V1_LOGIN)
        self.assertEqual(status, 200, body)
        answer = json.loads(body)
        self.assertEqual(list(answer), ["accessToken", "tokenTtl", "globalAdmin", "username"])
        self.assertIn(answer["tokenTtl"], (599, 600))
        exp = jwt_payload(answer["accessToken"])["exp"]
        self.assertTrue(before + 600 <= exp <= int(time.time()) + 600)
        self.assertEqual(answer["accessToken"], make_jwt("nacos", exp))
        # Both credentials in the query: password is masked in the stats.
        status, _, _ = nacos.request("POST", V3_LOGIN + "?username=nacos&password=nacos")
        self.assertEqual(status, 200)
        stats = nacos.stats()
        self.assertEqual(stats["last_login_query"], "username=nacos&password=***")
        self.assertEqual((stats["logins"], stats["login_ok"], stats["v1_logins"],
                          stats["v3_logins"], stats["logins_with_token"]), (2, 2, 1, 1, 0))
        nacos.login()
        self.assertEqual(nacos.stats()["last_login_content_type"],
                         "application/x-www-form-urlencoded")
        nacos.reset_stats()
        self.assertEqual(nacos.stats()["logins"], 0)

    def test_wrong_password_per_flavor(self):
        expected = {1: "unknown user!", 2: "user not found!", 3: USER_NOT_FOUND_3}
        for flavor, message in expected.items():
            with self.subTest(flavor=flavor):
                nacos = self.start(flavor=flavor, user="alice", password="s3cret")
                for username, password in (("alice", "wrong"), ("bob", "s3cret"), ("alice", "")):
                    status, headers, body = nacos.login(username, password)
                    self.assertEqual((status, body), (403, message))
                    self.assertEqual(headers["content-type"], "text/plain;charset=UTF-8")
                self.assertEqual(nacos.login("alice", "s3cret")[0], 200)
                self.assertEqual(nacos.stats()["login_rejected"], 3)

    def test_unknown_user_500_of_2_2_1_to_3_1(self):
        for flavor in (2, 3):
            with self.subTest(flavor=flavor):
                nacos = self.start(flavor=flavor, user="alice", password="s3cret",
                                   unknown_user_500=True)
                status, headers, body = nacos.login("bob", "s3cret")
                self.assertEqual((status, body), (500, "caused: User bob not found;"))
                self.assertEqual(headers["content-type"], "text/plain;charset=UTF-8")
                self.assertEqual(nacos.login("alice", "wrong")[0], 403, "a known user: 403")
                self.assertEqual(nacos.login("bob", "")[0], 403, "blank: 403")
        result = subprocess.run([BINARY, "--flavor", "1", "--unknown-user-500"],
                                capture_output=True, text=True)
        self.assertEqual(result.returncode, 2)
        self.assertIn("--unknown-user-500", result.stderr)

    def test_password_file_special_characters_and_runtime_change(self):
        password = "p@ss w&rd=+%é"
        nacos = self.start(password=password)
        self.assertEqual(nacos.login(password=password)[0], 200)
        self.assertEqual(nacos.login(password="nacos")[0], 403)
        nacos.set(password="new")
        self.assertEqual(nacos.login(password="new")[0], 200)

    def test_json_body_does_not_work(self):
        nacos = self.start(flavor=2)
        body = json.dumps({"username": "nacos", "password": "nacos"})
        headers = {"Content-Type": "application/json"}
        status, _, text = nacos.request("POST", V3_LOGIN, body=body, headers=headers)
        self.assertEqual((status, text), (403, "user not found!"))
        status, _, text = nacos.request("POST", V1_LOGIN, body=body, headers=headers)
        self.assertEqual(status, 500)
        self.assertIn("Required request parameter 'username'", text)

    def test_query_wins_over_form_body_like_getparameter(self):
        nacos = self.start()
        status, _, _ = nacos.request(
            "POST", V3_LOGIN + "?username=nacos&password=nacos", body="password=wrong",
            headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(status, 200)

    def test_api_modes_and_routing(self):
        v1 = self.start(api="v1")
        status, headers, body = v1.login(path=V3_LOGIN)
        self.assertEqual(status, 404)
        error = json.loads(body)
        self.assertEqual(list(error), ["timestamp", "status", "error", "path"])
        self.assertEqual((error["status"], error["error"], error["path"]),
                         (404, "Not Found", "/nacos" + V3_LOGIN))
        self.assertEqual(v1.login(path=V1_LOGIN)[0], 200)

        v3 = self.start(api="v3")
        status, _, body = v3.login(path=V1_LOGIN)
        self.assertEqual(status, 410)
        error = json.loads(body)
        self.assertEqual((error["status"], error["error"]), (410, "Gone"))
        result = json.loads(error["message"])
        self.assertEqual(result["code"], 40000)
        self.assertIn("/v3/auth/user/login", result["message"])
        self.assertEqual(v3.login(path=V3_LOGIN)[0], 200)
        stats = v3.stats()
        self.assertEqual((stats["logins"], stats["v1_logins"], stats["login_rejected"]), (2, 1, 1))

        both = self.start(context_path="")
        self.assertEqual(both.login(path=V3_LOGIN)[0], 200)
        self.assertEqual(both.request("GET", "/nacos" + V3_LOGIN)[0], 404)
        status, headers, _ = both.request("GET", V3_LOGIN)
        self.assertEqual((status, headers.get("allow")), (405, "POST"))
        self.assertEqual(both.request("GET", "/nope")[0], 404)

    def test_cache_returns_same_token_with_shrinking_ttl(self):
        nacos = self.start(fixed_now=FIXED_NOW, ttl=100, cache=True)
        first = json.loads(nacos.login()[2])
        nacos.set(clock_offset=50)
        second = json.loads(nacos.login()[2])
        self.assertEqual(second["accessToken"], first["accessToken"])
        self.assertEqual((first["tokenTtl"], second["tokenTtl"]), (100, 50))
        nacos.set(clock_offset=90)  # now + ttl/10 == exp: still reused.
        self.assertEqual(json.loads(nacos.login()[2])["accessToken"], first["accessToken"])
        nacos.set(clock_offset=91)  # now + ttl/10 > exp: a fresh token.
        third = json.loads(nacos.login()[2])
        self.assertNotEqual(third["accessToken"], first["accessToken"])
        self.assertEqual(third["tokenTtl"], 100)
        self.assertEqual(nacos.stats()["tokens_issued"], 2)

    def test_cache_counts_milliseconds(self):
        # CachedJwtTokenManager keeps its own expiry in milliseconds from the mint: 0.5 s into a
        # second, reuse ends 0.5 s into the second ttl/10 before exp, and tokenTtl rounds down.
        nacos = self.start(fixed_now=FIXED_NOW, ttl=100, cache=True)
        nacos.set(clock_offset_ms=500)
        first = json.loads(nacos.login()[2])
        nacos.set(clock_offset_ms=90_400)
        second = json.loads(nacos.login()[2])
        self.assertEqual((second["accessToken"], second["tokenTtl"]), (first["accessToken"], 10))
        nacos.set(clock_offset_ms=90_501)  # 9.999 s left: under ttl/10, a fresh token.
        third = json.loads(nacos.login()[2])
        self.assertNotEqual(third["accessToken"], first["accessToken"])
        with self.assertRaisesRegex(RuntimeError, "400 clock_offset and clock_offset_ms"):
            nacos.set(clock_offset=1, clock_offset_ms=1)

    def test_ttl_mode_configured(self):
        nacos = self.start(fixed_now=FIXED_NOW, ttl=100, ttl_mode="configured")
        token = json.loads(nacos.login()[2])["accessToken"]
        nacos.set(clock_offset=30)
        # A login carrying a valid token echoes it; configured mode still reports the setting.
        status, _, body = nacos.request("POST", V3_LOGIN,
                                        headers={"Authorization": "Bearer " + token})
        self.assertEqual((status, json.loads(body)["tokenTtl"]), (200, 100))
        nacos.set(ttl_mode="remaining")
        status, _, body = nacos.request("POST", V3_LOGIN + "?accessToken=" + token)
        self.assertEqual((status, json.loads(body)["tokenTtl"]), (200, 70))

    def test_login_with_token_first(self):
        nacos = self.start(fixed_now=FIXED_NOW, ttl=100)
        token = json.loads(nacos.login()[2])["accessToken"]
        # Valid token wins over wrong credentials and is echoed back.
        status, headers, body = nacos.login(password="wrong",
                                            headers={"Authorization": "Bearer " + token})
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body)["accessToken"], token)
        self.assertEqual(headers["authorization"], "Bearer " + token)
        nacos.set(clock_offset=101)
        status, _, body = nacos.login(headers={"accessToken": token})
        self.assertEqual((status, body), (403, "token expired!"))
        status, _, body = nacos.login(headers={"Authorization": "Bearer garbage"})
        self.assertEqual((status, body), (403, "token invalid!"))
        stats = nacos.stats()
        self.assertEqual((stats["logins_with_token"], stats["login_ok"],
                          stats["login_rejected"]), (3, 2, 2))


class ApiTest(FakeNacosTestCase):
    def test_carriers_and_messages_flavor3(self):
        nacos = self.start(fixed_now=FIXED_NOW, ttl=100)
        token = json.loads(nacos.login()[2])["accessToken"]
        for carrier in ("bearer", "param", "header"):
            self.assertEqual(nacos.api_get(token, carrier),
                             (200, '{"code":0,"message":"success","data":{"user":"nacos"}}'))
        self.assertEqual(nacos.api_get(token, path=V1_API)[0], 200)

        def denied(status_body):
            status, body = status_body
            self.assertEqual(status, 403)
            error = json.loads(body)
            self.assertEqual(list(error),
                             ["timestamp", "status", "error", "message", "path"])
            self.assertEqual((error["status"], error["error"], error["path"]),
                             (403, "Forbidden", "/nacos" + V3_API))
            return error["message"]

        status, _, body = nacos.request("GET", V3_API)
        self.assertEqual(status, 403)
        self.assertEqual(json.loads(body)["message"],
                         "Code: 401, Message: " + USER_NOT_FOUND_3 + ".")
        self.assertEqual(denied(nacos.api_get("a.b")), "Code: 401, Message: token invalid!.")
        other_header = make_jwt("nacos", VECTOR_EXP, header=b64url(b'{"alg":"HS256","typ":"JWT"}'))
        self.assertEqual(denied(nacos.api_get(other_header)),
                         "Code: 401, Message: unsupported signature algorithm.")
        # Lower-case "bearer" is not the Bearer scheme: no token at all.
        status, _, body = nacos.request("GET", V3_API, headers={"Authorization": "bearer " + token})
        self.assertIn("User not found", json.loads(body)["message"])
        # Valid through its exp second.
        nacos.set(clock_offset=100)
        self.assertEqual(nacos.api_get(token)[0], 200)
        nacos.set(clock_offset=101)
        self.assertEqual(denied(nacos.api_get(token)), "Code: 401, Message: token expired!.")
        nacos.set(clock_offset=0, secret=OTHER_SECRET)
        self.assertEqual(denied(nacos.api_get(token)), "Code: 401, Message: Invalid signature.")
        fresh = json.loads(nacos.login()[2])["accessToken"]
        self.assertEqual(fresh, make_jwt("nacos", FIXED_NOW + 100, OTHER_SECRET))
        self.assertEqual(nacos.api_get(fresh)[0], 200)
        stats = nacos.stats()
        self.assertEqual((stats["api_ok"], stats["api_denied"]), (6, 6))
        # Browsers get the Whitelabel page.
        status, headers, body = nacos.request("GET", V3_API, headers={"Accept": "text/html"})
        self.assertEqual(status, 403)
        self.assertIn("Whitelabel Error Page", body)

    def test_flavor1_ignores_access_token_header(self):
        nacos = self.start(flavor=1, api="v1", fixed_now=FIXED_NOW, ttl=100)
        token = json.loads(nacos.login(path=V1_LOGIN)[2])["accessToken"]
        self.assertEqual(nacos.api_get(token, "bearer")[0], 200)
        self.assertEqual(nacos.api_get(token, "param")[0], 200)
        status, body = nacos.api_get(token, "header")
        self.assertEqual((status, json.loads(body)["message"]), (403, "unknown user!"))
        self.assertRegex(json.loads(body)["timestamp"], r"\+0000$")
        status, body = nacos.api_get(make_jwt("nacos", FIXED_NOW + 100, OTHER_SECRET))
        self.assertEqual(json.loads(body)["message"], "token invalid!")
        nacos.set(clock_offset=101)
        self.assertEqual(json.loads(nacos.api_get(token)[1])["message"], "token expired!")
        # 2.x has no v3 admin API.
        self.assertEqual(nacos.api_get(token, path=V3_API)[0], 404)

    def test_flavor2_messages(self):
        nacos = self.start(flavor=2, fixed_now=FIXED_NOW)
        token = json.loads(nacos.login()[2])["accessToken"]
        self.assertEqual(nacos.api_get(token, "header")[0], 200)
        status, body = nacos.api_get(make_jwt("nacos", VECTOR_EXP, OTHER_SECRET))
        self.assertEqual(json.loads(body)["message"], "Invalid signature")
        status, _, body = nacos.request("GET", V1_API)
        self.assertEqual(json.loads(body)["message"], "user not found!")


class FaultTest(FakeNacosTestCase):
    def test_answer_shaped_faults(self):
        nacos = self.start()
        cases = {
            "500": (500, "text/plain;charset=UTF-8", "caused: java.lang.NullPointerException;"),
            "malformed": (200, "application/json", '{"accessToken":"eyJ'),
        }
        for mode, (status, content_type, text) in cases.items():
            nacos.fault(mode, count=1)
            got_status, headers, body = nacos.login(password="wrong")
            self.assertEqual((got_status, headers["content-type"], body),
                             (status, content_type, text), mode)
        nacos.fault("503", count=1)
        self.assertEqual(nacos.login()[0], 503)
        nacos.fault("nonjson", count=1)
        status, headers, body = nacos.login()
        self.assertEqual((status, headers["content-type"]), (200, "text/html"))
        self.assertTrue(body.startswith("<html>"))

        def answer(mode):
            nacos.fault(mode, count=1)
            status, headers, body = nacos.login()
            self.assertEqual(status, 200, mode)
            return headers, json.loads(body)

        self.assertNotIn("accessToken", answer("missing_token")[1])
        self.assertEqual(answer("empty_token")[1]["accessToken"], "")
        self.assertEqual(answer("bad_ttl")[1]["tokenTtl"], "abc")
        self.assertEqual(answer("negative_ttl")[1]["tokenTtl"], -5)
        self.assertEqual(answer("zero_ttl")[1]["tokenTtl"], 0)
        headers, body = answer("auth_disabled")
        self.assertEqual((body["accessToken"], body["tokenTtl"]), ("AUTH_DISABLED", 18000))
        headers, body = answer("token:literal-ABC")
        self.assertEqual((body["accessToken"], headers["authorization"]),
                         ("literal-ABC", "Bearer literal-ABC"))
        nacos.fault("redirect", count=1)
        status, headers, _ = nacos.login()
        self.assertEqual((status, headers["location"]), (302, "http://127.0.0.1:9/steal"))
        self.assertEqual(nacos.login()[0], 200)
        stats = nacos.stats()
        self.assertEqual((stats["login_faulted"], stats["login_ok"]), (12, 1))

    def test_count_and_api_untouched(self):
        nacos = self.start()
        token = json.loads(nacos.login()[2])["accessToken"]
        nacos.fault("500", count=2)
        self.assertEqual([nacos.login()[0] for _ in range(3)], [500, 500, 200])
        nacos.fault("500")
        self.assertEqual(nacos.api_get(token)[0], 200)
        self.assertEqual([nacos.login()[0] for _ in range(2)], [500, 500])
        nacos.fault("none")
        self.assertEqual(nacos.login()[0], 200)

    def test_unserved_paths_are_not_faulted(self):
        nacos = self.start(api="v1")
        nacos.fault("500", count=1)
        self.assertEqual(nacos.login(path=V3_LOGIN)[0], 404)
        self.assertEqual(nacos.login(path=V1_LOGIN)[0], 500)
        self.assertEqual(nacos.login(path=V1_LOGIN)[0], 200)

    def test_reset(self):
        nacos = self.start(fault="reset")
        with socket.create_connection(("127.0.0.1", nacos.port), timeout=5) as sock:
            sock.sendall(raw_login_request(nacos))
            with self.assertRaises(ConnectionResetError):
                data = sock.recv(1024)
                if not data:  # Some stacks report EOF first; a second read sees the RST.
                    sock.recv(1024)
        self.assertEqual(nacos.stats()["login_faulted"], 1)

    def test_hang_and_huge(self):
        nacos = self.start()
        nacos.fault("hang", count=1)
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", nacos.port), timeout=1) as sock:
            sock.sendall(raw_login_request(nacos))
            with self.assertRaises(socket.timeout):
                sock.recv(1024)
        self.assertGreaterEqual(time.monotonic() - started, 0.9)

        nacos.fault("huge", count=1)
        connection = nacos.connection(timeout=5)
        connection.request("POST", "/nacos" + V3_LOGIN + "?username=nacos&password=nacos")
        response = connection.getresponse()
        self.assertEqual((response.status, response.getheader("Content-Length")),
                         (200, "67108864"))
        self.assertEqual(response.read(65536), b" " * 65536)
        connection.close()
        self.assertEqual(nacos.login()[0], 200)

    def test_drip(self):
        nacos = self.start()
        nacos.fault("drip", count=1)
        with socket.create_connection(("127.0.0.1", nacos.port), timeout=5) as sock:
            sock.sendall(raw_login_request(nacos))
            started = time.monotonic()
            data = b""
            while len(data) < 5:
                chunk = sock.recv(16)
                self.assertTrue(chunk)
                data += chunk
            elapsed = time.monotonic() - started
        self.assertEqual(data[:5], b"HTTP/")
        self.assertGreaterEqual(elapsed, 1.8)
        self.assertLess(elapsed, 4)
        self.assertEqual(nacos.login()[0], 200)

    def test_down_then_up_on_same_port(self):
        nacos = self.start()
        port = nacos.port
        keep_alive = nacos.connection(timeout=5)
        keep_alive.request("GET", "/nacos" + V3_API)
        keep_alive.getresponse().read()
        nacos.fault("down")
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
        # The kept-alive connection was dropped too.
        with self.assertRaises((ConnectionError, http.client.HTTPException, OSError)):
            keep_alive.request("GET", "/nacos" + V3_API)
            keep_alive.getresponse().read()
        keep_alive.close()
        self.assertEqual(nacos.stats()["logins"], 0)  # Control still answers.
        nacos.fault("none")
        self.assertEqual(nacos.port, port)
        self.assertEqual(nacos.login()[0], 200)

    def test_starts_down(self):
        nacos = self.start(fault="down")
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", nacos.port), timeout=2).close()
        nacos.fault("500", count=1)
        self.assertEqual([nacos.login()[0] for _ in range(2)], [500, 200])

    def test_control_rejects_bad_input(self):
        nacos = self.start()
        for call in (lambda: nacos.fault("explode"), lambda: nacos.fault("down", count=1),
                     lambda: nacos.set(ttl="x"), lambda: nacos.set(secret="c2hvcnQ="),
                     lambda: nacos.set(colour="red")):
            with self.assertRaises(RuntimeError):
                call()


class TransportTest(FakeNacosTestCase):
    def make_certificates(self) -> tuple[str, str, str]:
        d = self.workdir

        def openssl(*args):
            subprocess.run(["openssl", *args], check=True, capture_output=True)

        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-keyout", f"{d}/ca.key", "-out", f"{d}/ca.pem", "-days", "2",
                "-subj", "/CN=fake-nacos test CA")
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", f"{d}/server.key", "-out", f"{d}/server.csr", "-subj", "/CN=127.0.0.1")
        with open(f"{d}/ext.cnf", "w", encoding="ascii") as ext:
            ext.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
        openssl("x509", "-req", "-in", f"{d}/server.csr", "-CA", f"{d}/ca.pem", "-CAkey",
                f"{d}/ca.key", "-CAcreateserial", "-out", f"{d}/server.pem", "-days", "2",
                "-extfile", f"{d}/ext.cnf")
        return f"{d}/ca.pem", f"{d}/server.pem", f"{d}/server.key"

    def test_https(self):
        ca, cert, key = self.make_certificates()
        context = ssl.create_default_context(cafile=ca)
        nacos = self.start(tls_cert=cert, tls_key=key, ssl_context=context, fixed_now=FIXED_NOW)
        self.assertEqual(nacos.url, f"https://127.0.0.1:{nacos.port}")
        self.assertEqual(nacos.server_entry, f"https://127.0.0.1:{nacos.port}")
        # A client that connects and says nothing must not block other clients.
        idle = socket.create_connection(("127.0.0.1", nacos.port), timeout=5)
        status, headers, body = nacos.login()
        self.assertEqual((status, json.loads(body)["accessToken"]), (200, VECTOR_TOKEN))
        self.assertEqual(nacos.api_get(VECTOR_TOKEN, "header"), (
            200, '{"code":0,"message":"success","data":{"user":"nacos"}}'))
        idle.close()
        # Untrusted by default verification.
        with self.assertRaises(ssl.SSLError):
            nacos.login(ssl_context=ssl.create_default_context())
        nacos.fault("reset", count=1)
        with self.assertRaises((ConnectionError, ssl.SSLError)):
            nacos.login()
        nacos.fault("down")
        nacos.fault("none")
        self.assertEqual(nacos.login()[0], 200)

    def test_keep_alive_and_chunked(self):
        nacos = self.start()
        connection = nacos.connection()
        for _ in range(3):
            connection.request("POST", "/nacos" + V3_LOGIN, body=iter([b"username=nacos&",
                                                                       b"password=nacos"]),
                               headers={"Content-Type": "application/x-www-form-urlencoded",
                                        "Transfer-Encoding": "chunked"},
                               encode_chunked=True)
            response = connection.getresponse()
            self.assertEqual(response.status, 200, response.read())
            response.read()
        connection.close()


class LifecycleTest(FakeNacosTestCase):
    def test_sigterm_and_max_lifetime(self):
        nacos = self.start()
        started = time.monotonic()
        self.assertEqual(nacos.stop(), 0)
        self.assertLess(time.monotonic() - started, 2)
        short = self.start(max_lifetime=1)
        self.assertEqual(short.process.wait(timeout=4), 0)

    def test_exits_when_parent_dies(self):
        script = ("import subprocess, sys; "
                  "p = subprocess.Popen(sys.argv[1:]); print(p.pid, flush=True)")
        args = FakeNacos(BINARY, self.workdir).command()
        output = subprocess.run([sys.executable, "-c", script, *args], check=True,
                                capture_output=True, text=True, timeout=10).stdout
        pid = int(output.split()[0])
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
                    if stat.read().split(") ")[1].startswith("Z"):
                        break
            except FileNotFoundError:
                break
            time.sleep(0.05)
        else:
            os.kill(pid, 9)
            self.fail("fake-nacos outlived its parent")

    def test_bad_arguments(self):
        result = subprocess.run([BINARY, "--flavor", "7"], capture_output=True, text=True)
        self.assertEqual(result.returncode, 2)
        self.assertIn("--flavor", result.stderr)


if __name__ == "__main__":
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        BINARY = sys.argv.pop(1)
    if not BINARY or not os.access(BINARY, os.X_OK):
        sys.exit("set FAKE_NACOS or pass the fake-nacos binary path as the first argument")
    BINARY = os.path.abspath(BINARY)
    unittest.main(verbosity=2)
