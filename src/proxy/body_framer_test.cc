#include "proxy/body_framer.h"

#include "test_util.h"

using namespace tokend;

TEST_CASE("body framer: Content-Length, byte by byte or at once") {
  BodyFramer f(BodyFraming::kLength, 5);
  CHECK(f.Consume("he") == 2);
  CHECK(!f.done());
  std::string payload;
  CHECK(f.Consume("lloGET /", &payload) == 3);
  CHECK(f.done());
  CHECK(payload == "llo");
  CHECK(f.payload_size() == 5);
  CHECK(BodyFramer(BodyFraming::kNone, 0).done());
}

TEST_CASE("body framer: chunked with extensions and trailers, split anywhere") {
  const std::string body = "5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\n";
  for (size_t split = 0; split <= body.size(); ++split) {
    BodyFramer f(BodyFraming::kChunked, 0);
    std::string payload;
    size_t used = f.Consume(std::string_view(body).substr(0, split), &payload);
    used += f.Consume(body.substr(used) + "NEXT", &payload);
    CHECK(f.done());
    CHECK(used == body.size());
    CHECK(payload == "hello0123456789");
  }
}

TEST_CASE("body framer: malformed chunked bodies fail") {
  for (std::string bad :
       {std::string("x\r\n"), std::string("5\r\nhelloXX"), std::string("5\nhello\r\n"),
        std::string("fffffffffffffffff\r\n"), std::string(5000, '1')}) {
    BodyFramer f(BodyFraming::kChunked, 0);
    f.Consume(bad);
    CHECK(f.failed());
  }
  BodyFramer cut(BodyFraming::kChunked, 0);
  cut.Consume("5\r\nhel");
  cut.OnEof();
  CHECK(cut.failed());
}

TEST_CASE("body framer: until close") {
  BodyFramer f(BodyFraming::kUntilClose, 0);
  CHECK(f.Consume("abc") == 3);
  CHECK(!f.done());
  f.OnEof();
  CHECK(f.done());
}
