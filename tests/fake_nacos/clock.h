// Server clock of the fake: real or frozen epoch time plus an adjustable skew.
#ifndef TESTS_FAKE_NACOS_CLOCK_H_
#define TESTS_FAKE_NACOS_CLOCK_H_

#include <atomic>
#include <cstdint>
#include <optional>

namespace fake_nacos {

// Whole seconds of an epoch time in milliseconds, rounded down for either sign.
int64_t FloorSeconds(int64_t millis);

// Token expiry and timestamps use this clock. `fixed_now` (hidden flag --fixed-now) freezes it so
// tests can predict tokens byte for byte; the offset emulates a server whose clock is skewed.
class Clock {
 public:
  explicit Clock(std::optional<int64_t> fixed_now) : fixed_now_(fixed_now) {}

  int64_t NowSeconds() const;
  int64_t NowMillis() const;

  void set_offset_millis(int64_t offset) { offset_millis_.store(offset); }

 private:
  const std::optional<int64_t> fixed_now_;
  std::atomic<int64_t> offset_millis_{0};
};

}  // namespace fake_nacos

#endif  // TESTS_FAKE_NACOS_CLOCK_H_
