#include "cli/token_acquire.h"

#include <cstdio>

#include "base/form_encode.h"
#include "cli/socket_client.h"

namespace tokend::cli {
namespace {

constexpr double kGetTimeout = 10;
constexpr double kRefreshTimeout = 90;  // the daemon bounds a forced login by 60 s
constexpr double kRetryPause = 0.2;     // between tries while --wait lasts
constexpr double kLongPollMax = 300;    // one held request while waiting for a new generation

std::string Seconds(double s) {
  char buf[32];
  snprintf(buf, sizeof buf, s == static_cast<double>(static_cast<long>(s)) ? "%.0fs" : "%.3gs", s);
  return buf;
}

// The daemon's reason from a 503 line or a 502 {"status":"failed","reason":...} object.
std::string Reason(const std::string& body) {
  std::string reason = TrimRight(body);
  if (auto r = JsonField(reason, "reason")) reason = *r;
  if (reason.rfind("no valid token: ", 0) == 0) reason = reason.substr(16);
  return reason.substr(0, 300);
}

bool LongEnough(const TokenInfo& info, double min_valid_s) {
  if (min_valid_s <= 0) return true;
  std::optional<double> left = SecondsLeft(info);
  return left && *left >= min_valid_s;
}

// The token file standing in for a socket that could not be used (`socket_why`).
bool FromFile(const CliOptions& o, const std::string& socket_why, TokenInfo* out,
              std::string* why) {
  const std::string file = o.TokenFile();
  std::string file_why;
  TokenInfo info;
  if (ReadTokenFile(file, &info, &file_why)) {
    if (o.rejected_given && info.token == o.rejected) {
      file_why = "it holds the token Nacos rejected";
    } else if (!LongEnough(info, o.min_valid_s)) {
      file_why = SecondsLeft(info) ? "its token is valid for less than --min-valid"
                                   : "it does not say when its token expires";
    } else {
      *out = std::move(info);
      return true;
    }
  }
  *why = Redact("cannot use the socket " + o.socket + " (" + socket_why + ") nor the file " + file +
                    " (" + file_why + ")",
                o.rejected);
  return false;
}

}  // namespace

Attempt ReadAnswer(const SocketAnswer& a, bool json, bool refresh) {
  Attempt r;
  if (a.status == 200) {
    if (json || refresh) {
      r.info = FromMetadata(a.body);
    } else {
      r.info.token = a.body;
    }
    if (r.info.generation.empty()) r.info.generation = a.generation;
    r.kind = PlausibleToken(r.info.token) ? Attempt::kToken : Attempt::kNoToken;
    if (r.kind != Attempt::kToken) r.why = "the daemon sent an answer without a token";
  } else if (a.status == 503) {
    r.kind = Attempt::kNoToken;
    r.why = "the daemon has no valid token: " + Reason(a.body);
  } else if (a.status == 502 && refresh) {
    r.kind = Attempt::kNoToken;
    r.why = "the daemon could not log in again: " + Reason(a.body);
  } else {
    r.kind = Attempt::kUnreachable;
    r.why = a.status == 0
                ? a.error
                : "HTTP " + std::to_string(a.status) + " " + TrimRight(a.body).substr(0, 300);
  }
  return r;
}

int AcquireToken(const CliOptions& o, TokenInfo* out, std::string* why) {
  const double deadline = MonotonicNow() + o.wait_s;
  const bool json = o.format == Format::kJson || o.exec || o.min_valid_s > 0;
  const std::string body = o.rejected_given ? "rejected=" + FormEncode(o.rejected) : "";
  bool force = o.refresh || o.rejected_given;
  // --min-valid: the generation a forced login gave that still was not enough. Another forced
  // login is asked for only once a new generation appears, so waiting never loops on logins.
  std::string short_generation;
  bool after_short_login = false;
  int code = kUnavailable;
  for (;;) {
    bool await_generation = false;
    Attempt a =
        force ? ReadAnswer(AskSocket(o.socket, "POST", ApiTarget("/v1/refresh", o.identity, false),
                                     body, kRefreshTimeout),
                           true, true)
              : ReadAnswer(AskSocket(o.socket, "GET", ApiTarget("/v1/token", o.identity, json), "",
                                     kGetTimeout),
                           json, false);
    if (a.kind == Attempt::kToken) {
      if (o.rejected_given && a.info.token == o.rejected) {
        a.kind = Attempt::kNoToken;
        a.why = "the daemon still serves the token Nacos rejected";
      } else if (!LongEnough(a.info, o.min_valid_s)) {
        if (!force && !(after_short_login && a.info.generation == short_generation)) {
          force = true;  // ask for a new token at once
          continue;
        }
        std::optional<double> left = SecondsLeft(a.info);
        a.kind = Attempt::kNoToken;
        a.why = std::string(force ? "even a new token" : "the token") + " is valid for " +
                Seconds(left.value_or(0)) + " only, less than --min-valid " +
                Seconds(o.min_valid_s);
        if (force) {
          after_short_login = true;
          short_generation = a.info.generation;
          force = false;
        }
        await_generation = !a.info.generation.empty();
      } else {
        *out = std::move(a.info);
        return kOk;
      }
    }
    if (a.kind == Attempt::kNoToken) {
      *why = Redact(a.why, o.rejected);
      code = kTempFail;
    } else {
      if (FromFile(o, a.why, out, why)) return kOk;
      code = kUnavailable;
    }
    double left = deadline - MonotonicNow();
    if (left <= 0) return code;
    if (await_generation) {
      // Hold a request until the daemon publishes another generation (or the wait ends).
      double hold = std::min(left, kLongPollMax);
      SocketAnswer held =
          AskSocket(o.socket, "GET",
                    ApiTarget("/v1/token", o.identity, false,
                              std::to_string(static_cast<long>(hold) + 1), short_generation),
                    "", std::min(hold + 15, left + 0.1));
      // Only a generation the daemon named is news; an older daemon that does not hold
      // requests (nor send X-Token-Generation) is asked again after the usual pause.
      if (held.status == 200 && !held.generation.empty() && held.generation != short_generation)
        continue;
    }
    Pause(std::min(kRetryPause, deadline - MonotonicNow()));
  }
}

}  // namespace tokend::cli
