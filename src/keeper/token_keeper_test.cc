// Whole stories of one identity's token, told with a fake clock and a
// scripted login: no sockets, no threads, no sleeping.
#include "keeper/token_keeper.h"

#include <deque>
#include <functional>

#include "test_util.h"

using namespace tokend;
using namespace tokend::testing;
using namespace std::chrono_literals;

namespace {

RefreshConfig Refresh() {
  RefreshConfig r;
  r.retry_min = 1s;
  r.retry_max = 8s;
  return r;
}

// Answers login rounds from a script; past its end, as the last step says.
class ScriptedLogin final : public LoginMethod {
 public:
  explicit ScriptedLogin(FakeClock* clock) : clock_(clock) {}
  using Step = std::function<LoginRoundResult()>;

  Step Ok(const std::string& token, double ttl) {
    return [this, token, ttl] {
      LoginRoundResult r;
      r.success = LoginSuccess{token, ttl, "http://nacos:8848", clock_->Now(), clock_->WallNow()};
      return r;
    };
  }
  Step Fail(FailureKind kind = FailureKind::kTransient) {
    return [kind] {
      LoginRoundResult r;
      r.failure_kind = kind;
      r.error = kind == FailureKind::kRejected ? "HTTP 403: unknown user" : "HTTP 503";
      return r;
    };
  }
  void Then(Step step) { script_.push_back(std::move(step)); }
  /// What every round past the script answers.
  void Always(Step step) { always_ = std::move(step); }

  LoginRoundResult Login() override {
    ++calls;
    login_times.push_back(clock_->Now());
    if (!script_.empty()) {
      Step s = script_.front();
      script_.pop_front();
      return s();
    }
    return always_();
  }
  void Abort() override { ++aborts; }
  const std::string& principal() const override { return user_; }
  std::string first_server() const override { return "http://nacos:8848"; }

  int calls = 0;
  int aborts = 0;
  std::vector<MonoTime> login_times;

 private:
  FakeClock* clock_;
  std::deque<Step> script_;
  Step always_ = [] { return LoginRoundResult{}; };
  std::string user_ = "tokend";
};

class Recorder final : public TokenObserver {
 public:
  void OnTokenEvent(const std::string& identity, const TokenEvent& e) override {
    events.push_back(e.change);
    identities.push_back(identity);
  }
  void OnLoginFinished(const std::string&, const LoginOutcome& o) override {
    outcomes.push_back(o);
  }
  std::vector<TokenChange> events;
  std::vector<std::string> identities;
  std::vector<LoginOutcome> outcomes;
};

// The process shell in miniature: runs due logins at once (taking `latency`)
// and moves the clock to the keeper's next wake-up, until `until`.
struct Story {
  FakeClock clock;
  std::shared_ptr<ScriptedLogin> login = std::make_shared<ScriptedLogin>(&clock);
  TokenKeeper keeper{"default", &clock, Refresh(), login, 42};
  Recorder recorder;
  MonoDuration latency = 0ms;

  Story() { keeper.AddObserver(&recorder); }
  MonoTime now() const { return clock.Now(); }
  std::shared_ptr<const Token> token() const { return keeper.board()->store.Valid(now()); }

  void RunFor(MonoDuration span) {
    MonoTime until = now() + span;
    for (int guard = 0; guard < 100000; ++guard) {
      keeper.Advance(now());
      if (auto m = keeper.TakeDueLogin(now())) {
        clock.Advance(latency);
        keeper.FinishLogin(now(), m.get(), m->Login(), latency);
        continue;
      }
      MonoTime next = keeper.NextWake(now());
      if (next > until) break;
      clock.Advance(std::max(next - now(), MonoDuration(1)));
    }
    if (until > now()) clock.Advance(until - now());
    keeper.Advance(now());
  }
};

}  // namespace

TEST_CASE("keeper: logs in at once, then refreshes inside the at +/- jitter window") {
  Story s;
  s.login->Always(s.login->Ok("t1", 100));
  s.RunFor(0ms);
  REQUIRE(s.token());
  CHECK(s.token()->value == "t1");
  CHECK(s.recorder.events == std::vector{TokenChange::kNew});
  MonoTime first = s.login->login_times[0];
  s.RunFor(95s);
  REQUIRE(s.login->calls == 2);
  MonoDuration at = s.login->login_times[1] - first;
  CHECK(at >= 70s);
  CHECK(at <= 90s);
  CHECK(s.recorder.events == std::vector{TokenChange::kNew, TokenChange::kConfirmed});
}

