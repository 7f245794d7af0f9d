// RSA public keys from JWKs (RFC 7517/7518) and RS256/384/512 signature checks, on libcrypto.
#ifndef TESTS_FAKE_NACOS_RSA_JWK_H_
#define TESTS_FAKE_NACOS_RSA_JWK_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace fake_nacos {

class RsaPublicKey {
 public:
  // From the JWK members "n" and "e" (base64url big-endian integers); nullopt if unusable.
  static std::optional<RsaPublicKey> FromJwk(std::string_view n_base64url,
                                             std::string_view e_base64url);

  // RSASSA-PKCS1-v1_5 over `signed_part` with SHA-256/384/512 for "RS256"/"RS384"/"RS512";
  // false for any other algorithm or a bad signature.
  bool Verify(std::string_view algorithm, std::string_view signed_part,
              std::string_view signature) const;

 private:
  struct Deleter {
    void operator()(void* key) const;
  };
  std::shared_ptr<void> key_;  // EVP_PKEY*.
};

}  // namespace fake_nacos

#endif  // TESTS_FAKE_NACOS_RSA_JWK_H_
