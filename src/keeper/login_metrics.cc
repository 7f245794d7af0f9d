#include "keeper/login_metrics.h"

namespace tokend {

const char* LoginResultLabel(LoginResult result) {
  switch (result) {
    case LoginResult::kOk:
      return "ok";
    case LoginResult::kRejected:
      return "rejected";
    case LoginResult::kFailed:
      return "failed";
  }
  return "failed";
}

void LoginMetrics::RecordRound(LoginResult result, MonoDuration took, int64_t wall_unix) {
  int r = static_cast<int>(result);
  rounds[r].fetch_add(1, std::memory_order_relaxed);
  double seconds = static_cast<double>(took.count()) / 1000.0;
  size_t bucket = 0;
  while (bucket < kLoginDurationBuckets.size() && seconds > kLoginDurationBuckets[bucket]) ++bucket;
  duration_counts[r][bucket].fetch_add(1, std::memory_order_relaxed);
  duration_sum_us[r].fetch_add(static_cast<uint64_t>(std::max<int64_t>(0, took.count())) * 1000,
                               std::memory_order_relaxed);
  (result == LoginResult::kOk ? last_success_unix : last_error_unix).store(wall_unix);
}

}  // namespace tokend
