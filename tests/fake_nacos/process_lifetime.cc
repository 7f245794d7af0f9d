#include "process_lifetime.h"

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

namespace fake_nacos {
namespace {

sigset_t TerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

bool PrepareProcessSignals() {
  const sigset_t set = TerminationSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  const pid_t parent = getppid();
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  // If the parent died before prctl, we were already reparented and no signal will come.
  return getppid() == parent && parent != 1;
}

std::string WaitForShutdown(int64_t max_lifetime_seconds) {
  const sigset_t set = TerminationSignals();
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(max_lifetime_seconds);
  for (;;) {
    const auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::seconds(0)) return "max lifetime reached";
    const timespec slice{1, 0};
    const int signal_number = sigtimedwait(&set, nullptr, &slice);
    if (signal_number > 0) return "signal " + std::to_string(signal_number);
    if (signal_number < 0 && errno != EAGAIN && errno != EINTR) return "sigtimedwait failed";
  }
}

void ArmShutdownWatchdog(int seconds) {
  std::thread([seconds] {
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
    _exit(0);
  }).detach();
}

}  // namespace fake_nacos
