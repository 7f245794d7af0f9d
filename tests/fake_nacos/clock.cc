#include "clock.h"

#include <chrono>

namespace fake_nacos {

int64_t Clock::NowMillis() const {
  int64_t base;
  if (fixed_now_) {
    base = *fixed_now_ * 1000;
  } else {
    base = std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
               .count();
  }
  return base + offset_seconds_.load() * 1000;
}

int64_t Clock::NowSeconds() const {
  // Floor division keeps whole seconds consistent with NowMillis for any offset sign.
  const int64_t millis = NowMillis();
  return millis >= 0 ? millis / 1000 : -((-millis + 999) / 1000);
}

}  // namespace fake_nacos
