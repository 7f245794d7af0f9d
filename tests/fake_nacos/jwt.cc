#include "jwt.h"

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <array>
#include <optional>

#include "base64.h"
#include "hmac.h"
#include "json_text.h"

namespace fake_nacos {
namespace {

ShaVariant ShaFor(JwtAlgorithm algorithm) {
  switch (algorithm) {
    case JwtAlgorithm::kHs384:
      return ShaVariant::kSha384;
    case JwtAlgorithm::kHs512:
      return ShaVariant::kSha512;
    case JwtAlgorithm::kHs256:
      break;
  }
  return ShaVariant::kSha256;
}

std::optional<JwtAlgorithm> AlgorithmForHeader(std::string_view header) {
  for (JwtAlgorithm algorithm :
       std::array{JwtAlgorithm::kHs256, JwtAlgorithm::kHs384, JwtAlgorithm::kHs512}) {
    if (header == JwtHeader(algorithm)) return algorithm;
  }
  return std::nullopt;
}

std::string Signature(JwtAlgorithm algorithm, std::string_view key,
                      std::string_view signing_input) {
  return Base64UrlEncode(HmacSha2(ShaFor(algorithm), key, signing_input));
}

}  // namespace

std::string_view JwtHeader(JwtAlgorithm algorithm) {
  switch (algorithm) {
    case JwtAlgorithm::kHs384:
      return "eyJhbGciOiJIUzM4NCJ9";
    case JwtAlgorithm::kHs512:
      return "eyJhbGciOiJIUzUxMiJ9";
    case JwtAlgorithm::kHs256:
      break;
  }
  return "eyJhbGciOiJIUzI1NiJ9";
}

JwtAlgorithm AlgorithmForKey(size_t key_bytes) {
  const size_t bits = key_bytes * 8;
  if (bits < 384) return JwtAlgorithm::kHs256;
  if (bits < 512) return JwtAlgorithm::kHs384;
  return JwtAlgorithm::kHs512;
}

std::string SignJwt(JwtAlgorithm algorithm, std::string_view key, std::string_view subject,
                    int64_t exp) {
  const std::string payload =
      "{\"sub\":" + JsonQuote(subject) + ",\"exp\":" + std::to_string(exp) + "}";
  std::string token = std::string(JwtHeader(algorithm)) + "." + Base64UrlEncode(payload);
  token += "." + Signature(algorithm, key, token);
  return token;
}

JwtVerification VerifyJwt(std::string_view token, std::string_view key) {
  JwtVerification result;
  const size_t first_dot = token.find('.');
  const size_t second_dot =
      first_dot == std::string_view::npos ? first_dot : token.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos ||
      token.find('.', second_dot + 1) != std::string_view::npos) {
    result.error = JwtError::kMalformed;
    return result;
  }
  const std::optional<JwtAlgorithm> algorithm = AlgorithmForHeader(token.substr(0, first_dot));
  if (!algorithm) {
    result.error = JwtError::kUnsupportedAlgorithm;
    return result;
  }
  if (Signature(*algorithm, key, token.substr(0, second_dot)) != token.substr(second_dot + 1)) {
    result.error = JwtError::kBadSignature;
    return result;
  }
  const std::optional<std::string> payload =
      Base64Decode(token.substr(first_dot + 1, second_dot - first_dot - 1));
  try {
    if (!payload) throw Poco::DataFormatException("payload is not base64url");
    Poco::JSON::Parser parser;
    const Poco::JSON::Object::Ptr object =
        parser.parse(*payload).extract<Poco::JSON::Object::Ptr>();
    result.subject = object->getValue<std::string>("sub");
    result.exp = object->getValue<Poco::Int64>("exp");
  } catch (const Poco::Exception&) {
    result.error = JwtError::kMalformed;
  }
  return result;
}

}  // namespace fake_nacos
