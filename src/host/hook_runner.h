// [hook] on_change: a command the daemon runs after each new token of one
// identity, as an observer of its keeper. No shell; its own process group;
// stdin and stdout /dev/null; a clean environment with the token's variables;
// the daemon's blocked signals and ignored dispositions reset. Runs never
// overlap: tokens that arrive meanwhile lead to one more run, with the newest.
// A run past `timeout` has its whole process group killed. Its exit status
// and the first line of its stderr are logged. Nothing here blocks: the loop
// polls the fds it is given and calls Service(). Loop thread only.
#pragma once

#include <poll.h>
#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "config/config.h"
#include "keeper/token_events.h"

namespace tokend {

class HookRunner final : public TokenObserver {
 public:
  HookRunner(HookConfig config, std::string token_file, std::string log_prefix);
  ~HookRunner() override;

  void OnTokenEvent(const std::string& identity, const TokenEvent& event) override;

  /// A reload: the next run uses these settings.
  void Reconfigure(HookConfig config, std::string token_file, std::string log_prefix);
  /// The fds the loop must poll for this runner (a running hook's exit and stderr).
  void AddPollFds(std::vector<pollfd>* fds) const;
  /// After poll: reads stderr, reaps a finished run, kills one past its
  /// timeout, starts the pending run.
  void Service(MonoTime now);
  /// When Service must run at the latest (a running hook's timeout).
  std::optional<MonoTime> next_deadline() const;
  /// Shutdown: kills a running hook's process group and reaps it.
  void Stop();

 private:
  struct Run {
    std::string program;  // as started: a reload may change or remove the command meanwhile
    MonoDuration timeout{0};
    pid_t pid = -1;
    int pidfd = -1;   // readable once the child exited
    int err_fd = -1;  // the read end of its stderr
    MonoTime started;
    MonoTime deadline;
    std::string first_line;
    bool line_done = false;
    bool killed = false;
    std::string token_value;  // to keep it out of the logged stderr line
  };

  void Start(MonoTime now, const Token& token);
  void ReadStderr();
  void Finish(int wait_status);

  HookConfig config_;
  std::string token_file_;
  std::string prefix_;
  std::optional<Run> run_;
  std::shared_ptr<const Token> pending_;  // the newest token not yet given to a run
};

}  // namespace tokend
