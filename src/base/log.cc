#include "base/log.h"

#include <unistd.h>

#include <atomic>

namespace tokend {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
std::atomic<int> g_prefixes{-1};  // -1: decide from isatty on first use

bool Prefixes() {
  int p = g_prefixes.load(std::memory_order_relaxed);
  if (p < 0) {
    p = isatty(STDERR_FILENO) ? 0 : 1;
    g_prefixes.store(p, std::memory_order_relaxed);
  }
  return p == 1;
}

void Write(LogLevel level, std::string_view message) {
  if (static_cast<int>(level) > g_level.load(std::memory_order_relaxed)) return;
  std::string line;
  line.reserve(message.size() + 8);
  if (Prefixes()) {
    line += '<';
    line += static_cast<char>('0' + static_cast<int>(level));
    line += '>';
  } else if (level == LogLevel::kError) {
    line += "error: ";
  } else if (level == LogLevel::kWarning) {
    line += "warning: ";
  }
  // One message is one line: a newline inside would forge a second entry.
  for (char c : message) line += (c == '\n' || c == '\r') ? ' ' : c;
  line += '\n';
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n <= 0) return;  // Nowhere better to report a failing stderr.
    p += n;
    left -= static_cast<size_t>(n);
  }
}

}  // namespace

bool ParseLogLevel(std::string_view text, LogLevel* level) {
  if (text == "error")
    *level = LogLevel::kError;
  else if (text == "warning")
    *level = LogLevel::kWarning;
  else if (text == "info")
    *level = LogLevel::kInfo;
  else if (text == "debug")
    *level = LogLevel::kDebug;
  else
    return false;
  return true;
}

void SetLogLevel(LogLevel level) { g_level.store(static_cast<int>(level)); }
void SetLogPrefixes(bool on) { g_prefixes.store(on ? 1 : 0); }
void LogError(std::string_view m) { Write(LogLevel::kError, m); }
void LogWarning(std::string_view m) { Write(LogLevel::kWarning, m); }
void LogInfo(std::string_view m) { Write(LogLevel::kInfo, m); }
void LogDebug(std::string_view m) { Write(LogLevel::kDebug, m); }
bool DebugEnabled() { return g_level.load() >= static_cast<int>(LogLevel::kDebug); }

}  // namespace tokend
