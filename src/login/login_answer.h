// Judging one HTTP answer to a Nacos login request. Pure: no I/O, no time.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "base/clock.h"

namespace tokend {

/// A usable answer: a token that is safe to publish and its server-side TTL.
struct LoginAnswer {
  std::string token;
  double ttl_seconds = 0;  // > 0, finite; Nacos 2.2.1+ sends the *remaining* lifetime
};

enum class LoginFailureKind {
  kRejected,   // 401/403: credentials refused
  kNoSuchApi,  // 404/405/410/501: this login endpoint does not exist here
  kTransient,  // everything else: 5xx, 3xx, unusable 200, ...
};

/// Why an answer was not usable. `reason` never contains the token and has
/// every occurrence of the password removed; it names the HTTP status and
/// what was wrong ("HTTP 200 but tokenTtl is a string").
struct LoginFailure {
  LoginFailureKind kind;
  std::string reason;
};

/// Longest token we publish. Nacos JWTs are ~150 bytes.
constexpr size_t kMaxTokenLength = 8192;

/// Checks a token before it is published: 1..kMaxTokenLength printable ASCII
/// characters without spaces, so it cannot inject lines or headers into the
/// file or an HTTP answer. Returns an empty string when fine, else the reason.
std::string TokenProblem(std::string_view token);

/// Classifies an answer. `secret` is removed from any server text quoted in
/// the reason (a broken server might echo the request).
std::variant<LoginAnswer, LoginFailure> ParseLoginAnswer(int status, std::string_view content_type,
                                                         std::string_view body,
                                                         std::string_view secret);

/// Longest wait a server's Retry-After can impose.
constexpr MonoDuration kMaxRetryAfter = std::chrono::minutes(10);

/// Parses a Retry-After value (RFC 9110: delay-seconds or an HTTP-date) into
/// a wait from `now`, capped at kMaxRetryAfter. Garbage, or a date in the
/// past, gives nullopt.
std::optional<MonoDuration> ParseRetryAfter(std::string_view value, WallTime now);

/// A short, printable, single-line excerpt of server text with `secret`
/// removed, for quoting in log messages.
std::string QuoteServerText(std::string_view text, std::string_view secret);

}  // namespace tokend
