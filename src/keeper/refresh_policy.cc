#include "keeper/refresh_policy.h"

#include <algorithm>
#include <cmath>

namespace tokend {
namespace {

MonoDuration Scale(MonoDuration d, double f) {
  return MonoDuration(static_cast<int64_t>(std::floor(static_cast<double>(d.count()) * f)));
}

double Ms(MonoDuration d) { return static_cast<double>(d.count()); }

MonoDuration FromMs(double ms) { return MonoDuration(static_cast<int64_t>(std::floor(ms))); }

// Inverse CDF of the equilibrium (residual-life) distribution of U(lo, hi):
// density (1 - F(x)) / mean on [0, hi], i.e. flat at 1/mean up to lo, then
// falling linearly to 0 at hi. A renewal process whose first delay is drawn
// from it is stationary from its start: the same density at every instant.
double EquilibriumOfUniform(double lo, double hi, double u) {
  double mean = (lo + hi) / 2;
  double width = hi - lo;
  double flat = lo / mean;  // probability of the flat part
  if (u <= flat || width <= 0) return u * mean;
  return hi - std::sqrt(std::max(0.0, width * width - 2 * width * mean * (u - flat)));
}

}  // namespace

MonoTime RefreshPolicy::NextRefresh(MonoTime now, MonoTime obtained, MonoTime expires,
                                    double u) const {
  MonoDuration lifetime = std::max(MonoDuration(0), expires - obtained);
  double fraction = c_.at + c_.jitter * (2 * u - 1);
  MonoTime t = obtained + Scale(lifetime, fraction);
  t = std::max(t, now + c_.retry_min);
  MonoTime latest = expires - c_.retry_min;
  if (latest > now) t = std::min(t, latest);
  return t;
}

MonoDuration RefreshPolicy::Cap() const { return std::max(c_.retry_min, c_.retry_max); }

MonoDuration RefreshPolicy::BackoffDelay(int failures, FailureKind kind, double u) const {
  const double lo = Ms(c_.retry_min);
  const double cap = Ms(Cap());
  // Delays at the cap: uniform in [3/4 cap, cap - retry_min]. The upper end
  // leaves room for the retry_min shift of the first, equilibrium delay.
  const double steady_hi = std::max(lo, cap - lo);
  const double steady_lo = std::clamp(cap * 3 / 4, lo, steady_hi);
  // retry_min * 2^failures, computed without overflow.
  auto ceiling = [&](int n) { return std::min(cap, lo * std::ldexp(1.0, std::min(n, 40))); };
  // The doubling stops one step short of the cap: a ceiling in [cap/2, cap)
  // would give delays averaging cap/4 to cap/2, two to four times the cap's
  // attempt rate, for a stretch a fleet that failed together spends in step
  // (and a short outage can end in). Every daemon is on the renewal at the
  // cap less than `cap` after its first failure.
  auto reaches_cap = [&](int n) { return ceiling(n) * 2 >= cap; };
  bool at_cap = kind == FailureKind::kRejected || reaches_cap(failures);
  bool first_at_cap =
      failures <= 1 || (kind == FailureKind::kTransient && at_cap && !reaches_cap(failures - 1));
  double ms;
  if (!at_cap) {
    ms = lo + (ceiling(failures) - lo) * u;  // full jitter, floored at retry_min
  } else if (first_at_cap) {
    ms = lo + EquilibriumOfUniform(steady_lo, steady_hi, u);
  } else {
    ms = steady_lo + (steady_hi - steady_lo) * u;
  }
  return std::clamp(FromMs(ms), c_.retry_min, Cap());
}

MonoTime RefreshPolicy::NextRetry(const RetryInput& in, const RetryDraws& draws) const {
  MonoDuration delay = BackoffDelay(std::max(1, in.failures), in.kind, draws.delay);
  if (in.retry_after > MonoDuration(0)) {
    MonoDuration asked = in.retry_after + Scale(std::min(in.retry_after, Cap()), draws.spread);
    delay = std::max(delay, asked);
  }
  MonoTime t = in.now + delay;
  if (!in.valid_until) return t;
  // Last chance before expiry, spread over a window rather than one instant.
  MonoTime window_start = *in.valid_until - LastChanceWindow();
  MonoTime window_end = *in.valid_until - c_.retry_min;
  MonoTime earliest = std::max(window_start, in.now + c_.retry_min);
  bool skips_window = in.now < window_start && t > window_end;
  if (skips_window && earliest <= window_end) {
    t = earliest + Scale(window_end - earliest, draws.window);
  }
  return t;
}

}  // namespace tokend
