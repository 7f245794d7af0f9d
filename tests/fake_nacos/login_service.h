// The healthy login endpoint: token-first authentication, then username/password.
#ifndef TESTS_FAKE_NACOS_LOGIN_SERVICE_H_
#define TESTS_FAKE_NACOS_LOGIN_SERVICE_H_

#include <string>

#include "credentials.h"
#include "flavor.h"
#include "http_request.h"
#include "http_response.h"
#include "logger.h"
#include "login_routes.h"
#include "stats.h"
#include "token_service.h"

namespace fake_nacos {

struct LoginResult {
  HttpResponse response;
  bool ok = false;
};

class LoginService {
 public:
  LoginService(Flavor flavor, const Credentials& credentials, TokenService& tokens, Stats& stats,
               Logger& logger, bool unknown_user_500 = false);

  // Answer of a healthy server to a POST on a served login path:
  //  * a token in any carrier is checked first; valid -> echoed back as a success, invalid ->
  //    403 text/plain with the unwrapped token message;
  //  * v1 without a username or password parameter -> 500 "caused: Required ... not present;";
  //  * wrong or blank credentials -> 403 text/plain with the flavor's message, except an
  //    unknown user with `unknown_user_500` (2.2.1-3.1): 500 "caused: User <name> not found;";
  //  * otherwise 200 with a (possibly cached) token.
  LoginResult Login(const HttpRequest& request, PathGeneration generation);

  // A token for the configured user as a successful login would hand it out; for faults that
  // bend the success answer.
  TokenGrant GrantForConfiguredUser();

  const std::string& configured_user() const { return credentials_.user(); }
  int64_t configured_ttl() const { return tokens_.ttl_seconds(); }

 private:
  TokenGrant Grant(const std::string& user);

  const Flavor flavor_;
  const bool unknown_user_500_;
  const Credentials& credentials_;
  TokenService& tokens_;
  Stats& stats_;
  Logger& logger_;
};

}  // namespace fake_nacos

#endif  // TESTS_FAKE_NACOS_LOGIN_SERVICE_H_
