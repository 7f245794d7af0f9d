#include "hmac.h"

#include <Poco/SHA2Engine.h>

namespace fake_nacos {
namespace {

Poco::SHA2Engine::ALGORITHM ToPoco(ShaVariant variant) {
  switch (variant) {
    case ShaVariant::kSha384:
      return Poco::SHA2Engine::SHA_384;
    case ShaVariant::kSha512:
      return Poco::SHA2Engine::SHA_512;
    case ShaVariant::kSha256:
      break;
  }
  return Poco::SHA2Engine::SHA_256;
}

std::string Digest(ShaVariant variant, std::string_view data) {
  Poco::SHA2Engine engine(ToPoco(variant));
  engine.update(data.data(), data.size());
  const Poco::DigestEngine::Digest& digest = engine.digest();
  return std::string(digest.begin(), digest.end());
}

}  // namespace

std::string HmacSha2(ShaVariant variant, std::string_view key, std::string_view data) {
  const size_t block_size = variant == ShaVariant::kSha256 ? 64 : 128;
  std::string block_key = key.size() > block_size ? Digest(variant, key) : std::string(key);
  block_key.resize(block_size, '\0');
  std::string inner(block_size, '\0');
  std::string outer(block_size, '\0');
  for (size_t i = 0; i < block_size; ++i) {
    inner[i] = static_cast<char>(block_key[i] ^ 0x36);
    outer[i] = static_cast<char>(block_key[i] ^ 0x5c);
  }
  inner.append(data);
  outer.append(Digest(variant, inner));
  return Digest(variant, outer);
}

}  // namespace fake_nacos
