#include "serve/socket_api.h"

#include "test_util.h"

using namespace tokend;
using namespace std::chrono_literals;

namespace {

// Identities with or without a token, and a peer allowed for some of them.
class FakeState final : public ApiState {
 public:
  MonoTime now() const override { return MonoTime{40s}; }
  const ServedIdentities& identities() const override { return ids; }
  bool PeerMayUse(const ServedIdentity& id) const override { return id.name != forbidden; }
  std::string Metrics() const override { return "nacos_tokend_build_info{version=\"x\"} 1\n"; }

  std::shared_ptr<IdentityBoard> Add(const std::string& name, const std::string& token) {
    auto board = std::make_shared<IdentityBoard>(name);
    if (!token.empty()) {
      Token t;
      t.value = token;
      t.identity = name;
      t.expires = MonoTime{100s};
      t.username = "u-" + name;
      board->store.Set(t);
    } else {
      board->metrics.SetProblem("login failed: HTTP 503");
    }
    ids.push_back(ServedIdentity{name, board, std::nullopt});
    return board;
  }

  ServedIdentities ids;
  std::string forbidden;
};

HttpResponse Route(const std::string& method, const std::string& target, const ApiState& s,
                   const std::string& body = "") {
  HttpRequest r;
  std::string data = method + " " + target +
                     " HTTP/1.1\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
                     body;
  REQUIRE(ParseHttpRequest(data, &r).status == ParseStatus::kComplete);
  return RouteRequest(r, s);
}

std::string Header(const HttpResponse& r, const std::string& name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return "";
}

}  // namespace

TEST_CASE("socket api: token in text and json, with its generation") {
  FakeState s;
  s.Add("default", "tok");
  HttpResponse r = Route("GET", "/v1/token", s);
  CHECK(r.status == 200);
  CHECK(r.body == "tok");
  CHECK(r.content_type.rfind("text/plain", 0) == 0);
  CHECK(Header(r, "X-Token-Generation") == "1");
  r = Route("GET", "/v1/token?format=json", s);
  CHECK(r.status == 200);
  CHECK(r.content_type == "application/json");
  CHECK(r.body.find("\"generation\":1") != std::string::npos);
  CHECK(r.body.find("\"expiresIn\":60") != std::string::npos);
  CHECK(r.body.find("\"identity\":\"default\"") != std::string::npos);
  CHECK(Header(r, "X-Token-Generation") == "1");
  CHECK(Route("GET", "/v1/token?format=xml", s).status == 400);
}

TEST_CASE("socket api: 503 with a reason when no token is valid") {
  FakeState s;
  s.Add("default", "");
  HttpResponse r = Route("GET", "/v1/token", s);
  CHECK(r.status == 503);
  CHECK(r.body == "no valid token: login failed: HTTP 503\n");
  CHECK(Header(r, "X-Token-Generation").empty());
  r = Route("GET", "/v1/health", s);
  CHECK(r.status == 503);
  CHECK(r.body.rfind("{\"status\":\"unavailable\",\"reason\":\"login failed: HTTP 503\"", 0) == 0);
}

TEST_CASE("socket api: identities are chosen, refused and listed") {
  FakeState s;
  s.Add("default", "tok-d");
  s.Add("staging", "tok-s");
  s.Add("prod", "");
  s.forbidden = "prod";
  CHECK(Route("GET", "/v1/token?identity=staging", s).body == "tok-s");
  CHECK(Route("GET", "/v1/token", s).body == "tok-d");
  HttpResponse missing = Route("GET", "/v1/token?identity=nope", s);
  CHECK(missing.status == 404);
  CHECK(missing.body.find("'nope'") != std::string::npos);
  CHECK(Route("GET", "/v1/token?identity=%2e%2e", s).body.find("..") == std::string::npos);
  CHECK(Route("GET", "/v1/token?identity=prod", s).status == 403);
  CHECK(Route("POST", "/v1/refresh?identity=prod", s).status == 403);
  HttpResponse list = Route("GET", "/v1/identities", s);
  CHECK(list.status == 200);
  CHECK(list.body.find("\"name\":\"staging\",\"status\":\"ok\"") != std::string::npos);
  CHECK(list.body.find("\"prod\"") == std::string::npos);  // not this peer's
  CHECK(list.body.find("tok-") == std::string::npos);      // never a token
  HttpResponse health = Route("GET", "/v1/health", s);
  CHECK(health.status == 503);  // prod has no token
  CHECK(health.body.find("\"reason\":\"prod: login failed") != std::string::npos);
  CHECK(health.body.find("\"staging\":{\"status\":\"ok\"") != std::string::npos);
  CHECK(health.body.find("tok-") == std::string::npos);
}

TEST_CASE("socket api: refresh waits for a login; rejected= of an old token does not") {
  FakeState s;
  auto board = s.Add("default", "current");
  HttpResponse plain = Route("POST", "/v1/refresh", s);
  CHECK(plain.defer_refresh);
  CHECK(plain.refresh_identity == "default");
  CHECK(plain.rejected_generation == 0);
  HttpResponse old = Route("POST", "/v1/refresh", s, "rejected=older");
  CHECK_FALSE(old.defer_refresh);
  CHECK(old.status == 200);
  CHECK(old.body.find("\"accessToken\":\"current\"") != std::string::npos);
  HttpResponse same = Route("POST", "/v1/refresh", s, "rejected=curr%65nt");
  CHECK(same.defer_refresh);
  CHECK(same.rejected_generation == board->store.generation());
  CHECK(RefreshResponse(true, "", s.ids[0], s.now()).status == 200);
  HttpResponse failed = RefreshResponse(false, "HTTP 403, credentials rejected", s.ids[0], s.now());
  CHECK(failed.status == 502);
  CHECK(failed.body.find("credentials rejected") != std::string::npos);
}

TEST_CASE("socket api: methods and paths") {
  FakeState s;
  s.Add("default", "tok");
  CHECK(Route("POST", "/v1/token", s).status == 405);
  CHECK(Route("GET", "/v1/refresh", s).status == 405);
  CHECK(Route("DELETE", "/metrics", s).status == 405);
  CHECK(Route("POST", "/v1/identities", s).status == 405);
  CHECK(Route("GET", "/", s).status == 404);
  CHECK(Route("GET", "/v1/token/", s).status == 404);
  CHECK(Route("GET", "/../v1/token", s).status == 404);
  CHECK(Route("GET", "/metrics", s).body == s.Metrics());
}

TEST_CASE("socket api: every answer says no-store and its length") {
  FakeState s;
  s.Add("default", "tok");
  HttpResponse r = Route("GET", "/v1/token", s);
  std::string wire = SerializeResponse(r, true, false);
  CHECK(wire.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(wire.find("Cache-Control: no-store\r\n") != std::string::npos);
  CHECK(wire.find("Content-Length: 3\r\n") != std::string::npos);
  CHECK(wire.find("Connection: keep-alive\r\n\r\ntok") != std::string::npos);
  std::string head = SerializeResponse(r, false, true);
  CHECK(head.find("Connection: close\r\n\r\n") == head.size() - 21);
}
