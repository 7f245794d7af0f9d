// One identity's whole token life: when to log in (the refresh policy and the
// forced-login rules), failures and backoff, expiry, forced and rejected=
// logins, and the one lifecycle every change of its token goes through.
//
// The keeper does no I/O and starts no thread. The process shell asks it for
// the login that is due (TakeDueLogin), runs that on the identity's worker and
// hands the outcome back (FinishLogin); everything happens at the `now` it is
// given. So tests drive whole stories with a fake clock and a scripted login.
// Loop thread only, except board(), which other threads may read.
#pragma once

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "base/clock.h"
#include "config/config.h"
#include "keeper/forced_logins.h"
#include "keeper/identity_board.h"
#include "keeper/login_method.h"
#include "keeper/refresh_policy.h"
#include "keeper/token_events.h"

namespace tokend {

class TokenKeeper {
 public:
  /// `clock` gives wall time for metrics only; `seed` drives the jitter.
  TokenKeeper(std::string identity, const Clock* clock, const RefreshConfig& refresh,
              std::shared_ptr<LoginMethod> login, uint64_t seed);

  const std::string& name() const { return board_->name; }
  /// What the socket threads read: the current token and the counters.
  std::shared_ptr<const IdentityBoard> board() const { return board_; }
  /// Observers are informed in the order added, on the loop thread.
  void AddObserver(TokenObserver* observer) { observers_.push_back(observer); }
  /// "[staging] " when the daemon has several identities, so log lines name it.
  void SetLogPrefix(std::string prefix) { prefix_ = std::move(prefix); }

  /// Serves a token saved by the previous run (valid at `now`), without a login.
  void Reuse(MonoTime now, Token saved);

  /// Expires the token when its time has come (kExpired).
  void Advance(MonoTime now);
  /// When Advance or TakeDueLogin has something to do next.
  MonoTime NextWake(MonoTime now) const;

  /// The login to run now, or null (none due, or one in flight).
  std::shared_ptr<LoginMethod> TakeDueLogin(MonoTime now);
  /// The outcome of the round TakeDueLogin handed out; `from` is its method,
  /// `took` how long it ran.
  void FinishLogin(MonoTime now, const LoginMethod* from, LoginRoundResult result,
                   MonoDuration took);

  /// USR1, POST /v1/refresh: a login whose outcome the caller waits for.
  void RequestLogin(MonoTime now);
  /// rejected=<token> with the current token's generation: Nacos refused the
  /// token before its expiry. A report of an older generation costs nothing.
  void ReportRejected(MonoTime now, uint64_t generation);

  /// A reload. `login` non-null: new credentials or servers, so log in again
  /// now (a login in flight is cut and its answer dropped). `drop_token`: the
  /// token is another user's and must no longer be served (kRemoved).
  void Reconfigure(MonoTime now, const RefreshConfig& refresh, std::shared_ptr<LoginMethod> login,
                   bool drop_token);
  /// The identity is gone: cuts its login and drops its token (kRemoved).
  void Remove(MonoTime now);
  /// Shutdown: cuts the login in flight, if any.
  void Abort();

  bool login_in_flight() const { return in_flight_ != nullptr; }
  bool has_valid_token(MonoTime now) const { return board_->store.Valid(now) != nullptr; }
  const LoginMethod& login() const { return *login_; }
  /// For systemd's STATUS=: "token valid for 4h12m, next refresh in 3h1m", ...
  std::string Status(MonoTime now) const;

 private:
  void OnSuccess(MonoTime now, const LoginSuccess& success, bool forced);
  void OnFailure(MonoTime now, FailureKind kind, const std::string& error,
                 MonoDuration retry_after);
  void Emit(TokenChange change, std::shared_ptr<const Token> token, MonoTime now);
  double Uniform();

  std::shared_ptr<IdentityBoard> board_;
  const Clock* clock_;
  RefreshPolicy policy_;
  std::shared_ptr<LoginMethod> login_;
  std::shared_ptr<LoginMethod> in_flight_;  // the method of the round running, if any
  bool in_flight_forced_ = false;           // somebody waits for the round running
  bool forced_carry_ = false;               // a dropped forced round: the next one is forced
  uint64_t rejected_logged_ = 0;  // the generation last reported as rejected (logged once)
  ForcedLogins forced_;
  MonoTime next_login_;  // the scheduled login or retry
  int failures_ = 0;
  std::string last_error_;
  std::vector<TokenObserver*> observers_;
  std::mt19937_64 rng_;
  std::string prefix_;
};

}  // namespace tokend
