#include "serve/socket_api.h"

#include "test_util.h"

using namespace tokend;
using namespace std::chrono_literals;

namespace {

const std::string& FakeMetrics(void*) {
  static const std::string text = "nacos_tokend_logins_total{result=\"ok\"} 1\n";
  return text;
}

HttpResponse Route(const std::string& method, const std::string& target, const ApiSnapshot& s) {
  HttpRequest r;
  std::string data = method + " " + target + " HTTP/1.1\r\n\r\n";
  REQUIRE(ParseHttpRequest(data, &r).status == ParseStatus::kComplete);
  return RouteRequest(r, s, FakeMetrics, nullptr);
}

ApiSnapshot WithToken() {
  auto t = std::make_shared<Token>();
  t->value = "tok";
  t->expires = MonoTime{100s};
  t->generation = 2;
  t->username = "u";
  ApiSnapshot s;
  s.token = t;
  s.now = MonoTime{40s};
  return s;
}

ApiSnapshot Without() {
  ApiSnapshot s;
  s.now = MonoTime{40s};
  s.problem = "login failed: HTTP 503";
  return s;
}

}  // namespace

TEST_CASE("socket api: token in text and json") {
  HttpResponse r = Route("GET", "/v1/token", WithToken());
  CHECK(r.status == 200);
  CHECK(r.body == "tok");
  CHECK(r.content_type.rfind("text/plain", 0) == 0);
  r = Route("GET", "/v1/token?format=json", WithToken());
  CHECK(r.status == 200);
  CHECK(r.content_type == "application/json");
  CHECK(r.body.find("\"generation\":2") != std::string::npos);
  CHECK(r.body.find("\"expiresIn\":60") != std::string::npos);
  CHECK(Route("GET", "/v1/token?format=xml", WithToken()).status == 400);
}

TEST_CASE("socket api: 503 with a reason when no token is valid") {
  HttpResponse r = Route("GET", "/v1/token", Without());
  CHECK(r.status == 503);
  CHECK(r.body == "no valid token: login failed: HTTP 503\n");
  r = Route("GET", "/v1/health", Without());
  CHECK(r.status == 503);
  CHECK(r.body == "{\"status\":\"unavailable\",\"reason\":\"login failed: HTTP 503\"}");
  r = Route("GET", "/v1/health", WithToken());
  CHECK(r.status == 200);
  CHECK(r.body.rfind("{\"status\":\"ok\"", 0) == 0);
}

TEST_CASE("socket api: methods, paths and refresh") {
  CHECK(Route("POST", "/v1/token", WithToken()).status == 405);
  CHECK(Route("GET", "/v1/refresh", WithToken()).status == 405);
  CHECK(Route("DELETE", "/metrics", WithToken()).status == 405);
  CHECK(Route("GET", "/", WithToken()).status == 404);
  CHECK(Route("GET", "/v1/token/", WithToken()).status == 404);
  CHECK(Route("GET", "/../v1/token", WithToken()).status == 404);
  CHECK(Route("POST", "/v1/refresh", WithToken()).defer_refresh);
  CHECK(Route("GET", "/metrics", WithToken()).body == FakeMetrics(nullptr));
  CHECK(RefreshResponse(true, "", WithToken()).status == 200);
  HttpResponse failed = RefreshResponse(false, "HTTP 403, credentials rejected", WithToken());
  CHECK(failed.status == 502);
  CHECK(failed.body.find("credentials rejected") != std::string::npos);
}

TEST_CASE("socket api: every answer says no-store and its length") {
  HttpResponse r = Route("GET", "/v1/token", WithToken());
  std::string wire = SerializeResponse(r, true, false);
  CHECK(wire.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(wire.find("Cache-Control: no-store\r\n") != std::string::npos);
  CHECK(wire.find("Content-Length: 3\r\n") != std::string::npos);
  CHECK(wire.find("Connection: keep-alive\r\n\r\ntok") != std::string::npos);
  std::string head = SerializeResponse(r, false, true);
  CHECK(head.find("Connection: close\r\n\r\n") == head.size() - 21);
}
