// Counters the daemon keeps for /metrics. Thread-safe (atomics).
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

namespace tokend {

struct LoginMetrics {
  std::atomic<uint64_t> ok{0};
  std::atomic<uint64_t> rejected{0};        // 401/403 from every server that answered
  std::atomic<uint64_t> failed{0};          // network errors, timeouts, 5xx, bad answers
  std::atomic<int64_t> last_error_unix{0};  // wall-clock seconds of the last failed round
  std::atomic<int64_t> last_success_unix{0};

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
