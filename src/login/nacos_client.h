// Logging in to Nacos: the login protocol across server generations, with
// failover. One round tries every configured server in turn until one hands
// out a usable token.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "config/config.h"
#include "keeper/login_method.h"
#include "login/http_transport.h"

namespace tokend {

/// Not thread-safe: one round at a time (the daemon runs rounds on one worker).
class NacosClient {
 public:
  NacosClient(const NacosConfig& config, HttpTransport* transport, const Clock* clock);

  /// One round. Sends `username` and `password` form-encoded in the body and
  /// nothing else: never a token, since Nacos authenticates a login by any
  /// token it finds first. With api = auto, tries v3 and falls back to v1 on
  /// 404/405/410/501, remembering per server which one answered.
  LoginRoundResult Login(std::string_view password);

 private:
  std::string LoginPath(ApiMode api) const;

  NacosConfig config_;
  HttpTransport* transport_;
  const Clock* clock_;
  std::vector<std::optional<ApiMode>> learned_api_;  // per server, for api = auto
};

}  // namespace tokend
