#include "proxy/forward_head.h"

#include "test_util.h"

using namespace tokend;

TEST_CASE("forward head: token injected, identity and hop-by-hop headers removed") {
  RequestHead r;
  std::string data =
      "POST /nacos/v1/cs/configs?dataId=a HTTP/1.0\r\nHost: nacos\r\nAuthorization: Basic x\r\n"
      "accesstoken: forged\r\nX-Forwarded-For: 1.2.3.4\r\nX-Real-IP: 1.2.3.4\r\n"
      "Connection: keep-alive, X-Private\r\nX-Private: 1\r\nKeep-Alive: timeout=5\r\n"
      "Expect: 100-continue\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\n";
  REQUIRE(ParseRequestHead(data, 16384, &r).status == HeadStatus::kComplete);
  std::string out = UpstreamRequestHead(r, "10.0.0.1:8848", "TOKEN");
  CHECK(out ==
        "POST /nacos/v1/cs/configs?dataId=a HTTP/1.1\r\nHost: 10.0.0.1:8848\r\n"
        "Content-Type: text/plain\r\nContent-Length: 3\r\nAuthorization: Bearer TOKEN\r\n\r\n");
}

TEST_CASE("forward head: the answer as the caller gets it") {
  std::string raw =
      "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nKeep-Alive: timeout=60\r\n"
      "Transfer-Encoding: chunked\r\nContent-MD5: abc\r\n\r\n";
  ResponseHead h;
  REQUIRE(ParseResponseHead(raw, 65536, "GET", &h).status == HeadStatus::kComplete);
  CHECK(CallerResponseHead(raw, h, true, false) ==
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-MD5: abc\r\n\r\n");
  CHECK(CallerResponseHead(raw, h, false, true) ==
        "HTTP/1.1 200 OK\r\nContent-MD5: abc\r\nConnection: close\r\n\r\n");
}

TEST_CASE("forward head: the proxy's own answers") {
  std::string r = ProxyErrorResponse(503, "no valid token", true, false);
  CHECK(r.starts_with("HTTP/1.1 503 Service Unavailable\r\n"));
  CHECK(r.find("X-Nacos-Tokend-Error: 1\r\n") != std::string::npos);
  CHECK(r.find("Content-Type: text/plain") != std::string::npos);
  CHECK(r.ends_with("\r\n\r\nnacos-tokend proxy: no valid token\n"));
  CHECK(ProxyErrorResponse(400, "x", false, true).ends_with("Connection: close\r\n\r\n"));
}
