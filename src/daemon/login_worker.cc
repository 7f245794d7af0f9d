#include "daemon/login_worker.h"

#include <utility>

namespace tokend {

void LoginWorker::Start(std::shared_ptr<LoginMethod> method) {
  Join();  // the previous round has finished: its result was taken
  thread_ = std::thread([this, method = std::move(method)] {
    MonoTime started = clock_->Now();
    LoginRoundResult result = method->Login();
    {
      std::lock_guard lock(mu_);
      finished_ = Finished{method, std::move(result), clock_->Now() - started};
    }
    wakeup_->Notify();
  });
}

std::optional<LoginWorker::Finished> LoginWorker::TakeResult() {
  std::lock_guard lock(mu_);
  return std::exchange(finished_, std::nullopt);
}

void LoginWorker::Join() {
  if (thread_.joinable()) thread_.join();
}

}  // namespace tokend
