// A token as the daemon serves it: the value, how long it lives on the
// monotonic clock, and the metadata the socket and the json file show.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "keeper/login_method.h"

namespace tokend {

struct Token {
  std::string value;
  MonoTime obtained;  // when the login request was sent
  MonoTime expires;   // first instant at which it must no longer be served
  WallTime obtained_wall;
  WallTime expires_wall;
  std::string identity = "default";
  std::string username;
  std::string server;  // "http://10.0.0.1:8848"
  uint64_t generation = 0;

  bool ValidAt(MonoTime now) const { return now < expires; }
};

/// Longest lifetime honoured; a larger tokenTtl (Nacos 2.3.x with auth
/// disabled sends epoch + TTL) is clamped to it.
constexpr int64_t kMaxTtlSeconds = 7 * 24 * 3600;

/// Turns a login into a Token. The lifetime starts when the request was sent
/// (Nacos 2.2.1+ sends the remaining TTL). When the token is a JWT with an
/// exp claim, the earlier of the two expiries wins. Fails when the token is
/// already expired by its exp claim. Adds a warning when a value is clamped.
Result<Token> TokenFromLogin(const LoginSuccess& login, const std::string& username,
                             std::vector<std::string>* warnings);

/// The metadata object of the contract, at time `now`:
/// {"accessToken","tokenType","expiresAt","expiresIn","obtainedAt","username","server",
/// "generation","identity"}. The one place the token's JSON is built.
std::string TokenMetadataJson(const Token& token, MonoTime now);

/// RFC 3339 UTC with seconds ("2026-11-25T12:00:00Z").
std::string FormatWallTime(WallTime t);

/// Parses what FormatWallTime writes.
bool ParseWallTime(const std::string& text, WallTime* out);

/// A short fingerprint for logs ("sha256:1a2b3c4d"), so rotations can be
/// followed without the token itself appearing anywhere.
std::string TokenFingerprint(const std::string& token);

}  // namespace tokend
