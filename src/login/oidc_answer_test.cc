#include "login/oidc_answer.h"

#include "test_util.h"

using namespace tokend;

namespace {

// {"alg":"RS256"}.{"sub":"c","exp":1900000000}.sig
const char* kJwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjIiwiZXhwIjoxOTAwMDAwMDAwfQ.c2ln";

LoginFailure Fail(int status, const std::string& body,
                  const std::string& ctype = "application/json") {
  auto r = ParseTokenAnswer(status, ctype, body, "s3cret");
  REQUIRE(std::holds_alternative<LoginFailure>(r));
  return std::get<LoginFailure>(r);
}

HttpUrl Url(const char* text) { return *ParseHttpUrl(text); }

}  // namespace

TEST_CASE("oidc answer: a token with expires_in, or a JWT with exp alone") {
  auto r = ParseTokenAnswer(200, "application/json; charset=utf-8",
                            R"({"access_token":"opaque-1","token_type":"Bearer","expires_in":300,
                                "scope":"nacos"})",
                            "s3cret");
  REQUIRE(std::holds_alternative<OidcTokenAnswer>(r));
  CHECK(std::get<OidcTokenAnswer>(r).token == "opaque-1");
  CHECK(std::get<OidcTokenAnswer>(r).expires_in == 300);
  r = ParseTokenAnswer(200, "application/json",
                       std::string(R"({"access_token":")") + kJwt + R"(","token_type":"bearer"})",
                       "s3cret");
  REQUIRE(std::holds_alternative<OidcTokenAnswer>(r));
  CHECK_FALSE(std::get<OidcTokenAnswer>(r).expires_in);
  r = ParseTokenAnswer(200, "", R"({"access_token":"t","expires_in":"3600"})", "s3cret");
  REQUIRE(std::holds_alternative<OidcTokenAnswer>(r));
  CHECK(std::get<OidcTokenAnswer>(r).expires_in == 3600);
}

TEST_CASE("oidc answer: unusable 200s are transient and say why") {
  struct Case {
    const char* body;
    const char* expect;
  } cases[] = {
      {R"({"access_token":"t"})", "neither expires_in nor a JWT exp"},
      {R"({"token_type":"Bearer","expires_in":5})", "access_token is missing"},
      {R"({"access_token":5,"expires_in":5})", "access_token is not a string"},
      {R"({"access_token":"a b","expires_in":5})", "access_token has a space"},
      {R"({"access_token":"","expires_in":5})", "access_token is empty"},
      {R"({"access_token":"t","expires_in":0})", "expires_in is not positive"},
      {R"({"access_token":"t","expires_in":true})", "expires_in is not a number"},
      {R"({"access_token":"t","expires_in":"soon"})", "expires_in is not a number"},
      {R"({"access_token":"t","expires_in":5,"token_type":"DPoP"})", "token_type is 'DPoP'"},
      {R"(["t"])", "not a JSON object"},
      {"<html>", "not a JSON object"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.body);
    LoginFailure f = Fail(200, c.body);
    CHECK(f.kind == LoginFailureKind::kTransient);
    CHECK(f.reason.find(c.expect) != std::string::npos);
  }
  CHECK(Fail(200, R"({"access_token":"t","expires_in":5})", "text/html").reason.find("not JSON") !=
        std::string::npos);
  // Found by fuzzing: an echoed secret in token_type was quoted as it came.
  CHECK(Fail(200, R"({"access_token":"t","expires_in":5,"token_type":"Bearer s3cret"})").reason ==
        "HTTP 200 but token_type is 'Bearer ***', not Bearer");
}

