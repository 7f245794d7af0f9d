// When to log in next: a pure function of the time, the token's lifetime,
// the failures so far and a random number, so that it can be tested with a
// fake clock and a seeded random source.
#pragma once

#include <optional>

#include "base/clock.h"
#include "config/config.h"
#include "keeper/login_method.h"

namespace tokend {

class RefreshPolicy {
 public:
  explicit RefreshPolicy(const RefreshConfig& config) : c_(config) {}

  /// The time of the next login after a successful one. `obtained` is when
  /// the login request was sent, `expires` when the token stops being valid;
  /// `u` is uniform in [0, 1). The result lies at `at` +/- `jitter` of the
  /// lifetime, is never earlier than now + retry_min (so a server answering
  /// with ever shorter TTLs cannot cause a login loop) and never later than
  /// `expires` - retry_min when that is still ahead.
  MonoTime NextRefresh(MonoTime now, MonoTime obtained, MonoTime expires, double u) const;

  /// The time of the next attempt after `failures` (>= 1) failed rounds in a
  /// row. The delay starts in [retry_min, 2 retry_min], doubles per failure
  /// and is capped at retry_max, with its lower half random ("equal jitter"),
  /// so a fleet that failed together spreads out. Rejected credentials wait
  /// [retry_max/2, retry_max] at once. While `valid_until` (the current
  /// token's expiry) is set and ahead, the attempt is pulled in to land
  /// before it, so a last chance is never skipped.
  MonoTime NextRetry(MonoTime now, int failures, FailureKind kind,
                     std::optional<MonoTime> valid_until, double u) const;

 private:
  RefreshConfig c_;
};

}  // namespace tokend
