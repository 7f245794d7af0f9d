// Reading the expiry of a Nacos access token, which is a JWT
// ({"sub":"user","exp":<epoch seconds>}) unless auth is disabled
// ("AUTH_DISABLED") or the server is something else. The signature is not
// checked: we are not the audience, only the courier.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tokend {

/// The `exp` claim in epoch seconds, or nullopt when the token is not a JWT,
/// its payload is not a JSON object, or `exp` is missing or not an integer
/// in a sane range. Never throws.
std::optional<int64_t> JwtExpiry(std::string_view token);

/// Decodes unpadded base64url; nullopt on a character outside the alphabet
/// or an impossible length.
std::optional<std::string> Base64UrlDecode(std::string_view text);

}  // namespace tokend
