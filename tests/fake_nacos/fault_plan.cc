#include "fault_plan.h"

#include <utility>

namespace fake_nacos {

void FaultPlan::Set(Fault fault, std::optional<int> count) {
  std::lock_guard<std::mutex> lock(mutex_);
  fault_ = std::move(fault);
  remaining_ = count;
  if (remaining_ && *remaining_ <= 0) fault_ = Fault{};
}

Fault FaultPlan::Current() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return fault_;
}

Fault FaultPlan::TakeForLogin() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (fault_.mode == FaultMode::kNone || fault_.mode == FaultMode::kDown) return Fault{};
  Fault taken = fault_;
  if (remaining_ && --*remaining_ <= 0) {
    fault_ = Fault{};
    remaining_.reset();
  }
  return taken;
}

}  // namespace fake_nacos
