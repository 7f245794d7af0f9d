// nacos-token's side of the daemon's socket: one HTTP/1.1 request per connection, and the
// waits in between, all interruptible by the signals the caller chose.
#pragma once

#include <signal.h>

#include <string>
#include <string_view>

namespace tokend::cli {

/// Lets blocking waits end early: while waiting, the signal mask is `mask` (so signals the
/// caller keeps blocked otherwise can arrive only then, without a race), and a wait returns
/// as soon as `*stop` is set by their handler.
struct Interruption {
  const sigset_t* mask = nullptr;
  volatile sig_atomic_t* stop = nullptr;
};

struct SocketAnswer {
  int status = 0;  // 0: no HTTP answer; `error` says why
  std::string body;
  std::string generation;  // the X-Token-Generation header; empty when absent
  std::string error;
  bool interrupted = false;  // the Interruption's flag was set while waiting
};

/// Sends `method target` (with `form_body` as application/x-www-form-urlencoded when not
/// empty) on a fresh connection to the Unix socket at `path`, and reads the answer, all
/// within `timeout_s`.
SocketAnswer AskSocket(const std::string& path, const char* method, const std::string& target,
                       const std::string& form_body, double timeout_s,
                       const Interruption* interruption = nullptr);

/// Builds "/v1/..." with the query parameters that are not empty: identity, format, wait,
/// after (all URL-safe by construction).
std::string ApiTarget(std::string_view path, const std::string& identity, bool json,
                      const std::string& wait = "", const std::string& after = "");

/// Seconds on the monotonic clock.
double MonotonicNow();

/// Waits `seconds`; returns false early when the Interruption's flag is set.
bool Pause(double seconds, const Interruption* interruption = nullptr);

}  // namespace tokend::cli
