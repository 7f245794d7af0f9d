#include "keeper/token_keeper.h"

#include <algorithm>

#include "base/duration.h"
#include "base/log.h"
#include "login/login_answer.h"

namespace tokend {
namespace {

int64_t UnixSeconds(WallTime t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace

TokenKeeper::TokenKeeper(std::string identity, const Clock* clock, const RefreshConfig& refresh,
                         std::shared_ptr<LoginMethod> login, uint64_t seed)
    : board_(std::make_shared<IdentityBoard>(std::move(identity))),
      clock_(clock),
      policy_(refresh),
      login_(std::move(login)),
      rng_(seed) {}

double TokenKeeper::Uniform() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); }

void TokenKeeper::Emit(TokenChange change, std::shared_ptr<const Token> token, MonoTime now) {
  TokenEvent event{change, std::move(token), now};
  for (TokenObserver* o : observers_) o->OnTokenEvent(name(), event);
}

void TokenKeeper::Reuse(MonoTime now, Token saved) {
  saved.identity = name();
  auto current = board_->store.Reuse(std::move(saved));
  board_->metrics.SetProblem("");
  next_login_ = policy_.NextRefresh(now, current->obtained, current->expires, Uniform());
  LogInfo(prefix_ + "reusing the token saved by the previous run (" +
          TokenFingerprint(current->value) + ", generation " + std::to_string(current->generation) +
          "), valid for " + FormatDuration(current->expires - now) + "; next refresh in " +
          FormatDuration(next_login_ - now));
  Emit(TokenChange::kReused, current, now);
}

void TokenKeeper::Advance(MonoTime now) {
  auto token = board_->store.Current();
  if (!token || token->ValidAt(now)) return;
  board_->store.Clear();
  board_->metrics.SetProblem(last_error_.empty()
                                 ? "the token expired; logging in"
                                 : "login failed: " + QuoteServerText(last_error_, ""));
  LogWarning(prefix_ + "token " + TokenFingerprint(token->value) +
             " expired and no new one could be obtained" +
             (last_error_.empty() ? "" : " (" + last_error_ + ")") +
             "; answering 503 until a login succeeds");
  Emit(TokenChange::kExpired, nullptr, now);
}

MonoTime TokenKeeper::NextWake(MonoTime now) const {
  MonoTime wake = now + std::chrono::hours(24);
  if (!in_flight_) {
    wake = std::min(wake, next_login_);
    if (auto due = forced_.DueAt()) wake = std::min(wake, *due);
  }
  if (auto t = board_->store.Current()) wake = std::min(wake, t->expires);
  return wake;
}

std::shared_ptr<LoginMethod> TokenKeeper::TakeDueLogin(MonoTime now) {
  if (in_flight_) return nullptr;
  auto forced_due = forced_.DueAt();
  bool forced = forced_carry_ || (forced_due && *forced_due <= now);
  if (!forced && now < next_login_) return nullptr;
  in_flight_forced_ = forced || forced_.pending();  // a scheduled login also answers waiters
  forced_carry_ = false;
  forced_.LoginStarted(now);
  in_flight_ = login_;
  LogDebug(prefix_ + "logging in as " + login_->principal() +
           (in_flight_forced_ ? " (asked for)" : ""));
  return in_flight_;
}

void TokenKeeper::FinishLogin(MonoTime now, const LoginMethod* from, LoginRoundResult result,
                              MonoDuration took) {
  in_flight_.reset();
  bool forced = std::exchange(in_flight_forced_, false);
  if (from != login_.get()) {
    // The configuration changed while this round ran: its answer is for the
    // old credentials or servers. Log in again with the new ones; whoever
    // waited gets that login's outcome.
    LogInfo(prefix_ + "discarding a login made with the previous configuration");
    next_login_ = now;
    forced_carry_ = forced_carry_ || forced;
    return;
  }
  // Before anything of this login shows: a refresh that sees its token was
  // asked after it ended, and must not be answered by it.
  for (TokenObserver* o : observers_) o->OnLoginEnding(name());
  LoginResult label = result.success                                  ? LoginResult::kOk
                      : result.failure_kind == FailureKind::kRejected ? LoginResult::kRejected
                                                                      : LoginResult::kFailed;
  board_->metrics.RecordRound(label, took, UnixSeconds(clock_->WallNow()));
  if (result.success) {
    // Servers before the one that answered failed: worth knowing before it matters.
    if (!result.error.empty()) {
      LogWarning(prefix_ + "logged in at " + result.success->server + " after: " + result.error);
    }
    OnSuccess(now, *result.success, forced);
  } else {
    OnFailure(now, result.failure_kind, result.error, result.retry_after);
  }
  LoginOutcome outcome{last_error_.empty() && board_->store.Valid(now) != nullptr, last_error_};
  for (TokenObserver* o : observers_) o->OnLoginFinished(name(), outcome);
}

void TokenKeeper::OnSuccess(MonoTime now, const LoginSuccess& success, bool forced) {
  std::vector<std::string> warnings;
  Result<Token> token = TokenFromLogin(success, login_->principal(), &warnings);
  for (const auto& w : warnings) LogWarning(prefix_ + w);
  if (!token) return OnFailure(now, FailureKind::kTransient, token.error(), MonoDuration(0));
  if (!token->ValidAt(now)) {
    return OnFailure(now, FailureKind::kTransient,
                     success.server + ": the token expired before it could be used",
                     MonoDuration(0));
  }
  token->identity = name();
  failures_ = 0;
  last_error_.clear();
  auto previous = board_->store.Valid(now);
  if (!forced && previous && previous->value != token->value &&
      previous->expires > token->expires) {
    // A scheduled refresh gave a token that dies sooner than the one served
    // (a shorter server TTL, a skewed server clock): keep serving the longer
    // one, and log in again on the new token's schedule. A forced login
    // always switches: someone asked for a new token.
    next_login_ = policy_.NextRefresh(now, token->obtained, token->expires, Uniform());
    LogInfo(prefix_ + "login gave a token valid for " + FormatDuration(token->expires - now) +
            ", less than the current one (" + FormatDuration(previous->expires - now) +
            "); keeping the current token; next login in " + FormatDuration(next_login_ - now));
    return;
  }
  uint64_t generation_before = board_->store.generation();
  auto current = board_->store.Set(std::move(*token));
  board_->metrics.SetProblem("");
  next_login_ = policy_.NextRefresh(now, current->obtained, current->expires, Uniform());
  bool same = current->generation == generation_before && previous;
  LogInfo(prefix_ + (same ? "token confirmed by " : "new token from ") + current->server + " (" +
          TokenFingerprint(current->value) + ", generation " + std::to_string(current->generation) +
          "), valid for " + FormatDuration(current->expires - now) + "; next refresh in " +
          FormatDuration(next_login_ - now));
  Emit(same ? TokenChange::kConfirmed : TokenChange::kNew, current, now);
}

void TokenKeeper::OnFailure(MonoTime now, FailureKind kind, const std::string& error,
                            MonoDuration retry_after) {
  ++failures_;
  last_error_ = error;
  auto valid = board_->store.Valid(now);
  std::optional<MonoTime> valid_until;
  if (valid) valid_until = valid->expires;
  next_login_ = policy_.NextRetry({now, failures_, kind, valid_until, retry_after},
                                  {Uniform(), Uniform(), Uniform()});
  std::string retry =
      "; retrying in " + FormatDuration(next_login_ - now) +
      (retry_after > MonoDuration(0) ? " (the server asked for " + FormatDuration(retry_after) + ")"
                                     : "");
  std::string served =
      valid ? " (the current token stays valid for " + FormatDuration(valid->expires - now) + ")"
            : " (no valid token to serve)";
  board_->metrics.SetProblem((valid ? "" : "login failed: ") + QuoteServerText(error, "") + retry);
  if (kind == FailureKind::kRejected) {
    LogError(prefix_ + "login as " + login_->principal() + " rejected: check " +
             login_->credentials() + ": " + error + retry + served);
  } else {
    LogWarning(prefix_ + "login failed: " + error + retry + served);
  }
}

void TokenKeeper::RequestLogin(MonoTime now) {
  if (in_flight_) {
    in_flight_forced_ = true;  // the round running has not ended: its outcome answers
    return;
  }
  forced_.Request(now);
  if (auto due = forced_.DueAt(); due && *due > now) {
    LogInfo(prefix_ + "a login was asked for; the last forced one was less than " +
            FormatDuration(kForcedLoginInterval) + " ago, logging in in " +
            FormatDuration(*due - now));
  }
}

void TokenKeeper::ReportRejected(MonoTime now, uint64_t generation) {
  auto current = board_->store.Valid(now);
  if (!current || current->generation != generation) return;        // already replaced
  if (std::exchange(rejected_logged_, generation) != generation) {  // once, however many report it
    LogWarning(prefix_ + "token " + TokenFingerprint(current->value) + " (generation " +
               std::to_string(generation) + ") was reported as rejected by Nacos; logging in");
  }
  if (in_flight_) {
    in_flight_forced_ = true;
    return;
  }
  forced_.ReportRejected(now, generation);
}

void TokenKeeper::Reconfigure(MonoTime now, const RefreshConfig& refresh,
                              std::shared_ptr<LoginMethod> login, bool drop_token) {
  policy_ = RefreshPolicy(refresh);
  if (login) {
    if (in_flight_) in_flight_->Abort();  // its answer would be for the old settings
    login_ = std::move(login);
    failures_ = 0;
    next_login_ = now;
    // The first token of the new settings replaces the one served, even if it lives
    // shorter: the old one may be another cluster's.
    forced_carry_ = true;
  }
  if (drop_token && board_->store.Current()) {
    board_->store.Clear();
    board_->metrics.SetProblem("the user changed; logging in as " + login_->principal());
    Emit(TokenChange::kRemoved, nullptr, now);
  }
}

void TokenKeeper::Remove(MonoTime now) {
  Abort();
  board_->store.Clear();
  Emit(TokenChange::kRemoved, nullptr, now);
}

void TokenKeeper::Abort() {
  login_->Abort();
  if (in_flight_) in_flight_->Abort();
}

std::string TokenKeeper::Status(MonoTime now) const {
  auto token = board_->store.Valid(now);
  auto until = [&](MonoTime t) { return FormatDuration(std::max(MonoDuration(0), t - now)); };
  MonoTime next = next_login_;
  if (auto due = forced_.DueAt()) next = std::min(next, *due);
  if (token && last_error_.empty()) {
    return "token valid for " + FormatDuration(token->expires - now) + ", next refresh in " +
           until(next);
  }
  if (!last_error_.empty()) {
    return (token ? "token valid for " + FormatDuration(token->expires - now) + "; " : "") +
           "login failed: " + QuoteServerText(last_error_, "") + ", retrying in " + until(next);
  }
  return "logging in to " + login_->first_server();
}

}  // namespace tokend
