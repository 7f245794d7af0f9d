#include "token_carrier.h"

namespace fake_nacos {
namespace {

constexpr std::string_view kBearerPrefix = "Bearer ";

std::optional<std::string> BearerToken(const HttpRequest& request) {
  const std::string authorization = request.Header("Authorization");
  if (!authorization.starts_with(kBearerPrefix)) return std::nullopt;
  std::string token = authorization.substr(kBearerPrefix.size());
  if (token.empty()) return std::nullopt;
  return token;
}

std::optional<std::string> NonEmpty(std::optional<std::string> value) {
  if (value && value->empty()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<std::string> FindToken(const HttpRequest& request, Flavor flavor) {
  if (auto token = BearerToken(request)) return token;
  if (auto token = NonEmpty(request.Param("accessToken"))) return token;
  if (AcceptsAccessTokenHeader(flavor) && request.HasHeader("accessToken")) {
    return NonEmpty(request.Header("accessToken"));
  }
  return std::nullopt;
}

bool CarriesToken(const HttpRequest& request) { return FindToken(request, Flavor::k3).has_value(); }

}  // namespace fake_nacos
