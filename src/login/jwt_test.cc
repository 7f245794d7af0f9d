#include "login/jwt.h"

#include "test_util.h"

using namespace tokend;

TEST_CASE("jwt: reads exp from the nacos-auth.md test vector") {
  auto exp = JwtExpiry(
      "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJuYWNvcyIsImV4cCI6MTcwMDAwMDAwMH0."
      "dDekJ5JWHewJzbpBo_SiTvI6x6plFi4fjuKdVc49lOE");
  REQUIRE(exp.has_value());
  CHECK(*exp == 1700000000);
}

TEST_CASE("jwt: tokens without a usable exp give nothing, never an exception") {
  const char* cases[] = {
      "AUTH_DISABLED",
      "a.b",
      "a.b.c.d",
      "eyJhbGciOiJIUzI1NiJ9.!!!.sig",
      "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJuYWNvcyJ9.sig",              // {"sub":"nacos"}
      "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOiIxNzAwMDAwMDAwIn0.sig",       // {"exp":"1700000000"}
      "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOi0xfQ.sig",                    // {"exp":-1}
      "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjEuNX0.sig",                   // {"exp":1.5}
      "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjk5OTk5OTk5OTk5OTk5OTl9.sig",  // absurd exp
      "eyJhbGciOiJIUzI1NiJ9.WzFd.sig",                              // [1]
      "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOnRydWV9.sig",                  // {"exp":true}
      "..",
      "",
  };
  for (const char* t : cases) {
    CAPTURE(t);
    CHECK_FALSE(JwtExpiry(t).has_value());
  }
}

TEST_CASE("jwt: base64url decoding") {
  CHECK(*Base64UrlDecode("eyJhIjoxfQ") == "{\"a\":1}");
  CHECK(*Base64UrlDecode("") == "");
  CHECK(*Base64UrlDecode("-_8") == "\xfb\xff");
  CHECK_FALSE(Base64UrlDecode("a").has_value());
  CHECK_FALSE(Base64UrlDecode("ab+/").has_value());
}
