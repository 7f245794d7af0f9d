#include "serve/http_request.h"

#include "base/form_encode.h"

#include "test_util.h"

using namespace tokend;

TEST_CASE("http request: what curl sends") {
  HttpRequest r;
  std::string data =
      "GET /v1/token?format=json HTTP/1.1\r\nHost: localhost\r\nUser-Agent: curl/7.88.1\r\n"
      "Accept: */*\r\n\r\n";
  ParseOutcome o = ParseHttpRequest(data, &r);
  REQUIRE(o.status == ParseStatus::kComplete);
  CHECK(o.consumed == data.size());
  CHECK(r.method == "GET");
  CHECK(r.path == "/v1/token");
  CHECK(r.query == "format=json");
  CHECK(r.keep_alive);
  CHECK(FormField(r.query, "format") == "json");
  CHECK(FormField("a=1&format=raw", "format") == "raw");
  CHECK(FormField("rejected=a%2Bb+c", "rejected") == "a+b c");
  CHECK(FormField("a=1", "format").empty());
}

TEST_CASE("http request: incomplete until the head (and body) arrived") {
  HttpRequest r;
  CHECK(ParseHttpRequest("GET /v1/token HTTP/1.1\r\nHost: x\r\n", &r).status ==
        ParseStatus::kIncomplete);
  CHECK(ParseHttpRequest("POST /v1/refresh HTTP/1.1\r\nContent-Length: 4\r\n\r\nab", &r).status ==
        ParseStatus::kIncomplete);
  ParseOutcome o =
      ParseHttpRequest("POST /v1/refresh HTTP/1.1\r\nContent-Length: 2\r\n\r\nabGET", &r);
  CHECK(o.status == ParseStatus::kComplete);
  CHECK(o.consumed == 50);
}

TEST_CASE("http request: connection handling per version") {
  HttpRequest r;
  ParseHttpRequest("GET / HTTP/1.0\r\n\r\n", &r);
  CHECK_FALSE(r.keep_alive);
  ParseHttpRequest("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &r);
  CHECK(r.keep_alive);
  ParseHttpRequest("GET / HTTP/1.1\r\nconnection: upgrade, close\r\n\r\n", &r);
  CHECK_FALSE(r.keep_alive);
}

TEST_CASE("http request: malformed and hostile requests get the right status") {
  struct Case {
    std::string data;
    int status;
  } cases[] = {
      {"GARBAGE\r\n\r\n", 400},
      {"GET /x\r\n\r\n", 400},
      {"GET x HTTP/1.1\r\n\r\n", 400},
      {"GET /x HTTP/2.0\r\n\r\n", 505},
      {"GET /x FTP/1.0\r\n\r\n", 400},
      {"G(T /x HTTP/1.1\r\n\r\n", 400},
      {"GET /x HTTP/1.1\r\nNoColon\r\n\r\n", 400},
      {"GET /x HTTP/1.1\r\n: v\r\n\r\n", 400},
      {"GET /x HTTP/1.1\r\nA\x01: v\r\n\r\n", 400},
      {"GET /x HTTP/1.1\r\nA: v\x01\r\n\r\n", 400},
      {"GET /x HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400},
      {"GET /x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400},
      {"GET /x HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
      {"GET /x HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501},
      {"GET /x HTTP/1.1\r\nContent-Length: 99999\r\n\r\n", 413},
      {"GET /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 501},
      {"\x16\x03\x01\x02\x01\x01\xfc\x03\x03\r\n\r\n", 400},
  };
  for (const auto& c : cases) {
    CAPTURE(c.data);
    HttpRequest r;
    ParseOutcome o = ParseHttpRequest(c.data, &r);
    CHECK(o.status == ParseStatus::kError);
    CHECK(o.error_status == c.status);
  }
}

TEST_CASE("http request: an oversized head is refused before it ends") {
  HttpRequest r;
  std::string data = "GET /x HTTP/1.1\r\nX: " + std::string(kMaxRequestHead, 'a');
  ParseOutcome o = ParseHttpRequest(data, &r);
  CHECK(o.status == ParseStatus::kError);
  CHECK(o.error_status == 431);
  std::string many = "GET /x HTTP/1.1\r\n";
  for (int i = 0; i < 200; ++i) many += "A: b\r\n";
  CHECK(ParseHttpRequest(many + "\r\n", &r).error_status == 431);
}

TEST_CASE("http request: leading empty lines and a repeated identical Content-Length") {
  HttpRequest r;
  std::string data =
      "\r\n\r\nPOST /v1/refresh HTTP/1.1\r\nContent-Length: 2\r\n"
      "Content-Length: 2\r\n\r\nabGET";
  ParseOutcome o = ParseHttpRequest(data, &r);
  REQUIRE(o.status == ParseStatus::kComplete);
  CHECK(o.consumed == data.size() - 3);  // RFC 9110 8.6: the same length twice is one length
  CHECK(r.method == "POST");
  CHECK(r.body == "ab");
}

TEST_CASE("http request: a stream of empty lines counts against the head limit") {
  HttpRequest r;
  std::string crlfs;
  for (size_t i = 0; i < kMaxRequestHead; i += 2) crlfs += "\r\n";
  ParseOutcome o = ParseHttpRequest(crlfs, &r);
  CHECK(o.status == ParseStatus::kError);
  CHECK(o.error_status == 431);
  // Some, then a head that fits in what is left: fine.
  std::string ok;
  for (int i = 0; i < 50; ++i) ok += "\r\n";
  ok += "GET /v1/token HTTP/1.1\r\n\r\n";
  CHECK(ParseHttpRequest(ok, &r).status == ParseStatus::kComplete);
}
