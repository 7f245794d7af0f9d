// login = oidc as a LoginMethod: the OAuth 2.0 client-credentials grant at an
// OpenID provider's token endpoint, for a Nacos in OIDC mode (which accepts
// the provider's access tokens). Fixed for one configuration of one identity.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "base/clock.h"
#include "base/secret.h"
#include "config/config.h"
#include "keeper/login_method.h"
#include "login/http_transport.h"
#include "login/oidc_answer.h"

namespace tokend {

/// Not thread-safe except Abort(): one round at a time (the identity's worker).
class OidcLogin final : public LoginMethod {
 public:
  /// Builds the transport (loading TLS for an https issuer or token
  /// endpoint); errors name nacos.ca_file.
  static Result<std::unique_ptr<OidcLogin>> Create(const NacosConfig& config,
                                                   std::shared_ptr<const Secret> secret,
                                                   const Clock* clock);
  /// With a given transport (tests).
  OidcLogin(const NacosConfig& config, std::shared_ptr<const Secret> secret,
            std::unique_ptr<HttpTransport> transport, const Clock* clock);

  /// One round: discovery when the token endpoint is not configured (at the
  /// first round and again after a failed one), then one token request. The
  /// lifetime counts from when the token request was sent.
  LoginRoundResult Login() override;
  void Abort() override { transport_->Abort(); }
  /// The client id: the metadata's username.
  const std::string& principal() const override { return config_.oidc.client_id; }
  /// The configured token endpoint, else the issuer. Thread-safe (reads only
  /// the configuration).
  std::string first_server() const override;
  std::string credentials() const override { return "the client id and secret"; }

 private:
  Result<OidcEndpoints> Endpoints();
  HttpExchange TokenRequest(const OidcEndpoints& endpoints) const;

  NacosConfig config_;
  std::shared_ptr<const Secret> secret_;
  std::unique_ptr<HttpTransport> transport_;
  const Clock* clock_;
  std::optional<OidcEndpoints> discovered_;  // dropped after a failed round
};

/// <issuer>/.well-known/openid-configuration (OpenID Connect Discovery §4).
HttpUrl DiscoveryUrl(const HttpUrl& issuer);

/// Base64 (RFC 4648 §4, padded), for the Basic authorization header.
std::string Base64Encode(std::string_view data);

}  // namespace tokend
