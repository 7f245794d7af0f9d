#include "login/login_answer.h"

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <cmath>

#include "base/form_encode.h"
#include "base/json_string.h"

namespace tokend {
namespace {

constexpr size_t kMaxQuote = 160;

std::string Status(int status) { return "HTTP " + std::to_string(status); }

bool LooksLikeJson(std::string_view content_type) {
  return content_type.empty() || content_type.find("json") != std::string_view::npos;
}

// Spring's error JSON carries the useful text in "message"; plain text is the message.
std::string ServerMessage(std::string_view body, std::string_view secret) {
  try {
    Poco::JSON::Parser parser;
    parser.setDepth(8);
    auto object = parser.parse(std::string(body)).extract<Poco::JSON::Object::Ptr>();
    if (object && object->has("message") && object->get("message").isString()) {
      return QuoteServerText(object->getValue<std::string>("message"), secret);
    }
  } catch (...) {  // Not JSON: quote the text as it is.
  }
  return QuoteServerText(body, secret);
}

std::variant<LoginAnswer, LoginFailure> Transient(std::string reason) {
  return LoginFailure{LoginFailureKind::kTransient, std::move(reason)};
}

// Whether `v` is the integer `n`. Never throws: a number too large for
// Int64 (which Poco's conversion would throw on) is not `n`.
bool IsInteger(const Poco::Dynamic::Var& v, Poco::Int64 n) {
  if (!v.isInteger()) return false;
  try {
    return v.convert<Poco::Int64>() == n;
  } catch (...) {
    return false;
  }
}

std::variant<LoginAnswer, LoginFailure> ParseSuccess(std::string_view content_type,
                                                     std::string_view body,
                                                     std::string_view secret) {
  const std::string prefix = "HTTP 200 but ";
  if (!LooksLikeJson(content_type)) {
    return Transient(prefix + "the answer is not JSON (Content-Type " + std::string(content_type) +
                     ")");
  }
  Poco::JSON::Object::Ptr object;
  try {
    Poco::JSON::Parser parser;
    parser.setDepth(8);
    Poco::Dynamic::Var root = parser.parse(std::string(body));
    if (root.type() != typeid(Poco::JSON::Object::Ptr)) {
      return Transient(prefix + "the answer is not a JSON object");
    }
    object = root.extract<Poco::JSON::Object::Ptr>();
  } catch (const std::exception&) {
    return Transient(prefix + "the answer is not valid JSON (" + std::to_string(body.size()) +
                     " bytes)");
  }
  if (!object->has("accessToken") && object->has("code") && IsInteger(object->get("code"), 401)) {
    // The RestResult of a server whose auth system is neither nacos nor ldap
    // (nacos-auth.md §2.4): HTTP 200 for a refusal.
    std::string message =
        object->has("message") && object->get("message").isString()
            ? ": \"" + QuoteServerText(object->getValue<std::string>("message"), secret) + "\""
            : "";
    return LoginFailure{LoginFailureKind::kRejected,
                        prefix + "code 401, credentials rejected" + message};
  }
  if (!object->has("accessToken")) return Transient(prefix + "accessToken is missing");
  Poco::Dynamic::Var token = object->get("accessToken");
  if (!token.isString()) return Transient(prefix + "accessToken is not a string");
  std::string value = token.convert<std::string>();
  if (value.empty()) return Transient(prefix + "accessToken is empty");
  if (std::string problem = TokenProblem(value); !problem.empty()) {
    return Transient(prefix + "accessToken " + problem);
  }
  if (!object->has("tokenTtl")) return Transient(prefix + "tokenTtl is missing");
  Poco::Dynamic::Var ttl = object->get("tokenTtl");
  if (ttl.isString()) return Transient(prefix + "tokenTtl is a string, not a number");
  if (!ttl.isNumeric() || ttl.isBoolean()) return Transient(prefix + "tokenTtl is not a number");
  double seconds = ttl.convert<double>();
  if (!std::isfinite(seconds)) return Transient(prefix + "tokenTtl is not a finite number");
  if (seconds <= 0) return Transient(prefix + "tokenTtl is not positive");
  return LoginAnswer{std::move(value), seconds};
}

}  // namespace

std::optional<MonoDuration> ParseRetryAfter(std::string_view value, WallTime now) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty() || value.size() > 64) return std::nullopt;
  MonoDuration wait;
  if (value.find_first_not_of("0123456789") == std::string_view::npos) {
    if (value.size() > 9) return kMaxRetryAfter;  // absurdly long: the cap
    wait = std::chrono::seconds(std::stoll(std::string(value)));
  } else {
    struct tm tm = {};
    std::string text(value);
    const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (!end || *end != '\0') return std::nullopt;
    auto at = std::chrono::system_clock::from_time_t(timegm(&tm));
    if (at <= now) return std::nullopt;
    wait = std::chrono::duration_cast<MonoDuration>(at - now);
  }
  return std::min(wait, kMaxRetryAfter);
}

