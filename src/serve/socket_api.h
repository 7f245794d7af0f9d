// What the Unix-socket endpoint answers, as a pure function of the request
// and of the state it is shown (so it is testable without a socket).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "keeper/token.h"
#include "serve/http_request.h"
#include "serve/served_identity.h"

namespace tokend {

/// GET /v1/token?wait=…&after=G while G is still current: held until the token changes.
struct TokenHold {
  std::string identity;
  uint64_t after = 0;    // answer once the generation differs from this
  MonoDuration wait{0};  // or when this much time has passed (at most kMaxTokenWait)
  bool json = false;     // format=json
};

/// Longest `wait` of a long poll.
inline constexpr MonoDuration kMaxTokenWait = std::chrono::minutes(10);

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // beyond the standard ones
  /// POST /v1/refresh: answer once the identity's next login finished.
  bool defer_refresh = false;
  std::string refresh_identity;      // with defer_refresh
  uint64_t rejected_generation = 0;  // with defer_refresh: rejected=<the current token>, else 0
  /// Set: a long poll to hold; the response itself is empty.
  std::optional<TokenHold> hold;
};

/// What an answer may depend on, seen from one request.
class ApiState {
 public:
  virtual ~ApiState() = default;
  virtual MonoTime now() const = 0;
  virtual const ServedIdentities& identities() const = 0;
  /// The peer may get this identity's token ([socket:NAME]'s lists).
  virtual bool PeerMayUse(const ServedIdentity& identity) const = 0;
  virtual std::string Metrics() const = 0;
};

/// The paths the socket serves, for request metrics.
enum class ApiPath { kToken, kHealth, kRefresh, kIdentities, kMetrics, kOther };
constexpr int kApiPathCount = 6;
ApiPath ClassifyPath(const std::string& path);
const char* ApiPathLabel(ApiPath path);

/// Routes one request.
HttpResponse RouteRequest(const HttpRequest& request, const ApiState& state);

/// The token of `identity` now: 200 (text or json, with X-Token-Generation) or 503.
HttpResponse TokenResponse(const ServedIdentity& identity, bool json, MonoTime now);

/// Whether a held long poll is answered now: the generation moved, or no token is valid.
bool HoldIsOver(const TokenHold& hold, const ServedIdentity& identity, MonoTime now);

/// The answer to a deferred POST /v1/refresh for `identity`, once its login ended.
HttpResponse RefreshResponse(bool ok, const std::string& reason, const ServedIdentity& identity,
                             MonoTime now);

/// An error answer (400, 403, 408, 431, ...) with a one-line text body.
HttpResponse ErrorResponse(int status, const std::string& message);

/// 403 for a peer whose lists do not include `identity`.
HttpResponse IdentityForbidden(const std::string& identity);

/// The bytes on the wire. Adds Content-Length, Cache-Control: no-store and
/// Connection; `head` drops the body.
std::string SerializeResponse(const HttpResponse& response, bool keep_alive, bool head);

}  // namespace tokend
