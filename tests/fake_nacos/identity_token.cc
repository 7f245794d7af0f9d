#include "identity_token.h"

#include <Poco/String.h>

#include <string_view>

namespace fake_nacos {
namespace {

constexpr std::string_view kBearerPrefix = "Bearer ";

std::optional<std::string> BearerValue(const std::string& authorization) {
  if (!authorization.starts_with(kBearerPrefix)) return std::nullopt;
  std::string token = authorization.substr(kBearerPrefix.size());
  if (token.empty()) return std::nullopt;
  return token;
}

// First value of the first parameter named `name` in any letter case.
std::optional<std::string> ParamIgnoringCase(const ParamList& params, const std::string& name) {
  for (const auto& [key, value] : params) {
    if (Poco::icompare(key, name) == 0) return value;
  }
  return std::nullopt;
}

}  // namespace

std::optional<FoundToken> ResolveIdentityToken(const HttpRequest& request, const ParamList& params,
                                               Flavor flavor) {
  if (flavor == Flavor::k1) {
    if (auto token = BearerValue(request.Header("Authorization"))) {
      return FoundToken{*token, "authorization_header"};
    }
    for (const auto& [key, value] : params) {
      if (key == "accessToken") {
        if (value.empty()) break;
        return FoundToken{value, "access_token_param"};
      }
    }
    return std::nullopt;
  }
  std::optional<std::string> authorization;
  std::string authorization_carrier;
  if (request.HasHeader("Authorization")) {
    authorization = request.Header("Authorization");
    authorization_carrier = "authorization_header";
  }
  if (auto param = ParamIgnoringCase(params, "Authorization")) {
    authorization = param;
    authorization_carrier = "authorization_param";
  }
  if (authorization) {
    if (auto token = BearerValue(*authorization)) return FoundToken{*token, authorization_carrier};
  }
  std::optional<std::string> access_token;
  std::string access_token_carrier;
  if (request.HasHeader("accessToken")) {
    access_token = request.Header("accessToken");
    access_token_carrier = "access_token_header";
  }
  if (auto param = ParamIgnoringCase(params, "accessToken")) {
    access_token = param;
    access_token_carrier = "access_token_param";
  }
  if (access_token && !access_token->empty()) {
    return FoundToken{*access_token, access_token_carrier};
  }
  return std::nullopt;
}

}  // namespace fake_nacos
