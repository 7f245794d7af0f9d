#include "base/duration.h"

#include <cmath>
#include <cstdint>

namespace tokend {
namespace {

// Upper bound that keeps every later arithmetic on milliseconds far from overflow.
constexpr double kMaxMillis = 100.0 * 365 * 24 * 3600 * 1000;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

Result<Millis> ParseDuration(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  if (text.empty()) return Error{"empty duration"};

  double total_ms = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && IsDigit(text[i])) ++i;
    if (i < text.size() && text[i] == '.') {
      ++i;
      while (i < text.size() && IsDigit(text[i])) ++i;
    }
    std::string_view number = text.substr(start, i - start);
    if (number.empty() || number == ".") {
      return Error{"'" + std::string(text) +
                   "' is not a duration (expected e.g. 500ms, 30s, 5m, 2h)"};
    }
    size_t unit_start = i;
    while (i < text.size() && !IsDigit(text[i]) && text[i] != '.') ++i;
    std::string_view unit = text.substr(unit_start, i - unit_start);
    double scale;
    if (unit.empty()) {
      if (start != 0 || i != text.size()) {
        return Error{"'" + std::string(text) + "': every part after the first needs a unit"};
      }
      scale = 1000;
    } else if (unit == "ms") {
      scale = 1;
    } else if (unit == "s") {
      scale = 1000;
    } else if (unit == "m") {
      scale = 60'000;
    } else if (unit == "h") {
      scale = 3'600'000;
    } else {
      return Error{"'" + std::string(text) + "' has unknown unit '" + std::string(unit) +
                   "' (use ms, s, m or h)"};
    }
    total_ms += std::stod(std::string(number)) * scale;
    if (total_ms > kMaxMillis) return Error{"'" + std::string(text) + "' is too long"};
  }
  return Millis(static_cast<int64_t>(std::llround(total_ms)));
}

std::string FormatDuration(Millis d) {
  int64_t ms = d.count();
  if (ms < 0) return "-" + FormatDuration(Millis(-ms));
  if (ms < 1000) return std::to_string(ms) + "ms";
  int64_t s = ms / 1000;
  int64_t h = s / 3600, m = (s % 3600) / 60, sec = s % 60;
  std::string out;
  if (h) out += std::to_string(h) + "h";
  if (m) out += std::to_string(m) + "m";
  if (sec || out.empty()) out += std::to_string(sec) + "s";
  if (h) {  // "4h12m" is what a person wants; seconds are noise at that scale.
    out = std::to_string(h) + "h" + (m ? std::to_string(m) + "m" : "");
  }
  return out;
}

}  // namespace tokend
