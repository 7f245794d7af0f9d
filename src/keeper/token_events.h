// The one observable lifecycle of an identity's token. Every change goes
// through TokenKeeper::Emit, which informs the observers in the order they
// were added: the file and state writer, readiness, the socket's waiting
// requests (and, later, the hook and the proxy).
#pragma once

#include <memory>
#include <string>

#include "keeper/token.h"

namespace tokend {

enum class TokenChange {
  kNew,        // a login gave a token with another value (a new generation)
  kConfirmed,  // a login gave the same value again (a Nacos token cache), maybe a new expiry
  kReused,     // a token saved by the previous run is served again at start, without a login
  kExpired,    // the token reached its expiry and no new one could be had
  kRemoved,    // the token must no longer be served: its user changed or its identity is gone
};

struct TokenEvent {
  TokenChange change;
  std::shared_ptr<const Token> token;  // the token now served; null after kExpired / kRemoved
  MonoTime now;
};

/// The end of a login round, for requests that asked for one (POST /v1/refresh).
struct LoginOutcome {
  bool ok = false;
  std::string error;  // when !ok: why, free of secrets
};

class TokenObserver {
 public:
  virtual ~TokenObserver() = default;
  virtual void OnTokenEvent(const std::string& identity, const TokenEvent& event) = 0;
  /// A login round has ended and its outcome is about to be applied: nothing of it
  /// (token, file) is visible yet. Every call is followed by one OnLoginFinished.
  virtual void OnLoginEnding(const std::string& /*identity*/) {}
  virtual void OnLoginFinished(const std::string& /*identity*/, const LoginOutcome& /*outcome*/) {}
};

}  // namespace tokend