TEST_CASE("keeper: an outage across the refresh point keeps serving, retries before expiry") {
  Story s;
  s.login->Then(s.login->Ok("t1", 30));
  s.login->Always(s.login->Fail());
  s.RunFor(29'500ms);
  CHECK(s.token());  // still valid: served through the outage
  CHECK(s.login->calls >= 3);
  CHECK(s.login->login_times.back() < s.login->login_times[0] + 30s);
  // A last chance inside the window before expiry: [expiry - retry_max, expiry - retry_min].
  CHECK(s.login->login_times.back() >= s.login->login_times[0] + 22s);
  s.login->Always(s.login->Ok("t2", 30));
  s.RunFor(9s);  // within retry_max the server's recovery is noticed
  REQUIRE(s.token());
  CHECK(s.token()->value == "t2");
}

TEST_CASE("keeper: past expiry the token is dropped (kExpired), then renewed") {
  Story s;
  s.login->Then(s.login->Ok("t1", 10));
  s.login->Always(s.login->Fail());
  s.RunFor(12s);
  CHECK_FALSE(s.token());
  CHECK(s.recorder.events == std::vector{TokenChange::kNew, TokenChange::kExpired});
  CHECK(s.keeper.board()->metrics.Problem().find("login failed: HTTP 503") == 0);
  s.login->Always(s.login->Ok("t2", 10));
  s.RunFor(9s);
  REQUIRE(s.token());
  CHECK(s.token()->generation == 2);
}

TEST_CASE("keeper: rejected credentials retry on the slow side") {
  Story s;
  s.login->Always(s.login->Fail(FailureKind::kRejected));
  s.RunFor(0ms);
  s.RunFor(3s);
  CHECK(s.login->calls == 1);  // the next attempt waits at least retry_max / 2
  s.RunFor(6s);
  CHECK(s.login->calls == 2);
  CHECK(s.keeper.board()->metrics.rounds[static_cast<int>(LoginResult::kRejected)] == 2);
}

TEST_CASE("keeper: a forced login never answers with an outcome that ended before it") {
  Story s;
  s.login->Always(s.login->Ok("t1", 1000));
  s.RunFor(0ms);
  s.login->Always(s.login->Fail());
  s.keeper.RequestLogin(s.now());
  s.RunFor(0ms);
  REQUIRE(s.recorder.outcomes.size() == 2);
  CHECK_FALSE(s.recorder.outcomes.back().ok);
  // The server is fixed; a second request 1 s later gets a new login (after
  // the 5 s spacing, or the scheduled retry if that comes first), never the
  // old failure.
  s.login->Always(s.login->Ok("t2", 1000));
  s.clock.Advance(1s);
  size_t outcomes = s.recorder.outcomes.size();
  s.keeper.RequestLogin(s.now());
  CHECK(s.keeper.TakeDueLogin(s.now()) == nullptr);  // not at once: spacing or retry
  s.RunFor(5s);
  REQUIRE(s.recorder.outcomes.size() == outcomes + 1);
  CHECK(s.recorder.outcomes.back().ok);
  CHECK(s.token()->value == "t2");
}

TEST_CASE("keeper: forced logins are spaced 5 s apart, however many ask") {
  Story s;
  s.login->Always(s.login->Ok("t1", 1000));
  s.RunFor(0ms);
  s.keeper.RequestLogin(s.now());
  s.RunFor(0ms);
  CHECK(s.login->calls == 2);
  s.clock.Advance(1s);
  for (int i = 0; i < 20; ++i) s.keeper.RequestLogin(s.now());
  s.RunFor(3'900ms);
  CHECK(s.login->calls == 2);
  s.RunFor(200ms);
  CHECK(s.login->calls == 3);
  CHECK(s.login->login_times[2] - s.login->login_times[1] == 5s);
}

TEST_CASE("keeper: a request during a login joins it") {
  Story s;
  s.login->Always(s.login->Ok("t1", 1000));
  auto m = s.keeper.TakeDueLogin(s.now());
  REQUIRE(m);
  s.keeper.RequestLogin(s.now());  // joins the round running
  s.keeper.FinishLogin(s.now(), m.get(), m->Login(), 0ms);
  CHECK(s.recorder.outcomes.size() == 1);
  CHECK(s.keeper.TakeDueLogin(s.now()) == nullptr);  // no second login for it
}

TEST_CASE(
    "keeper: rejected=<current> logs in at once once per generation; an old one costs nothing") {
  Story s;
  s.login->Then(s.login->Ok("t1", 1000));
  s.login->Then(s.login->Ok("t2", 1000));
  s.login->Always(s.login->Ok("t3", 1000));
  s.RunFor(0ms);
  s.keeper.RequestLogin(s.now());
  s.RunFor(0ms);  // a forced login just now: t2, generation 2
  REQUIRE(s.token()->generation == 2);
  s.keeper.ReportRejected(s.now(), 1);  // an old token: nothing
  CHECK(s.keeper.TakeDueLogin(s.now()) == nullptr);
  for (int i = 0; i < 10; ++i) s.keeper.ReportRejected(s.now(), 2);
  auto m = s.keeper.TakeDueLogin(s.now());  // at once, despite the spacing
  REQUIRE(m);
  s.keeper.FinishLogin(s.now(), m.get(), m->Login(), 0ms);
  CHECK(s.login->calls == 3);  // ten callers, one login
  CHECK(s.token()->value == "t3");
}

TEST_CASE("keeper: a scheduled refresh keeps a longer-lived token; a forced one switches") {
  Story s;
  s.login->Then(s.login->Ok("long", 100));
  s.login->Then(s.login->Ok("short", 10));
  s.login->Always(s.login->Ok("forced", 5));
  s.RunFor(91s);  // the scheduled refresh (at 80 s +/- 10 s) gave "short"
  REQUIRE(s.login->calls == 2);
  CHECK(s.token()->value == "long");
  s.keeper.RequestLogin(s.now());
  s.RunFor(0ms);
  CHECK(s.token()->value == "forced");
}

TEST_CASE("keeper: a reload with new credentials drops the login in flight and logs in again") {
  Story s;
  s.login->Always(s.login->Ok("old-user", 1000));
  auto m = s.keeper.TakeDueLogin(s.now());
  REQUIRE(m);
  auto fresh = std::make_shared<ScriptedLogin>(&s.clock);
  fresh->Always(fresh->Ok("new-user", 1000));
  s.keeper.RequestLogin(s.now());  // somebody waits for the round that will be dropped
  s.keeper.Reconfigure(s.now(), Refresh(), fresh, true);
  CHECK(s.login->aborts == 1);
  s.keeper.FinishLogin(s.now(), m.get(), m->Login(), 0ms);  // answer for the old settings
  CHECK_FALSE(s.token());
  CHECK(s.recorder.outcomes.empty());  // the waiter gets the next login's outcome
  s.RunFor(0ms);
  REQUIRE(s.token());
  CHECK(s.token()->value == "new-user");
  CHECK(s.recorder.outcomes.size() == 1);
}

TEST_CASE("keeper: a user change removes the token; a removed identity says so") {
  Story s;
  s.login->Always(s.login->Ok("t1", 1000));
  s.RunFor(0ms);
  s.keeper.Reconfigure(s.now(), Refresh(), nullptr, true);
  CHECK_FALSE(s.token());
  CHECK(s.recorder.events.back() == TokenChange::kRemoved);
  s.RunFor(0ms);
  s.keeper.Remove(s.now());
  CHECK(s.recorder.events.back() == TokenChange::kRemoved);
  CHECK_FALSE(s.token());
}

TEST_CASE("keeper: a saved token is reused without a login, generation kept") {
  Story s;
  Token saved;
  saved.value = "saved";
  saved.obtained = s.now() - 10s;
  saved.expires = s.now() + 90s;
  saved.generation = 7;
  s.keeper.Reuse(s.now(), saved);
  CHECK(s.recorder.events == std::vector{TokenChange::kReused});
  CHECK(s.token()->generation == 7);
  s.login->Always(s.login->Ok("next", 100));
  s.RunFor(50s);
  CHECK(s.login->calls == 0);  // not before the refresh point (70 s +/- 10 s of 100 s)
  s.RunFor(40s);
  CHECK(s.login->calls == 1);
  CHECK(s.token()->generation == 8);
}

TEST_CASE("keeper: identities side by side do not affect each other") {
  FakeClock clock;
  auto good = std::make_shared<ScriptedLogin>(&clock);
  auto bad = std::make_shared<ScriptedLogin>(&clock);
  good->Always(good->Ok("g", 20));
  bad->Then(bad->Ok("b", 20));
  bad->Always(bad->Fail());
  TokenKeeper a("prod", &clock, Refresh(), good, 1);
  TokenKeeper b("staging", &clock, Refresh(), bad, 2);
  Recorder ra, rb;
  a.AddObserver(&ra);
  b.AddObserver(&rb);
  for (int step = 0; step < 100000 && clock.Now() < MonoTime{1h} + 60s; ++step) {
    MonoTime now = clock.Now();
    for (TokenKeeper* k : {&a, &b}) {
      k->Advance(now);
      if (auto m = k->TakeDueLogin(now)) k->FinishLogin(now, m.get(), m->Login(), 0ms);
    }
    MonoTime next = std::min(a.NextWake(now), b.NextWake(now));
    clock.Advance(std::max(next - now, MonoDuration(1)));
  }
  CHECK(a.has_valid_token(clock.Now()));
  CHECK_FALSE(b.has_valid_token(clock.Now()));
  CHECK(ra.identities.front() == "prod");
  CHECK(rb.events.back() == TokenChange::kExpired);
  CHECK(std::count(ra.events.begin(), ra.events.end(), TokenChange::kExpired) == 0);
}
