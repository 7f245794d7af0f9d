#include "value_parsing.h"

#include <charconv>

#include "base64.h"

namespace fake_nacos {

std::optional<int64_t> ParseInteger(std::string_view text) {
  int64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc() || ptr != end) return std::nullopt;
  return value;
}

std::optional<bool> ParseFlag(std::string_view text) {
  if (text == "1" || text == "true" || text == "on" || text == "yes") return true;
  if (text == "0" || text == "false" || text == "off" || text == "no") return false;
  return std::nullopt;
}

std::optional<std::string> ParseSecret(std::string_view base64) {
  std::optional<std::string> key = Base64Decode(base64);
  if (!key || key->size() < 32) return std::nullopt;
  return key;
}

}  // namespace fake_nacos
