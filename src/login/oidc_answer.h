// Judging what an OpenID provider answers: the discovery document and the
// token endpoint's answer to a client-credentials grant (RFC 6749 §4.4,
// §5.1, §5.2). Pure: no I/O, no time.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "base/status.h"
#include "config/config.h"
#include "login/login_answer.h"

namespace tokend {

/// How the client authenticates at the token endpoint (RFC 6749 §2.3.1).
enum class ClientAuth {
  kBasic,  // client_secret_basic: Authorization: Basic base64(id:secret), both form-encoded
  kPost,   // client_secret_post: client_id and client_secret in the form body
};

/// What discovery tells a client-credentials client.
struct OidcEndpoints {
  HttpUrl token_endpoint;
  ClientAuth auth = ClientAuth::kBasic;
};

/// Reads a discovery document (<issuer>/.well-known/openid-configuration).
/// `token_endpoint` is required (an http(s) URL, and https when the issuer is
/// https); the method is client_secret_basic when
/// token_endpoint_auth_methods_supported lists it or lists neither it nor
/// client_secret_post, else client_secret_post. Errors say what was wrong.
Result<OidcEndpoints> ParseDiscovery(int status, std::string_view content_type,
                                     std::string_view body, const HttpUrl& issuer);

/// A usable token answer: a token safe to publish and how long it lives.
struct OidcTokenAnswer {
  std::string token;
  std::optional<double> expires_in;  // > 0, finite; absent: the token is a JWT with exp
};

/// Classifies a token endpoint answer. 200 needs access_token (a publishable
/// token), token_type Bearer when given, and expires_in or a JWT exp. An
/// OAuth error answer (400/401/403 with an `error` field, or any 401) is
/// kRejected with `error` and `error_description` quoted, except
/// server_error and temporarily_unavailable; everything else (5xx, 3xx,
/// unusable bodies) is kTransient. `secret` is removed from quoted text.
std::variant<OidcTokenAnswer, LoginFailure> ParseTokenAnswer(int status,
                                                             std::string_view content_type,
                                                             std::string_view body,
                                                             std::string_view secret);

}  // namespace tokend
