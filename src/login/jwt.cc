#include "login/jwt.h"

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <cmath>

namespace tokend {
namespace {

int Sextet(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

// JWT payloads are a few dozen bytes; anything much larger is not a Nacos token.
constexpr size_t kMaxPayload = 4096;
// exp values beyond this (year 2500) are nonsense, not a lifetime to honour.
constexpr int64_t kMaxExp = 16'725'225'600;

}  // namespace

std::optional<std::string> Base64UrlDecode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = Sextet(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

std::optional<int64_t> JwtExpiry(std::string_view token) {
  size_t first = token.find('.');
  if (first == std::string_view::npos) return std::nullopt;
  size_t second = token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view payload64 = token.substr(first + 1, second - first - 1);
  if (payload64.size() > kMaxPayload) return std::nullopt;
  auto payload = Base64UrlDecode(payload64);
  if (!payload) return std::nullopt;
  try {
    Poco::JSON::Parser parser;
    parser.setDepth(8);
    Poco::Dynamic::Var root = parser.parse(*payload);
    auto object = root.extract<Poco::JSON::Object::Ptr>();
    if (!object || !object->has("exp")) return std::nullopt;
    Poco::Dynamic::Var exp = object->get("exp");
    if (!exp.isNumeric() || exp.isBoolean()) return std::nullopt;
    double value = exp.convert<double>();
    if (!std::isfinite(value) || value <= 0 || value > static_cast<double>(kMaxExp) ||
        value != std::floor(value)) {
      return std::nullopt;
    }
    return static_cast<int64_t>(value);
  } catch (...) {  // Any parse failure simply means "no usable exp".
    return std::nullopt;
  }
}

}  // namespace tokend
