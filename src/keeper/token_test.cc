#include "keeper/token.h"

#include "keeper/token_store.h"
#include "publish/token_state.h"
#include "test_util.h"

using namespace tokend;
using namespace std::chrono_literals;

namespace {

// {"sub":"nacos","exp":1700000000}
const char* kJwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJuYWNvcyIsImV4cCI6MTcwMDAwMDAwMH0.sig";

LoginSuccess Login(const std::string& token, double ttl, WallTime wall) {
  LoginSuccess s;
  s.token = token;
  s.ttl_seconds = ttl;
  s.server = "http://127.0.0.1:8848";
  s.sent_at = MonoTime{100s};
  s.wall_sent_at = wall;
  return s;
}

}  // namespace

TEST_CASE("token: lifetime counts from when the request was sent") {
  std::vector<std::string> w;
  auto t = TokenFromLogin(Login("AUTH_DISABLED", 18000, WallTime(1'700'000'000s)), "u", &w);
  REQUIRE(t.ok());
  CHECK(t->expires == MonoTime{100s + 18000s});
  CHECK(t->expires_wall == WallTime(1'700'018'000s));
  CHECK(w.empty());
}

TEST_CASE("token: the earlier of tokenTtl and the JWT exp wins") {
  std::vector<std::string> w;
  // exp is 60 s (+ its own second) after the send time: it wins over 18000.
  auto t = TokenFromLogin(Login(kJwt, 18000, WallTime(1'699'999'940s)), "u", &w);
  REQUIRE(t.ok());
  CHECK(t->expires == MonoTime{100s + 61s});
  // tokenTtl shorter than exp: tokenTtl wins.
  t = TokenFromLogin(Login(kJwt, 10, WallTime(1'699'999'940s)), "u", &w);
  CHECK(t->expires == MonoTime{110s});
  // exp already past: refused, naming the clock.
  t = TokenFromLogin(Login(kJwt, 18000, WallTime(1'700'000'100s)), "u", &w);
  REQUIRE_FALSE(t.ok());
  CHECK(t.error().find("clock") != std::string::npos);
}

TEST_CASE("token: absurd TTLs are clamped with a warning") {
  std::vector<std::string> w;
  auto t = TokenFromLogin(Login("AUTH_DISABLED", 1'764'000'000, WallTime(1'700'000'000s)), "u", &w);
  REQUIRE(t.ok());
  CHECK(t->expires - t->obtained == std::chrono::seconds(kMaxTtlSeconds));
  CHECK(w.size() == 1);
}

TEST_CASE("token: metadata object of the contract") {
  std::vector<std::string> w;
  auto t = TokenFromLogin(Login("abc", 3600, WallTime(1'800'000'000s)), "tokend", &w);
  t->generation = 7;
  std::string json = TokenMetadataJson(*t, MonoTime{100s + 600s});
  CHECK(json ==
        "{\"accessToken\":\"abc\",\"tokenType\":\"Bearer\",\"expiresAt\":\"2027-01-15T09:00:00Z\","
        "\"expiresIn\":3000,\"obtainedAt\":\"2027-01-15T08:00:00Z\",\"username\":\"tokend\","
        "\"server\":\"http://127.0.0.1:8848\",\"generation\":7,\"identity\":\"default\"}");
  CHECK(TokenFingerprint("abc").rfind("sha256:ba7816bf", 0) == 0);
}

TEST_CASE("token store: generation counts distinct tokens only") {
  TokenStore store;
  Token t;
  t.value = "a";
  t.expires = MonoTime{10s};
  CHECK(store.Set(t)->generation == 1);
  CHECK(store.Set(t)->generation == 1);  // same token again (same second at Nacos)
  t.value = "b";
  CHECK(store.Set(t)->generation == 2);
  CHECK(store.Valid(MonoTime{9s}) != nullptr);
  CHECK(store.Valid(MonoTime{10s}) == nullptr);  // never served at or after expiry
  store.Clear();
  CHECK(store.Current() == nullptr);
  t.value = "b";
  CHECK(store.Set(t)->generation == 2);
}

TEST_CASE("token state: round trip within a boot and across a reboot") {
  std::vector<std::string> w;
  auto t = TokenFromLogin(Login("abc", 3600, WallTime(1'800'000'000s)), "tokend", &w);
  std::string text = RenderTokenState(*t, "boot-1");
  auto same = ParseTokenState(text, "boot-1", "tokend", MonoTime{200s}, WallTime(1'800'000'100s));
  REQUIRE(same.ok());
  CHECK(same->expires == t->expires);
  CHECK(same->value == "abc");
  // Another boot: the boot-time clock restarted; the wall clock links the two.
  auto other = ParseTokenState(text, "boot-2", "tokend", MonoTime{5s}, WallTime(1'800'003'000s));
  REQUIRE(other.ok());
  CHECK(other->expires == MonoTime{5s + 600s});
  // Expired, another user, or damaged: not reused.
  CHECK_FALSE(ParseTokenState(text, "boot-1", "tokend", MonoTime{100s + 3600s}, WallTime(0s)));
  CHECK_FALSE(ParseTokenState(text, "boot-1", "someone", MonoTime{200s}, WallTime(0s)));
  CHECK_FALSE(
      ParseTokenState(text.substr(0, 20), "boot-1", "tokend", MonoTime{200s}, WallTime(0s)));
  CHECK_FALSE(ParseTokenState("", "boot-1", "tokend", MonoTime{200s}, WallTime(0s)));
}
