// Text as a JSON string literal, for the few objects the daemon writes by hand.
#pragma once

#include <string>
#include <string_view>

namespace tokend {

/// `text` quoted and escaped for JSON ("\"" and "\\" and control characters).
std::string JsonString(std::string_view text);

}  // namespace tokend
