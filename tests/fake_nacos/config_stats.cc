#include "config_stats.h"

#include <openssl/evp.h>

#include <Poco/String.h>

#include "json_text.h"
#include "url_encoding.h"

namespace fake_nacos {
namespace {

std::string MaskTokenValue(const std::string& value) {
  constexpr std::string_view kBearer = "Bearer ";
  if (value.starts_with(kBearer)) {
    return std::string(kBearer) + "sha256:" + TokenFingerprint(value.substr(kBearer.size()));
  }
  return "sha256:" + TokenFingerprint(value);
}

// Replaces the values of identity parameters in a raw query string.
std::string MaskQuery(const std::string& query) {
  std::string out;
  size_t start = 0;
  while (start <= query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string::npos) end = query.size();
    std::string pair = query.substr(start, end - start);
    const size_t equals = pair.find('=');
    if (equals != std::string::npos) {
      const std::string name = UrlDecode(pair.substr(0, equals));
      if (Poco::icompare(name, "accessToken") == 0 || Poco::icompare(name, "Authorization") == 0) {
        pair = pair.substr(0, equals + 1) + MaskTokenValue(UrlDecode(pair.substr(equals + 1)));
      } else if (Poco::icompare(name, "password") == 0) {
        pair = pair.substr(0, equals + 1) + "***";
      }
    }
    if (start > 0) out += "&";
    out += pair;
    start = end + 1;
  }
  return out;
}

std::string CountsJson(const std::map<std::string, uint64_t>& counts) {
  std::string json = "{";
  for (const auto& [name, count] : counts) {
    if (json.size() > 1) json += ",";
    json += JsonQuote(name) + ":" + std::to_string(count);
  }
  return json + "}";
}

}  // namespace

std::string TokenFingerprint(std::string_view token) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(token.data(), token.size(), digest, &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < 8 && i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0xf]);
  }
  return hex;
}

void ConfigStats::Record(const HttpRequest& request, int status,
                         const std::optional<FoundToken>& token) {
  LastRequest last;
  last.method = request.method;
  last.path = request.path;
  last.query = MaskQuery(request.query);
  for (const auto& [name, value] : request.headers) {
    const bool secret =
        Poco::icompare(name, "Authorization") == 0 || Poco::icompare(name, "accessToken") == 0;
    last.headers.emplace_back(name, secret ? MaskTokenValue(value) : value);
  }
  last.body_bytes = request.body.size();
  std::lock_guard<std::mutex> lock(mutex_);
  ++requests_[request.method + " " + request.path + " " + std::to_string(status)];
  if (token) {
    ++tokens_seen_[TokenFingerprint(token->token)];
    ++token_carriers_[token->carrier];
  } else {
    ++without_token_;
  }
  last_ = std::move(last);
}

void ConfigStats::Reset() {
  std::lock_guard<std::mutex> lock(mutex_);
  requests_.clear();
  tokens_seen_.clear();
  token_carriers_.clear();
  without_token_ = 0;
  last_.reset();
}

std::string ConfigStats::ToJson() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string json = "{\"requests\":" + CountsJson(requests_) +
                     ",\"tokens_seen\":" + CountsJson(tokens_seen_) +
                     ",\"token_carriers\":" + CountsJson(token_carriers_) +
                     ",\"without_token\":" + std::to_string(without_token_) + ",\"last_request\":";
  if (!last_) return json + "null}";
  json += "{\"method\":" + JsonQuote(last_->method) + ",\"path\":" + JsonQuote(last_->path) +
          ",\"query\":" + JsonQuote(last_->query) + ",\"headers\":[";
  for (size_t i = 0; i < last_->headers.size(); ++i) {
    if (i > 0) json += ",";
    json +=
        "[" + JsonQuote(last_->headers[i].first) + "," + JsonQuote(last_->headers[i].second) + "]";
  }
  return json + "],\"body_bytes\":" + std::to_string(last_->body_bytes) + "}}";
}

}  // namespace fake_nacos
