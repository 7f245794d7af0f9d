// application/x-www-form-urlencoded encoding, as the login body uses it.
#pragma once

#include <string>
#include <string_view>

namespace tokend {

/// Percent-encodes everything but RFC 3986 unreserved characters.
std::string FormEncode(std::string_view value);

}  // namespace tokend
