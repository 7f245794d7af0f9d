#include "cli/token_output.h"

#include <time.h>

#include "test_util.h"

using namespace tokend::cli;

TEST_CASE("token output: JsonField reads a flat object's strings and numbers") {
  const char* json =
      R"({"accessToken":"eyJa.b.c","tokenType":"Bearer","expiresIn":14312,"generation":7,)"
      R"("username":"say \"hi\"\\","server":"http://x:1"})";
  CHECK(JsonField(json, "accessToken") == "eyJa.b.c");
  CHECK(JsonField(json, "expiresIn") == "14312");
  CHECK(JsonField(json, "generation") == "7");
  CHECK(JsonField(json, "username") == "say \"hi\"\\");
  CHECK(JsonField(json, "server") == "http://x:1");
  CHECK_FALSE(JsonField(json, "identity"));
  // Spaces as in the contract's example, and a key name inside a value never matches.
  CHECK(JsonField(R"({ "a" : "\"generation\":1", "generation" : 2 })", "generation") == "2");
  CHECK(JsonField(R"({"reason":"line\nbreak"})", "reason") == "line\nbreak");
  CHECK_FALSE(JsonField("not json", "a"));
  CHECK_FALSE(JsonField(R"({"a":"unterminated)", "a"));
  CHECK_FALSE(JsonField(R"({"a":{"b":1},"c":2})", "c"));  // not flat: no guessing
}

TEST_CASE("token output: metadata gives token, expiry and generation") {
  TokenInfo info = FromMetadata(
      R"({"accessToken":"eyJt","expiresAt":"2030-01-01T00:00:00Z","expiresIn":42,"generation":3})"
      "\n");
  CHECK(info.token == "eyJt");
  CHECK(info.expires_at == "2030-01-01T00:00:00Z");
  CHECK(info.expires_in_s == 42);
  CHECK(info.generation == "3");
  CHECK(info.json.back() == '}');
  CHECK(SecondsLeft(info) == 42);
  info.expires_in_s.reset();
  CHECK(*SecondsLeft(info) > 86400.0);  // from expiresAt, years ahead
  info.expires_at.clear();
  CHECK_FALSE(SecondsLeft(info));
}

TEST_CASE("token output: each format, and json from what is known") {
  TokenInfo info;
  info.token = "eyJt";
  CHECK(FormatToken(Format::kRaw, info) == "eyJt");
  CHECK(FormatToken(Format::kHeader, info) == "Authorization: Bearer eyJt");
  CHECK(FormatToken(Format::kEnv, info) == "NACOS_ACCESS_TOKEN=eyJt");
  CHECK(FormatToken(Format::kJson, info) == R"({"accessToken":"eyJt","tokenType":"Bearer"})");
  info.json = R"({"accessToken":"eyJt","generation":1})";
  CHECK(FormatToken(Format::kJson, info) == info.json);
}

TEST_CASE("token output: plausible tokens and redaction") {
  CHECK(PlausibleToken("eyJa.b-c_d+e/f="));
  CHECK_FALSE(PlausibleToken(""));
  CHECK_FALSE(PlausibleToken("a b"));
  CHECK_FALSE(PlausibleToken("a\nb"));
  CHECK_FALSE(PlausibleToken(std::string(8193, 'a')));
  CHECK(Redact("x eyJs y eyJs", "eyJs") == "x <the rejected token> y <the rejected token>");
  CHECK(Redact("nothing", "") == "nothing");
}
