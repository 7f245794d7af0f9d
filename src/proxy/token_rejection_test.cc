#include "proxy/token_rejection.h"

#include "test_util.h"

using namespace tokend;

TEST_CASE("token rejection: the texts of 1.x, 2.x and 3.x") {
  // Spring error JSON (1.x/2.x filter), 3.x "Code: 401" wrapping, plain text, Whitelabel HTML.
  CHECK(IsTokenRejection(403, R"({"status":403,"error":"Forbidden","message":"token expired!"})"));
  CHECK(IsTokenRejection(403, R"({"message":"token invalid!","path":"/nacos/v1/cs/configs"})"));
  CHECK(IsTokenRejection(403, R"({"message":"Invalid signature"})"));
  CHECK(IsTokenRejection(403, R"({"message":"unsupported signature algorithm"})"));
  CHECK(IsTokenRejection(403, R"({"message":"user not found!"})"));
  CHECK(IsTokenRejection(403, "unknown user!"));
  CHECK(IsTokenRejection(403, R"({"message":"Code: 401, Message: token expired!."})"));
  CHECK(IsTokenRejection(
      403,
      "<html><body><h1>Whitelabel Error Page</h1><div>There was an unexpected error "
      "(type=Forbidden, status=403).</div><div>token expired!</div></body></html>"));
}

TEST_CASE("token rejection: a missing permission is not one") {
  CHECK(!IsTokenRejection(403, R"({"message":"authorization failed!"})"));
  CHECK(!IsTokenRejection(403, R"({"message":"Code: 403, Message: authorization failed!."})"));
  CHECK(!IsTokenRejection(403, ""));
  CHECK(!IsTokenRejection(401, "token expired!"));
  CHECK(!IsTokenRejection(200, "token expired!"));
}
