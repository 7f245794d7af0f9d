// Server clock of the fake: real or frozen epoch time plus an adjustable skew.
#ifndef TESTS_FAKE_NACOS_CLOCK_H_
#define TESTS_FAKE_NACOS_CLOCK_H_

#include <atomic>
#include <cstdint>
#include <optional>

namespace fake_nacos {

// Token expiry and timestamps use this clock. `fixed_now` (hidden flag --fixed-now) freezes it so
// tests can predict tokens byte for byte; the offset emulates a server whose clock is skewed.
class Clock {
 public:
  explicit Clock(std::optional<int64_t> fixed_now) : fixed_now_(fixed_now) {}

  int64_t NowSeconds() const;
  int64_t NowMillis() const;

  void set_offset_seconds(int64_t offset) { offset_seconds_.store(offset); }
  int64_t offset_seconds() const { return offset_seconds_.load(); }

 private:
  const std::optional<int64_t> fixed_now_;
  std::atomic<int64_t> offset_seconds_{0};
};

}  // namespace fake_nacos

#endif  // TESTS_FAKE_NACOS_CLOCK_H_
