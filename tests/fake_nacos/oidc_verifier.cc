#include "oidc_verifier.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <memory>
#include <optional>
#include <sstream>

#include "base64.h"
#include "tls_context.h"

namespace fake_nacos {
namespace {

Poco::JSON::Object::Ptr ParseObject(const std::string& text) {
  Poco::JSON::Parser parser;
  return parser.parse(text).extract<Poco::JSON::Object::Ptr>();
}

std::optional<Poco::JSON::Object::Ptr> DecodeJsonPart(std::string_view part) {
  const std::optional<std::string> bytes = Base64Decode(part);
  if (!bytes) return std::nullopt;
  try {
    return ParseObject(*bytes);
  } catch (const Poco::Exception&) {
    return std::nullopt;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

bool AudienceMatches(const Poco::JSON::Object::Ptr& payload, const std::string& audience) {
  if (audience.empty()) return true;
  if (!payload->has("aud")) return false;
  if (const Poco::JSON::Array::Ptr list = payload->getArray("aud")) {
    for (size_t i = 0; i < list->size(); ++i) {
      if (list->getElement<std::string>(static_cast<unsigned>(i)) == audience) return true;
    }
    return false;
  }
  return payload->getValue<std::string>("aud") == audience;
}

}  // namespace

OidcVerifier::OidcVerifier(OidcSettings settings, const Clock& clock, Logger& logger)
    : settings_(std::move(settings)), clock_(clock), logger_(logger) {
  if (settings_.issuer.starts_with("https://")) tls_ = MakeClientTlsContext(settings_.ca_file);
}

std::string OidcVerifier::FetchLocked(const std::string& url) const {
  const Poco::URI uri(url);
  std::unique_ptr<Poco::Net::HTTPClientSession> session;
  if (uri.getScheme() == "https" && tls_) {
    session = std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(), tls_);
  } else if (uri.getScheme() == "http" && !tls_) {
    session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
  } else {
    throw Poco::InvalidArgumentException("scheme differs from the issuer's: " + url);
  }
  session->setTimeout(Poco::Timespan(5, 0));
  Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, uri.getPathAndQuery(),
                                 Poco::Net::HTTPMessage::HTTP_1_1);
  request.set("Accept", "application/json");
  session->sendRequest(request);
  Poco::Net::HTTPResponse response;
  std::istream& body = session->receiveResponse(response);
  std::string text;
  Poco::StreamCopier::copyToString(body, text);
  if (response.getStatus() != Poco::Net::HTTPResponse::HTTP_OK) {
    throw Poco::IOException("GET " + url + ": HTTP " + std::to_string(response.getStatus()));
  }
  return text;
}

bool OidcVerifier::RefreshKeysLocked() {
  const auto now = std::chrono::steady_clock::now();
  if (fetched_ && now - last_fetch_ < std::chrono::seconds(1)) return false;
  last_fetch_ = now;
  fetched_ = true;
  try {
    if (jwks_uri_.empty()) {
      const Poco::JSON::Object::Ptr discovery =
          ParseObject(FetchLocked(settings_.issuer + "/.well-known/openid-configuration"));
      jwks_uri_ = discovery->getValue<std::string>("jwks_uri");
    }
    const Poco::JSON::Object::Ptr jwks = ParseObject(FetchLocked(jwks_uri_));
    const Poco::JSON::Array::Ptr list = jwks->getArray("keys");
    std::map<std::string, RsaPublicKey> keys;
    for (size_t i = 0; list && i < list->size(); ++i) {
      const Poco::JSON::Object::Ptr jwk = list->getObject(static_cast<unsigned>(i));
      if (!jwk || jwk->optValue<std::string>("kty", "") != "RSA") continue;
      if (auto key = RsaPublicKey::FromJwk(jwk->getValue<std::string>("n"),
                                           jwk->getValue<std::string>("e"))) {
        keys.emplace(jwk->optValue<std::string>("kid", ""), *key);
      }
    }
    keys_ = std::move(keys);
    logger_.Log("oidc: " + std::to_string(keys_.size()) + " RSA key(s) from " + jwks_uri_);
    return true;
  } catch (const Poco::Exception& e) {
    logger_.Log("oidc: fetching keys failed: " + e.displayText());
  } catch (const std::exception& e) {
    logger_.Log(std::string("oidc: fetching keys failed: ") + e.what());
  }
  return false;
}

TokenCheck OidcVerifier::Check(std::string_view token) {
  TokenCheck check;
  const size_t first_dot = token.find('.');
  const size_t second_dot =
      first_dot == std::string_view::npos ? first_dot : token.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos ||
      token.find('.', second_dot + 1) != std::string_view::npos) {
    check.error = TokenError::kMalformed;
    return check;
  }
  const auto header = DecodeJsonPart(token.substr(0, first_dot));
  const auto payload = DecodeJsonPart(token.substr(first_dot + 1, second_dot - first_dot - 1));
  const std::optional<std::string> signature = Base64Decode(token.substr(second_dot + 1));
  if (!header || !payload || !signature) {
    check.error = TokenError::kMalformed;
    return check;
  }
  const std::string algorithm = (*header)->optValue<std::string>("alg", "");
  if (algorithm != "RS256" && algorithm != "RS384" && algorithm != "RS512") {
    check.error = TokenError::kUnsupportedAlgorithm;
    return check;
  }
  const std::string kid = (*header)->optValue<std::string>("kid", "");
  bool verified = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!keys_.contains(kid)) RefreshKeysLocked();
    const auto key = keys_.find(kid);
    verified = key != keys_.end() &&
               key->second.Verify(algorithm, token.substr(0, second_dot), *signature);
  }
  if (!verified) {
    check.error = TokenError::kBadSignature;
    return check;
  }
  try {
    const Poco::JSON::Object::Ptr claims = *payload;
    if (claims->optValue<std::string>("iss", "") != settings_.issuer ||
        !AudienceMatches(claims, settings_.audience) || !claims->has("exp")) {
      check.error = TokenError::kMalformed;
      return check;
    }
    check.exp = claims->getValue<Poco::Int64>("exp");
    check.subject = claims->has("sub") ? claims->getValue<std::string>("sub")
                                       : claims->optValue<std::string>("client_id", "");
  } catch (const Poco::Exception&) {
    check.error = TokenError::kMalformed;
    return check;
  }
  if (check.exp < clock_.NowSeconds()) check.error = TokenError::kExpired;
  return check;
}

}  // namespace fake_nacos
