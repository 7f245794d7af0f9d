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
  return base + offset_millis_.load();
}

int64_t FloorSeconds(int64_t millis) {
  return millis >= 0 ? millis / 1000 : -((-millis + 999) / 1000);
}

int64_t Clock::NowSeconds() const { return FloorSeconds(NowMillis()); }

}  // namespace fake_nacos
