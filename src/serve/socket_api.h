// What the Unix-socket endpoint answers, as a pure function of the request
// and of the state it is shown (so it is testable without a socket).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "keeper/token.h"
#include "serve/http_request.h"
#include "serve/served_identity.h"

namespace tokend {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // beyond the standard ones
  /// POST /v1/refresh: answer once the identity's next login finished.
  bool defer_refresh = false;
  std::string refresh_identity;      // with defer_refresh
  uint64_t rejected_generation = 0;  // with defer_refresh: rejected=<the current token>, else 0
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

/// The answer to a deferred POST /v1/refresh for `identity`, once its login ended.
HttpResponse RefreshResponse(bool ok, const std::string& reason, const ServedIdentity& identity,
                             MonoTime now);

/// An error answer (400, 403, 408, 431, ...) with a one-line text body.
HttpResponse ErrorResponse(int status, const std::string& message);

/// The bytes on the wire. Adds Content-Length, Cache-Control: no-store and
/// Connection; `head` drops the body.
std::string SerializeResponse(const HttpResponse& response, bool keep_alive, bool head);

}  // namespace tokend
