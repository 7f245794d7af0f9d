#include "login/oidc_answer.h"

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <strings.h>
#include <cmath>

#include "login/jwt.h"

namespace tokend {
namespace {

bool LooksLikeJson(std::string_view content_type) {
  return content_type.empty() || content_type.find("json") != std::string_view::npos;
}

// The answer as a JSON object, or null when it is not one.
Poco::JSON::Object::Ptr ParseObject(std::string_view body) {
  try {
    Poco::JSON::Parser parser;
    parser.setDepth(8);
    Poco::Dynamic::Var root = parser.parse(std::string(body));
    if (root.type() != typeid(Poco::JSON::Object::Ptr)) return nullptr;
    return root.extract<Poco::JSON::Object::Ptr>();
  } catch (...) {  // Not JSON: the caller says so.
    return nullptr;
  }
}

std::optional<std::string> StringField(const Poco::JSON::Object::Ptr& o, const std::string& key) {
  if (!o || !o->has(key)) return std::nullopt;
  Poco::Dynamic::Var v = o->get(key);
  if (!v.isString()) return std::nullopt;
  return v.convert<std::string>();
}

std::variant<OidcTokenAnswer, LoginFailure> Unusable(const std::string& why) {
  return LoginFailure{LoginFailureKind::kTransient, "HTTP 200 but " + why};
}

// expires_in as a number of seconds; some providers send it as a string of digits.
std::variant<std::optional<double>, std::string> ExpiresIn(const Poco::JSON::Object::Ptr& o) {
  if (!o->has("expires_in")) return std::optional<double>();
  Poco::Dynamic::Var v = o->get("expires_in");
  double seconds = 0;
  if (v.isString()) {
    std::string s = v.convert<std::string>();
    if (s.empty() || s.size() > 10 || s.find_first_not_of("0123456789") != std::string::npos)
      return std::string("expires_in is not a number");
    seconds = std::stod(s);
  } else if (v.isNumeric() && !v.isBoolean()) {
    seconds = v.convert<double>();
  } else {
    return std::string("expires_in is not a number");
  }
  if (!std::isfinite(seconds) || seconds <= 0) return std::string("expires_in is not positive");
  return std::optional<double>(seconds);
}

// `secret` is removed from everything quoted (a broken server might echo the request).
std::variant<OidcTokenAnswer, LoginFailure> ParseSuccess(std::string_view content_type,
                                                         std::string_view body,
                                                         std::string_view secret) {
  if (!LooksLikeJson(content_type)) {
    return Unusable("the answer is not JSON (Content-Type " +
                    QuoteServerText(content_type, secret) + ")");
  }
  Poco::JSON::Object::Ptr o = ParseObject(body);
  if (!o)
    return Unusable("the answer is not a JSON object (" + std::to_string(body.size()) + " bytes)");
  if (!o->has("access_token")) return Unusable("access_token is missing");
  std::optional<std::string> token = StringField(o, "access_token");
  if (!token) return Unusable("access_token is not a string");
  if (std::string problem = TokenProblem(*token); !problem.empty()) {
    return Unusable("access_token " + problem);
  }
  if (o->has("token_type")) {
    std::optional<std::string> type = StringField(o, "token_type");
    if (!type || strcasecmp(type->c_str(), "bearer") != 0) {
      return Unusable(
          "token_type is " +
          (type ? "'" + QuoteServerText(*type, secret) + "'" : std::string("not a string")) +
          ", not Bearer");
    }
  }
  auto expires = ExpiresIn(o);
  if (auto* why = std::get_if<std::string>(&expires)) return Unusable(*why);
  std::optional<double> expires_in = std::get<std::optional<double>>(expires);
  if (!expires_in && !JwtExpiry(*token)) {
    return Unusable("it has neither expires_in nor a JWT exp claim: the lifetime is unknown");
  }
  return OidcTokenAnswer{std::move(*token), expires_in};
}

}  // namespace

Result<OidcEndpoints> ParseDiscovery(int status, std::string_view content_type,
                                     std::string_view body, const HttpUrl& issuer) {
  if (status >= 300 && status < 400) {
    return Error{"HTTP " + std::to_string(status) + ", a redirect (not followed)"};
  }
  if (status != 200) return Error{"HTTP " + std::to_string(status)};
  if (!LooksLikeJson(content_type)) {
    return Error{"HTTP 200 but not JSON (Content-Type " + std::string(content_type) + ")"};
  }
  Poco::JSON::Object::Ptr o = ParseObject(body);
  if (!o)
    return Error{"HTTP 200 but not a JSON object (" + std::to_string(body.size()) + " bytes)"};
  std::optional<std::string> endpoint = StringField(o, "token_endpoint");
  if (!endpoint) return Error{"the document has no token_endpoint string"};
  auto url = ParseHttpUrl(*endpoint);
  if (!url) return Error{"token_endpoint " + QuoteServerText(url.error(), "")};
  if (issuer.server.https && !url->server.https) {
    return Error{"token_endpoint " + url->Display() +
                 " is plain http while the issuer is https: the client secret would cross the "
                 "network unencrypted"};
  }
  OidcEndpoints out{*url, ClientAuth::kBasic};
  if (o->has("token_endpoint_auth_methods_supported")) {
    bool basic = false, post = false;
    try {
      auto methods = o->getArray("token_endpoint_auth_methods_supported");
      for (size_t i = 0; methods && i < methods->size(); ++i) {
        Poco::Dynamic::Var m = methods->get(static_cast<unsigned>(i));
        if (!m.isString()) continue;
        std::string name = m.convert<std::string>();
        basic |= name == "client_secret_basic";
        post |= name == "client_secret_post";
      }
    } catch (...) {  // Not an array: as if absent, the default applies.
    }
    if (post && !basic) out.auth = ClientAuth::kPost;
  }
  return out;
}

std::variant<OidcTokenAnswer, LoginFailure> ParseTokenAnswer(int status,
                                                             std::string_view content_type,
                                                             std::string_view body,
                                                             std::string_view secret) {
  if (status == 200) return ParseSuccess(content_type, body, secret);
  const std::string http = "HTTP " + std::to_string(status);
  if (status >= 300 && status < 400) {
    return LoginFailure{LoginFailureKind::kTransient,
                        http + ", a redirect (not followed: the client secret stays here)"};
  }
  Poco::JSON::Object::Ptr o = ParseObject(body);
  std::optional<std::string> error = StringField(o, "error");
  std::optional<std::string> description = StringField(o, "error_description");
  std::string text;
  if (error) {
    text = ": " + QuoteServerText(*error, secret);
    if (description && !description->empty())
      text += ": \"" + QuoteServerText(*description, secret) + "\"";
  } else if (std::string quoted = QuoteServerText(body, secret); !quoted.empty()) {
    text = ": \"" + quoted + "\"";
  }
  bool oauth_error = error && (status == 400 || status == 401 || status == 403);
  bool provider_trouble =
      error && (*error == "server_error" || *error == "temporarily_unavailable");
  if ((oauth_error || status == 401) && !provider_trouble) {
    return LoginFailure{LoginFailureKind::kRejected, http + ", client credentials rejected" + text};
  }
  return LoginFailure{LoginFailureKind::kTransient, http + text};
}

}  // namespace tokend
