#include "publish/token_publisher.h"

#include <sys/stat.h>

#include <filesystem>

#include "test_util.h"

using namespace tokend;
using namespace tokend::testing;
using namespace std::chrono_literals;

namespace {

std::shared_ptr<const Token> MakeToken(const std::string& value, MonoTime now) {
  auto t = std::make_shared<Token>();
  t->value = value;
  t->username = "tokend";
  t->obtained = now;
  t->expires = now + 100s;
  t->generation = 3;
  return t;
}

}  // namespace

TEST_CASE("publisher: writes file and state on a new token, removes both at expiry") {
  ScopedTempDir dir;
  FileConfig file;
  file.path = dir.Join("token");
  TokenPublisher p(file, dir.Join(".token.state"), RefreshConfig{}, "");
  MonoTime now{1h};
  p.OnTokenEvent("default", TokenEvent{TokenChange::kNew, MakeToken("abc", now), now});
  CHECK(ReadFile(file.path) == "abc");
  CHECK(std::filesystem::exists(dir.Join(".token.state")));
  struct stat st;
  REQUIRE(stat(dir.Join(".token.state").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(p.up_to_date());
  p.OnTokenEvent("default", TokenEvent{TokenChange::kExpired, nullptr, now + 100s});
  CHECK_FALSE(std::filesystem::exists(file.path));
  CHECK_FALSE(std::filesystem::exists(dir.Join(".token.state")));
}

TEST_CASE("publisher: a saved state is read back with its generation, a bad one is removed") {
  ScopedTempDir dir;
  FileConfig file;
  file.path = dir.Join("token");
  MonoTime now{1h};
  {
    TokenPublisher p(file, dir.Join(".token.state"), RefreshConfig{}, "");
    p.OnTokenEvent("default", TokenEvent{TokenChange::kNew, MakeToken("abc", now), now});
  }
  TokenPublisher again(file, dir.Join(".token.state"), RefreshConfig{}, "");
  auto saved = again.LoadSaved(now + 1s, WallTime{}, "tokend");
  REQUIRE(saved);
  CHECK(saved->value == "abc");
  CHECK(saved->generation == 3);
  {
    TokenPublisher p(file, dir.Join(".token.state"), RefreshConfig{}, "");
    auto token = MakeToken("abc", now);
    std::const_pointer_cast<Token>(token)->server = "http://10.0.0.1:8848";
    p.OnTokenEvent("default", TokenEvent{TokenChange::kNew, token, now});
    TokenPublisher moved(file, dir.Join(".token.state"), RefreshConfig{}, "");
    CHECK(moved.LoadSaved(now + 1s, WallTime{}, "tokend",
                          {"http://10.0.0.2:8848", "http://10.0.0.1:8848"}));
    TokenPublisher elsewhere(file, dir.Join(".token.state"), RefreshConfig{}, "");
    CHECK_FALSE(elsewhere.LoadSaved(now + 1s, WallTime{}, "tokend", {"http://10.0.0.2:8848"}));
    p.OnTokenEvent("default", TokenEvent{TokenChange::kNew, MakeToken("abc", now), now});
  }
  CHECK_FALSE(again.LoadSaved(now + 1s, WallTime{}, "someone-else"));
  CHECK_FALSE(std::filesystem::exists(dir.Join(".token.state")));  // not ours: removed
  CHECK_FALSE(std::filesystem::exists(file.path));
}

TEST_CASE("publisher: without a saved state a json token file is reused, any other removed") {
  ScopedTempDir dir;
  FileConfig file;
  file.path = dir.Join("token");
  file.format = TokenFormat::kJson;
  MonoTime now{1h};
  WallTime wall{1'800'000'000s};
  auto token = std::make_shared<Token>(*MakeToken("abc", now));
  token->obtained_wall = wall;
  token->expires_wall = wall + 100s;
  {
    TokenPublisher p(file, dir.Join(".token.state"), RefreshConfig{}, "");
    p.OnTokenEvent("default", TokenEvent{TokenChange::kNew, token, now});
  }
  std::filesystem::remove(dir.Join(".token.state"));
  {
    TokenPublisher again(file, dir.Join(".token.state"), RefreshConfig{}, "");
    auto saved = again.LoadSaved(MonoTime{10s}, wall + 40s, "tokend");  // another boot's clock
    REQUIRE(saved);
    CHECK(saved->value == "abc");
    CHECK(saved->generation == 3);
    CHECK(saved->expires == MonoTime{70s});
    again.OnTokenEvent("default", TokenEvent{TokenChange::kReused, std::make_shared<Token>(*saved),
                                             MonoTime{10s}});
    CHECK(std::filesystem::exists(dir.Join(".token.state")));  // saved again
  }
  WriteFile(dir.Join(".token.state"), "damaged");  // an unusable state: the json file still is
  {
    TokenPublisher again(file, dir.Join(".token.state"), RefreshConfig{}, "");
    auto saved = again.LoadSaved(MonoTime{10s}, wall + 40s, "tokend");
    REQUIRE(saved);
    CHECK(saved->value == "abc");
  }
  std::filesystem::remove(dir.Join(".token.state"));
  TokenPublisher late(file, dir.Join(".token.state"), RefreshConfig{}, "");
  CHECK_FALSE(late.LoadSaved(MonoTime{10s}, wall + 100s, "tokend"));  // expired: removed
  CHECK_FALSE(std::filesystem::exists(file.path));

  file.format = TokenFormat::kRaw;
  {
    TokenPublisher p(file, dir.Join(".token.state"), RefreshConfig{}, "");
    p.OnTokenEvent("default", TokenEvent{TokenChange::kNew, token, now});
  }
  std::filesystem::remove(dir.Join(".token.state"));
  TokenPublisher raw(file, dir.Join(".token.state"), RefreshConfig{}, "");
  CHECK_FALSE(raw.LoadSaved(MonoTime{10s}, wall + 40s, "tokend"));  // its lifetime is unknown
  CHECK_FALSE(std::filesystem::exists(file.path));
}
