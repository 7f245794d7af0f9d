#include "login/nacos_client.h"

#include <deque>

#include "test_util.h"

using namespace tokend;
using namespace tokend::testing;

namespace {

struct Call {
  std::string server;
  std::string path;
  std::string body;
};

// Answers from a script, in order, and records every request.
class ScriptedTransport : public HttpTransport {
 public:
  std::deque<Result<HttpAnswer>> script;
  std::vector<Call> calls;

  Result<HttpAnswer> Send(const HttpExchange& x) override {
    CHECK(x.method == HttpExchange::kPost);
    CHECK(x.headers.empty());  // a Nacos login carries no token, no extra header
    calls.push_back({x.server.Display(), x.target, x.body});
    REQUIRE_FALSE(script.empty());
    auto r = script.front();
    script.pop_front();
    return r;
  }
  void Abort() override {}
};

Result<HttpAnswer> Ok(const std::string& token = "tok", int ttl = 18000) {
  return HttpAnswer{200, "application/json",
                    "{\"accessToken\":\"" + token + "\",\"tokenTtl\":" + std::to_string(ttl) + "}",
                    ""};
}
Result<HttpAnswer> Answer(int s, const std::string& body = "") {
  return HttpAnswer{s, "text/plain", body, ""};
}
Result<HttpAnswer> Down(const std::string& server) {
  return Error{server + ": Connection refused"};
}

NacosConfig MakeConfig(std::vector<std::string> servers, ApiMode api = ApiMode::kAuto) {
  NacosConfig c;
  for (auto& s : servers) c.servers.push_back(*ParseServer(s));
  c.api = api;
  c.username = "tokend user";
  return c;
}

}  // namespace

TEST_CASE("nacos client: v3 first, credentials form-encoded, nothing else") {
  ScriptedTransport t;
  FakeClock clock;
  NacosClient client(MakeConfig({"127.0.0.1:8848"}), &t, &clock);
  t.script = {Ok()};
  LoginRoundResult r = client.Login("p&ss=wörd");
  REQUIRE(r.success);
  CHECK(r.success->token == "tok");
  REQUIRE(t.calls.size() == 1);
  CHECK(t.calls[0].path == "/nacos/v3/auth/user/login");
  CHECK(t.calls[0].body == "username=tokend%20user&password=p%26ss%3Dw%C3%B6rd");
  CHECK(t.calls[0].body.find("accessToken") == std::string::npos);
}

TEST_CASE("nacos client: falls back to v1 on 404/405/410/501 and remembers it") {
  for (int status : {404, 405, 410, 501}) {
    CAPTURE(status);
    ScriptedTransport t;
    FakeClock clock;
    NacosClient client(MakeConfig({"127.0.0.1:8848"}), &t, &clock);
    t.script = {Answer(status), Ok()};
    REQUIRE(client.Login("pw").success);
    CHECK(t.calls[1].path == "/nacos/v1/auth/users/login");
    t.script = {Ok()};
    REQUIRE(client.Login("pw").success);
    CHECK(t.calls.size() == 3);
    CHECK(t.calls[2].path == "/nacos/v1/auth/users/login");
  }
}

TEST_CASE("nacos client: api = v1 or v3 uses only that path") {
  ScriptedTransport t;
  FakeClock clock;
  NacosClient v1(MakeConfig({"a:1"}, ApiMode::kV1), &t, &clock);
  t.script = {Answer(404)};
  CHECK_FALSE(v1.Login("pw").success);
  CHECK(t.calls.size() == 1);
  CHECK(t.calls[0].path == "/nacos/v1/auth/users/login");
}

TEST_CASE("nacos client: fails over past a dead or broken server at once") {
  ScriptedTransport t;
  FakeClock clock;
  NacosClient client(MakeConfig({"a:1", "b:2", "c:3"}), &t, &clock);
  t.script = {Down("http://a:1"), Answer(500, "caused: boom;"), Ok("tok-c")};
  LoginRoundResult r = client.Login("pw");
  REQUIRE(r.success);
  CHECK(r.success->server == "http://c:3");
  CHECK(t.calls.size() == 3);
}

TEST_CASE("nacos client: a failed round names every server and classifies") {
  ScriptedTransport t;
  FakeClock clock;
  NacosClient client(MakeConfig({"a:1", "b:2"}), &t, &clock);
  t.script = {Down("http://a:1"), Answer(403, "user not found!")};
  LoginRoundResult r = client.Login("pw");
  REQUIRE_FALSE(r.success);
  CHECK(r.failure_kind == FailureKind::kRejected);
  CHECK(r.error.find("http://a:1: Connection refused") != std::string::npos);
  CHECK(r.error.find("http://b:2 (v3 /nacos/v3/auth/user/login): HTTP 403, credentials rejected: "
                     "\"user not found!\"") != std::string::npos);
  t.script = {Down("http://a:1"), Answer(503)};
  CHECK(client.Login("pw").failure_kind == FailureKind::kTransient);
}

TEST_CASE("nacos client: a round keeps the longest Retry-After of 429/503 answers") {
  ScriptedTransport t;
  FakeClock clock;
  NacosClient client(MakeConfig({"a:1", "b:2", "c:3"}), &t, &clock);
  t.script = {HttpAnswer{429, "text/plain", "", "30"}, HttpAnswer{503, "text/html", "", "120"},
              HttpAnswer{500, "text/plain", "", "999"}};
  LoginRoundResult r = client.Login("pw");
  REQUIRE_FALSE(r.success);
  CHECK(r.retry_after == std::chrono::seconds(120));  // a 500's Retry-After is not a request
}

TEST_CASE("nacos client: the request time is when it was sent") {
  ScriptedTransport t;
  FakeClock clock;
  NacosClient client(MakeConfig({"a:1"}), &t, &clock);
  MonoTime before = clock.Now();
  t.script = {Ok()};
  auto r = client.Login("pw");
  CHECK(r.success->sent_at == before);
}
