// HMAC over the SHA-2 family, the MAC of HS256/HS384/HS512 JWTs.
#ifndef TESTS_FAKE_NACOS_HMAC_H_
#define TESTS_FAKE_NACOS_HMAC_H_

#include <string>
#include <string_view>

namespace fake_nacos {

enum class ShaVariant { kSha256, kSha384, kSha512 };

// RFC 2104 HMAC; returns the raw digest bytes. Written out by hand because Poco::HMACEngine
// assumes the 64-byte block of SHA-256 and would be wrong for SHA-384/512.
std::string HmacSha2(ShaVariant variant, std::string_view key, std::string_view data);

}  // namespace fake_nacos

#endif  // TESTS_FAKE_NACOS_HMAC_H_
