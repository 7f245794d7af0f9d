#include "serve/socket_api.h"

#include <algorithm>

#include <cerrno>
#include <cstdlib>

#include "base/duration.h"
#include "base/form_encode.h"
#include "base/http_status.h"
#include "base/json_string.h"

namespace tokend {
namespace {

HttpResponse Json(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.content_type = "application/json";
  r.body = std::move(body);
  return r;
}

int64_t SecondsLeft(const Token& token, MonoTime now) {
  return std::max<int64_t>(
      0, std::chrono::duration_cast<std::chrono::seconds>(token.expires - now).count());
}

HttpResponse NoToken(const ServedIdentity& id) {
  HttpResponse r = ErrorResponse(503, "no valid token: " + id.board->metrics.Problem());
  r.headers.emplace_back("Retry-After", "1");
  return r;
}

HttpResponse TokenAnswer(const Token& token, bool json, MonoTime now) {
  HttpResponse r = json ? Json(200, TokenMetadataJson(token, now)) : HttpResponse{};
  if (!json) r.body = token.value;
  r.headers.emplace_back("X-Token-Generation", std::to_string(token.generation));
  return r;
}

// The identity a request names (?identity=NAME, default "default"), or the
// answer that refuses it: 404 when there is none, 403 when the peer may not.
const ServedIdentity* Resolve(const HttpRequest& request, const ApiState& state,
                              HttpResponse* refusal) {
  std::string name = FormField(request.query, "identity");
  if (name.empty()) name = kDefaultIdentity;
  for (const auto& id : state.identities()) {
    if (id.name != name) continue;
    if (state.PeerMayUse(id)) return &id;
    *refusal = IdentityForbidden(name);
    return nullptr;
  }
  *refusal = IsIdentityName(name)
                 ? ErrorResponse(404, "no identity '" + name + "'; see GET /v1/identities")
                 : ErrorResponse(404, "no such identity; see GET /v1/identities");
  return nullptr;
}

// One identity's status for /v1/health and /v1/identities (never its token).
std::string IdentityStatusJson(const ServedIdentity& id, MonoTime now, bool with_name) {
  auto token = id.board->store.Valid(now);
  std::string out = "{";
  if (with_name) out += "\"name\":" + JsonString(id.name) + ",";
  out += std::string("\"status\":") + (token ? "\"ok\"" : "\"unavailable\"");
  if (token) {
    out += ",\"expiresAt\":\"" + FormatWallTime(token->expires_wall) +
           "\",\"expiresIn\":" + std::to_string(SecondsLeft(*token, now)) +
           ",\"generation\":" + std::to_string(token->generation) +
           ",\"username\":" + JsonString(token->username) +
           ",\"server\":" + JsonString(token->server);
  } else {
    out += ",\"generation\":" + std::to_string(id.board->store.generation()) +
           ",\"reason\":" + JsonString(id.board->metrics.Problem());
  }
  return out + "}";
}

HttpResponse Health(const ApiState& state) {
  std::string identities;
  std::string reason;
  bool all_ok = true;
  const auto& ids = state.identities();
  for (const auto& id : ids) {
    if (!identities.empty()) identities += ",";
    identities += JsonString(id.name) + ":" + IdentityStatusJson(id, state.now(), false);
    if (!id.board->store.Valid(state.now())) {
      if (all_ok) {
        reason = (ids.size() > 1 ? id.name + ": " : "") + id.board->metrics.Problem();
      }
      all_ok = false;
    }
  }
  std::string body = std::string("{\"status\":") + (all_ok ? "\"ok\"" : "\"unavailable\"");
  if (!all_ok) body += ",\"reason\":" + JsonString(reason);
  return Json(all_ok ? 200 : 503, body + ",\"identities\":{" + identities + "}}");
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
  if (path == "/v1/identities") return ApiPath::kIdentities;
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
    case ApiPath::kIdentities:
      return "/v1/identities";
    case ApiPath::kMetrics:
      return "/metrics";
    case ApiPath::kOther:
      return "other";
  }
  return "other";
}

HttpResponse IdentityForbidden(const std::string& identity) {
  return ErrorResponse(403, "not allowed to use identity '" + identity + "'");
}

HttpResponse ErrorResponse(int status, const std::string& message) {
  HttpResponse r;
  r.status = status;
  r.body = message + "\n";
  return r;
}

HttpResponse RouteRequest(const HttpRequest& request, const ApiState& state) {
  HttpResponse refusal;
  switch (ClassifyPath(request.path)) {
    case ApiPath::kToken: {
      if (!IsGet(request)) return MethodNotAllowed("GET, HEAD");
      std::string format = FormField(request.query, "format");
      if (!format.empty() && format != "json" && format != "raw") {
        return ErrorResponse(400, "unknown format '" + format.substr(0, 32) + "'; use json or raw");
      }
      const ServedIdentity* id = Resolve(request, state, &refusal);
      if (!id) return refusal;
      TokenHold hold{id->name, 0, MonoDuration(0), format == "json"};
      std::string wait = FormField(request.query, "wait");
      std::string after = FormField(request.query, "after");
      if (!wait.empty()) {
        auto d = ParseDuration(wait);
        if (!d) return ErrorResponse(400, "wait: " + d.error());
        hold.wait = std::min<MonoDuration>(*d, kMaxTokenWait);
      }
      if (!after.empty()) {
        char* end = nullptr;
        errno = 0;
        unsigned long long g = std::strtoull(after.c_str(), &end, 10);
        if (*end != '\0' || errno != 0 || after.size() > 20 || after[0] == '-') {
          return ErrorResponse(400, "after: '" + after.substr(0, 24) + "' is not a generation");
        }
        hold.after = g;
      }
      // Level-triggered: held only while `after` is the current generation.
      if (!after.empty() && hold.wait > MonoDuration(0) && !HoldIsOver(hold, *id, state.now())) {
        HttpResponse r;
        r.hold = hold;
        return r;
      }
      return TokenResponse(*id, hold.json, state.now());
    }
    case ApiPath::kHealth:
      if (!IsGet(request)) return MethodNotAllowed("GET, HEAD");
      return Health(state);
    case ApiPath::kIdentities: {
      if (!IsGet(request)) return MethodNotAllowed("GET, HEAD");
      std::string list;
      for (const auto& id : state.identities()) {
        if (!state.PeerMayUse(id)) continue;
        if (!list.empty()) list += ",";
        list += IdentityStatusJson(id, state.now(), true);
      }
      return Json(200, "{\"identities\":[" + list + "]}");
    }
    case ApiPath::kRefresh: {
      if (request.method != "POST") return MethodNotAllowed("POST");
      const ServedIdentity* id = Resolve(request, state, &refusal);
      if (!id) return refusal;
      HttpResponse r;
      std::string rejected = FormField(request.body, "rejected");
      if (!rejected.empty()) {
        // Nacos refused `rejected`. Another token is current: use that one, no login.
        auto token = id->board->store.Valid(state.now());
        if (!token) return NoToken(*id);
        if (token->value != rejected) return TokenAnswer(*token, true, state.now());
        r.rejected_generation = token->generation;
      }
      r.defer_refresh = true;
      r.refresh_identity = id->name;
      return r;
    }
    case ApiPath::kMetrics: {
      if (!IsGet(request)) return MethodNotAllowed("GET, HEAD");
      HttpResponse r;
      r.content_type = "text/plain; version=0.0.4; charset=utf-8";
      r.body = state.Metrics();
      return r;
    }
    case ApiPath::kOther:
      break;
  }
  return ErrorResponse(404, "not found; try GET /v1/token");
}

HttpResponse TokenResponse(const ServedIdentity& identity, bool json, MonoTime now) {
  auto token = identity.board->store.Valid(now);
  if (!token) return NoToken(identity);
  return TokenAnswer(*token, json, now);
}

bool HoldIsOver(const TokenHold& hold, const ServedIdentity& identity, MonoTime now) {
  auto token = identity.board->store.Valid(now);
  return !token || token->generation != hold.after;
}

HttpResponse RefreshResponse(bool ok, const std::string& reason, const ServedIdentity& identity,
                             MonoTime now) {
  auto token = identity.board->store.Valid(now);
  if (ok && token) return TokenAnswer(*token, true, now);
  return Json(502, "{\"status\":\"failed\",\"reason\":" +
                       JsonString(reason.empty() ? identity.board->metrics.Problem() : reason) +
                       "}");
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
