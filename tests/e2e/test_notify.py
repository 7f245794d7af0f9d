"""Change notification on the socket (issue 11): GET /v1/token?wait=…&after=GENERATION is
level-triggered, held without a thread or a wake-up, and answered on a new token, on expiry
(503) or when `wait` passes; the generation survives a restart that reuses the token."""

import os
import threading
import time

from harness import TokendTestCase, context_switches, main, socket_request, wait_until


# Sanitizer builds run several times slower and keep runtime threads of their own.
SLOW = 3.0 if os.environ.get("TOKEND_SANITIZED") else 1.0


class NotifyTest(TokendTestCase):
    def current(self, d, identity=""):
        status, headers, body = d.request(target="/v1/token?format=json" + identity)
        self.assertEqual(status, 200, body)
        return int(headers["X-Token-Generation"]), body

    def test_answers_at_once_unless_after_is_current(self):
        nacos = self.fake_nacos(ttl=300)
        d = self.daemon([nacos.server_entry])
        d.wait_token()
        gen, _ = self.current(d)
        started = time.monotonic()
        status, headers, _ = d.request(target=f"/v1/token?wait=20s&after={gen - 1}")
        self.assertEqual((status, headers["X-Token-Generation"]), (200, str(gen)))
        status, _, _ = d.request(target="/v1/token?wait=20s")  # no `after`: at once
        self.assertEqual(status, 200)
        self.assertLess(time.monotonic() - started, 1)
        # `wait` passes: the same token again.
        started = time.monotonic()
        status, headers, body = d.request(target=f"/v1/token?wait=1s&after={gen}")
        self.assertEqual((status, headers["X-Token-Generation"], body), (200, str(gen), d.token()))
        self.assertGreater(time.monotonic() - started, 0.9)
        for bad in ("wait=soon&after=1", "wait=1s&after=-1", "wait=1s&after=x"):
            self.assertEqual(d.request(target="/v1/token?" + bad)[0], 400, bad)

    def test_a_new_token_wakes_every_waiter_at_once(self):
        nacos = self.fake_nacos(ttl=300)
        d = self.daemon([nacos.server_entry])
        d.wait_token()
        gen, _ = self.current(d)
        answers = []

        def wait():
            status, headers, body = socket_request(
                d.socket_path, target=f"/v1/token?format=json&wait=60s&after={gen}", timeout=30)
            answers.append((time.monotonic(), status, headers.get("X-Token-Generation"), body))

        threads = [threading.Thread(target=wait) for _ in range(100)]
        for t in threads:
            t.start()
        time.sleep(1.5)  # all held by now
        self.assertEqual(answers, [], "held while the generation is current")
        time.sleep(1.1)  # two logins in one second would give the same Nacos token
        published = time.monotonic()
        d.signal(10)  # USR1: a new login, a new token
        for t in threads:
            t.join(20)
        self.assertEqual(len(answers), 100)
        self.assertEqual({a[1] for a in answers}, {200})
        self.assertEqual({a[2] for a in answers}, {str(gen + 1)})
        self.assertLess(max(a[0] for a in answers) - published, 2.0 * SLOW)
        self.assertLess(max(a[0] for a in answers) - min(a[0] for a in answers), 0.5 * SLOW)

    def test_expiry_answers_503(self):
        nacos = self.fake_nacos(ttl=3)
        d = self.daemon([nacos.server_entry])
        d.wait_token()
        gen, _ = self.current(d)
        nacos.fault("down")
        status, _, body = d.request(target=f"/v1/token?wait=60s&after={gen}", timeout=20)
        if status == 200:  # a refresh slipped in before the fault: follow that generation
            gen += 1
            status, _, body = d.request(target=f"/v1/token?wait=60s&after={gen}", timeout=20)
        self.assertEqual(status, 503, body)
        self.assertIn("no valid token", body)

    def test_held_requests_cost_no_wakeups_and_survive_a_restart(self):
        nacos = self.fake_nacos(ttl=600)
        d = self.daemon([nacos.server_entry])
        d.wait_token()
        d.wait_state()
        gen, _ = self.current(d)
        answers = []
        threads = [threading.Thread(target=lambda: answers.append(socket_request(
            d.socket_path, target=f"/v1/token?wait=600s&after={gen}", timeout=60)[0]))
            for _ in range(200)]
        for t in threads:
            t.start()
        time.sleep(1.0)
        before = context_switches(d.pid)
        time.sleep(3.0)
        woken = context_switches(d.pid) - before
        if SLOW == 1.0:  # (sanitizer runtimes wake up by themselves)
            self.assertLessEqual(woken, 3, "the idle daemon with 200 held requests wakes up")
        d.stop()  # held requests end with the daemon
        for t in threads:
            t.join(10)
        # A restart that reuses the saved token keeps its generation: `after` still holds.
        d2 = self.daemon([nacos.server_entry])
        d2.wait_log("reusing the token saved")
        self.assertEqual(self.current(d2)[0], gen)
        started = time.monotonic()
        status, headers, _ = d2.request(target=f"/v1/token?wait=1s&after={gen}")
        self.assertEqual((status, headers["X-Token-Generation"]), (200, str(gen)))
        self.assertGreater(time.monotonic() - started, 0.9, "held: nothing changed")


if __name__ == "__main__":
    main()
