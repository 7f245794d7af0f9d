// When forced logins start (USR1, POST /v1/refresh, rejected=<token>). Pure
// bookkeeping on the time it is given, so tests need no clock.
//
// A request never gets the outcome of a login that had ended before it
// arrived: it joins the login in flight (the keeper's concern) or waits for
// the next one, which starts at once unless the last forced login started
// less than kForcedLoginInterval ago; then it starts when that interval is
// over. A report that the current token was rejected skips the spacing once
// per token generation. Scheduled logins and retries do not count toward
// the spacing; any login that starts while a request waits answers it, and
// then counts as the forced one.
#pragma once

#include <cstdint>
#include <optional>

#include "base/clock.h"

namespace tokend {

/// Forced logins start at most this often.
inline constexpr MonoDuration kForcedLoginInterval = std::chrono::seconds(5);

class ForcedLogins {
 public:
  /// Someone asks for a login now.
  void Request(MonoTime now);
  /// Someone reports that Nacos refused the current token, of `generation`.
  void ReportRejected(MonoTime now, uint64_t generation);
  /// When the login waited for may start; nullopt when nobody waits.
  std::optional<MonoTime> DueAt() const;
  bool pending() const { return pending_; }
  /// A login starts at `now`; when somebody waited, it is the forced one.
  void LoginStarted(MonoTime now);

 private:
  bool pending_ = false;
  bool bypass_ = false;  // a rejected= report that may skip the spacing
  MonoTime requested_;   // when the first waiting request arrived
  std::optional<MonoTime> last_start_;
  uint64_t bypassed_generation_ = 0;
};

}  // namespace tokend
