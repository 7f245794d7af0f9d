// Mints and checks access tokens like Nacos' JwtTokenManager / CachedJwtTokenManager.
#ifndef TESTS_FAKE_NACOS_TOKEN_SERVICE_H_
#define TESTS_FAKE_NACOS_TOKEN_SERVICE_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "clock.h"

namespace fake_nacos {

// What login reports as tokenTtl: exp - now (2.2.1+) or the configured validity (<= 2.2.0.x).
enum class TtlMode { kRemaining, kConfigured };

std::optional<TtlMode> ParseTtlMode(std::string_view text);

enum class TokenError { kNone, kMalformed, kUnsupportedAlgorithm, kBadSignature, kExpired };

struct TokenPolicy {
  int64_t ttl_seconds = 18000;
  TtlMode ttl_mode = TtlMode::kRemaining;
  bool cache = false;
  std::string key;  // Decoded secret; at least 32 bytes.
  // 1.x-2.2.0 (jjwt) always signed HS256; 2.2.1+ chooses by key size.
  bool algorithm_by_key_size = true;
};

struct TokenGrant {
  std::string token;
  int64_t exp = 0;
  int64_t reported_ttl = 0;  // The tokenTtl value a login answer carries.
  bool minted = false;       // False when served from the cache or echoed back.
};

struct TokenCheck {
  TokenError error = TokenError::kNone;
  std::string subject;
  int64_t exp = 0;
};

// Thread-safe. Tokens are a pure function of (user, exp second, key), so two uncached logins in
// the same second get the same token, as with real Nacos.
class TokenService {
 public:
  TokenService(const Clock& clock, TokenPolicy policy);

  // New token valid for the configured TTL; with the cache on, reuses the user's previous token
  // until now + ttl/10 > its expiry (CachedJwtTokenManager).
  TokenGrant Issue(const std::string& user);

  // Answer for a login that presented an already valid token: the same token, its own expiry.
  TokenGrant Echo(const std::string& token, int64_t exp) const;

  // Valid through its exp second.
  TokenCheck Check(std::string_view token) const;

  int64_t ttl_seconds() const;
  void SetTtl(int64_t seconds);
  void SetTtlMode(TtlMode mode);
  void SetCache(bool enabled);
  // Rotating the key invalidates every outstanding token ("Invalid signature").
  void SetKey(std::string key);

 private:
  struct CachedToken {
    std::string token;
    int64_t exp = 0;         // The JWT's exp claim, whole seconds.
    int64_t expires_ms = 0;  // The cache's own expiry: minted at + validity, in milliseconds.
  };

  int64_t ReportedTtlLocked(int64_t exp, int64_t now) const;

  const Clock& clock_;
  mutable std::mutex mutex_;
  TokenPolicy policy_;
  std::map<std::string, CachedToken> cache_;
};

}  // namespace fake_nacos

#endif  // TESTS_FAKE_NACOS_TOKEN_SERVICE_H_
