// The currently armed login fault and how many more logins it applies to.
#ifndef TESTS_FAKE_NACOS_FAULT_PLAN_H_
#define TESTS_FAKE_NACOS_FAULT_PLAN_H_

#include <mutex>
#include <optional>

#include "fault.h"

namespace fake_nacos {

// Thread-safe.
class FaultPlan {
 public:
  // Arms `fault` for the next `count` logins (all logins when nullopt); then it reverts to none.
  void Set(Fault fault, std::optional<int> count);

  Fault Current() const;

  // The fault for the login being handled now (none or the armed one), consuming one use.
  // "down" is never returned: it acts on the listener, not on requests.
  Fault TakeForLogin();

 private:
  mutable std::mutex mutex_;
  Fault fault_;
  std::optional<int> remaining_;
};

}  // namespace fake_nacos

#endif  // TESTS_FAKE_NACOS_FAULT_PLAN_H_
