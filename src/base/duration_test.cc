#include "base/duration.h"

#include "test_util.h"

using namespace tokend;
using namespace std::chrono_literals;

TEST_CASE("duration: units and bare seconds") {
  CHECK(*ParseDuration("500ms") == 500ms);
  CHECK(*ParseDuration("30s") == 30s);
  CHECK(*ParseDuration("5m") == 5min);
  CHECK(*ParseDuration("2h") == 2h);
  CHECK(*ParseDuration("10") == 10s);
  CHECK(*ParseDuration(" 1h30m ") == 90min);
  CHECK(*ParseDuration("1.5s") == 1500ms);
  CHECK(*ParseDuration("0") == 0ms);
}

TEST_CASE("duration: malformed text names the problem") {
  for (const char* bad : {"", "s", "10x", "-1s", "1h 30m", "abc", "10 s", "1e3s", ".s", "5m10"}) {
    CAPTURE(bad);
    auto d = ParseDuration(bad);
    CHECK_FALSE(d.ok());
  }
  CHECK(ParseDuration("10x").error().find("unknown unit 'x'") != std::string::npos);
  CHECK_FALSE(ParseDuration("999999999999h").ok());
}

TEST_CASE("duration: formatting for people") {
  CHECK(FormatDuration(750ms) == "750ms");
  CHECK(FormatDuration(8s) == "8s");
  CHECK(FormatDuration(90s) == "1m30s");
  CHECK(FormatDuration(4h + 12min + 5s) == "4h12m");
  CHECK(FormatDuration(2h) == "2h");
  CHECK(FormatDuration(-3s) == "-3s");
}
