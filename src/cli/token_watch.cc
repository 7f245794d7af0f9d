// How --watch follows the token:
// - Each request is GET /v1/token?wait=...&after=G, with G the generation the daemon last
//   reported: it is held until the token changes, so a quiet daemon costs one request per
//   kHold. `after` is always the last generation seen, never the highest: a daemon that
//   lost its state counts again from 1, and asking with the old, higher number would be
//   answered at once forever.
// - After the daemon was away (or had no token), the first request carries no `after`: a
//   restarted daemon may reuse a generation number for another token.
// - A line is printed only when the token differs from the last one printed, so a restart
//   that reuses the saved token, or a generation that moves without a new token, prints
//   nothing. (A token printed earlier that comes back after another one is printed again:
//   each line is the token to use from now on.)
// - An answer that comes back early with nothing new (a daemon that does not hold requests)
//   is followed by a pause, so that following never turns into a busy loop.
#include "cli/token_watch.h"

#include <signal.h>

#include <cstdio>
#include <string>

#include "cli/socket_client.h"
#include "cli/token_acquire.h"
#include "cli/token_output.h"

namespace tokend::cli {
namespace {

constexpr double kHold = 300;      // wait= of each long poll (the daemon allows 10 min)
constexpr double kHoldSlack = 15;  // beyond kHold before a held request counts as lost
constexpr double kGetTimeout = 10;
constexpr double kNoHoldPause = 1;    // after an early answer with nothing new
constexpr double kOutageFirst = 0.2;  // retry delays while the daemon cannot be reached
constexpr double kOutageMax = 5;
constexpr double kNoTokenFirst = 0.25;  // and while it has no valid token (it answers at once)
constexpr double kNoTokenMax = 2;

volatile sig_atomic_t g_stop = 0;
void OnStopSignal(int) { g_stop = 1; }

class Backoff {
 public:
  Backoff(double first, double max) : first_(first), max_(max), next_(first) {}
  double Next() {
    double d = next_;
    next_ = std::min(next_ * 2, max_);
    return d;
  }
  void Reset() { next_ = first_; }

 private:
  double first_, max_, next_;
};

void Note(const std::string& text) { fprintf(stderr, "nacos-token: %s\n", text.c_str()); }

}  // namespace

int WatchToken(const CliOptions& o) {
  // TERM/INT are blocked except inside the waits (ppoll), so none is lost between a check
  // of the flag and the next wait.
  sigset_t stop_signals, wait_mask;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigprocmask(SIG_BLOCK, &stop_signals, &wait_mask);
  sigdelset(&wait_mask, SIGTERM);
  sigdelset(&wait_mask, SIGINT);
  struct sigaction sa = {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  const Interruption in{&wait_mask, &g_stop};

  const bool json = o.format == Format::kJson;
  const std::string hold = std::to_string(static_cast<long>(kHold));
  std::string printed;  // the last token printed
  std::string after;    // the generation to wait past; empty: ask for the current token
  Backoff outage(kOutageFirst, kOutageMax), no_token(kNoTokenFirst, kNoTokenMax);
  bool away = false, tokenless = false, first = true;
  while (!g_stop) {
    const double started = MonotonicNow();
    const bool holding = !after.empty();
    SocketAnswer answer = AskSocket(
        o.socket, "GET", ApiTarget("/v1/token", o.identity, json, holding ? hold : "", after), "",
        holding ? kHold + kHoldSlack : kGetTimeout, &in);
    if (answer.interrupted || g_stop) break;
    Attempt a = ReadAnswer(answer, json, false);
    if (a.kind == Attempt::kToken) {
      if (away) Note("the daemon at " + o.socket + " answers again");
      away = tokenless = first = false;
      outage.Reset();
      no_token.Reset();
      const bool news = a.info.token != printed;
      if (news) {
        if (!PrintLine(FormatToken(o.format, a.info))) return kUnavailable;
        printed = a.info.token;
      }
      const std::string previous = after;
      after = a.info.generation;
      const bool early = MonotonicNow() - started < (holding ? kHold - 1 : 0);
      if (!news && (after.empty() || (early && after == previous)) && !Pause(kNoHoldPause, &in))
        break;
      continue;
    }
    after.clear();
    if (a.kind == Attempt::kNoToken && answer.status == 503) {
      if (!tokenless) Note(a.why + "; waiting for a token");
      tokenless = true;
      first = false;
      if (!Pause(no_token.Next(), &in)) break;
      continue;
    }
    if (a.kind == Attempt::kUnreachable && answer.status >= 400 && answer.status < 500) {
      Note("the daemon at " + o.socket + " refuses: " + a.why);
      return kUnavailable;
    }
    if (first) {
      // Like the one-shot form: the file stands in for a daemon that cannot be reached.
      TokenInfo from_file;
      std::string why;
      if (ReadTokenFile(o.TokenFile(), &from_file, &why)) {
        if (!PrintLine(FormatToken(o.format, from_file))) return kUnavailable;
        printed = from_file.token;
      }
      first = false;
    }
    if (!away) Note("cannot reach the daemon at " + o.socket + " (" + a.why + "); retrying");
    away = true;
    if (!Pause(outage.Next(), &in)) break;
  }
  return kOk;
}

}  // namespace tokend::cli
