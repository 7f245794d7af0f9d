// Time as a parameter. All scheduling uses MonoTime, a clock that never jumps
// with the wall clock and keeps counting while the machine is suspended
// (CLOCK_BOOTTIME), so a token's lifetime is measured honestly. Wall time is
// only used to print "expiresAt" and to read a JWT's exp claim.
#pragma once

#include <time.h>

#include <chrono>

namespace tokend {

using MonoDuration = std::chrono::milliseconds;

/// A point on the monotonic (boot-time) clock, in milliseconds.
struct MonoTime {
  MonoDuration since_boot{0};
  auto operator<=>(const MonoTime&) const = default;
  MonoTime operator+(MonoDuration d) const { return MonoTime{since_boot + d}; }
  MonoTime operator-(MonoDuration d) const { return MonoTime{since_boot - d}; }
  MonoDuration operator-(MonoTime o) const { return since_boot - o.since_boot; }
};

using WallTime = std::chrono::system_clock::time_point;

/// Source of time. Implementations are safe for concurrent use.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual MonoTime Now() const = 0;
  virtual WallTime WallNow() const = 0;
};

/// CLOCK_BOOTTIME and the system clock.
class RealClock final : public Clock {
 public:
  MonoTime Now() const override {
    timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    return MonoTime{std::chrono::duration_cast<MonoDuration>(std::chrono::seconds(ts.tv_sec) +
                                                             std::chrono::nanoseconds(ts.tv_nsec))};
  }
  WallTime WallNow() const override { return std::chrono::system_clock::now(); }
};

}  // namespace tokend