TEST_CASE("oidc answer: OAuth errors are rejected credentials, with error and description") {
  LoginFailure f = Fail(401, R"({"error":"invalid_client","error_description":"bad s3cret"})");
  CHECK(f.kind == LoginFailureKind::kRejected);
  CHECK(f.reason == "HTTP 401, client credentials rejected: invalid_client: \"bad ***\"");
  for (const char* error : {"unauthorized_client", "invalid_scope", "invalid_request",
                            "invalid_grant", "unsupported_grant_type", "invalid_target"}) {
    CAPTURE(error);
    f = Fail(400, std::string(R"({"error":")") + error + "\"}");
    CHECK(f.kind == LoginFailureKind::kRejected);
    CHECK(f.reason == std::string("HTTP 400, client credentials rejected: ") + error);
  }
  CHECK(Fail(401, "Unauthorized", "text/plain").kind == LoginFailureKind::kRejected);
  CHECK(Fail(403, R"({"error":"access_denied"})").kind == LoginFailureKind::kRejected);
}

TEST_CASE("oidc answer: 5xx, redirects, provider trouble and bare 400s are transient") {
  CHECK(Fail(500, R"({"error":"server_error"})").kind == LoginFailureKind::kTransient);
  CHECK(Fail(400, R"({"error":"temporarily_unavailable"})").kind == LoginFailureKind::kTransient);
  CHECK(Fail(503, "").reason == "HTTP 503");
  CHECK(Fail(400, "<html>bad</html>", "text/html").kind == LoginFailureKind::kTransient);
  LoginFailure f = Fail(302, "");
  CHECK(f.kind == LoginFailureKind::kTransient);
  CHECK(f.reason.find("redirect (not followed") != std::string::npos);
  CHECK(Fail(404, "").kind == LoginFailureKind::kTransient);
}

TEST_CASE("oidc discovery: token endpoint and client authentication method") {
  HttpUrl issuer = Url("https://idp.example.com/realms/nacos");
  auto d = ParseDiscovery(200, "application/json",
                          R"({"issuer":"https://idp.example.com/realms/nacos",
                              "token_endpoint":"https://idp.example.com/realms/nacos/token",
                              "token_endpoint_auth_methods_supported":
                                ["private_key_jwt","client_secret_post","client_secret_basic"]})",
                          issuer);
  REQUIRE(d);
  CHECK(d->token_endpoint.Display() == "https://idp.example.com/realms/nacos/token");
  CHECK(d->auth == ClientAuth::kBasic);
  auto only_post = ParseDiscovery(
      200, "application/json",
      R"({"token_endpoint":"https://t/x","token_endpoint_auth_methods_supported":["client_secret_post"]})",
      issuer);
  REQUIRE(only_post);
  CHECK(only_post->auth == ClientAuth::kPost);
  for (const char* methods : {R"(["private_key_jwt"])", "7", "[]"}) {
    CAPTURE(methods);
    auto neither = ParseDiscovery(200, "application/json",
                                  std::string(R"({"token_endpoint":"https://t/x",)") +
                                      R"("token_endpoint_auth_methods_supported":)" + methods + "}",
                                  issuer);
    REQUIRE(neither);
    CHECK(neither->auth == ClientAuth::kBasic);
  }
}

TEST_CASE("oidc discovery: unusable documents say why") {
  HttpUrl https = Url("https://idp/");
  CHECK(ParseDiscovery(404, "text/html", "", https).error() == "HTTP 404");
  CHECK(ParseDiscovery(301, "", "", https).error().find("redirect") != std::string::npos);
  CHECK(ParseDiscovery(200, "text/html", "{}", https).error().find("not JSON") !=
        std::string::npos);
  CHECK(ParseDiscovery(200, "", "{", https).error().find("not a JSON object") != std::string::npos);
  CHECK(ParseDiscovery(200, "", R"({"token_endpoint":3})", https).error() ==
        "the document has no token_endpoint string");
  CHECK(ParseDiscovery(200, "", R"({"token_endpoint":"/token"})", https)
            .error()
            .find("must be an http:// or https:// URL") != std::string::npos);
  // An https issuer never hands the secret to a plain-http endpoint.
  CHECK(ParseDiscovery(200, "", R"({"token_endpoint":"http://idp/token"})", https)
            .error()
            .find("plain http while the issuer is https") != std::string::npos);
  CHECK(ParseDiscovery(200, "", R"({"token_endpoint":"http://idp/token"})", Url("http://idp")));
}
