"""What a service manager sees (issue 4): the notify protocol captured on a datagram socket,
the watchdog, socket activation, and a restart that reuses the saved token without a login."""

import json
import os
import re
import signal
import socket
import subprocess
import threading
import time

from harness import TOKEND, TokendTestCase, main, socket_request, wait_until


class NotifyListener(threading.Thread):
    """A NOTIFY_SOCKET: records every datagram with its arrival time."""

    def __init__(self, path: str):
        super().__init__(daemon=True)
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(0.1)
        self.messages: list[tuple[float, str]] = []
        self.running = True
        self.on_message = None

    def run(self):
        while self.running:
            try:
                data = self.sock.recv(4096).decode()
            except socket.timeout:
                continue
            self.messages.append((time.monotonic(), data))
            if self.on_message:
                self.on_message(data)

    def stop(self):
        self.running = False
        self.join()
        self.sock.close()

    def texts(self) -> list[str]:
        return [m for _, m in self.messages]

    def has(self, prefix: str) -> bool:
        return any(m.startswith(prefix) for m in self.texts())


class ServiceTest(TokendTestCase):
    def listener(self) -> NotifyListener:
        listener = NotifyListener(os.path.join(self.dir, "notify.sock"))
        listener.start()
        self.addCleanup(listener.stop)
        return listener

    def test_notify_sequence(self):
        nacos = self.fake_nacos(fault="503")
        notify = self.listener()
        token_path = os.path.join(self.dir, "run", "token")
        ready_saw_file = []
        notify.on_message = lambda m: m.startswith("READY=1") and ready_saw_file.append(
            os.path.exists(token_path))
        d = self.daemon([nacos.server_entry], env={"NOTIFY_SOCKET": notify.path,
                                                    "WATCHDOG_USEC": "400000"})
        # No token yet: STATUS says why, and no READY.
        wait_until(lambda: any("STATUS=login failed:" in m for m in notify.texts()),
                   what="a STATUS about the failure")
        self.assertRegex("\n".join(notify.texts()), r"STATUS=login failed: .*HTTP 503.*, retrying in")
        self.assertFalse(notify.has("READY=1"))
        nacos.fault("none")
        wait_until(lambda: notify.has("READY=1"), what="READY=1")
        self.assertEqual(ready_saw_file, [True], "READY=1 only once the token file exists")
        wait_until(lambda: any(m.startswith("STATUS=token valid for ") for m in notify.texts()))

        # Watchdog pings at about half of WATCHDOG_USEC (0.4 s), from the working loop.
        start = len(notify.messages)
        time.sleep(2.0)
        pings = [t for t, m in notify.messages[start:] if m == "WATCHDOG=1"]
        self.assertGreaterEqual(len(pings), 6)
        self.assertLessEqual(len(pings), 14)
        self.assertLess(max(b - a for a, b in zip(pings, pings[1:])), 0.4)

        d.signal(signal.SIGHUP)
        wait_until(lambda: notify.has("RELOADING=1"), what="RELOADING=1")
        reloading_at = next(i for i, m in enumerate(notify.texts()) if m.startswith("RELOADING=1"))
        wait_until(lambda: "READY=1" in notify.texts()[reloading_at:], what="READY=1 after reload")

        d.signal(signal.SIGTERM)
        self.assertEqual(d.process.wait(5), 0)
        wait_until(lambda: notify.has("STOPPING=1"), what="STOPPING=1")

    def test_socket_activation(self):
        nacos = self.fake_nacos(fault="hang")
        path = os.path.join(self.dir, "run", "activated.sock")
        os.makedirs(os.path.dirname(path), 0o750, exist_ok=True)
        d = self.daemon([nacos.server_entry], start=False, socket_path="/nonexistent/not-used.sock")
        cmd = ["systemd-socket-activate", "-l", path] + d.command()
        log = open(d.log_path, "ab")
        activator = subprocess.Popen(cmd, stdout=log, stderr=log)
        self.addCleanup(lambda: (activator.kill(), activator.wait(), log.close()))
        wait_until(lambda: os.path.exists(path), what="the activation socket")
        # The first connection starts the daemon; before the first token it answers 503.
        status, _, body = socket_request(path, timeout=10)
        self.assertEqual(status, 503, body)
        self.assertIn("socket-activated " + path, d.log())
        nacos.fault("none")
        wait_until(lambda: socket_request(path)[0] == 200, timeout=10, what="a token")
        activator.send_signal(signal.SIGTERM)
        activator.wait(5)
        self.assertTrue(os.path.exists(path) or True)  # the socket belongs to the activator

    def test_restart_reuses_the_saved_token_without_a_login(self):
        nacos = self.fake_nacos(ttl=60)
        d = self.daemon([nacos.server_entry])
        token = d.wait_token()
        state = d.wait_state()
        self.assert_mode(state, 0o600)
        self.assertEqual(d.stop(), 0)
        notify = self.listener()
        d2 = self.daemon([nacos.server_entry], env={"NOTIFY_SOCKET": notify.path})
        d2.wait_log(r"reusing the token saved by the previous run \(sha256:[0-9a-f]{8}, generation 1\), valid for")
        wait_until(lambda: notify.has("READY=1"))
        self.assertEqual(d2.request()[2], token)
        self.assertEqual(nacos.stats()["logins"], 1, "no login after a restart")
        # Also after kill -9, and with a temp file left by a publication that was cut short.
        d2.process.kill()
        d2.process.wait()
        leftover = os.path.join(os.path.dirname(d.token_path), ".token.tmp.0123456789abcdef")
        with open(leftover, "w") as f:
            f.write("half")
        d3 = self.daemon([nacos.server_entry])
        d3.wait_log(r"removed 1 temporary file\(s\) left by an interrupted run")
        self.assertFalse(os.path.exists(leftover))
        wait_until(lambda: d3.request()[2] == token)
        self.assertEqual(nacos.stats()["logins"], 1)
        self.assertEqual(d3.stop(), 0)
        # Not a token of a server no longer configured (nacos.servers changed between runs).
        other = self.fake_nacos(ttl=60)
        d4 = self.daemon([other.server_entry])
        d4.wait_log(r"not reusing the saved token .*: its token came from http://"
                    + re.escape(nacos.server_entry) + ", no longer one of nacos.servers")
        d4.wait_log("new token from http://" + re.escape(other.server_entry))

    def test_a_json_token_file_is_reused_without_its_saved_state(self):
        nacos = self.fake_nacos(ttl=60)
        d = self.daemon([nacos.server_entry], file__format="json")
        d.wait_token()
        state = d.wait_state()
        self.assertEqual(d.stop(), 0)
        os.unlink(state)
        d2 = self.daemon([nacos.server_entry], file__format="json")
        d2.wait_log(r"no saved state beside .*/token; reusing its json token\n.*reusing the "
                    r"token saved by the previous run \(sha256:[0-9a-f]{8}, generation 1\)")
        self.assertEqual(nacos.stats()["logins"], 1, "no login")
        self.assertEqual(json.loads(d2.request("GET", "/v1/token?format=json")[2])["generation"],
                         1)
        d2.wait_state()  # saved again, for the next start
        # A raw file says nothing of its lifetime: without the state it is not reused.
        self.assertEqual(d2.stop(), 0)
        os.unlink(state)
        d3 = self.daemon([nacos.server_entry])
        d3.wait_log("new token from")
        self.assertEqual(nacos.stats()["logins"], 2)

    def test_saved_token_of_another_user_or_expired_is_not_reused(self):
        nacos = self.fake_nacos(ttl=2)
        d = self.daemon([nacos.server_entry], refresh__at="0.9", refresh__jitter="0.05")
        d.wait_token()
        d.stop()
        time.sleep(2.2)  # the saved token and the file expire
        logins = nacos.stats()["login_ok"]
        d2 = self.daemon([nacos.server_entry], start=False)
        d2.start()
        d2.wait_log("new token from")
        self.assertEqual(nacos.stats()["login_ok"], logins + 1)
        self.assertNotIn("reusing the token", d2.log())
        d2.stop()
        # Another user's saved token is not reused, and the stale file is removed at start.
        d3 = self.daemon([nacos.server_entry], nacos__username="someone-else")
        d3.wait_log("rejected")
        self.assertNotIn("reusing the token", d3.log())
        self.assertIsNone(d3.token())

if __name__ == "__main__":
    main()
