#include "config_handler.h"

#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "json_text.h"
#include "listening_configs.h"
#include "spring_error.h"
#include "url_encoding.h"
#include "value_parsing.h"

namespace fake_nacos {
namespace {

std::optional<std::string> Find(const ParamList& params, std::string_view name) {
  for (const auto& [key, value] : params) {
    if (key == name) return value;
  }
  return std::nullopt;
}

std::string NonBlankOr(const std::optional<std::string>& value, std::string fallback) {
  return value && !value->empty() ? *value : fallback;
}

// 3.x NamespaceUtil treats the "public" namespace id and "" alike.
std::string Namespace(const std::optional<std::string>& value, Flavor flavor) {
  std::string tenant = value.value_or("");
  if (flavor == Flavor::k3 && tenant == "public") tenant.clear();
  return tenant;
}

HttpResponse Plain(int status, std::string body) {
  return HttpResponse::Text(status, "text/plain;charset=UTF-8", std::move(body));
}

HttpResponse& NoCache(HttpResponse& response) {
  return response.AddHeader("Pragma", "no-cache")
      .AddHeader("Expires", "Thu, 01 Jan 1970 00:00:00 GMT")
      .AddHeader("Cache-Control", "no-cache,no-store");
}

// Result JSON of the v3 APIs: {"code":N,"message":"...","data":<data>}.
std::string Result(int code, std::string_view message, std::string_view data_json) {
  return "{\"code\":" + std::to_string(code) + ",\"message\":" + JsonQuote(message) +
         ",\"data\":" + std::string(data_json) + "}";
}

}  // namespace

ConfigHandler::ConfigHandler(std::string context_path, ApiMode api, Flavor flavor,
                             ConfigServices services)
    : context_path_(std::move(context_path)), api_(api), flavor_(flavor), services_(services) {}

HttpResponse ConfigHandler::Error(const HttpRequest& request, int status,
                                  const std::optional<std::string>& message) const {
  return SpringError(request, status, message, services_.clock, flavor_);
}

std::optional<HttpResponse> ConfigHandler::Deny(const HttpRequest& request,
                                                const AuthDecision& decision) {
  services_.stats.RecordApi(decision.allowed);
  if (decision.allowed) return std::nullopt;
  services_.logger.Log("config api " + request.path + " denied: " + decision.denial);
  return Error(request, 403, decision.denial);
}

bool ConfigHandler::Handle(const HttpRequest& request, std::string_view relative_path,
                           Connection& connection) {
  const bool v1 = relative_path == kV1ConfigsPath || relative_path == kV1ListenerPath;
  const bool v3 = relative_path == kV3ClientConfigPath;
  if (!v1 && !v3) return false;
  std::optional<FoundToken> token;
  HttpResponse response;
  if (!Serves(api_, v1 ? PathGeneration::kV1 : PathGeneration::kV3)) {
    response = v1 ? CompatibilityGone(request, "GET ${contextPath:nacos}/v3/client/cs/config",
                                      services_.clock, flavor_)
                  : Error(request, 404, std::nullopt);
  } else {
    const ParamList params = request.Params();
    if (relative_path == kV1ConfigsPath) {
      response = Configs(request, params, &token);
    } else if (relative_path == kV1ListenerPath) {
      response = Listener(request, params, connection, &token);
    } else {
      response = V3Get(request, params, &token);
    }
  }
  services_.config_stats.Record(request, response.status, token);
  connection.Respond(response);
  return true;
}

HttpResponse ConfigHandler::Configs(const HttpRequest& request, const ParamList& params,
                                    std::optional<FoundToken>* token) {
  const std::string& method = request.method;
  if (method != "GET" && method != "POST" && method != "DELETE") {
    const char* verb = flavor_ == Flavor::k3 ? "' is not supported" : "' not supported";
    return Error(request, 405, "Request method '" + method + verb);
  }
  const std::optional<std::string> data_id = Find(params, "dataId");
  std::optional<ConfigKey> key;
  if (data_id) {
    key = ConfigKey{*data_id, NonBlankOr(Find(params, "group"), kDefaultGroup),
                    Namespace(Find(params, "tenant"), flavor_)};
  }
  const AuthDecision decision = services_.auth.Authorize(request, params, key, method != "GET");
  *token = decision.token;
  if (auto denied = Deny(request, decision)) return *denied;
  // Spring's missing-@RequestParam answer, as on the v1 login (not checked for this controller).
  if (!key) return Plain(500, MissingParameterMessage(flavor_, "dataId"));

  if (method == "GET") {
    const std::optional<StoredConfig> config = services_.store.Get(*key);
    // ConfigServletInner.doGetConfig: response.getWriter().println("config data not exist").
    if (!config) return Plain(404, "config data not exist\n");
    HttpResponse response = Plain(200, config->content);
    response.AddHeader("Config-Type", config->type).AddHeader("Content-MD5", config->md5);
    NoCache(response).AddHeader(
        "Last-Modified",
        Poco::DateTimeFormatter::format(Poco::Timestamp(config->last_modified_ms * 1000),
                                        "%w, %d %b %Y %H:%M:%S GMT"));
    return response;
  }
  if (method == "DELETE") {
    services_.store.Remove(*key);
    return HttpResponse::Json(200, "true");
  }
  const std::optional<std::string> content = Find(params, "content");
  if (!content) return Plain(500, MissingParameterMessage(flavor_, "content"));
  if (content->size() > kMaxConfigContentBytes) {
    // ParamUtils.checkParam: NacosException "invalid content, over <maxContent>" (approximate).
    return Plain(400,
                 "caused: invalid content, over " + std::to_string(kMaxConfigContentBytes) + ";");
  }
  services_.store.Publish(*key, *content, Find(params, "type").value_or(""),
                          services_.clock.NowMillis());
  services_.logger.Log("config published: " + key->data_id + " (" +
                       std::to_string(content->size()) + " bytes)");
  return HttpResponse::Json(200, "true");
}

HttpResponse ConfigHandler::Listener(const HttpRequest& request, const ParamList& params,
                                     Connection& connection, std::optional<FoundToken>* token) {
  if (request.method != "POST") {
    const char* verb = flavor_ == Flavor::k3 ? "' is not supported" : "' not supported";
    return Error(request, 405, "Request method '" + request.method + verb);
  }
  const AuthDecision decision = services_.auth.Authorize(request, params, std::nullopt, false);
  *token = decision.token;
  if (auto denied = Deny(request, decision)) return *denied;
  // ConfigController.listener decodes the parameter once more (URLDecoder.decode) and refuses
  // a blank one with IllegalArgumentException("invalid probeModify") -> 400.
  const std::optional<std::string> raw = Find(params, "Listening-Configs");
  const auto listened = raw ? ParseListeningConfigs(UrlDecode(*raw)) : std::nullopt;
  if (!listened) return Plain(400, "caused: invalid probeModify;");

  std::optional<int64_t> timeout_ms;
  if (request.HasHeader("Long-Pulling-Timeout")) {
    timeout_ms = ParseInteger(request.Header("Long-Pulling-Timeout"));
  }
  const bool no_hangup = request.Header("Long-Pulling-Timeout-No-Hangup") == "true";
  auto deadline = std::chrono::steady_clock::now();
  if (timeout_ms && !no_hangup) {
    const int64_t hold = std::max(services_.settings.long_poll_min_ms.load(), *timeout_ms - 500);
    deadline += std::chrono::milliseconds(hold);
    services_.logger.Log("long poll held for up to " + std::to_string(hold) + " ms");
  }
  const std::vector<ConfigKey> changed =
      services_.store.WaitForChange(*listened, deadline, connection.abort_flag());
  HttpResponse response;
  response.status = 200;
  NoCache(response);
  // LongPollingService.generateResponse: println(compareMd5ResultString(...)), or an empty
  // answer (asyncContext.complete()) when nothing changed.
  if (!changed.empty()) {
    response.AddHeader("Content-Type", "text/html;charset=UTF-8");
    response.body = FormatChangedKeys(changed) + "\n";
  }
  return response;
}

HttpResponse ConfigHandler::V3Get(const HttpRequest& request, const ParamList& params,
                                  std::optional<FoundToken>* token) {
  if (request.method != "GET") {
    return Error(request, 405, "Request method '" + request.method + "' is not supported");
  }
  const std::optional<std::string> data_id = Find(params, "dataId");
  std::optional<ConfigKey> key;
  if (data_id && !data_id->empty()) {
    const std::optional<std::string> group = Find(params, "groupName");
    const std::optional<std::string> tenant = Find(params, "namespaceId");
    key = ConfigKey{*data_id, NonBlankOr(group ? group : Find(params, "group"), kDefaultGroup),
                    Namespace(tenant ? tenant : Find(params, "tenant"), flavor_)};
  }
  const AuthDecision decision = services_.auth.Authorize(request, params, key, false);
  *token = decision.token;
  if (auto denied = Deny(request, decision)) return *denied;
  if (!key) {
    // ConfigFormV3.validate: NacosApiException(400, PARAMETER_MISSING) as a Result.
    return HttpResponse::Json(
        400, Result(10000, "Required parameter 'dataId' type String is not present", "null"));
  }
  const std::optional<StoredConfig> config = services_.store.Get(*key);
  // ConfigOpenApiController.getConfig returns Result.failure(ErrorCode.RESOURCE_NOT_FOUND).
  if (!config) return HttpResponse::Json(200, Result(20004, "resource not found", "null"));
  const std::string data =
      "{\"content\":" + JsonQuote(config->content) + ",\"encryptedDataKey\":null" +
      ",\"contentType\":" + JsonQuote(config->type) + ",\"md5\":" + JsonQuote(config->md5) +
      ",\"lastModified\":" + std::to_string(config->last_modified_ms) +
      ",\"beta\":false,\"tag\":null}";
  return HttpResponse::Json(200, Result(0, "success", data));
}

}  // namespace fake_nacos
