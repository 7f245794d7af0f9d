#include "config/ini.h"

namespace tokend {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// An inline comment needs whitespace before it, so values such as
// "http://host#frag" or "a;b" keep their characters.
std::string_view StripInlineComment(std::string_view value) {
  for (size_t i = 1; i < value.size(); ++i) {
    if ((value[i] == ';' || value[i] == '#') && (value[i - 1] == ' ' || value[i - 1] == '\t')) {
      return value.substr(0, i);
    }
  }
  return value;
}

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

bool IsName(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsNameChar(c)) return false;
  }
  return true;
}

// "name" or "kind:name" (a named identity's section, e.g. nacos:staging).
bool IsSectionName(std::string_view s) {
  size_t colon = s.find(':');
  if (colon == std::string_view::npos) return IsName(s);
  return IsName(s.substr(0, colon)) && IsName(s.substr(colon + 1));
}

}  // namespace

IniValues ParseIni(std::string_view text, const std::string& origin,
                   std::vector<std::string>* problems) {
  IniValues values;
  std::string section;
  int line_no = 0;
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    ++line_no;
    std::string where = origin + ":" + std::to_string(line_no);

    line = Trim(line);
    if (line.empty() || line.front() == ';' || line.front() == '#') continue;
    if (line.front() == '[') {
      size_t close = line.find(']');
      std::string_view rest = close == std::string_view::npos ? "" : Trim(line.substr(close + 1));
      std::string_view name =
          close == std::string_view::npos ? "" : Trim(line.substr(1, close - 1));
      if (close == std::string_view::npos || !IsSectionName(name) ||
          !(rest.empty() || rest.front() == ';' || rest.front() == '#')) {
        problems->push_back(where +
                            ": malformed section header (expected [name] or [name:identity])");
        section.clear();
        continue;
      }
      section = std::string(name);
      continue;
    }
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      problems->push_back(where + ": expected 'key = value'");
      continue;
    }
    std::string_view key = Trim(line.substr(0, eq));
    if (!IsName(key)) {
      problems->push_back(where + ": malformed key '" + std::string(key) + "'");
      continue;
    }
    if (section.empty()) {
      problems->push_back(where + ": key '" + std::string(key) + "' is outside any [section]");
      continue;
    }
    std::string_view value = Trim(StripInlineComment(Trim(line.substr(eq + 1))));
    values[section + "." + std::string(key)] = IniValue{std::string(value), where};
  }
  return values;
}

Status ApplyDefine(std::string_view define, IniValues* values) {
  size_t eq = define.find('=');
  size_t dot = define.find('.');
  if (eq == std::string_view::npos || dot == std::string_view::npos || dot > eq ||
      !IsSectionName(Trim(define.substr(0, dot))) ||
      !IsName(Trim(define.substr(dot + 1, eq - dot - 1)))) {
    return Error{"-D '" + std::string(define.substr(0, eq)) + "': expected section.key=value"};
  }
  std::string key = std::string(Trim(define.substr(0, dot))) + "." +
                    std::string(Trim(define.substr(dot + 1, eq - dot - 1)));
  (*values)[key] = IniValue{std::string(Trim(define.substr(eq + 1))), "command line (-D)"};
  return Status::Ok();
}

}  // namespace tokend
