#include "login/login_answer.h"

#include "test_util.h"

using namespace tokend;

namespace {

const char* kJwt =
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJuYWNvcyIsImV4cCI6MTcwMDAwMDAwMH0."
    "dDekJ5JWHewJzbpBo_SiTvI6x6plFi4fjuKdVc49lOE";

LoginFailure Fail(int status, const std::string& body,
                  const std::string& ctype = "application/json") {
  auto r = ParseLoginAnswer(status, ctype, body, "s3cret-pw");
  REQUIRE(std::holds_alternative<LoginFailure>(r));
  return std::get<LoginFailure>(r);
}

}  // namespace

TEST_CASE("login answer: a real Nacos success") {
  std::string body = std::string("{\"accessToken\":\"") + kJwt +
                     "\",\"tokenTtl\":18000,\"globalAdmin\":true,\"username\":\"nacos\"}";
  auto r = ParseLoginAnswer(200, "application/json", body, "pw");
  REQUIRE(std::holds_alternative<LoginAnswer>(r));
  CHECK(std::get<LoginAnswer>(r).token == kJwt);
  CHECK(std::get<LoginAnswer>(r).ttl_seconds == 18000);
  // 1.x answers without username; AUTH_DISABLED is published as it comes.
  r = ParseLoginAnswer(
      200, "application/json;charset=UTF-8",
      "{\"accessToken\":\"AUTH_DISABLED\",\"tokenTtl\":17999.5,\"globalAdmin\":false}", "pw");
  REQUIRE(std::holds_alternative<LoginAnswer>(r));
  CHECK(std::get<LoginAnswer>(r).token == "AUTH_DISABLED");
}

TEST_CASE("login answer: every malformed 200 is a transient failure naming what is wrong") {
  struct Case {
    const char* body;
    const char* expect;
  } cases[] = {
      {"{\"accessToken\":\"eyJ", "not valid JSON"},
      {"[1,2]", "not a JSON object"},
      {"\"x\"", "JSON"},
      {"", "not valid JSON"},
      {"{\"tokenTtl\":18000}", "accessToken is missing"},
      {"{\"accessToken\":\"\",\"tokenTtl\":18000}", "accessToken is empty"},
      {"{\"accessToken\":42,\"tokenTtl\":18000}", "accessToken is not a string"},
      {"{\"accessToken\":null,\"tokenTtl\":18000}", "accessToken is not a string"},
      {"{\"accessToken\":\"a b\",\"tokenTtl\":18000}", "space, control or non-ASCII"},
      {"{\"accessToken\":\"a\\nb\",\"tokenTtl\":18000}", "space, control or non-ASCII"},
      {"{\"accessToken\":\"t\"}", "tokenTtl is missing"},
      {"{\"accessToken\":\"t\",\"tokenTtl\":\"abc\"}", "tokenTtl is a string"},
      {"{\"accessToken\":\"t\",\"tokenTtl\":-5}", "tokenTtl is not positive"},
      {"{\"accessToken\":\"t\",\"tokenTtl\":0}", "tokenTtl is not positive"},
      {"{\"accessToken\":\"t\",\"tokenTtl\":true}", "tokenTtl is not a number"},
      {"{\"accessToken\":\"t\",\"tokenTtl\":null}", "tokenTtl is not a number"},
      {"{\"accessToken\":\"t\",\"tokenTtl\":{}}", "tokenTtl is not a number"},
      {"{\"accessToken\":\"t\",\"tokenTtl\":1e999}", ""},
      {"{\"code\":200,\"message\":null,\"data\":\"Bearer x\"}", "accessToken is missing"},
      {"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]"
       "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
       ""},
  };
  for (const auto& c : cases) {
    CAPTURE(std::string(c.body));
    CAPTURE(std::string(c.expect));
    LoginFailure f = Fail(200, c.body);
    CHECK(f.kind == LoginFailureKind::kTransient);
    CHECK(f.reason.find("HTTP 200") != std::string::npos);
    CHECK(f.reason.find(c.expect) != std::string::npos);
  }
  std::string big(kMaxTokenLength + 1, 'a');
  CHECK(Fail(200, "{\"accessToken\":\"" + big + "\",\"tokenTtl\":5}").reason.find("bytes long") !=
        std::string::npos);
}

TEST_CASE("login answer: a captive portal's HTML 200 is not a token") {
  LoginFailure f = Fail(200, "<html>login here</html>", "text/html");
  CHECK(f.kind == LoginFailureKind::kTransient);
  CHECK(f.reason.find("not JSON (Content-Type text/html)") != std::string::npos);
}

TEST_CASE("login answer: 401/403 are rejected credentials, quoting the server") {
  LoginFailure f = Fail(403, "user not found!", "text/plain;charset=UTF-8");
  CHECK(f.kind == LoginFailureKind::kRejected);
  CHECK(f.reason == "HTTP 403, credentials rejected: \"user not found!\"");
  f = Fail(403,
           "{\"timestamp\":\"x\",\"status\":403,\"error\":\"Forbidden\",\"message\":\"Code: 401, "
           "Message: token expired!.\"}");
  CHECK(f.reason.find("Code: 401, Message: token expired!.") != std::string::npos);
  CHECK(Fail(401, "").kind == LoginFailureKind::kRejected);
}

