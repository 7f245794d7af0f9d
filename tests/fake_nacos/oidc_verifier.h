// OIDC mode: access tokens from an OpenID provider (tests/oidc), checked against its JWKS.
#ifndef TESTS_FAKE_NACOS_OIDC_VERIFIER_H_
#define TESTS_FAKE_NACOS_OIDC_VERIFIER_H_

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include <Poco/Net/Context.h>

#include "clock.h"
#include "logger.h"
#include "rsa_jwk.h"
#include "token_service.h"

namespace fake_nacos {

struct OidcSettings {
  std::string issuer;    // http://HOST:PORT or https://HOST:PORT, no trailing slash.
  std::string audience;  // Required "aud" value; empty = not checked.
  std::string ca_file;   // For an https issuer; empty = the system store.
};

// Thread-safe. Discovery ({issuer}/.well-known/openid-configuration) and the JWKS are fetched
// on first use and again when a token names an unknown "kid" (at most once a second).
class OidcVerifier {
 public:
  OidcVerifier(OidcSettings settings, const Clock& clock, Logger& logger);

  // kMalformed: not a JWS, unparsable, wrong iss/aud or no exp; kUnsupportedAlgorithm: alg
  // other than RS256/384/512; kBadSignature: unknown key or signature mismatch; kExpired:
  // exp < now. The subject is "sub", or "client_id" when there is no sub.
  TokenCheck Check(std::string_view token);

 private:
  bool RefreshKeysLocked();
  std::string FetchLocked(const std::string& url) const;

  const OidcSettings settings_;
  Poco::Net::Context::Ptr tls_;  // Only for an https issuer.
  const Clock& clock_;
  Logger& logger_;
  std::mutex mutex_;
  std::string jwks_uri_;
  std::map<std::string, RsaPublicKey> keys_;  // By kid ("" for a key without one).
  std::chrono::steady_clock::time_point last_fetch_{};
  bool fetched_ = false;
};

}  // namespace fake_nacos

#endif  // TESTS_FAKE_NACOS_OIDC_VERIFIER_H_
