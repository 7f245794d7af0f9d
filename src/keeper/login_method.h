// One kind of login (the Nacos password login; later OIDC): all the keeper
// knows of how a token is obtained, so that tests drive it with a scripted one.
#pragma once

#include <optional>
#include <string>

#include "base/clock.h"

namespace tokend {

/// What a failed login round was like, for choosing the retry delay.
enum class FailureKind {
  kTransient,  // network error, timeout, 5xx, unusable answer: ordinary backoff
  kRejected,   // 401/403: the credentials are wrong; retry on the slow side
};

struct LoginSuccess {
  std::string token;
  double ttl_seconds = 0;  // as the server said
  std::string server;      // "http://10.0.0.1:8848", as logs and the metadata show it
  MonoTime sent_at;        // when the successful request was started
  WallTime wall_sent_at;
};

struct LoginRoundResult {
  std::optional<LoginSuccess> success;
  FailureKind failure_kind = FailureKind::kTransient;  // when !success
  // Every failed server's reason, "; "-separated (with a success: those before it).
  std::string error;
  MonoDuration retry_after{0};  // longest Retry-After of a 429/503 in this round
};

class LoginMethod {
 public:
  virtual ~LoginMethod() = default;
  /// One round over every server. Blocking: runs on the identity's login
  /// worker, one round at a time.
  virtual LoginRoundResult Login() = 0;
  /// Thread-safe: cuts a round in flight; later rounds fail at once.
  virtual void Abort() = 0;
  /// Whom the tokens are for (the Nacos user name): the metadata's username.
  virtual const std::string& principal() const = 0;
  /// "http://10.0.0.1:8848" of the first server, for "logging in to ..." lines.
  virtual std::string first_server() const = 0;
  /// What to check when the credentials are rejected, for the log line.
  virtual std::string credentials() const { return "the user name and password"; }
};

}  // namespace tokend
