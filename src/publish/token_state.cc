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

Result<Token> ParseTokenState(const std::string& text, const std::string& boot_id,
                              const std::string& username, MonoTime now, WallTime wall_now) {
  Poco::JSON::Object::Ptr o;
  try {
    Poco::JSON::Parser parser;
    parser.setDepth(4);
    o = parser.parse(text).extract<Poco::JSON::Object::Ptr>();
  } catch (...) {
    return Error{"it is not a JSON object (damaged?)"};
  }
  try {
    if (!o || o->getValue<int>("version") != 1) {
      return Error{"it was written in an unknown format (another version of nacos-tokend?)"};
    }
    Token t;
    t.value = o->getValue<std::string>("accessToken");
    t.username = o->getValue<std::string>("username");
    t.server = o->getValue<std::string>("server");
    if (o->has("generation")) t.generation = o->getValue<Poco::UInt64>("generation");
    if (!TokenProblem(t.value).empty()) return Error{"its token is malformed"};
    if (t.username != username) {
      return Error{"it holds a token of user '" + t.username + "', not '" + username + "'"};
    }
    if (!ParseWallTime(o->getValue<std::string>("obtainedAt"), &t.obtained_wall) ||
        !ParseWallTime(o->getValue<std::string>("expiresAt"), &t.expires_wall)) {
      return Error{"its times are malformed"};
    }
    bool same_boot = !boot_id.empty() && o->getValue<std::string>("bootId") == boot_id;
    if (same_boot) {
      t.obtained = MonoTime{MonoDuration(o->getValue<Poco::Int64>("obtainedBootMs"))};
      t.expires = MonoTime{MonoDuration(o->getValue<Poco::Int64>("expiresBootMs"))};
    } else {
      // Another boot: only the wall clock links the two; trust it to the second.
      auto left = std::chrono::duration_cast<MonoDuration>(t.expires_wall - wall_now);
      auto age = std::chrono::duration_cast<MonoDuration>(wall_now - t.obtained_wall);
      t.expires = now + left;
      t.obtained = now - age;
    }
    if (!t.ValidAt(now)) {
      return Error{"its token expired at " + FormatWallTime(t.expires_wall) +
                   (same_boot ? "" : " (saved before a reboot; judged by the wall clock)")};
    }
    if (t.obtained > now) return Error{"its token was obtained in the future (clock changed?)"};
    return t;
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
