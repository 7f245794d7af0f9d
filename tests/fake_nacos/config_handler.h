// The Nacos config API of the main listener: v1 publish/get/delete, the v1 listener long poll
// and the v3 client get, behind the auth filter.
#ifndef TESTS_FAKE_NACOS_CONFIG_HANDLER_H_
#define TESTS_FAKE_NACOS_CONFIG_HANDLER_H_

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "api_auth.h"
#include "clock.h"
#include "config_stats.h"
#include "config_store.h"
#include "connection.h"
#include "flavor.h"
#include "http_request.h"
#include "http_response.h"
#include "logger.h"
#include "login_routes.h"
#include "stats.h"

namespace fake_nacos {

inline constexpr std::string_view kV1ConfigsPath = "/v1/cs/configs";
inline constexpr std::string_view kV1ListenerPath = "/v1/cs/configs/listener";
inline constexpr std::string_view kV3ClientConfigPath = "/v3/client/cs/config";

// Runtime knobs of the config API shared with the control listener.
struct ConfigSettings {
  // The long poll holds max(this, Long-Pulling-Timeout - 500 ms). Nacos: 10000. Tests lower it
  // (--long-poll-min-ms, /_fake/set?long_poll_min_ms=) so a hold can be a second.
  std::atomic<int64_t> long_poll_min_ms{10000};
};

struct ConfigServices {
  ConfigStore& store;
  ConfigSettings& settings;
  const ApiAuth& auth;
  Stats& stats;
  ConfigStats& config_stats;
  const Clock& clock;
  Logger& logger;
};

class ConfigHandler {
 public:
  ConfigHandler(std::string context_path, ApiMode api, Flavor flavor, ConfigServices services);

  // True if `relative_path` is a config-API path (then the request was answered).
  bool Handle(const HttpRequest& request, std::string_view relative_path, Connection& connection);

 private:
  HttpResponse Configs(const HttpRequest& request, const ParamList& params,
                       std::optional<FoundToken>* token);
  HttpResponse Listener(const HttpRequest& request, const ParamList& params, Connection& connection,
                        std::optional<FoundToken>* token);
  HttpResponse V3Get(const HttpRequest& request, const ParamList& params,
                     std::optional<FoundToken>* token);
  // 403 Spring error (or nullopt when allowed); records the decision in the counters.
  std::optional<HttpResponse> Deny(const HttpRequest& request, const AuthDecision& decision);
  HttpResponse Error(const HttpRequest& request, int status,
                     const std::optional<std::string>& message) const;

  const std::string context_path_;
  const ApiMode api_;
  const Flavor flavor_;
  ConfigServices services_;
};

}  // namespace fake_nacos

#endif  // TESTS_FAKE_NACOS_CONFIG_HANDLER_H_
