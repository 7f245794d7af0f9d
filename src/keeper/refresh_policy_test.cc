#include "keeper/refresh_policy.h"

#include <random>

#include "test_util.h"

using namespace tokend;
using namespace std::chrono_literals;

namespace {

RefreshConfig Defaults() { return RefreshConfig{}; }
MonoTime T(MonoDuration d) { return MonoTime{d}; }

}  // namespace

TEST_CASE("refresh policy: refreshes at `at` of the TTL without jitter") {
  RefreshConfig c = Defaults();
  c.jitter = 0;
  RefreshPolicy p(c);
  CHECK(p.NextRefresh(T(0s), T(0s), T(18000s), 0.5) == T(14400s));
  CHECK(p.NextRefresh(T(0s), T(0s), T(10s), 0.99) == T(8s));
}

TEST_CASE("refresh policy: jitter stays within at +/- jitter and covers the range") {
  RefreshPolicy p(Defaults());
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> u(0, 1);
  MonoTime lo = T(100h), hi = T(0s);
  for (int i = 0; i < 10000; ++i) {
    MonoTime t = p.NextRefresh(T(0s), T(0s), T(18000s), u(rng));
    CHECK(t >= T(12600s));  // 0.7 * 18000
    CHECK(t <= T(16200s));  // 0.9 * 18000
    lo = std::min(lo, t);
    hi = std::max(hi, t);
  }
  CHECK(lo < T(12700s));  // the draws really spread over the window
  CHECK(hi > T(16100s));
}

TEST_CASE("refresh policy: never later than expiry, never sooner than retry_min") {
  RefreshPolicy p(Defaults());
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  for (int i = 0; i < 10000; ++i) {
    MonoDuration ttl = MonoDuration(1 + static_cast<int64_t>(u(rng) * 40'000'000));
    MonoTime obtained = T(MonoDuration(static_cast<int64_t>(u(rng) * 1000)));
    MonoTime now = obtained + MonoDuration(static_cast<int64_t>(u(rng) * 50));
    MonoTime expires = obtained + ttl;
    MonoTime t = p.NextRefresh(now, obtained, expires, u(rng));
    CHECK(t >= now + 1s);
    if (expires - 1s > now) CHECK(t <= expires - 1s);
  }
}

TEST_CASE("refresh policy: a token cache's shrinking TTLs cause few logins per lifetime") {
  // A Nacos with its token cache on returns the same token and the remaining
  // TTL until less than a tenth of the validity is left; count our logins.
  RefreshPolicy p(Defaults());
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> u(0, 1);
  const MonoDuration validity = 18000s;
  MonoTime now = T(0s);
  MonoTime server_expiry = now + validity;
  int logins_for_first_token = 0;
  for (int i = 0; i < 100 && server_expiry == T(validity); ++i) {
    ++logins_for_first_token;
    if (now + validity / 10 > server_expiry) server_expiry = now + validity;  // new token
    if (server_expiry != T(validity)) break;
    now = p.NextRefresh(now, now, server_expiry, u(rng));
  }
  CHECK(logins_for_first_token <= 3);
}

TEST_CASE("refresh policy: retries double from retry_min to retry_max with jitter") {
  RefreshPolicy p(Defaults());
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0, 1);
  for (int failures = 1; failures <= 20; ++failures) {
    MonoDuration ceiling = std::min<MonoDuration>(60s, 1s * (1LL << std::min(failures, 20)));
    for (int i = 0; i < 500; ++i) {
      MonoDuration d =
          p.NextRetry(T(0s), failures, FailureKind::kTransient, std::nullopt, u(rng)) - T(0s);
      CAPTURE(failures);
      CHECK(d >= 1s);   // never more often than retry_min
      CHECK(d <= 60s);  // capped
      CHECK(d <= ceiling);
      CHECK(d >= ceiling / 2);  // the lower half is the random part
    }
  }
}

TEST_CASE("refresh policy: rejected credentials retry on the slow side at once") {
  RefreshPolicy p(Defaults());
  for (double u : {0.0, 0.5, 0.999}) {
    MonoDuration d = p.NextRetry(T(0s), 1, FailureKind::kRejected, std::nullopt, u) - T(0s);
    CHECK(d >= 30s);
    CHECK(d <= 60s);
  }
}

TEST_CASE("refresh policy: a retry lands before the valid token expires") {
  RefreshPolicy p(Defaults());
  // 10 failures would wait ~60s, but the token only has 20s left.
  MonoTime t = p.NextRetry(T(0s), 10, FailureKind::kTransient, T(20s), 0.9);
  CHECK(t <= T(19s));
  CHECK(t >= T(1s));
  // Less than retry_min left: the ordinary delay applies (the token will expire).
  t = p.NextRetry(T(0s), 1, FailureKind::kTransient, T(500ms), 0.0);
  CHECK(t >= T(1s));
}

TEST_CASE("refresh policy: short test TTLs still refresh before expiry") {
  RefreshPolicy p(Defaults());
  for (double u : {0.0, 0.5, 0.999}) {
    MonoTime t = p.NextRefresh(T(0s), T(0s), T(3s), u);
    CHECK(t >= T(1s));
    CHECK(t <= T(2s));
  }
}
