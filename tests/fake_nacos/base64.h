// Base64 helpers for JWT parts (base64url, unpadded) and for the configured secret key.
#ifndef TESTS_FAKE_NACOS_BASE64_H_
#define TESTS_FAKE_NACOS_BASE64_H_

#include <optional>
#include <string>
#include <string_view>

namespace fake_nacos {

// RFC 4648 §5 alphabet without '=' padding, as every part of a Nacos JWT is encoded.
std::string Base64UrlEncode(std::string_view bytes);

// Accepts the standard and the URL-safe alphabet, with or without padding. Returns nullopt for
// any other character or an impossible length.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace fake_nacos

#endif  // TESTS_FAKE_NACOS_BASE64_H_
