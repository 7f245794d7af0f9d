#include "rsa_jwk.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "base64.h"

namespace fake_nacos {
namespace {

const EVP_MD* DigestFor(std::string_view algorithm) {
  if (algorithm == "RS256") return EVP_sha256();
  if (algorithm == "RS384") return EVP_sha384();
  if (algorithm == "RS512") return EVP_sha512();
  return nullptr;
}

BIGNUM* ToBignum(const std::string& bytes) {
  return BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                   static_cast<int>(bytes.size()), nullptr);
}

}  // namespace

void RsaPublicKey::Deleter::operator()(void* key) const {
  EVP_PKEY_free(static_cast<EVP_PKEY*>(key));
}

std::optional<RsaPublicKey> RsaPublicKey::FromJwk(std::string_view n_base64url,
                                                  std::string_view e_base64url) {
  const std::optional<std::string> n = Base64Decode(n_base64url);
  const std::optional<std::string> e = Base64Decode(e_base64url);
  if (!n || !e || n->empty() || e->empty()) return std::nullopt;
  BIGNUM* n_bn = ToBignum(*n);
  BIGNUM* e_bn = ToBignum(*e);
  OSSL_PARAM_BLD* builder = OSSL_PARAM_BLD_new();
  OSSL_PARAM* params = nullptr;
  EVP_PKEY_CTX* context = EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr);
  EVP_PKEY* key = nullptr;
  const bool ok = n_bn && e_bn && builder && context &&
                  OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_RSA_N, n_bn) == 1 &&
                  OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_RSA_E, e_bn) == 1 &&
                  (params = OSSL_PARAM_BLD_to_param(builder)) != nullptr &&
                  EVP_PKEY_fromdata_init(context) == 1 &&
                  EVP_PKEY_fromdata(context, &key, EVP_PKEY_PUBLIC_KEY, params) == 1;
  EVP_PKEY_CTX_free(context);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(builder);
  BN_free(n_bn);
  BN_free(e_bn);
  if (!ok) {
    EVP_PKEY_free(key);
    return std::nullopt;
  }
  RsaPublicKey result;
  result.key_ = std::shared_ptr<void>(key, Deleter());
  return result;
}

bool RsaPublicKey::Verify(std::string_view algorithm, std::string_view signed_part,
                          std::string_view signature) const {
  const EVP_MD* digest = DigestFor(algorithm);
  if (!digest || !key_) return false;
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  if (!context) return false;
  const bool ok =
      EVP_DigestVerifyInit(context, nullptr, digest, nullptr, static_cast<EVP_PKEY*>(key_.get())) ==
          1 &&
      EVP_DigestVerify(context, reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(), reinterpret_cast<const unsigned char*>(signed_part.data()),
                       signed_part.size()) == 1;
  EVP_MD_CTX_free(context);
  return ok;
}

}  // namespace fake_nacos
