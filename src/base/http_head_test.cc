#include "base/http_head.h"

#include "test_util.h"

using namespace tokend;

TEST_CASE("http head: a request with its framing") {
  RequestHead h;
  std::string data =
      "POST /nacos/v1/cs/configs?dataId=a#frag HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n"
      "Connection: keep-alive\r\n\r\nbody";
  HeadOutcome o = ParseRequestHead(data, 16384, &h);
  REQUIRE(o.status == HeadStatus::kComplete);
  CHECK(h.size == data.size() - 4);
  CHECK(h.method == "POST");
  CHECK(h.target == "/nacos/v1/cs/configs?dataId=a#frag");
  CHECK(h.path == "/nacos/v1/cs/configs");
  CHECK(h.query == "dataId=a");
  CHECK(h.framing == BodyFraming::kLength);
  CHECK(h.content_length == 12);
  CHECK(h.keep_alive);
  CHECK(*FindHeader(h.headers, "host") == "x");

  RequestHead c;
  REQUIRE(
      ParseRequestHead("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 16384, &c).status ==
      HeadStatus::kComplete);
  CHECK(c.framing == BodyFraming::kChunked);
  RequestHead old;
  REQUIRE(ParseRequestHead("GET / HTTP/1.0\r\n\r\n", 16384, &old).status == HeadStatus::kComplete);
  CHECK(!old.keep_alive);
  CHECK(old.framing == BodyFraming::kNone);
}

TEST_CASE("http head: refusals and limits") {
  auto status = [](std::string_view data, size_t max = 16384) {
    RequestHead h;
    HeadOutcome o = ParseRequestHead(data, max, &h);
    return o.status == HeadStatus::kError ? o.error_status : 0;
  };
  CHECK(status("GET / HTTP/1.1\r\nHost: x\r\n") == 0);  // incomplete
  CHECK(status(std::string(100, 'a'), 64) == 431);
  CHECK(status("GET / HTTP/1.1\r\nX: " + std::string(100, 'a') + "\r\n\r\n", 64) == 431);
  CHECK(status("GET / HTTP/2.0\r\n\r\n") == 505);
  CHECK(status("GET nacos HTTP/1.1\r\n\r\n") == 400);
  CHECK(status("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n") == 400);
  CHECK(status("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n") == 0);
  CHECK(status("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n") == 400);
  CHECK(status("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n") == 501);
  CHECK(status("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n") ==
        400);
  CHECK(status("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n") == 400);
  CHECK(status("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n") == 400);
  CHECK(status("GET / HTTP/1.1\r\nX: a\x01b\r\n\r\n") == 400);
}

TEST_CASE("http head: answers and when a body follows") {
  auto framing = [](std::string_view data, std::string_view method = "GET") {
    ResponseHead h;
    HeadOutcome o = ParseResponseHead(data, 65536, method, &h);
    REQUIRE(o.status == HeadStatus::kComplete);
    return h;
  };
  CHECK(framing("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n").framing == BodyFraming::kLength);
  CHECK(framing("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").framing == BodyFraming::kNone);
  CHECK(framing("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n").framing ==
        BodyFraming::kChunked);
  ResponseHead close = framing("HTTP/1.1 200 OK\r\n\r\n");
  CHECK(close.framing == BodyFraming::kUntilClose);
  CHECK(!close.keep_alive);
  CHECK(framing("HTTP/1.1 204 No Content\r\n\r\n").framing == BodyFraming::kNone);
  CHECK(framing("HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n").framing ==
        BodyFraming::kNone);
  CHECK(framing("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n", "HEAD").framing ==
        BodyFraming::kNone);
  ResponseHead h = framing("HTTP/1.1 403\r\nConnection: close\r\nContent-Length: 3\r\n\r\n");
  CHECK(h.status == 403);
  CHECK(!h.keep_alive);
  CHECK(framing("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n").keep_alive == false);

  ResponseHead bad;
  CHECK(ParseResponseHead("HTTP/1.1 2x0 OK\r\n\r\n", 65536, "GET", &bad).status ==
        HeadStatus::kError);
  CHECK(ParseResponseHead("SSH-2.0-OpenSSH\r\n\r\n", 65536, "GET", &bad).status ==
        HeadStatus::kError);
  CHECK(ParseResponseHead(std::string(200, 'x'), 100, "GET", &bad).status == HeadStatus::kError);
}
