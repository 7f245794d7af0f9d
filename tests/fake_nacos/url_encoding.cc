#include "url_encoding.h"

namespace fake_nacos {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

template <typename Visitor>
void ForEachPair(std::string_view text, Visitor visit) {
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('&', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view pair = text.substr(start, end - start);
    if (!pair.empty()) {
      const size_t equals = pair.find('=');
      visit(pair.substr(0, equals),
            equals == std::string_view::npos ? std::string_view() : pair.substr(equals + 1),
            equals != std::string_view::npos);
    }
    start = end + 1;
  }
}

}  // namespace

std::string UrlDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < text.size() && HexValue(text[i + 1]) >= 0 &&
               HexValue(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

ParamList ParseUrlEncoded(std::string_view text) {
  ParamList params;
  ForEachPair(text, [&params](std::string_view name, std::string_view value, bool) {
    params.emplace_back(UrlDecode(name), UrlDecode(value));
  });
  return params;
}

std::string MaskParameter(std::string_view text, std::string_view name) {
  std::string out;
  ForEachPair(text, [&](std::string_view raw_name, std::string_view value, bool has_value) {
    if (!out.empty()) out.push_back('&');
    out.append(raw_name);
    if (UrlDecode(raw_name) == name) {
      out.append("=***");
    } else if (has_value) {
      out.push_back('=');
      out.append(value);
    }
  });
  return out;
}

}  // namespace fake_nacos
