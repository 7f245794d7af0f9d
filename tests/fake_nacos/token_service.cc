#include "token_service.h"

#include <utility>

#include "jwt.h"

namespace fake_nacos {

std::optional<TtlMode> ParseTtlMode(std::string_view text) {
  if (text == "remaining") return TtlMode::kRemaining;
  if (text == "configured") return TtlMode::kConfigured;
  return std::nullopt;
}

TokenService::TokenService(const Clock& clock, TokenPolicy policy)
    : clock_(clock), policy_(std::move(policy)) {}

TokenGrant TokenService::Issue(const std::string& user) {
  std::lock_guard<std::mutex> lock(mutex_);
  const int64_t now_ms = clock_.NowMillis();
  const int64_t now = FloorSeconds(now_ms);
  if (policy_.cache) {
    // CachedJwtTokenManager counts in milliseconds: reuse while now + validity/10 (whole
    // seconds) <= the entry's expiry, report floor((expiry - now) / 1000). Whole-second
    // arithmetic here would hand out tokens with under a second left.
    const auto cached = cache_.find(user);
    if (cached != cache_.end() &&
        now_ms + policy_.ttl_seconds / 10 * 1000 <= cached->second.expires_ms) {
      return {cached->second.token, cached->second.exp, (cached->second.expires_ms - now_ms) / 1000,
              false};
    }
  }
  const int64_t exp = now + policy_.ttl_seconds;
  const JwtAlgorithm algorithm =
      policy_.algorithm_by_key_size ? AlgorithmForKey(policy_.key.size()) : JwtAlgorithm::kHs256;
  TokenGrant grant{SignJwt(algorithm, policy_.key, user, exp), exp, ReportedTtlLocked(exp, now),
                   true};
  if (policy_.cache) cache_[user] = {grant.token, exp, now_ms + policy_.ttl_seconds * 1000};
  return grant;
}

TokenGrant TokenService::Echo(const std::string& token, int64_t exp) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return {token, exp, ReportedTtlLocked(exp, clock_.NowSeconds()), false};
}

TokenCheck TokenService::Check(std::string_view token) const {
  std::string key;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    key = policy_.key;
  }
  const JwtVerification verification = VerifyJwt(token, key);
  TokenCheck check{TokenError::kNone, verification.subject, verification.exp};
  switch (verification.error) {
    case JwtError::kMalformed:
      check.error = TokenError::kMalformed;
      break;
    case JwtError::kUnsupportedAlgorithm:
      check.error = TokenError::kUnsupportedAlgorithm;
      break;
    case JwtError::kBadSignature:
      check.error = TokenError::kBadSignature;
      break;
    case JwtError::kNone:
      if (verification.exp < clock_.NowSeconds()) check.error = TokenError::kExpired;
      break;
  }
  return check;
}

int64_t TokenService::ttl_seconds() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return policy_.ttl_seconds;
}

void TokenService::SetTtl(int64_t seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  policy_.ttl_seconds = seconds;
}

void TokenService::SetTtlMode(TtlMode mode) {
  std::lock_guard<std::mutex> lock(mutex_);
  policy_.ttl_mode = mode;
}

void TokenService::SetCache(bool enabled) {
  std::lock_guard<std::mutex> lock(mutex_);
  policy_.cache = enabled;
  if (!enabled) cache_.clear();
}

void TokenService::SetKey(std::string key) {
  std::lock_guard<std::mutex> lock(mutex_);
  policy_.key = std::move(key);
  // A cached token signed with the old key would be handed out and then rejected.
  cache_.clear();
}

int64_t TokenService::ReportedTtlLocked(int64_t exp, int64_t now) const {
  // The cache only exists from 2.2.1 on, which always reports the remaining lifetime.
  if (policy_.cache || policy_.ttl_mode == TtlMode::kRemaining) return exp - now;
  return policy_.ttl_seconds;
}

}  // namespace fake_nacos
