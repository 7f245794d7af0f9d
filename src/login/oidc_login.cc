#include "login/oidc_login.h"

#include <cmath>
#include <variant>

#include "base/form_encode.h"
#include "base/log.h"
#include "login/jwt.h"

namespace tokend {
namespace {

// Wipes what it holds (a request body or header carrying the secret) when it goes.
struct WipedString {
  std::string value;
  ~WipedString() { WipeMemory(value.data(), value.size()); }
};

}  // namespace

std::string Base64Encode(std::string_view data) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  for (size_t i = 0; i < data.size(); i += 3) {
    uint32_t n = static_cast<uint8_t>(data[i]) << 16;
    if (i + 1 < data.size()) n |= static_cast<uint8_t>(data[i + 1]) << 8;
    if (i + 2 < data.size()) n |= static_cast<uint8_t>(data[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < data.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < data.size() ? kAlphabet[n & 63] : '=';
  }
  return out;
}

HttpUrl DiscoveryUrl(const HttpUrl& issuer) {
  HttpUrl url = issuer;
  if (size_t q = url.path.find('?'); q != std::string::npos) url.path.resize(q);
  while (!url.path.empty() && url.path.back() == '/') url.path.pop_back();
  url.path += "/.well-known/openid-configuration";
  return url;
}

Result<std::unique_ptr<OidcLogin>> OidcLogin::Create(const NacosConfig& config,
                                                     std::shared_ptr<const Secret> secret,
                                                     const Clock* clock) {
  auto transport = PocoTransport::Create(config);
  if (!transport) return Error{transport.error()};
  return std::make_unique<OidcLogin>(config, std::move(secret), std::move(*transport), clock);
}

OidcLogin::OidcLogin(const NacosConfig& config, std::shared_ptr<const Secret> secret,
                     std::unique_ptr<HttpTransport> transport, const Clock* clock)
    : config_(config),
      secret_(std::move(secret)),
      transport_(std::move(transport)),
      clock_(clock) {}

std::string OidcLogin::first_server() const {
  // From the configuration only: the daemon's thread asks while a round may be discovering.
  if (config_.oidc.token_endpoint) return config_.oidc.token_endpoint->Display();
  return config_.oidc.issuer ? config_.oidc.issuer->Display() : "";
}

Result<OidcEndpoints> OidcLogin::Endpoints() {
  if (config_.oidc.token_endpoint) return OidcEndpoints{*config_.oidc.token_endpoint};
  if (discovered_) return *discovered_;
  HttpUrl url = DiscoveryUrl(*config_.oidc.issuer);
  auto answer =
      transport_->Send(HttpExchange{HttpExchange::kGet, url.server, url.Target(), "", {}});
  if (!answer) return Error{"discovery " + url.Display() + ": " + answer.error()};
  auto endpoints =
      ParseDiscovery(answer->status, answer->content_type, answer->body, *config_.oidc.issuer);
  if (!endpoints) return Error{"discovery " + url.Display() + ": " + endpoints.error()};
  LogDebug("discovery " + url.Display() + ": token endpoint " +
           endpoints->token_endpoint.Display() + ", client_secret_" +
           (endpoints->auth == ClientAuth::kBasic ? "basic" : "post"));
  discovered_ = *endpoints;
  return *endpoints;
}

HttpExchange OidcLogin::TokenRequest(const OidcEndpoints& endpoints) const {
  const OidcConfig& o = config_.oidc;
  HttpExchange x{HttpExchange::kPost,
                 endpoints.token_endpoint.server,
                 endpoints.token_endpoint.Target(),
                 "grant_type=client_credentials",
                 {}};
  // Strings that hold the secret are sized up front and appended to, never concatenated into
  // temporaries or reallocated, so that no unwiped copy is left behind.
  WipedString encoded{FormEncode(secret_->Reveal())};
  const std::string id = FormEncode(o.client_id);
  x.body.reserve(x.body.size() + 3 * (o.scope.size() + o.audience.size()) + id.size() +
                 encoded.value.size() + 64);
  if (!o.scope.empty()) x.body += "&scope=" + FormEncode(o.scope);
  if (!o.audience.empty()) x.body += "&audience=" + FormEncode(o.audience);
  if (endpoints.auth == ClientAuth::kPost) {
    x.body += "&client_id=" + id + "&client_secret=";
    x.body += encoded.value;
    return x;
  }
  // client_secret_basic, RFC 6749 §2.3.1: both parts form-encoded before base64.
  WipedString pair;
  pair.value.reserve(id.size() + 1 + encoded.value.size());
  pair.value += id;
  pair.value += ':';
  pair.value += encoded.value;
  WipedString base64{Base64Encode(pair.value)};
  std::string header;
  header.reserve(6 + base64.value.size());
  header += "Basic ";
  header += base64.value;
  x.headers.emplace_back("Authorization", std::move(header));
  return x;
}

LoginRoundResult OidcLogin::Login() {
  LoginRoundResult round;
  auto endpoints = Endpoints();
  if (!endpoints) {
    round.error = endpoints.error();
    return round;  // transient: the provider's discovery is unreachable or unusable
  }
  const std::string where = "token endpoint " + endpoints->token_endpoint.Display();
  HttpExchange request = TokenRequest(*endpoints);
  MonoTime sent_at = clock_->Now();
  WallTime wall_sent_at = clock_->WallNow();
  Result<HttpAnswer> answer = transport_->Send(request);
  WipeMemory(request.body.data(), request.body.size());
  for (auto& [name, value] : request.headers) WipeMemory(value.data(), value.size());
  discovered_.reset();  // kept only when this round succeeds
  if (!answer) {
    round.error = where + ": " + answer.error();
    return round;
  }
  auto judged =
      ParseTokenAnswer(answer->status, answer->content_type, answer->body, secret_->Reveal());
  if (auto* ok = std::get_if<OidcTokenAnswer>(&judged)) {
    double ttl = 0;
    if (ok->expires_in) {
      ttl = *ok->expires_in;
    } else {  // the parser made sure there is an exp: the token lives through that second
      auto exp = WallTime(std::chrono::seconds(*JwtExpiry(ok->token) + 1));
      ttl = std::chrono::duration<double>(exp - wall_sent_at).count();
    }
    if (config_.oidc.token_endpoint == std::nullopt) discovered_ = *endpoints;
    round.success = LoginSuccess{std::move(ok->token), ttl, endpoints->token_endpoint.Display(),
                                 sent_at, wall_sent_at};
    return round;
  }
  const auto& failure = std::get<LoginFailure>(judged);
  if (answer->status == 429 || answer->status == 503) {
    if (auto wait = ParseRetryAfter(answer->retry_after, clock_->WallNow()))
      round.retry_after = *wait;
  }
  round.failure_kind = failure.kind == LoginFailureKind::kRejected ? FailureKind::kRejected
                                                                   : FailureKind::kTransient;
  round.error = where + ": " + failure.reason;
  return round;
}

}  // namespace tokend
