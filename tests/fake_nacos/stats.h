// Counters the tests read through GET /_fake/stats.
#ifndef TESTS_FAKE_NACOS_STATS_H_
#define TESTS_FAKE_NACOS_STATS_H_

#include <cstdint>
#include <mutex>
#include <string>

#include "login_routes.h"

namespace fake_nacos {

// Every login request ends in exactly one outcome.
enum class LoginOutcome { kOk, kRejected, kFaulted };

// Thread-safe.
class Stats {
 public:
  // A request reached a login path (any method, served or not). `masked_query` must already have
  // its password values replaced.
  void RecordLogin(PathGeneration generation, const std::string& content_type,
                   const std::string& masked_query, bool carries_token);
  void RecordLoginOutcome(LoginOutcome outcome);
  void RecordTokenMinted();
  void RecordApi(bool allowed);
  void Reset();

  // {"logins":N,"login_ok":N,...,"tokens_issued":N} in a fixed field order.
  std::string ToJson() const;

 private:
  mutable std::mutex mutex_;
  uint64_t logins_ = 0;
  uint64_t login_ok_ = 0;
  uint64_t login_rejected_ = 0;
  uint64_t login_faulted_ = 0;
  uint64_t logins_with_token_ = 0;
  uint64_t v1_logins_ = 0;
  uint64_t v3_logins_ = 0;
  uint64_t api_ok_ = 0;
  uint64_t api_denied_ = 0;
  uint64_t tokens_issued_ = 0;
  std::string last_login_content_type_;
  std::string last_login_query_;
};

}  // namespace fake_nacos

#endif  // TESTS_FAKE_NACOS_STATS_H_
