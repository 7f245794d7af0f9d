// Durations as written in the configuration: "500ms", "30s", "5m", "2h", "1h30m", or bare seconds.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "base/status.h"

namespace tokend {

using Millis = std::chrono::milliseconds;

/// Parses a non-negative duration. Units: ms, s, m, h; a bare integer means
/// seconds; units may be chained ("1h30m"). Fractions are allowed ("1.5s").
/// On failure the message says what is wrong with the text (not where: the
/// caller names the key).
Result<Millis> ParseDuration(std::string_view text);

/// Formats a duration for people: "4h12m", "8s", "750ms".
std::string FormatDuration(Millis d);

}  // namespace tokend
