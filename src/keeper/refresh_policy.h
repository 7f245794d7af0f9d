// When to log in next: a pure function of the time, the token's lifetime,
// the failures so far, the server's Retry-After and random numbers, so that it
// can be tested with a fake clock and a seeded random source, and so that a
// simulation can drive a whole fleet with it (bench/fleet_sim.cc).
#pragma once

#include <optional>

#include "base/clock.h"
#include "config/config.h"
#include "keeper/login_method.h"

namespace tokend {

/// Everything NextRetry needs to know about the round that just failed.
struct RetryInput {
  MonoTime now;      // when the round failed
  int failures = 1;  // failed rounds in a row, >= 1
  FailureKind kind = FailureKind::kTransient;
  std::optional<MonoTime> valid_until;  // the served token's expiry, if one is valid
  MonoDuration retry_after{0};          // the server's Retry-After (0: none), already capped
};

/// Independent uniform numbers in [0, 1) for one NextRetry call.
struct RetryDraws {
  double delay;   // the backoff delay
  double spread;  // where after the server's Retry-After
  double window;  // where in the last-chance window
};

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

  /// The time of the next attempt after a failed round. Contract, per daemon:
  /// - the delay is at least retry_min and at most retry_max, or, when the
  ///   server sent a Retry-After R, at least R and at most R + retry_max: the
  ///   backoff delay if that is longer than R plus a random share of
  ///   min(R, retry_max), else R plus that share, so that a fleet refused at
  ///   one instant neither comes back at one instant nor waits longer than
  ///   its own backoff would when that already exceeds R (only the last
  ///   chance below may come sooner than R);
  /// - transient failures: "full jitter" below the cap, uniform in
  ///   [retry_min, retry_min * 2^failures] while that ceiling is below
  ///   retry_max / 2; from the first round whose ceiling reaches retry_max / 2
  ///   on (less than retry_max after the first failure, since the ceilings
  ///   below it sum to less), a renewal process with delays uniform in
  ///   [3/4 retry_max, retry_max - retry_min], whose first
  ///   delay is drawn from that process's stationary (equilibrium)
  ///   distribution, shifted by retry_min. So a fleet that failed at one
  ///   instant is, from then on, spread as if it had been failing at random
  ///   for ever: N / (7/8 retry_max - 1/2 retry_min) attempts per second,
  ///   without waves;
  /// - rejected credentials (401/403) start on that process at once;
  /// - with a valid token whose last retry_max (the window
  ///   [valid_until - retry_max, valid_until - retry_min]) is still ahead,
  ///   an attempt that would skip the whole window is moved to a uniformly
  ///   random time inside it: a last chance before expiry, spread over the
  ///   window, never one instant shared by every daemon with that expiry
  ///   (always possible when retry_max >= 2 retry_min).
  MonoTime NextRetry(const RetryInput& in, const RetryDraws& draws) const;

  /// How long before a token's expiry the last-chance window opens (retry_max).
  MonoDuration LastChanceWindow() const { return Cap(); }

 private:
  MonoDuration Cap() const;
  MonoDuration BackoffDelay(int failures, FailureKind kind, double u) const;

  RefreshConfig c_;
};

}  // namespace tokend
