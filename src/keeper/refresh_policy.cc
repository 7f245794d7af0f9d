#include "keeper/refresh_policy.h"

#include <algorithm>
#include <cmath>

namespace tokend {
namespace {

MonoDuration Scale(MonoDuration d, double f) {
  return MonoDuration(static_cast<int64_t>(std::floor(static_cast<double>(d.count()) * f)));
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

MonoTime RefreshPolicy::NextRetry(MonoTime now, int failures, FailureKind kind,
                                  std::optional<MonoTime> valid_until, double u) const {
  MonoDuration ceiling;
  if (kind == FailureKind::kRejected) {
    ceiling = c_.retry_max;
  } else {
    // retry_min * 2^failures, computed without overflow.
    double factor = std::ldexp(1.0, std::min(failures, 40));
    double ms = std::min(static_cast<double>(c_.retry_max.count()),
                         static_cast<double>(c_.retry_min.count()) * factor);
    ceiling = MonoDuration(static_cast<int64_t>(ms));
  }
  MonoDuration delay = ceiling / 2 + Scale(ceiling - ceiling / 2, u);
  delay = std::clamp(delay, c_.retry_min, std::max(c_.retry_min, c_.retry_max));
  MonoTime t = now + delay;
  if (valid_until && *valid_until - c_.retry_min > now) {
    t = std::min(t, *valid_until - c_.retry_min);
  }
  return t;
}

}  // namespace tokend
