#include "api_auth.h"

namespace fake_nacos {

ApiAuth::ApiAuth(Flavor flavor, const TokenService& tokens, OidcVerifier* oidc,
                 const PermissionRules& permissions)
    : flavor_(flavor), tokens_(tokens), oidc_(oidc), permissions_(permissions) {}

AuthDecision ApiAuth::Authorize(const HttpRequest& request, const ParamList& params,
                                const std::optional<ConfigKey>& resource, bool write) const {
  AuthDecision decision;
  decision.token = ResolveIdentityToken(request, params, flavor_);
  if (!decision.token) {
    decision.denial = ApiDenialMessage(flavor_, std::nullopt);
    return decision;
  }
  const TokenCheck check =
      oidc_ ? oidc_->Check(decision.token->token) : tokens_.Check(decision.token->token);
  if (check.error != TokenError::kNone) {
    decision.denial = ApiDenialMessage(flavor_, check.error);
    return decision;
  }
  decision.subject = check.subject;
  if (permissions_.Denies(check.subject, resource, write)) {
    decision.denial = PermissionDenialMessage(flavor_);
    return decision;
  }
  decision.allowed = true;
  return decision;
}

}  // namespace fake_nacos
