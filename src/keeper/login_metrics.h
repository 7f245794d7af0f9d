// Login counters of one identity, for /metrics and the socket's 503 reasons.
// Written by the identity's keeper, read by the socket threads (atomics).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

#include "base/clock.h"

namespace tokend {

enum class LoginResult { kOk, kRejected, kFailed };
inline constexpr int kLoginResults = 3;
const char* LoginResultLabel(LoginResult result);  // "ok", "rejected", "failed"

/// Upper bounds (seconds) of the login-duration histogram's buckets; +Inf follows.
inline constexpr std::array<double, 9> kLoginDurationBuckets = {0.01, 0.05, 0.1, 0.25, 0.5,
                                                                1,    2.5,  5,   10};

struct LoginMetrics {
  std::array<std::atomic<uint64_t>, kLoginResults> rounds{};  // by LoginResult
  std::atomic<int64_t> last_error_unix{0};                    // wall-clock seconds
  std::atomic<int64_t> last_success_unix{0};
  // Per result: counts per bucket (not cumulative; the last is +Inf), and the sum.
  std::array<std::array<std::atomic<uint64_t>, kLoginDurationBuckets.size() + 1>, kLoginResults>
      duration_counts{};
  std::array<std::atomic<uint64_t>, kLoginResults> duration_sum_us{};

  void RecordRound(LoginResult result, MonoDuration took, int64_t wall_unix);

  /// Why no valid token is being served ("logging in", "login failed: ..."),
  /// shown in 503 answers. Free of secrets by construction.
  void SetProblem(std::string text) {
    std::lock_guard lock(mu_);
    problem_ = std::move(text);
  }
  std::string Problem() const {
    std::lock_guard lock(mu_);
    return problem_;
  }

 private:
  mutable std::mutex mu_;
  std::string problem_ = "no login has completed yet";  // guarded by mu_
};

}  // namespace tokend
