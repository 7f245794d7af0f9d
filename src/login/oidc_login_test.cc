#include "login/oidc_login.h"

#include <deque>

#include "test_util.h"

using namespace tokend;
using namespace tokend::testing;
using namespace std::chrono_literals;

namespace {

// Answers from a script, in order, records every request, and lets the clock
// move during an exchange (as a slow provider would).
class ScriptedTransport : public HttpTransport {
 public:
  explicit ScriptedTransport(FakeClock* clock) : clock_(clock) {}
  std::deque<Result<HttpAnswer>> script;
  std::vector<HttpExchange> calls;
  MonoDuration exchange_takes{0};

  Result<HttpAnswer> Send(const HttpExchange& x) override {
    calls.push_back(x);
    clock_->Advance(exchange_takes);
    REQUIRE_FALSE(script.empty());
    auto r = script.front();
    script.pop_front();
    return r;
  }
  void Abort() override {}

 private:
  FakeClock* clock_;
};

const char* kSecret = "s&cret:+ x";

Result<HttpAnswer> Json(int status, const std::string& body, const std::string& retry_after = "") {
  return HttpAnswer{status, "application/json", body, retry_after};
}
Result<HttpAnswer> Discovery(const std::string& methods = R"(["client_secret_basic"])") {
  return Json(200, R"({"issuer":"http://127.0.0.1:9000/realm","token_endpoint":)"
                   R"("http://127.0.0.1:9000/realm/token",)"
                   R"("token_endpoint_auth_methods_supported":)" +
                       methods + "}");
}
Result<HttpAnswer> Token(const std::string& token = "tok-1", int expires_in = 300) {
  return Json(200, R"({"access_token":")" + token + R"(","token_type":"Bearer","expires_in":)" +
                       std::to_string(expires_in) + "}");
}

NacosConfig MakeConfig() {
  NacosConfig c;
  c.login = LoginKind::kOidc;
  c.oidc.issuer = *ParseHttpUrl("http://127.0.0.1:9000/realm/");
  c.oidc.client_id = "my client";
  c.oidc.scope = "openid nacos";
  return c;
}

struct Fixture {
  FakeClock clock;
  ScriptedTransport* transport = nullptr;
  std::unique_ptr<OidcLogin> login;
  explicit Fixture(const NacosConfig& config = MakeConfig()) {
    auto t = std::make_unique<ScriptedTransport>(&clock);
    transport = t.get();
    login = std::make_unique<OidcLogin>(config, std::make_shared<const Secret>(kSecret),
                                        std::move(t), &clock);
  }
};

std::string Header(const HttpExchange& x, const std::string& name) {
  for (const auto& [n, v] : x.headers)
    if (n == name) return v;
  return "";
}

}  // namespace

TEST_CASE("oidc login: discovery, then client_secret_basic with both parts form-encoded") {
  Fixture f;
  f.transport->script = {Discovery(), Token()};
  f.transport->exchange_takes = 2s;
  MonoTime before = f.clock.Now();
  WallTime wall_before = f.clock.WallNow();
  LoginRoundResult r = f.login->Login();
  REQUIRE(r.success);
  REQUIRE(f.transport->calls.size() == 2);
  const HttpExchange& get = f.transport->calls[0];
  CHECK(get.method == HttpExchange::kGet);
  CHECK(get.server.Display() == "http://127.0.0.1:9000");
  CHECK(get.target == "/realm/.well-known/openid-configuration");
  CHECK(get.headers.empty());
  const HttpExchange& post = f.transport->calls[1];
  CHECK(post.method == HttpExchange::kPost);
  CHECK(post.target == "/realm/token");
  CHECK(post.body == "grant_type=client_credentials&scope=openid%20nacos");
  // base64("my%20client:s%26cret%3A%2B%20x")
  CHECK(Header(post, "Authorization") == "Basic " + Base64Encode("my%20client:s%26cret%3A%2B%20x"));
  CHECK(r.success->token == "tok-1");
  CHECK(r.success->ttl_seconds == 300);
  CHECK(r.success->server == "http://127.0.0.1:9000/realm/token");
  // Counted from when the token request was sent: after discovery, before the answer.
  CHECK(r.success->sent_at == before + 2s);
  CHECK(r.success->wall_sent_at == wall_before + 2s);
  CHECK(f.login->principal() == "my client");
  CHECK(f.login->first_server() == "http://127.0.0.1:9000/realm/");  // the issuer
}

