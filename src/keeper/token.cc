#include "keeper/token.h"

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

#include <cmath>
#include <ctime>

#include "base/json_string.h"
#include "login/jwt.h"

namespace tokend {
namespace {}  // namespace

Result<Token> TokenFromLogin(const LoginSuccess& login, const std::string& username,
                             std::vector<std::string>* warnings) {
  double ttl = login.ttl_seconds;
  if (ttl > kMaxTtlSeconds) {
    warnings->push_back(login.server + ": a lifetime (tokenTtl, expires_in) of " +
                        std::to_string(int64_t(ttl)) + "s is absurd; clamped to " +
                        std::to_string(kMaxTtlSeconds) + "s");
    ttl = kMaxTtlSeconds;
  }
  auto lifetime = MonoDuration(static_cast<int64_t>(std::floor(ttl * 1000)));
  if (auto exp = JwtExpiry(login.token)) {
    // The JWT is valid through its exp second.
    auto exp_wall = WallTime(std::chrono::seconds(*exp + 1));
    auto by_exp = std::chrono::duration_cast<MonoDuration>(exp_wall - login.wall_sent_at);
    if (by_exp <= MonoDuration(0)) {
      return Error{login.server + ": the token's exp claim " + std::to_string(*exp) +
                   " is already past (is this host's clock wrong?)"};
    }
    lifetime = std::min(lifetime, by_exp);
  }
  Token t;
  t.value = login.token;
  t.obtained = login.sent_at;
  t.expires = login.sent_at + lifetime;
  t.obtained_wall = login.wall_sent_at;
  t.expires_wall = login.wall_sent_at + lifetime;
  t.username = username;
  t.server = login.server;
  return t;
}

std::string FormatWallTime(WallTime t) {
  time_t secs = std::chrono::system_clock::to_time_t(t);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

bool ParseWallTime(const std::string& text, WallTime* out) {
  struct tm tm = {};
  const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (!end || *end != '\0') return false;
  *out = std::chrono::system_clock::from_time_t(timegm(&tm));
  return true;
}

std::string TokenMetadataJson(const Token& token, MonoTime now) {
  int64_t expires_in = std::max<int64_t>(
      0, std::chrono::duration_cast<std::chrono::seconds>(token.expires - now).count());
  std::string out =
      "{\"accessToken\":" + JsonString(token.value) + ",\"tokenType\":\"Bearer\",\"expiresAt\":\"" +
      FormatWallTime(token.expires_wall) + "\",\"expiresIn\":" + std::to_string(expires_in) +
      ",\"obtainedAt\":\"" + FormatWallTime(token.obtained_wall) +
      "\",\"username\":" + JsonString(token.username) + ",\"server\":" + JsonString(token.server) +
      ",\"generation\":" + std::to_string(token.generation) +
      ",\"identity\":" + JsonString(token.identity) + "}";
  return out;
}

std::string TokenFingerprint(const std::string& token) {
  Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
  sha.update(token);
  return "sha256:" + Poco::DigestEngine::digestToHex(sha.digest()).substr(0, 8);
}

}  // namespace tokend
