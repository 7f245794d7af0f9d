"""/metrics against Prometheus conventions: starts the real nacos-tokend against fake-nacos,
drives a failed, a rejected and a successful login and a few socket requests, fetches /metrics
over the socket and runs `promtool check metrics` on it, which must print nothing. Every metric
family exposed must also be documented in README.md and in nacos-tokend(8).

    TOKEND=build/src/nacos-tokend FAKE_NACOS=build/tests/fake_nacos/fake-nacos \
        python3 tests/metrics/check_metrics.py

promtool comes from PATH or $PROMTOOL (Debian ships it in the package prometheus;
.ci/promtool extracts it without installing the server). Exits non-zero on any finding.
"""

import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SOURCE, "tests", "e2e"))

from harness import PASSWORD, TokendTestCase, main, socket_request, wait_until  # noqa: E402

PROMTOOL = os.environ.get("PROMTOOL") or shutil.which("promtool")


def counter(text: str, name: str, **labels) -> float:
    """The sum of the samples of `name` whose labels include `labels`."""
    total = 0.0
    for m in re.finditer(r"^" + re.escape(name) + r"(\{[^}]*\})? (\S+)$", text, re.M):
        have = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1) or ""))
        if all(have.get(k) == v for k, v in labels.items()):
            total += float(m.group(2))
    return total


class MetricsTest(TokendTestCase):
    def test_promtool_check_metrics_is_silent(self):
        self.assertTrue(PROMTOOL, "promtool not found (PATH or $PROMTOOL); see .ci/promtool")
        # First login: 503 (failed); then a wrong password (rejected); then the right one (ok).
        nacos = self.fake_nacos(fault="503")
        proxy = os.path.join(self.dir, "run", "nacos.sock")
        d = self.daemon([nacos.server_entry], refresh__retry_min="100ms",
                        refresh__retry_max="400ms", proxy__path=proxy)

        def metrics() -> str:
            try:
                status, _, body = d.request("GET", "/metrics")
            except OSError:  # not listening yet
                return ""
            self.assertEqual(status, 200)
            return body

        wait_until(lambda: counter(metrics(), "nacos_tokend_logins_total", result="failed") >= 1,
                   what="a failed login in /metrics")
        nacos.set(password="not-the-daemon's")
        nacos.fault("none")
        wait_until(lambda: counter(metrics(), "nacos_tokend_logins_total", result="rejected") >= 1,
                   what="a rejected login in /metrics")
        nacos.set(password=PASSWORD)
        d.wait_token(timeout=10)
        for target in ("/v1/token", "/v1/token?format=json", "/v1/health", "/nowhere"):
            d.request("GET", target)
        d.request("POST", "/v1/health")
        socket_request(proxy, "GET", "/nacos/v1/cs/configs?dataId=probe")  # the proxy's families
        text = metrics()

        out = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True,
                             text=True, timeout=30)
        findings = (out.stdout + out.stderr).strip()
        self.assertEqual((out.returncode, findings), (0, ""),
                         f"promtool check metrics:\n{findings}\n--- /metrics ---\n{text}")

        families = sorted(set(re.findall(r"^# TYPE (\S+) ", text, re.M)))
        self.assertTrue(families, text)
        for name, path in (("README.md", "README.md"),
                           ("nacos-tokend(8)", os.path.join("man", "nacos-tokend.8.scd"))):
            with open(os.path.join(SOURCE, path), encoding="utf-8") as handle:
                doc = handle.read().replace("\\_", "_")  # scdoc escapes
            missing = [f for f in families if f not in doc]
            self.assertEqual(missing, [], f"metrics not documented in {name}")


if __name__ == "__main__":
    main()
