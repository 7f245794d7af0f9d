// application/x-www-form-urlencoded encoding, as the login body uses it.
#pragma once

#include <string>
#include <string_view>

namespace tokend {

/// Percent-encodes everything but RFC 3986 unreserved characters.
std::string FormEncode(std::string_view value);

}  // namespace tokend

namespace tokend {

/// Decodes one application/x-www-form-urlencoded value ('+' is a space,
/// %XX a byte). Malformed escapes are kept as they are.
std::string FormDecode(std::string_view value);

/// The decoded value of `name` in a form body or query string ("a=1&b=2");
/// empty when absent.
std::string FormField(std::string_view form, std::string_view name);

}  // namespace tokend
