// The auth filter in front of the protected APIs (AbstractWebAuthFilter): identity, then
// permission, before any handler runs.
#ifndef TESTS_FAKE_NACOS_API_AUTH_H_
#define TESTS_FAKE_NACOS_API_AUTH_H_

#include <optional>
#include <string>

#include "config_store.h"
#include "flavor.h"
#include "http_request.h"
#include "identity_token.h"
#include "oidc_verifier.h"
#include "permission_rules.h"
#include "token_service.h"
#include "url_encoding.h"

namespace fake_nacos {

struct AuthDecision {
  bool allowed = false;
  std::string subject;
  std::optional<FoundToken> token;
  std::string denial;  // Message for the 403 Spring error when !allowed.
};

// Thread-safe. In OIDC mode (`oidc` set) tokens are checked against the provider's keys
// instead of the Nacos secret; the messages stay Nacos's.
class ApiAuth {
 public:
  ApiAuth(Flavor flavor, const TokenService& tokens, OidcVerifier* oidc,
          const PermissionRules& permissions);

  // `resource`: the config the request touches, if any; `write`: publish/delete.
  AuthDecision Authorize(const HttpRequest& request, const ParamList& params,
                         const std::optional<ConfigKey>& resource, bool write) const;

 private:
  const Flavor flavor_;
  const TokenService& tokens_;
  OidcVerifier* const oidc_;
  const PermissionRules& permissions_;
};

}  // namespace fake_nacos

#endif  // TESTS_FAKE_NACOS_API_AUTH_H_
