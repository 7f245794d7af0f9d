// Nacos reads `accessToken`, `username`, `password` and `Authorization` from
// query and form parameters after the headers, and the parameters win
// (HttpIdentityContextBuilder). A caller could so override the token the
// proxy injects: such requests are refused before anything is sent.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tokend {

/// The first identity parameter in a query string or form body
/// ("a=1&AccessToken=x"), names compared case-insensitively after URL
/// decoding; nullopt when there is none. Returns the name as decoded.
std::optional<std::string> FindIdentityParameter(std::string_view params);

}  // namespace tokend
