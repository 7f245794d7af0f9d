#include "listening_configs.h"

namespace fake_nacos {
namespace {

std::vector<std::string> Split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    const size_t end = text.find(separator, start);
    parts.emplace_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

}  // namespace

std::optional<std::map<ConfigKey, std::string>> ParseListeningConfigs(std::string_view text) {
  std::map<ConfigKey, std::string> listened;
  for (const std::string& line : Split(text, kLineSeparator)) {
    if (line.empty()) continue;  // After the last ^1.
    const std::vector<std::string> fields = Split(line, kWordSeparator);
    if (fields.size() < 3 || fields.size() > 4 || fields[0].empty() || fields[1].empty()) {
      return std::nullopt;
    }
    ConfigKey key{fields[0], fields[1], fields.size() == 4 ? fields[3] : std::string()};
    listened[key] = fields[2];
  }
  if (listened.empty()) return std::nullopt;
  return listened;
}

std::string JavaUrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') ||
        (byte >= '0' && byte <= '9') || byte == '.' || byte == '-' || byte == '*' || byte == '_') {
      out.push_back(c);
    } else if (byte == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xf]);
    }
  }
  return out;
}

std::string FormatChangedKeys(const std::vector<ConfigKey>& keys) {
  std::string plain;
  for (const ConfigKey& key : keys) {
    plain += key.data_id + kWordSeparator + key.group;
    if (!key.tenant.empty()) plain += kWordSeparator + key.tenant;
    plain += kLineSeparator;
  }
  return JavaUrlEncode(plain);
}

}  // namespace fake_nacos