std::string TokenProblem(std::string_view token) {
  if (token.empty()) return "is empty";
  if (token.size() > kMaxTokenLength) {
    return "is " + std::to_string(token.size()) + " bytes long (limit " +
           std::to_string(kMaxTokenLength) + ")";
  }
  for (size_t i = 0; i < token.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(token[i]);
    if (c <= 0x20 || c >= 0x7f) {
      return "has a space, control or non-ASCII character at offset " + std::to_string(i);
    }
  }
  return "";
}

std::string QuoteServerText(std::string_view text, std::string_view secret) {
  std::string s(text.substr(0, 4096));
  if (!secret.empty()) {
    // As sent (form-encoded, maybe re-encoded with '+'), as is, and as a JSON string.
    std::string form = FormEncode(secret);
    std::string plus = form;
    for (size_t at = plus.find("%20"); at != std::string::npos; at = plus.find("%20", at)) {
      plus.replace(at, 3, "+");
    }
    std::string json = JsonString(secret);
    json = json.substr(1, json.size() - 2);
    for (const std::string& form_of : {std::string(secret), form, plus, json}) {
      for (size_t at = s.find(form_of); at != std::string::npos; at = s.find(form_of, at)) {
        s.replace(at, form_of.size(), "***");
      }
    }
  }
  std::string out;
  bool space = false;
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += ch;
    if (out.size() >= kMaxQuote) {
      out += "...";
      break;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::variant<LoginAnswer, LoginFailure> ParseLoginAnswer(int status, std::string_view content_type,
                                                         std::string_view body,
                                                         std::string_view secret) {
  if (status == 200) return ParseSuccess(content_type, body, secret);
  std::string message = ServerMessage(body, secret);
  std::string quoted = message.empty() ? "" : ": \"" + message + "\"";
  if (status == 403 && message.find("Invalid server identity key or value") != std::string::npos) {
    // 1.4.1-2.4.x check the server identity before anything else, even on
    // login (nacos-auth.md 3.2): no credentials can pass until it is set.
    return LoginFailure{LoginFailureKind::kRejected,
                        Status(status) +
                            ", every login refused until the server sets "
                            "nacos.core.auth.server.identity.key and .value (a server "
                            "configuration problem, not the credentials)" +
                            quoted};
  }
  if (status == 401 || status == 403) {
    return LoginFailure{LoginFailureKind::kRejected,
                        Status(status) + ", credentials rejected" + quoted};
  }
  if (status == 500 && body.starts_with("caused: User ") &&
      body.find(" not found;") != std::string_view::npos) {
    // 2.2.1-3.1 answer a user they do not know with loadUserByUsername's
    // exception (nacos-auth.md §3.2): a rejection, not a server fault to retry
    // fast. (Matched on the body: the quote is cut short for a long name.)
    return LoginFailure{LoginFailureKind::kRejected,
                        Status(status) +
                            ", credentials rejected (no such user, or a server that has not "
                            "loaded its users yet)" +
                            quoted};
  }
  if (status == 404 || status == 405 || status == 410 || status == 501) {
    return LoginFailure{LoginFailureKind::kNoSuchApi,
                        Status(status) + ", no such login endpoint" + quoted};
  }
  if (status >= 300 && status < 400) {
    return Transient(Status(status) + ", a redirect (not followed: the password stays here)");
  }
  return Transient(Status(status) + quoted);
}

}  // namespace tokend
