#include "keeper/forced_logins.h"

#include <algorithm>

namespace tokend {

void ForcedLogins::Request(MonoTime now) {
  if (!pending_) requested_ = now;
  pending_ = true;
}

void ForcedLogins::ReportRejected(MonoTime now, uint64_t generation) {
  Request(now);
  if (generation != bypassed_generation_) {
    bypass_ = true;
    bypassed_generation_ = generation;
  }
}

std::optional<MonoTime> ForcedLogins::DueAt() const {
  if (!pending_) return std::nullopt;
  if (bypass_ || !last_start_) return requested_;
  return std::max(requested_, *last_start_ + kForcedLoginInterval);
}

void ForcedLogins::LoginStarted(MonoTime now) {
  if (!pending_) return;
  pending_ = false;
  bypass_ = false;
  last_start_ = now;
}

}  // namespace tokend
