#include "keeper/refresh_policy.h"

#include <algorithm>
#include <limits>
#include <random>
#include <vector>

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

namespace {

// A seeded uniform source in [0, 1).
struct Draws {
  explicit Draws(uint64_t seed) : rng(seed) {}
  double operator()() { return u(rng); }
  std::mt19937_64 rng;
  std::uniform_real_distribution<double> u{0, 1};
};

MonoDuration Retry(const RefreshPolicy& p, int failures, FailureKind kind, Draws& d,
                   MonoDuration retry_after = MonoDuration(0)) {
  return p.NextRetry({T(0s), failures, kind, std::nullopt, retry_after}, {d(), d(), d()}) - T(0s);
}

// Logins per second in [from, to) of a fleet: bins of 1 s.
std::vector<int> PerSecond(const std::vector<MonoTime>& attempts, MonoTime from, MonoTime to) {
  std::vector<int> bins(static_cast<size_t>((to - from) / 1s), 0);
  for (MonoTime t : attempts) {
    if (t < from || t >= from + 1s * bins.size()) continue;
    ++bins[static_cast<size_t>((t - from) / 1s)];
  }
  return bins;
}

}  // namespace

TEST_CASE("refresh policy: below the cap, full jitter from retry_min to the doubling ceiling") {
  RefreshPolicy p(Defaults());  // 1 s .. 60 s: ceilings 2, 4, 8, 16 s, then (at 32 >= 30) the cap
  Draws d(3);
  for (int failures = 1; failures <= 4; ++failures) {
    MonoDuration ceiling = 1s * (1LL << failures);
    MonoDuration lo = 1h, hi = 0s;
    for (int i = 0; i < 2000; ++i) {
      MonoDuration delay = Retry(p, failures, FailureKind::kTransient, d);
      CAPTURE(failures);
      CHECK(delay >= 1s);  // never more often than retry_min
      CHECK(delay <= ceiling);
      lo = std::min(lo, delay);
      hi = std::max(hi, delay);
    }
    CHECK(lo < 1s + ceiling / 20);  // the whole range is used, not its upper half
    CHECK(hi > ceiling - ceiling / 20);
  }
}

TEST_CASE("refresh policy: at the cap, delays lie in [3/4 retry_max, retry_max - retry_min]") {
  RefreshPolicy p(Defaults());
  Draws d(5);
  for (int failures : {6, 7, 8, 20, 1000, std::numeric_limits<int>::max()}) {
    for (int i = 0; i < 2000; ++i) {
      MonoDuration delay = Retry(p, failures, FailureKind::kTransient, d);
      CHECK(delay >= 45s);
      CHECK(delay <= 59s);
    }
  }
  // The first round at the cap (ceiling 32 s, half of it) is the shifted equilibrium draw.
  MonoDuration lo = 1h, hi = 0s;
  for (int i = 0; i < 5000; ++i) {
    MonoDuration delay = Retry(p, 5, FailureKind::kTransient, d);
    CHECK(delay >= 1s);
    CHECK(delay <= 60s);
    lo = std::min(lo, delay);
    hi = std::max(hi, delay);
  }
  CHECK(lo < 2s);
  CHECK(hi > 55s);
}

TEST_CASE("refresh policy: a fleet that failed at one instant is spread evenly at the cap") {
  // 52,000 daemons fail together at 0 and keep failing. From the first round
  // at the cap on, their attempts must be as dense in every second as in a
  // stationary fleet: N / mean delay (52 s), whatever the start.
  RefreshPolicy p(Defaults());
  Draws d(11);
  const int n = 52'000;
  std::vector<MonoTime> attempts;
  std::vector<MonoTime> transition;  // when each daemon's first delay at the cap began
  for (int i = 0; i < n; ++i) {
    MonoTime t = T(0s);
    for (int failures = 1; t < T(400s); ++failures) {
      if (failures == 5) transition.push_back(t);
      t = p.NextRetry({t, failures, FailureKind::kTransient, std::nullopt, 0s}, {d(), d(), d()});
      attempts.push_back(t);
    }
  }
  MonoTime last_transition = *std::max_element(transition.begin(), transition.end());
  CHECK(last_transition < T(60s));       // every daemon is on it within retry_max of failing
  MonoTime from = last_transition + 1s;  // every daemon is on the stationary process
  std::vector<int> bins = PerSecond(attempts, from, T(400s));
  REQUIRE(bins.size() > 200);
  for (size_t s = 0; s < bins.size(); ++s) {
    CAPTURE(s);
    CHECK(bins[s] > 850);   // n / 52 s = 1000 a second; sqrt(1000) = 32, so +-15% is ~5 sigma
    CHECK(bins[s] < 1150);  // and below 1.5 * n / retry_max = 1300
  }
}

