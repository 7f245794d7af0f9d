#include "serve/socket_api.h"

#include "base/json_string.h"

namespace tokend {
namespace {

const char* StatusText(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

HttpResponse Json(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.content_type = "application/json";
  r.body = std::move(body);
  return r;
}

HttpResponse NoToken(const ApiSnapshot& state) {
  HttpResponse r = ErrorResponse(503, "no valid token: " + state.problem);
  r.headers.emplace_back("Retry-After", "1");
  return r;
}

HttpResponse MethodNotAllowed(const char* allow) {
  HttpResponse r = ErrorResponse(405, "method not allowed; use " + std::string(allow));
  r.headers.emplace_back("Allow", allow);
  return r;
}

bool IsGet(const HttpRequest& r) { return r.method == "GET" || r.method == "HEAD"; }

}  // namespace

ApiPath ClassifyPath(const std::string& path) {
  if (path == "/v1/token") return ApiPath::kToken;
  if (path == "/v1/health") return ApiPath::kHealth;
  if (path == "/v1/refresh") return ApiPath::kRefresh;
  if (path == "/metrics") return ApiPath::kMetrics;
  return ApiPath::kOther;
}

const char* ApiPathLabel(ApiPath path) {
  switch (path) {
    case ApiPath::kToken:
      return "/v1/token";
    case ApiPath::kHealth:
      return "/v1/health";
    case ApiPath::kRefresh:
      return "/v1/refresh";
    case ApiPath::kMetrics:
      return "/metrics";
    case ApiPath::kOther:
      return "other";
  }
  return "other";
}

HttpResponse ErrorResponse(int status, const std::string& message) {
  HttpResponse r;
  r.status = status;
  r.body = message + "\n";
  return r;
}

HttpResponse RouteRequest(const HttpRequest& request, const ApiSnapshot& state,
                          const std::string& (*metrics)(void*), void* metrics_arg) {
  switch (ClassifyPath(request.path)) {
    case ApiPath::kToken: {
      if (!IsGet(request)) return MethodNotAllowed("GET, HEAD");
      std::string format = QueryParam(request.query, "format");
      if (!format.empty() && format != "json" && format != "raw") {
        return ErrorResponse(400, "unknown format '" + format.substr(0, 32) + "'; use json or raw");
      }
      if (!state.token) return NoToken(state);
      if (format == "json") return Json(200, TokenMetadataJson(*state.token, state.now));
      HttpResponse r;
      r.body = state.token->value;
      return r;
    }
    case ApiPath::kHealth: {
      if (!IsGet(request)) return MethodNotAllowed("GET, HEAD");
      if (!state.token) {
        return Json(503,
                    "{\"status\":\"unavailable\",\"reason\":" + JsonString(state.problem) + "}");
      }
      int64_t left =
          std::chrono::duration_cast<std::chrono::seconds>(state.token->expires - state.now)
              .count();
      return Json(200, "{\"status\":\"ok\",\"expiresIn\":" + std::to_string(left) +
                           ",\"expiresAt\":\"" + FormatWallTime(state.token->expires_wall) +
                           "\",\"generation\":" + std::to_string(state.token->generation) + "}");
    }
    case ApiPath::kRefresh: {
      if (request.method != "POST") return MethodNotAllowed("POST");
      HttpResponse r;
      r.defer_refresh = true;
      return r;
    }
    case ApiPath::kMetrics: {
      if (!IsGet(request)) return MethodNotAllowed("GET, HEAD");
      HttpResponse r;
      r.content_type = "text/plain; version=0.0.4; charset=utf-8";
      r.body = metrics(metrics_arg);
      return r;
    }
    case ApiPath::kOther:
      break;
  }
  return ErrorResponse(404, "not found; try GET /v1/token");
}

HttpResponse RefreshResponse(bool ok, const std::string& reason, const ApiSnapshot& state) {
  if (ok && state.token) return Json(200, TokenMetadataJson(*state.token, state.now));
  return Json(502, "{\"status\":\"failed\",\"reason\":" +
                       JsonString(reason.empty() ? state.problem : reason) + "}");
}

std::string SerializeResponse(const HttpResponse& response, bool keep_alive, bool head) {
  std::string out;
  out.reserve(192 + response.body.size());
  out += "HTTP/1.1 ";
  out += std::to_string(response.status);
  out += ' ';
  out += StatusText(response.status);
  out += "\r\nContent-Type: ";
  out += response.content_type;
  out += "\r\nContent-Length: ";
  out += std::to_string(response.body.size());
  out += "\r\nCache-Control: no-store\r\n";
  for (const auto& [name, value] : response.headers) {
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  out += keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
  if (!head) out += response.body;
  return out;
}

}  // namespace tokend