TEST_CASE("login answer: the refusals that do not say 401 or 403 are rejections too") {
  // 2.2.1-3.1: an unknown user is loadUserByUsername's exception, 500 (2.4+ HTML-escapes it).
  LoginFailure f = Fail(500, "caused: User mallory not found;", "text/plain;charset=UTF-8");
  CHECK(f.kind == LoginFailureKind::kRejected);
  CHECK(f.reason ==
        "HTTP 500, credentials rejected (no such user, or a server that has not loaded its users "
        "yet): \"caused: User mallory not found;\"");
  CHECK(Fail(500, "caused: User " + std::string(300, 'x') + " not found;").kind ==
        LoginFailureKind::kRejected);  // a name longer than the quote
  CHECK(Fail(500, "caused: User a&amp;b not found;").kind == LoginFailureKind::kRejected);
  CHECK(Fail(500, "caused: Required String parameter 'password' is not present;").kind ==
        LoginFailureKind::kTransient);
  // 1.4.1-2.4.x without a server identity refuse every login, as a Spring error JSON.
  f = Fail(
      403,
      "{\"timestamp\":\"x\",\"status\":403,\"error\":\"Forbidden\",\"message\":\"Invalid "
      "server identity key or value, Please make sure set `nacos.core.auth.server.identity.key`"
      "\",\"path\":\"/nacos/v1/auth/users/login\"}");
  CHECK(f.kind == LoginFailureKind::kRejected);
  CHECK(
      f.reason.starts_with("HTTP 403, every login refused until the server sets "
                           "nacos.core.auth.server.identity.key and .value"));
  // A server whose auth system is neither nacos nor ldap answers a refusal with HTTP 200.
  f = Fail(200, "{\"code\":401,\"message\":\"Login failed\",\"data\":null}");
  CHECK(f.kind == LoginFailureKind::kRejected);
  CHECK(f.reason == "HTTP 200 but code 401, credentials rejected: \"Login failed\"");
  // A code too large for an integer is no refusal, and no exception either.
  CHECK(Fail(200, "{\"code\":3000000000000000000000}").kind == LoginFailureKind::kTransient);
  CHECK(Fail(200, "{\"code\":18446744073709551615}").kind == LoginFailureKind::kTransient);
}

TEST_CASE("login answer: a missing endpoint asks for the other API generation") {
  for (int s : {404, 405, 410, 501}) CHECK(Fail(s, "").kind == LoginFailureKind::kNoSuchApi);
}

TEST_CASE("login answer: redirects and 5xx are transient; the password never leaks") {
  LoginFailure f = Fail(302, "");
  CHECK(f.kind == LoginFailureKind::kTransient);
  CHECK(f.reason.find("not followed") != std::string::npos);
  f = Fail(500, "caused: bad password s3cret-pw;\n\tat java...", "text/plain");
  CHECK(f.kind == LoginFailureKind::kTransient);
  CHECK(f.reason.find("s3cret-pw") == std::string::npos);
  CHECK(f.reason.find("caused: bad password ***; at java...") != std::string::npos);
  CHECK(Fail(503, "").kind == LoginFailureKind::kTransient);
  CHECK(Fail(429, "").kind == LoginFailureKind::kTransient);
}

TEST_CASE("login answer: an echoed password is hidden in every form it may take") {
  const std::string pw = "p&ss w\"ord";
  for (const char* echo : {"p&ss w\"ord", "p%26ss%20w%22ord", "p%26ss+w%22ord", "p&ss w\\\"ord"}) {
    CAPTURE(echo);
    auto r = ParseLoginAnswer(500, "text/plain", std::string("bad: ") + echo, pw);
    const auto& f = std::get<LoginFailure>(r);
    CHECK(f.reason.find("bad: ***") != std::string::npos);
  }
}

TEST_CASE("login answer: quoted server text is short and on one line") {
  std::string q = QuoteServerText(std::string(1000, 'x') + "\n\r\x01", "");
  CHECK(q.size() <= 170);
  CHECK(q.find('\n') == std::string::npos);
}

TEST_CASE("login answer: Retry-After as seconds or an HTTP-date, capped, garbage ignored") {
  using namespace std::chrono_literals;
  WallTime now = WallTime(1'800'000'000s);  // Fri, 15 Jan 2027 08:00:00 GMT
  CHECK(*ParseRetryAfter("120", now) == 120s);
  CHECK(*ParseRetryAfter(" 0 ", now) == 0s);
  CHECK(*ParseRetryAfter("1000000000", now) == kMaxRetryAfter);
  CHECK(*ParseRetryAfter("86400", now) == kMaxRetryAfter);
  CHECK(*ParseRetryAfter("Fri, 15 Jan 2027 08:01:30 GMT", now) == 90s);
  CHECK_FALSE(ParseRetryAfter("Fri, 15 Jan 2027 07:59:00 GMT", now));  // in the past
  for (const char* bad : {"", "soon", "-5", "1.5", "Fri, 15 Jan 2027", "12abc"}) {
    CAPTURE(bad);
    CHECK_FALSE(ParseRetryAfter(bad, now));
  }
}