TEST_CASE("refresh policy: when the server returns, a fleet at the cap logs in evenly") {
  // The goal in the small: a fleet that failed together, sitting at
  // retry_max when the server comes back at 300 s. Each daemon's first attempt
  // after that succeeds; the busiest second stays below 1.5 * N / retry_max and
  // all are done within retry_max.
  RefreshConfig c = Defaults();
  c.retry_max = 10s;
  RefreshPolicy p(c);
  Draws d(17);
  const int n = 20'000;
  const MonoTime recovery = T(300s);
  std::vector<MonoTime> logins;
  for (int i = 0; i < n; ++i) {
    MonoTime t = T(0s);
    for (int failures = 1; t < recovery; ++failures)
      t = p.NextRetry({t, failures, FailureKind::kTransient, std::nullopt, 0s}, {d(), d(), d()});
    logins.push_back(t);
    CHECK(t <= recovery + 10s);
  }
  std::vector<int> bins = PerSecond(logins, recovery, recovery + 11s);
  int busiest = *std::max_element(bins.begin(), bins.end());
  CHECK(busiest <= 1.5 * n / 10);
  CHECK(busiest >= n / 10);  // and not spread thinner than the cap allows (no wasted time)
}

TEST_CASE("refresh policy: a fleet that logged in together returns spread after an outage") {
  // The case measured in issue 14: TTL 30 s, retry_max 10 s, all tokens
  // expiring at 30 s, an outage from 18 s that holds every refresh, and the
  // server back at instants around the common expiry. 20,000 daemons, so that
  // the figure is the policy's, not sampling noise. The previous policy put
  // every daemon's last chance at 29 s: back at 28.5 s, the server got the
  // whole fleet (10 x N / retry_max) in one second; now 2.7 x at most. (Back
  // during the refreshes themselves, e.g. at 27 s, is no goal: with so short
  // a TTL the refresh wave alone is N / 6 s = 1.7 x N / retry_max.)
  RefreshConfig c = Defaults();
  c.retry_max = 10s;
  RefreshPolicy p(c);
  const int n = 20'000;
  const MonoTime expiry = T(30s);
  for (MonoTime recovery : {T(28500ms), T(29500ms), T(31s), T(35s), T(43s)}) {
    Draws d(37);
    std::vector<MonoTime> logins;
    for (int i = 0; i < n; ++i) {
      MonoTime t = p.NextRefresh(T(0s), T(0s), expiry, d());
      for (int failures = 1; t < recovery; ++failures) {
        std::optional<MonoTime> valid;
        if (t < expiry) valid = expiry;
        t = p.NextRetry({t, failures, FailureKind::kTransient, valid, 0s}, {d(), d(), d()});
      }
      logins.push_back(t);
    }
    std::vector<int> bins = PerSecond(logins, recovery, recovery + 11s);
    CAPTURE(recovery.since_boot);
    CHECK(*std::max_element(logins.begin(), logins.end()) <= recovery + 10s);
    CHECK(*std::max_element(bins.begin(), bins.end()) <= 3 * n / 10);
  }
}

TEST_CASE("refresh policy: rejected credentials start at the cap") {
  RefreshPolicy p(Defaults());
  Draws d(19);
  for (int i = 0; i < 1000; ++i) {
    MonoDuration first = Retry(p, 1, FailureKind::kRejected, d);
    CHECK(first >= 1s);
    CHECK(first <= 60s);
    MonoDuration later = Retry(p, 2, FailureKind::kRejected, d);
    CHECK(later >= 45s);
    CHECK(later <= 59s);
  }
}

