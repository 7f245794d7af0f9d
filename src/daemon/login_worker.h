// Runs one identity's login rounds on a thread of its own, so a hung server
// of one identity never delays another's refresh, and the loop never waits
// for Nacos. One round at a time; the outcome is handed back through
// TakeResult() after `wakeup` was notified.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "base/clock.h"
#include "base/wakeup.h"
#include "keeper/login_method.h"

namespace tokend {

class LoginWorker {
 public:
  LoginWorker(const Clock* clock, Wakeup* wakeup) : clock_(clock), wakeup_(wakeup) {}
  ~LoginWorker() { Join(); }

  /// Starts `method`'s round (the previous one must have been taken).
  void Start(std::shared_ptr<LoginMethod> method);

  struct Finished {
    std::shared_ptr<LoginMethod> method;
    LoginRoundResult result;
    MonoDuration took;
  };
  /// The finished round, once (thread-safe).
  std::optional<Finished> TakeResult();
  /// Waits for the round running, if any (cut it first with Abort()).
  void Join();

 private:
  const Clock* clock_;
  Wakeup* wakeup_;
  std::thread thread_;
  std::mutex mu_;
  std::optional<Finished> finished_;  // guarded by mu_
};

}  // namespace tokend
