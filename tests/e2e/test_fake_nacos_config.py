"""Self-test of fake-nacos's config API (stdlib unittest): publish/get/delete, the listener
long poll, the v3 client get, and the auth filter in front of them.

Run: FAKE_NACOS=/path/to/fake-nacos python3 tests/e2e/test_fake_nacos_config.py
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_nacos import (  # noqa: E402
    FakeNacos, V1_CONFIGS, V1_LISTENER, V1_LOGIN, V3_CLIENT_CONFIG, listening_configs,
    token_fingerprint)

BINARY = os.environ.get("FAKE_NACOS", "")
USER_NOT_FOUND_3 = "User not found! Please check user exist or password is right!"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
MAX_CONTENT = 10 * 1024 * 1024


def md5(text: str | bytes) -> str:
    return hashlib.md5(text.encode() if isinstance(text, str) else text).hexdigest()


def changed_keys(body: str) -> list[list[str]]:
    """Decodes a listener answer: URL-encoded "dataId^2group[^2tenant]^1" entries."""
    plain = urllib.parse.unquote_plus(body.strip())
    return [line.split("\x02") for line in plain.split("\x01") if line]


class ConfigTestCase(unittest.TestCase):
    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix="fake-nacos-config-")
        self.servers: list[FakeNacos] = []

    def tearDown(self):
        for server in self.servers:
            server.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def start(self, **options) -> FakeNacos:
        server = FakeNacos(BINARY, self.workdir, **options)
        self.servers.append(server)
        return server.start()

    def token(self, nacos: FakeNacos, path: str | None = None) -> str:
        status, _, body = nacos.login(path=path) if path else nacos.login()
        self.assertEqual(status, 200, body)
        return json.loads(body)["accessToken"]

    @staticmethod
    def bearer(token: str, **extra) -> dict:
        return {"Authorization": "Bearer " + token, **extra}

    def publish(self, nacos, token, data_id, content, **params):
        return nacos.publish_config(token, data_id, content, **params)

    def get(self, nacos, token, data_id, headers=None, **params):
        return nacos.get_config(token, data_id, headers=headers, **params)

    def denial(self, response) -> str:
        status, headers, body = response
        self.assertEqual(status, 403, body)
        self.assertTrue(headers["content-type"].startswith("application/json"), headers)
        return json.loads(body)["message"]


class PublishGetDeleteTest(ConfigTestCase):
    def test_round_trip_with_a_token(self):
        nacos = self.start()
        token = self.token(nacos)
        self.assertEqual(self.publish(nacos, token, "app.properties", "a=1\nb=ü")[::2],
                         (200, "true"))
        status, headers, body = self.get(nacos, token, "app.properties", group="DEFAULT_GROUP")
        self.assertEqual((status, body), (200, "a=1\nb=ü"))
        self.assertEqual(headers["content-md5"], md5("a=1\nb=ü"))
        self.assertEqual(headers["config-type"], "text")
        self.assertEqual(headers["cache-control"], "no-cache,no-store")
        # The group defaults to DEFAULT_GROUP; other groups and namespaces are separate.
        self.assertEqual(self.get(nacos, token, "app.properties")[0], 200)
        self.assertEqual(self.get(nacos, token, "app.properties", group="OTHER")[::2],
                         (404, "config data not exist\n"))
        self.publish(nacos, token, "app.properties", "tenant copy", tenant="prod", type="yaml")
        status, headers, body = self.get(nacos, token, "app.properties", tenant="prod")
        self.assertEqual((status, body, headers["config-type"]), (200, "tenant copy", "yaml"))
        # Delete answers true, also for what is already gone.
        query = urllib.parse.urlencode({"dataId": "app.properties", "group": "DEFAULT_GROUP"})
        for _ in range(2):
            status, _, body = nacos.request("DELETE", f"{V1_CONFIGS}?{query}",
                                            headers=self.bearer(token))
            self.assertEqual((status, body), (200, "true"))
        self.assertEqual(self.get(nacos, token, "app.properties")[::2],
                         (404, "config data not exist\n"))
        self.assertEqual(self.get(nacos, token, "app.properties", tenant="prod")[0], 200)
        # 3.x treats the "public" namespace id like the empty one.
        self.publish(nacos, token, "shared", "x", tenant="public")
        self.assertEqual(self.get(nacos, token, "shared")[::2], (200, "x"))

    def test_missing_parameters_and_methods(self):
        nacos = self.start(flavor=2)
        token = self.token(nacos)
        status, _, body = nacos.request("GET", V1_CONFIGS, headers=self.bearer(token))
        self.assertEqual(status, 500)
        self.assertIn("'dataId'", body)
        status, _, body = nacos.request("POST", V1_CONFIGS, body="dataId=x",
                                        headers=self.bearer(token, **FORM))
        self.assertEqual(status, 500)
        self.assertIn("'content'", body)
        status, _, body = nacos.request("PUT", V1_CONFIGS + "?dataId=x",
                                        headers=self.bearer(token))
        self.assertEqual((status, json.loads(body)["message"]),
                         (405, "Request method 'PUT' not supported"))

    def test_chunked_upload_and_keep_alive(self):
        nacos = self.start()
        token = self.token(nacos)
        body = urllib.parse.urlencode({"dataId": "chunked", "content": "x=" + "y" * 5000}).encode()
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 1000]), body[i:i + 1000])
                          for i in range(0, len(body), 1000)) + b"0\r\n\r\n"
        request = (f"POST /nacos{V1_CONFIGS} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                   f"Authorization: Bearer {token}\r\n"
                   "Content-Type: application/x-www-form-urlencoded\r\n"
                   "Transfer-Encoding: chunked\r\n\r\n").encode() + chunks
        get = (f"GET /nacos{V1_CONFIGS}?dataId=chunked HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               f"Authorization: Bearer {token}\r\n\r\n").encode()
        with socket.create_connection(("127.0.0.1", nacos.port), timeout=10) as raw:
            raw.sendall(request)
            response = http.client.HTTPResponse(raw)
            response.begin()
            self.assertEqual((response.status, response.read()), (200, b"true"))
            self.assertNotEqual(response.getheader("Connection"), "close")
            raw.sendall(get)  # Same connection: keep-alive.
            response = http.client.HTTPResponse(raw)
            response.begin()
            self.assertEqual((response.status, response.read().decode()),
                             (200, "x=" + "y" * 5000))

    def test_ten_mebibyte_config_round_trip(self):
        nacos = self.start()
        token = self.token(nacos)
        # Characters that need URL encoding, so the form body is about 3x the content.
        content = ("k=v&%+ü\n" * (MAX_CONTENT // 9 + 1))
        content = content.encode()[:MAX_CONTENT].decode(errors="ignore")
        content += "#" * (MAX_CONTENT - len(content.encode()))
        self.assertEqual(len(content.encode()), MAX_CONTENT)
        connection = nacos.connection(timeout=60)
        try:
            body = urllib.parse.urlencode({"dataId": "big", "content": content})
            connection.request("POST", "/nacos" + V1_CONFIGS, body=body,
                               headers=self.bearer(token, **FORM))
            response = connection.getresponse()
            self.assertEqual((response.status, response.read()), (200, b"true"))
            connection.request("GET", "/nacos" + V1_CONFIGS + "?dataId=big",
                               headers=self.bearer(token))
            response = connection.getresponse()
            data = response.read()
            self.assertEqual(response.status, 200)
            self.assertEqual(response.getheader("Content-MD5"), md5(data))
            self.assertEqual(data.decode(), content)
        finally:
            connection.close()
        # One byte over Nacos's maxContent is refused and nothing is stored.
        status, _, body = self.publish(nacos, token, "too-big", content + "#")
        self.assertEqual(status, 400, body)
        self.assertIn("over 10485760", body)
        self.assertEqual(self.get(nacos, token, "too-big")[0], 404)


class AuthFilterTest(ConfigTestCase):
    def test_denials_per_flavor(self):
        cases = {
            1: {"none": "unknown user!", "expired": "token expired!",
                "invalid": "token invalid!", "signature": "token invalid!"},
            2: {"none": "user not found!", "expired": "token expired!",
                "invalid": "token invalid!", "signature": "Invalid signature"},
            3: {"none": f"Code: 401, Message: {USER_NOT_FOUND_3}.",
                "expired": "Code: 401, Message: token expired!.",
                "invalid": "Code: 401, Message: token invalid!.",
                "signature": "Code: 401, Message: Invalid signature."},
        }
        for flavor, expected in cases.items():
            with self.subTest(flavor=flavor):
                nacos = self.start(flavor=flavor, ttl=5, api="v1" if flavor < 3 else "both")
                token = self.token(nacos, V1_LOGIN)
                self.assertEqual(self.get(nacos, token, "probe")[::2], (200, "probe"))
                self.assertEqual(self.denial(self.get(nacos, None, "probe")), expected["none"])
                self.assertEqual(self.denial(self.get(nacos, "a.b", "probe")), expected["invalid"])
                forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
                self.assertEqual(self.denial(self.get(nacos, forged, "probe")),
                                 expected["signature"])
                # Browsers (Accept: text/html) get the Whitelabel page with the same message.
                status, headers, body = self.get(nacos, None, "probe",
                                                 headers={"Accept": "text/html"})
                self.assertEqual(status, 403)
                self.assertIn("Whitelabel Error Page", body)
                self.assertIn("(type=Forbidden, status=403)", body)
                self.assertIn(f"<div>{expected['none']}</div>", body)
                nacos.set(clock_offset=6)
                self.assertEqual(self.denial(self.get(nacos, token, "probe")), expected["expired"])
                # Denied publishes change nothing.
                status, _, _ = self.publish(nacos, token, "probe", "changed")
                self.assertEqual(status, 403)
                nacos.set(clock_offset=0)
                self.assertEqual(self.get(nacos, token, "probe")[::2], (200, "probe"))

    def test_invalidate_all_tokens(self):
        for flavor, message in ((3, "Code: 401, Message: Invalid signature."),
                                (1, "token invalid!")):
            with self.subTest(flavor=flavor):
                nacos = self.start(flavor=flavor)
                first, second = self.token(nacos, V1_LOGIN), self.token(nacos, V1_LOGIN)
                nacos.invalidate_tokens()
                for old in (first, second):
                    self.assertEqual(self.denial(self.get(nacos, old, "probe")), message)
                fresh = self.token(nacos, V1_LOGIN)
                self.assertNotEqual(fresh, first)
                self.assertEqual(self.get(nacos, fresh, "probe")[0], 200)

    def test_permission_rules(self):
        nacos = self.start(flavor=3)
        token = self.token(nacos)
        self.publish(nacos, token, "secret", "s", tenant="prod")
        self.publish(nacos, token, "open", "o", tenant="prod")
        nacos.deny(user="nacos", tenant="prod", data_id="secret")
        self.assertEqual(self.denial(self.get(nacos, token, "secret", tenant="prod")),
                         "Code: 403, Message: authorization failed!.")
        self.assertEqual(self.get(nacos, token, "open", tenant="prod")[::2], (200, "o"))
        self.assertEqual(self.denial(self.publish(nacos, token, "secret", "x", tenant="prod")),
                         "Code: 403, Message: authorization failed!.")
        nacos.deny(user="other", data_id="open")  # Another user's rule does not apply.
        self.assertEqual(self.get(nacos, token, "open", tenant="prod")[0], 200)
        nacos.allow_all()
        nacos.deny(user="nacos", tenant="prod", action="w")  # Read-only namespace.
        self.assertEqual(self.get(nacos, token, "secret", tenant="prod")[::2], (200, "s"))
        self.assertEqual(self.denial(self.publish(nacos, token, "open", "x", tenant="prod")),
                         "Code: 403, Message: authorization failed!.")
        self.assertEqual(self.publish(nacos, token, "open", "x")[0], 200)  # Public namespace.
        v2 = self.start(flavor=2)
        v2.deny(user="nacos")
        self.assertEqual(self.denial(self.get(v2, self.token(v2), "probe")),
                         "authorization failed!")

    def test_parameters_override_headers(self):
        nacos = self.start(flavor=2)
        good = self.token(nacos)
        bad = "a.b"
        query = urllib.parse.urlencode({"dataId": "probe", "accessToken": good})
        # accessToken parameter beats the accessToken header.
        status, _, _ = nacos.request("GET", f"{V1_CONFIGS}?{query}", headers={"accessToken": bad})
        self.assertEqual(status, 200)
        # An Authorization parameter overrides the Authorization header...
        query = urllib.parse.urlencode({"dataId": "probe", "Authorization": "Bearer " + bad})
        response = nacos.request("GET", f"{V1_CONFIGS}?{query}", headers=self.bearer(good))
        self.assertEqual(self.denial(response), "token invalid!")
        # ... also from a form body, and a Bearer value beats accessToken.
        status, _, _ = nacos.request(
            "POST", V1_CONFIGS,
            body=urllib.parse.urlencode({"dataId": "p2", "content": "c",
                                         "authorization": "Bearer " + good}),
            headers={"accessToken": bad, **FORM})
        self.assertEqual(status, 200)
        # 1.x reads neither the accessToken header nor an Authorization parameter.
        old = self.start(flavor=1, api="v1")
        token = self.token(old, V1_LOGIN)
        self.assertEqual(self.denial(old.request("GET", f"{V1_CONFIGS}?dataId=probe",
                                                 headers={"accessToken": token})),
                         "unknown user!")
        query = urllib.parse.urlencode({"dataId": "probe", "Authorization": "Bearer " + token})
        self.assertEqual(self.denial(old.request("GET", f"{V1_CONFIGS}?{query}")),
                         "unknown user!")

    def test_config_stats_show_what_arrived(self):
        nacos = self.start()
        token = self.token(nacos)
        nacos.reset_stats()
        self.get(nacos, token, "probe", headers={"X-Forwarded-For": "10.0.0.7"})
        self.get(nacos, token, "missing")
        nacos.request("GET", f"{V1_CONFIGS}?dataId=probe&accessToken={token}")
        self.get(nacos, None, "probe")
        stats = nacos.config_stats()
        self.assertEqual(stats["requests"], {"GET /nacos/v1/cs/configs 200": 2,
                                             "GET /nacos/v1/cs/configs 403": 1,
                                             "GET /nacos/v1/cs/configs 404": 1})
        self.assertEqual(stats["tokens_seen"], {token_fingerprint(token): 3})
        self.assertEqual(stats["token_carriers"],
                         {"authorization_header": 2, "access_token_param": 1})
        self.assertEqual(stats["without_token"], 1)
        self.get(nacos, token, "probe", headers={"X-Forwarded-For": "10.0.0.7"})
        last = nacos.config_stats()["last_request"]
        headers = {name.lower(): value for name, value in last["headers"]}
        self.assertEqual(headers["x-forwarded-for"], "10.0.0.7")
        self.assertEqual(headers["authorization"], "Bearer sha256:" + token_fingerprint(token))
        self.assertEqual((last["method"], last["path"], last["query"]),
                         ("GET", "/nacos" + V1_CONFIGS, "dataId=probe"))
        nacos.request("GET", f"{V1_CONFIGS}?dataId=probe&accessToken={token}")
        self.assertEqual(nacos.config_stats()["last_request"]["query"],
                         "dataId=probe&accessToken=sha256:" + token_fingerprint(token))
        self.assertNotIn(token, json.dumps(nacos.config_stats()))
        nacos.reset_stats()
        self.assertEqual(nacos.config_stats()["requests"], {})


class ListenerTest(ConfigTestCase):
    def listen(self, nacos, token, entries, timeout_ms: int | None = None, client_timeout=30,
               headers=None):
        all_headers = self.bearer(token, **FORM)
        if timeout_ms is not None:
            all_headers["Long-Pulling-Timeout"] = str(timeout_ms)
        all_headers.update(headers or {})
        body = urllib.parse.urlencode({"Listening-Configs": listening_configs(entries)})
        started = time.monotonic()
        status, response_headers, text = nacos.request(
            "POST", V1_LISTENER, body=body, headers=all_headers, timeout=client_timeout)
        return status, response_headers, text, time.monotonic() - started

    def test_md5_mismatch_answers_at_once(self):
        nacos = self.start()
        token = self.token(nacos)
        self.publish(nacos, token, "a", "1")
        self.publish(nacos, token, "b", "2", tenant="ns")
        status, headers, body, took = self.listen(
            nacos, token, [("a", "DEFAULT_GROUP", "stale"), ("b", "DEFAULT_GROUP", md5("2"), "ns"),
                           ("gone", "DEFAULT_GROUP", "")], timeout_ms=30000)
        self.assertEqual(status, 200)
        self.assertLess(took, 2)
        self.assertEqual(headers["cache-control"], "no-cache,no-store")
        self.assertEqual(changed_keys(body), [["a", "DEFAULT_GROUP"]])
        self.assertEqual(body, urllib.parse.quote_plus("a\x02DEFAULT_GROUP\x01", safe="*") + "\n")
        # A tenant is part of the answer; a listened config that vanished has MD5 "".
        nacos.request("DELETE", f"{V1_CONFIGS}?dataId=b&tenant=ns", headers=self.bearer(token))
        _, _, body, _ = self.listen(nacos, token, [("b", "DEFAULT_GROUP", md5("2"), "ns")],
                                    timeout_ms=30000)
        self.assertEqual(changed_keys(body), [["b", "DEFAULT_GROUP", "ns"]])

    def test_change_during_the_hold_answers(self):
        nacos = self.start(long_poll_min_ms=0)
        token = self.token(nacos)
        self.publish(nacos, token, "watched", "v1")
        timer = threading.Timer(0.5, lambda: self.publish(nacos, token, "watched", "v2"))
        timer.start()
        try:
            status, _, body, took = self.listen(
                nacos, token, [("watched", "DEFAULT_GROUP", md5("v1"))], timeout_ms=8000)
        finally:
            timer.join()
        self.assertEqual((status, changed_keys(body)), (200, [["watched", "DEFAULT_GROUP"]]))
        self.assertGreater(took, 0.4)
        self.assertLess(took, 3)

    def test_timeout_answers_empty(self):
        nacos = self.start(long_poll_min_ms=0)
        token = self.token(nacos)
        self.publish(nacos, token, "quiet", "q")
        entries = [("quiet", "DEFAULT_GROUP", md5("q"))]
        # Hold = max(min, header - 500 ms) = 1 s.
        status, _, body, took = self.listen(nacos, token, entries, timeout_ms=1500)
        self.assertEqual((status, body), (200, ""))
        self.assertGreater(took, 0.9)
        self.assertLess(took, 2.5)
        # Without the header the server short-polls; No-Hangup also returns at once.
        _, _, body, took = self.listen(nacos, token, entries)
        self.assertEqual(body, "")
        self.assertLess(took, 0.5)
        _, _, body, took = self.listen(nacos, token, entries, timeout_ms=30000,
                                       headers={"Long-Pulling-Timeout-No-Hangup": "true"})
        self.assertEqual(body, "")
        self.assertLess(took, 0.5)

    def test_nacos_minimum_hold_is_ten_seconds(self):
        nacos = self.start()  # Default minimum, as Nacos: max(10 s, header - 500 ms).
        token = self.token(nacos)
        self.publish(nacos, token, "slow", "1")
        timer = threading.Timer(2.0, lambda: self.publish(nacos, token, "slow", "2"))
        timer.start()
        try:
            _, _, body, took = self.listen(nacos, token, [("slow", "DEFAULT_GROUP", md5("1"))],
                                           timeout_ms=1000)
        finally:
            timer.join()
        # Still held after the 0.5 s the header alone would give: only the change ended it.
        self.assertGreater(took, 1.8)
        self.assertEqual(changed_keys(body), [["slow", "DEFAULT_GROUP"]])

    def test_bad_requests(self):
        nacos = self.start(flavor=3)
        token = self.token(nacos)
        status, _, body = nacos.request("POST", V1_LISTENER, body="",
                                        headers=self.bearer(token, **FORM))
        self.assertEqual((status, body), (400, "caused: invalid probeModify;"))
        status, _, body = nacos.request("POST", V1_LISTENER,
                                        body="Listening-Configs=only%02two%01",
                                        headers=self.bearer(token, **FORM))
        self.assertEqual(status, 400)
        response = nacos.request("POST", V1_LISTENER, body="Listening-Configs=x",
                                 headers=FORM)
        self.assertEqual(self.denial(response), f"Code: 401, Message: {USER_NOT_FOUND_3}.")


class V3ClientConfigTest(ConfigTestCase):
    def test_v3_get(self):
        nacos = self.start()
        token = self.token(nacos)
        self.publish(nacos, token, "v3.yaml", "k: v", group="G", tenant="dev", type="yaml")
        query = urllib.parse.urlencode(
            {"dataId": "v3.yaml", "groupName": "G", "namespaceId": "dev"})
        status, _, body = nacos.request("GET", f"{V3_CLIENT_CONFIG}?{query}",
                                        headers=self.bearer(token))
        self.assertEqual(status, 200, body)
        result = json.loads(body)
        self.assertEqual(list(result), ["code", "message", "data"])
        self.assertEqual((result["code"], result["message"]), (0, "success"))
        data = result["data"]
        self.assertEqual((data["content"], data["contentType"], data["md5"]),
                         ("k: v", "yaml", md5("k: v")))
        self.assertIsInstance(data["lastModified"], int)
        status, _, body = nacos.request("GET", f"{V3_CLIENT_CONFIG}?dataId=nope",
                                        headers=self.bearer(token))
        self.assertEqual((status, json.loads(body)),
                         (200, {"code": 20004, "message": "resource not found", "data": None}))
        status, _, body = nacos.request("GET", V3_CLIENT_CONFIG, headers=self.bearer(token))
        self.assertEqual((status, json.loads(body)["code"]), (400, 10000))
        self.assertEqual(self.denial(nacos.request("GET", f"{V3_CLIENT_CONFIG}?{query}")),
                         f"Code: 401, Message: {USER_NOT_FOUND_3}.")

    def test_api_modes(self):
        v2 = self.start(api="v1", flavor=2)
        token = self.token(v2, V1_LOGIN)
        self.assertEqual(v2.request("GET", f"{V3_CLIENT_CONFIG}?dataId=probe",
                                    headers=self.bearer(token))[0], 404)
        strict = self.start(api="v3")
        token = self.token(strict)
        status, _, body = self.get(strict, token, "probe")
        self.assertEqual(status, 410)
        self.assertIn("/v3/client/cs/config", json.loads(json.loads(body)["message"])["message"])
        self.assertEqual(strict.request("GET", f"{V3_CLIENT_CONFIG}?dataId=probe",
                                        headers=self.bearer(token))[0], 200)


if __name__ == "__main__":
    if len(sys.argv) > 1 and os.path.isfile(sys.argv[1]):
        BINARY = sys.argv.pop(1)
    if not BINARY:
        sys.exit("set FAKE_NACOS or pass the fake-nacos binary as the first argument")
    unittest.main(verbosity=2)
