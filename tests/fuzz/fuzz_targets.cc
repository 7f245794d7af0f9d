#include "fuzz_targets.h"

#include <string>
#include <string_view>
#include <vector>

#include "base/duration.h"
#include "base/http_head.h"
#include "config/config.h"
#include "config/ini.h"
#include "login/jwt.h"
#include "login/login_answer.h"
#include "login/oidc_answer.h"
#include "proxy/body_framer.h"
#include "proxy/forward_head.h"
#include "proxy/identity_params.h"
#include "proxy/token_rejection.h"
#include "serve/http_request.h"
#include "serve/socket_api.h"

namespace tokend::fuzz {
namespace {

std::string_view View(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Two identities, one with a token, one without, as the socket shows them.
class FuzzState final : public ApiState {
 public:
  FuzzState() {
    auto with = std::make_shared<IdentityBoard>("default");
    Token t;
    t.value = "tok";
    t.expires = MonoTime{std::chrono::hours(1)};
    with->store.Set(t);
    auto without = std::make_shared<IdentityBoard>("staging");
    without->metrics.SetProblem("fuzzing");
    ids_ = {{"default", with, std::nullopt}, {"staging", without, AccessConfig{{1}, {}}}};
  }
  MonoTime now() const override { return MonoTime{}; }
  const ServedIdentities& identities() const override { return ids_; }
  bool PeerMayUse(const ServedIdentity& id) const override { return !id.access; }
  std::string Metrics() const override { return ""; }

 private:
  ServedIdentities ids_;
};

}  // namespace

void LoginAnswer(const uint8_t* data, size_t size) {
  if (size == 0) return;
  static const int kStatuses[] = {200, 200, 200, 200, 302, 401, 403, 404, 410, 500, 503};
  int status = kStatuses[data[0] % (sizeof kStatuses / sizeof kStatuses[0])];
  std::string_view body = View(data + 1, size - 1);
  auto r = ParseLoginAnswer(status, data[0] & 0x80 ? "text/html" : "application/json", body, "pw");
  if (auto* ok = std::get_if<tokend::LoginAnswer>(&r)) {
    if (!TokenProblem(ok->token).empty() || !(ok->ttl_seconds > 0)) __builtin_trap();
  }
}

void Config(const uint8_t* data, size_t size) {
  std::vector<std::string> problems;
  IniValues values = ParseIni(View(data, size), "fuzz.ini", &problems);
  (void)ParseConfig(values, &problems);
  for (const auto& [key, value] : values) (void)ParseDuration(value.value);
}

void SocketRequest(const uint8_t* data, size_t size) {
  std::string_view input = View(data, size);
  static const FuzzState state;
  while (!input.empty()) {
    HttpRequest request;
    ParseOutcome o = ParseHttpRequest(input, &request);
    if (o.status != ParseStatus::kComplete) break;
    if (o.consumed == 0 || o.consumed > input.size()) __builtin_trap();
    HttpResponse r = RouteRequest(request, state);
    (void)SerializeResponse(r, request.keep_alive, request.method == "HEAD");
    input.remove_prefix(o.consumed);
  }
}

void JwtExpiry(const uint8_t* data, size_t size) {
  auto exp = tokend::JwtExpiry(View(data, size));
  if (exp && *exp <= 0) __builtin_trap();
}

void OidcTokenAnswer(const uint8_t* data, size_t size) {
  if (size == 0) return;
  static const int kStatuses[] = {200, 200, 200, 200, 302, 400, 401, 403, 429, 500, 503};
  int status = kStatuses[data[0] % (sizeof kStatuses / sizeof kStatuses[0])];
  std::string_view body = View(data + 1, size - 1);
  auto r =
      ParseTokenAnswer(status, data[0] & 0x80 ? "text/html" : "application/json", body, "pw-Zq9x");
  if (auto* ok = std::get_if<tokend::OidcTokenAnswer>(&r)) {
    if (!TokenProblem(ok->token).empty()) __builtin_trap();
    if (ok->expires_in && !(*ok->expires_in > 0)) __builtin_trap();
    if (!ok->expires_in && !tokend::JwtExpiry(ok->token)) __builtin_trap();
  } else if (std::get<LoginFailure>(r).reason.find("pw-Zq9x") != std::string::npos) {
    __builtin_trap();  // the secret is never quoted back
  }
}

void OidcDiscovery(const uint8_t* data, size_t size) {
  if (size == 0) return;
  static const HttpUrl kHttps = *ParseHttpUrl("https://idp.example/realms/x");
  static const HttpUrl kHttp = *ParseHttpUrl("http://127.0.0.1:9000");
  const HttpUrl& issuer = data[0] & 1 ? kHttps : kHttp;
  auto r = ParseDiscovery(200, "application/json", View(data + 1, size - 1), issuer);
  if (r && issuer.server.https && !r->token_endpoint.server.https) __builtin_trap();
}

void ProxyRequest(const uint8_t* data, size_t size) {
  std::string_view in = View(data, size);
  // Pipelined requests, as one connection would carry them.
  for (int i = 0; i < 8 && !in.empty(); ++i) {
    RequestHead head;
    HeadOutcome o = ParseRequestHead(in, 16 * 1024, &head);
    if (o.status != HeadStatus::kComplete) return;
    (void)FindIdentityParameter(head.query);
    std::string upstream = UpstreamRequestHead(head, "127.0.0.1:8848", "token");
    if (upstream.find("\r\n\r\n") + 4 != upstream.size()) __builtin_trap();
    in.remove_prefix(head.size);
    BodyFramer body(head.framing, head.content_length);
    std::string payload;
    // In small pieces, as reads deliver them.
    while (!in.empty() && !body.done() && !body.failed()) {
      size_t used = body.Consume(in.substr(0, 7), &payload);
      if (used == 0) break;
      in.remove_prefix(used);
    }
    if (payload.size() != body.payload_size()) __builtin_trap();
    (void)FindIdentityParameter(payload);
    if (!body.done()) return;
  }
}

void ProxyAnswer(const uint8_t* data, size_t size) {
  if (size == 0) return;
  std::string_view method = data[0] & 1 ? "HEAD" : "GET";
  std::string_view in = View(data + 1, size - 1);
  for (int i = 0; i < 8 && !in.empty(); ++i) {
    ResponseHead head;
    HeadOutcome o = ParseResponseHead(in, 64 * 1024, method, &head);
    if (o.status != HeadStatus::kComplete) return;
    std::string raw(in.substr(0, head.size));
    (void)CallerResponseHead(raw, head, true, head.framing == BodyFraming::kChunked);
    in.remove_prefix(head.size);
    BodyFramer body(head.framing, head.content_length);
    std::string payload;
    size_t used = body.Consume(in, &payload);
    if (used > in.size()) __builtin_trap();
    in.remove_prefix(used);
    if (!body.done()) body.OnEof();
    (void)IsTokenRejection(head.status, payload);
    if (!body.done()) return;
  }
}

}  // namespace tokend::fuzz
