// What the Unix-socket endpoint answers, as pure functions of the request and
// a snapshot of the daemon's state (so it is testable without a socket).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "keeper/token.h"
#include "serve/http_request.h"

namespace tokend {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // beyond the standard ones
  bool defer_refresh = false;  // POST /v1/refresh: answer once the login finished
};

/// The state an answer depends on, taken once per request.
struct ApiSnapshot {
  std::shared_ptr<const Token> token;  // valid at `now`, or null
  MonoTime now;
  std::string problem;  // why there is no valid token, for 503s
};

/// The paths the socket serves, for request metrics.
enum class ApiPath { kToken, kHealth, kRefresh, kMetrics, kOther };
constexpr int kApiPathCount = 5;
ApiPath ClassifyPath(const std::string& path);
const char* ApiPathLabel(ApiPath path);

/// Routes one request. `metrics` renders /metrics when asked.
HttpResponse RouteRequest(const HttpRequest& request, const ApiSnapshot& state,
                          const std::string& (*metrics)(void*), void* metrics_arg);

/// The answer to a deferred POST /v1/refresh.
HttpResponse RefreshResponse(bool ok, const std::string& reason, const ApiSnapshot& state);

/// An error answer (400, 403, 408, 431, ...) with a one-line text body.
HttpResponse ErrorResponse(int status, const std::string& message);

/// The bytes on the wire. Adds Content-Length, Cache-Control: no-store and
/// Connection; `head` drops the body.
std::string SerializeResponse(const HttpResponse& response, bool keep_alive, bool head);

}  // namespace tokend
