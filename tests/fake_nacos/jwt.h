// Nacos-style JWTs: fixed header strings, {"sub","exp"} payload, HMAC-SHA2 signature.
#ifndef TESTS_FAKE_NACOS_JWT_H_
#define TESTS_FAKE_NACOS_JWT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace fake_nacos {

enum class JwtAlgorithm { kHs256, kHs384, kHs512 };

// The only three headers Nacos 2.2.1+ emits and accepts (no "typ"), e.g. "eyJhbGciOiJIUzI1NiJ9".
std::string_view JwtHeader(JwtAlgorithm algorithm);

// 2.2.1+ picks the algorithm from the decoded key size: <384 bits HS256, <512 HS384, else HS512.
JwtAlgorithm AlgorithmForKey(size_t key_bytes);

// header "." base64url({"sub":subject,"exp":exp}) "." base64url(HMAC(key, header.payload)).
std::string SignJwt(JwtAlgorithm algorithm, std::string_view key, std::string_view subject,
                    int64_t exp);

// Failure kinds in the order NacosSignatureAlgorithm.verify checks them. Expiry is judged by the
// caller, which owns the clock.
enum class JwtError { kNone, kMalformed, kUnsupportedAlgorithm, kBadSignature };

struct JwtVerification {
  JwtError error = JwtError::kNone;
  std::string subject;
  int64_t exp = 0;
};

// Verifies with the algorithm named by the token's own header, as Nacos does.
JwtVerification VerifyJwt(std::string_view token, std::string_view key);

}  // namespace fake_nacos

#endif  // TESTS_FAKE_NACOS_JWT_H_