TEST_CASE("oidc login: discovery is kept while rounds succeed, fetched again after a failure") {
  Fixture f;
  f.transport->script = {Discovery(), Token("a"),
                         Token("b"),  Json(500, R"({"error":"server_error"})"),
                         Discovery(), Token("c")};
  CHECK(f.login->Login().success->token == "a");
  CHECK(f.login->Login().success->token == "b");
  LoginRoundResult failed = f.login->Login();
  CHECK_FALSE(failed.success);
  CHECK(failed.failure_kind == FailureKind::kTransient);
  CHECK(failed.error == "token endpoint http://127.0.0.1:9000/realm/token: HTTP 500: server_error");
  CHECK(f.login->Login().success->token == "c");
  std::vector<int> methods;
  for (const auto& x : f.transport->calls) methods.push_back(x.method);
  CHECK(methods == std::vector<int>{HttpExchange::kGet, HttpExchange::kPost, HttpExchange::kPost,
                                    HttpExchange::kPost, HttpExchange::kGet, HttpExchange::kPost});
}

TEST_CASE("oidc login: client_secret_post when discovery lists only that; audience sent") {
  NacosConfig c = MakeConfig();
  c.oidc.audience = "urn:nacos";
  c.oidc.scope.clear();
  Fixture f(c);
  f.transport->script = {Discovery(R"(["client_secret_post","private_key_jwt"])"), Token()};
  REQUIRE(f.login->Login().success);
  const HttpExchange& post = f.transport->calls.at(1);
  CHECK(post.headers.empty());
  CHECK(post.body ==
        "grant_type=client_credentials&audience=urn%3Anacos&client_id=my%20client"
        "&client_secret=s%26cret%3A%2B%20x");
}

TEST_CASE("oidc login: a configured token endpoint means no discovery at all") {
  NacosConfig c = MakeConfig();
  c.oidc.issuer.reset();
  c.oidc.token_endpoint = *ParseHttpUrl("http://127.0.0.1:9001/oauth2/token");
  Fixture f(c);
  CHECK(f.login->first_server() == "http://127.0.0.1:9001/oauth2/token");
  f.transport->script = {Token("a"), Error{"http://127.0.0.1:9001: Connection refused"},
                         Token("b")};
  CHECK(f.login->Login().success);
  LoginRoundResult down = f.login->Login();
  CHECK(down.failure_kind == FailureKind::kTransient);
  CHECK(down.error ==
        "token endpoint http://127.0.0.1:9001/oauth2/token: http://127.0.0.1:9001: Connection "
        "refused");
  CHECK(f.login->Login().success->server == "http://127.0.0.1:9001/oauth2/token");
  for (const auto& x : f.transport->calls) CHECK(x.method == HttpExchange::kPost);
}

TEST_CASE("oidc login: discovery failures are transient and name the document") {
  Fixture f;
  f.transport->script = {Error{"http://127.0.0.1:9000: Connection refused"}, Json(404, "{}"),
                         Discovery(), Token()};
  LoginRoundResult r = f.login->Login();
  CHECK(r.failure_kind == FailureKind::kTransient);
  CHECK(r.error ==
        "discovery http://127.0.0.1:9000/realm/.well-known/openid-configuration: "
        "http://127.0.0.1:9000: Connection refused");
  r = f.login->Login();
  CHECK(r.error.find("openid-configuration: HTTP 404") != std::string::npos);
  CHECK(f.login->Login().success);
}

TEST_CASE("oidc login: rejected client, the secret never quoted; Retry-After honoured") {
  Fixture f;
  f.transport->script = {
      Discovery(), Json(401, R"({"error":"invalid_client","error_description":"s&cret:+ x?"})"),
      Discovery(), Json(503, "busy", "30")};
  LoginRoundResult r = f.login->Login();
  CHECK(r.failure_kind == FailureKind::kRejected);
  CHECK(r.error ==
        "token endpoint http://127.0.0.1:9000/realm/token: HTTP 401, client credentials "
        "rejected: invalid_client: \"***?\"");
  r = f.login->Login();
  CHECK(r.failure_kind == FailureKind::kTransient);
  CHECK(r.retry_after == 30s);
}

TEST_CASE("oidc login: a JWT without expires_in lives until its exp") {
  Fixture f;
  // {"alg":"RS256"}.{"exp":1800000100} and the fake clock's wall time is 1800000000.
  std::string jwt = "eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjE4MDAwMDAxMDB9.c2ln";
  f.transport->script = {Discovery(), Json(200, R"({"access_token":")" + jwt + R"("})")};
  LoginRoundResult r = f.login->Login();
  REQUIRE(r.success);
  CHECK(r.success->ttl_seconds == doctest::Approx(101));
}

TEST_CASE("oidc login: base64 and the discovery URL") {
  CHECK(Base64Encode("") == "");
  CHECK(Base64Encode("f") == "Zg==");
  CHECK(Base64Encode("fo") == "Zm8=");
  CHECK(Base64Encode("foo") == "Zm9v");
  CHECK(Base64Encode("foobar") == "Zm9vYmFy");
  CHECK(Base64Encode("\xff\xfe") == "//4=");
  CHECK(DiscoveryUrl(*ParseHttpUrl("https://idp")).Target() == "/.well-known/openid-configuration");
  CHECK(DiscoveryUrl(*ParseHttpUrl("https://idp/realms/x//")).Display() ==
        "https://idp/realms/x/.well-known/openid-configuration");
}
