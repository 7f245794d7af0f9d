#include "login_service.h"

#include "login_answer.h"
#include "token_carrier.h"

namespace fake_nacos {
namespace {

HttpResponse PlainText(int status, std::string body) {
  return HttpResponse::Text(status, "text/plain;charset=UTF-8", std::move(body));
}

}  // namespace

LoginService::LoginService(Flavor flavor, const Credentials& credentials, TokenService& tokens,
                           Stats& stats, Logger& logger, bool unknown_user_500)
    : flavor_(flavor),
      unknown_user_500_(unknown_user_500),
      credentials_(credentials),
      tokens_(tokens),
      stats_(stats),
      logger_(logger) {}

TokenGrant LoginService::Grant(const std::string& user) {
  TokenGrant grant = tokens_.Issue(user);
  if (grant.minted) stats_.RecordTokenMinted();
  return grant;
}

TokenGrant LoginService::GrantForConfiguredUser() { return Grant(credentials_.user()); }

LoginResult LoginService::Login(const HttpRequest& request, PathGeneration generation) {
  if (const auto token = FindToken(request, flavor_)) {
    const TokenCheck check = tokens_.Check(*token);
    if (check.error != TokenError::kNone) {
      logger_.Log("login with bad token " + ShortToken(*token) + " -> 403");
      return {PlainText(403, TokenErrorMessage(flavor_, check.error)), false};
    }
    // NacosSignatureAlgorithm.verify sets user.token = the presented JWT.
    const TokenGrant echoed = tokens_.Echo(*token, check.exp);
    logger_.Log("login with valid token " + ShortToken(*token) + " -> echoed");
    return {
        LoginSuccessResponse({echoed.token, std::to_string(echoed.reported_ttl), check.subject}),
        true};
  }

  const std::optional<std::string> username = request.Param("username");
  const std::optional<std::string> password = request.Param("password");
  // The v1 controller declares both as required @RequestParam; v3 reads them optionally.
  if (generation == PathGeneration::kV1 && (!username || !password)) {
    const char* missing = !username ? "username" : "password";
    logger_.Log(std::string("login without parameter ") + missing + " -> 500");
    return {PlainText(500, MissingParameterMessage(flavor_, missing)), false};
  }
  if (unknown_user_500_ && !username.value_or("").empty() && !password.value_or("").empty() &&
      *username != credentials_.user()) {
    // UsernameNotFoundException from loadUserByUsername, rendered by ConsoleExceptionHandler.
    logger_.Log("login as unknown user '" + *username + "' -> 500");
    return {PlainText(500, "caused: User " + *username + " not found;"), false};
  }
  if (!credentials_.Matches(username.value_or(""), password.value_or(""))) {
    logger_.Log("login as '" + username.value_or("") + "' rejected -> 403");
    return {PlainText(403, std::string(LoginFailureMessage(flavor_))), false};
  }
  const TokenGrant grant = Grant(*username);
  logger_.Log("login as '" + *username + "' ok, token " + ShortToken(grant.token) +
              " ttl=" + std::to_string(grant.reported_ttl) + (grant.minted ? "" : " (cached)"));
  return {LoginSuccessResponse({grant.token, std::to_string(grant.reported_ttl), *username}), true};
}

}  // namespace fake_nacos