TEST_CASE(
    "refresh policy: Retry-After is honoured and a fleet told it does not come back at once") {
  RefreshPolicy p(Defaults());
  Draws d(23);
  // Never before the server's time, never more than min(it, retry_max) after it.
  for (MonoDuration ra :
       {MonoDuration(3s), MonoDuration(30s), MonoDuration(120s), MonoDuration(10min)}) {
    for (int failures = 1; failures <= 10; ++failures) {
      for (int i = 0; i < 200; ++i) {
        MonoDuration delay = Retry(p, failures, FailureKind::kTransient, d, ra);
        CAPTURE(failures);
        CHECK(delay >= ra);
        CHECK(delay <= std::max<MonoDuration>(60s, ra + std::min<MonoDuration>(ra, 60s)));
      }
    }
  }
  // A Retry-After shorter than the backoff at the cap changes nothing.
  for (int i = 0; i < 1000; ++i) {
    MonoDuration delay = Retry(p, 9, FailureKind::kTransient, d, 10s);
    CHECK(delay >= 45s);
    CHECK(delay <= 59s);
  }
  // 10,000 daemons refused at one instant with Retry-After: 120 come back
  // spread over [120 s, 180 s], about 167 a second, not all at 120 s.
  std::vector<MonoTime> at;
  for (int i = 0; i < 10'000; ++i) at.push_back(T(Retry(p, 9, FailureKind::kTransient, d, 120s)));
  std::vector<int> bins = PerSecond(at, T(120s), T(180s));
  for (int b : bins) {
    CHECK(b > 10'000 / 60 / 2);
    CHECK(b < 10'000 / 60 * 3 / 2);
  }
}

TEST_CASE("refresh policy: the last chance before expiry is spread over the last retry_max") {
  // 10,000 daemons whose tokens all expire at 1000 s are told to wait 10 min at
  // 500 s: that would skip the expiry, so each tries once in [940 s, 999 s],
  // at a random time, never all at 999 s.
  RefreshPolicy p(Defaults());
  Draws d(29);
  std::vector<MonoTime> at;
  for (int i = 0; i < 10'000; ++i) {
    MonoTime t =
        p.NextRetry({T(500s), 3, FailureKind::kTransient, T(1000s), 10min}, {d(), d(), d()});
    CHECK(t >= T(940s));
    CHECK(t <= T(999s));
    at.push_back(t);
  }
  std::vector<int> bins = PerSecond(at, T(940s), T(999s));
  for (int b : bins) {
    CHECK(b > 10'000 / 59 / 2);
    CHECK(b < 10'000 / 59 * 2);
  }
  // Already inside the window (it just tried there): the ordinary delay applies.
  MonoTime t = p.NextRetry({T(970s), 9, FailureKind::kTransient, T(1000s), 0s}, {0.5, 0.5, 0.5});
  CHECK(t >= T(970s + 45s));
  // Less than retry_min left: likewise.
  t = p.NextRetry({T(0s), 1, FailureKind::kTransient, T(500ms), 0s}, {0.0, 0.0, 0.0});
  CHECK(t >= T(1s));
}

TEST_CASE("refresh policy: per-daemon guarantees hold for any configuration (property)") {
  // Random retry_min/retry_max, start, token expiry and Retry-After answers; a
  // daemon fails every round. Each delay is >= retry_min and <= retry_max plus
  // the Retry-After; and if the window [expiry - retry_max, expiry - retry_min]
  // was ahead when the failures began, one attempt falls inside it.
  // retry_max is at least retry_min, as the configuration requires.
  Draws d(31);
  for (int run = 0; run < 3000; ++run) {
    RefreshConfig c = Defaults();
    c.retry_min = MonoDuration(100 + static_cast<int64_t>(d() * 5000));
    c.retry_max = c.retry_min + MonoDuration(static_cast<int64_t>(d() * 600'000));
    RefreshPolicy p(c);
    MonoTime start = T(MonoDuration(static_cast<int64_t>(d() * 1e6)));
    MonoTime expiry = start + MonoDuration(static_cast<int64_t>(d() * 10 * c.retry_max.count()));
    // (A window shorter than retry_min cannot always be hit: retry_max < 2 retry_min.)
    bool window_ahead = start < expiry - c.retry_max && c.retry_max >= 2 * c.retry_min;
    bool tried_in_window = false;
    MonoTime now = start;
    FailureKind kind = d() < 0.2 ? FailureKind::kRejected : FailureKind::kTransient;
    for (int failures = 1; now < expiry + c.retry_max; ++failures) {
      MonoDuration retry_after = d() < 0.3 ? MonoDuration(static_cast<int64_t>(d() * 1.2e6)) : 0s;
      std::optional<MonoTime> valid;
      if (now < expiry) valid = expiry;
      MonoTime next = p.NextRetry({now, failures, kind, valid, retry_after}, {d(), d(), d()});
      CAPTURE(run);
      CAPTURE(failures);
      CHECK(next - now >= c.retry_min);
      CHECK(next - now <= c.retry_max + retry_after);
      if (next >= expiry - c.retry_max && next <= expiry - c.retry_min) tried_in_window = true;
      now = next;
    }
    if (window_ahead) CHECK(tried_in_window);
  }
}

TEST_CASE("refresh policy: every daemon reaches the cap within retry_max of failing (property)") {
  // With every draw at its largest, the rounds before the renewal at the cap
  // (whose delays are all >= 3/4 retry_max) take less than retry_max in all.
  Draws d(41);
  for (int run = 0; run < 2000; ++run) {
    RefreshConfig c = Defaults();
    c.retry_min = MonoDuration(100 + static_cast<int64_t>(d() * 5000));
    c.retry_max = 4 * c.retry_min + MonoDuration(static_cast<int64_t>(d() * 3'600'000));
    RefreshPolicy p(c);
    auto delay = [&](int failures, double u) {
      return p.NextRetry({T(0s), failures, FailureKind::kTransient, std::nullopt, 0s}, {u, u, u}) -
             T(0s);
    };
    MonoDuration before_cap{0};
    int failures = 1;
    // Round `failures` is at the cap when the round after it can only draw steady delays.
    for (; delay(failures + 1, 0.0) < c.retry_max * 3 / 4 - 1ms; ++failures)
      before_cap += delay(failures, 0.999999);
    CAPTURE(run);
    CAPTURE(failures);
    CHECK(before_cap < c.retry_max);
    CHECK(failures <= 40);
  }
}

TEST_CASE("refresh policy: short test TTLs still refresh before expiry") {
  RefreshPolicy p(Defaults());
  for (double u : {0.0, 0.5, 0.999}) {
    MonoTime t = p.NextRefresh(T(0s), T(0s), T(3s), u);
    CHECK(t >= T(1s));
    CHECK(t <= T(2s));
  }
}
