#include "publish/token_state.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <fstream>
#include <sstream>

#include "base/duration.h"
#include "login/login_answer.h"

namespace tokend {

std::string RenderTokenState(const Token& token, const std::string& boot_id) {
  Poco::JSON::Object o;
  o.set("version", 1);
  o.set("bootId", boot_id);
  o.set("obtainedBootMs", static_cast<Poco::Int64>(token.obtained.since_boot.count()));
  o.set("expiresBootMs", static_cast<Poco::Int64>(token.expires.since_boot.count()));
  o.set("obtainedAt", FormatWallTime(token.obtained_wall));
  o.set("expiresAt", FormatWallTime(token.expires_wall));
  o.set("identity", token.identity);
  o.set("username", token.username);
  o.set("server", token.server);
  o.set("generation", static_cast<Poco::UInt64>(token.generation));
  o.set("accessToken", token.value);
  std::ostringstream out;
  o.stringify(out);
  out << "\n";
  return out.str();
}

namespace {

Result<Poco::JSON::Object::Ptr> ParseObject(const std::string& text) {
  try {
    Poco::JSON::Parser parser;
    parser.setDepth(4);
    auto o = parser.parse(text).extract<Poco::JSON::Object::Ptr>();
    if (o) return o;
  } catch (...) {
  }
  return Error{"it is not a JSON object (damaged?)"};
}

// The fields the saved state and the json token file share. Throws on a
// missing field or one of the wrong type.
Result<Token> ReadSharedFields(const Poco::JSON::Object& o, const std::string& username) {
  Token t;
  t.value = o.getValue<std::string>("accessToken");
  t.username = o.getValue<std::string>("username");
  t.server = o.getValue<std::string>("server");
  if (o.has("generation")) t.generation = o.getValue<Poco::UInt64>("generation");
  if (!TokenProblem(t.value).empty()) return Error{"its token is malformed"};
  if (t.username != username) {
    return Error{"it holds a token of user '" + t.username + "', not '" + username + "'"};
  }
  if (!ParseWallTime(o.getValue<std::string>("obtainedAt"), &t.obtained_wall) ||
      !ParseWallTime(o.getValue<std::string>("expiresAt"), &t.expires_wall)) {
    return Error{"its times are malformed"};
  }
  return t;
}

// Only the wall clock links another boot (or a file without boot times) to
// this one: trust it to the second.
void PlaceByWallClock(Token* t, MonoTime now, WallTime wall_now) {
  t->expires = now + std::chrono::duration_cast<MonoDuration>(t->expires_wall - wall_now);
  t->obtained = now - std::chrono::duration_cast<MonoDuration>(wall_now - t->obtained_wall);
}

Result<Token> CheckServable(Token t, MonoTime now, const std::string& how) {
  if (!t.ValidAt(now)) return Error{"its token expired at " + FormatWallTime(t.expires_wall) + how};
  if (t.obtained > now) return Error{"its token was obtained in the future (clock changed?)"};
  return t;
}

}  // namespace

Result<Token> ParseTokenState(const std::string& text, const std::string& boot_id,
                              const std::string& username, MonoTime now, WallTime wall_now) {
  auto o = ParseObject(text);
  if (!o) return Error{o.error()};
  try {
    if ((*o)->getValue<int>("version") != 1) {
      return Error{"it was written in an unknown format (another version of nacos-tokend?)"};
    }
    Result<Token> t = ReadSharedFields(**o, username);
    if (!t) return t;
    bool same_boot = !boot_id.empty() && (*o)->getValue<std::string>("bootId") == boot_id;
    if (same_boot) {
      t->obtained = MonoTime{MonoDuration((*o)->getValue<Poco::Int64>("obtainedBootMs"))};
      t->expires = MonoTime{MonoDuration((*o)->getValue<Poco::Int64>("expiresBootMs"))};
    } else {
      PlaceByWallClock(&*t, now, wall_now);
    }
    return CheckServable(std::move(*t), now,
                         same_boot ? "" : " (saved before a reboot; judged by the wall clock)");
  } catch (...) {
    return Error{"a field is missing or of the wrong type (damaged?)"};
  }
}

Result<Token> ParseTokenMetadata(const std::string& text, const std::string& username, MonoTime now,
                                 WallTime wall_now) {
  auto o = ParseObject(text);
  if (!o) return Error{o.error()};
  try {
    Result<Token> t = ReadSharedFields(**o, username);
    if (!t) return t;
    PlaceByWallClock(&*t, now, wall_now);
    return CheckServable(std::move(*t), now, "");
  } catch (...) {
    return Error{"a field is missing or of the wrong type (damaged?)"};
  }
}

std::string CurrentBootId() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  std::getline(in, id);
  return id;
}

}  // namespace tokend
