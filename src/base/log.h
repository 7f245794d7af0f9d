// Logging to stderr, one line per message, with sd-daemon(3) "<N>" priority
// prefixes when stderr is not a terminal (journald reads them).
// Thread-safe: each line is written with a single write(2).
//
// Never pass a password or a token to these functions; use TokenFingerprint()
// when a token must be told apart from another.
#pragma once

#include <string>
#include <string_view>

namespace tokend {

enum class LogLevel { kError = 3, kWarning = 4, kInfo = 6, kDebug = 7 };

/// Parses "error" | "warning" | "info" | "debug".
bool ParseLogLevel(std::string_view text, LogLevel* level);

void SetLogLevel(LogLevel level);
/// Forces or disables the "<N>" prefixes (default: on unless stderr is a tty).
void SetLogPrefixes(bool on);

void LogError(std::string_view message);
void LogWarning(std::string_view message);
void LogInfo(std::string_view message);
void LogDebug(std::string_view message);
bool DebugEnabled();

}  // namespace tokend
