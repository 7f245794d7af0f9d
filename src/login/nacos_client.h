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
#include "keeper/refresh_policy.h"
#include "login/http_transport.h"

namespace tokend {

struct LoginSuccess {
  std::string token;
  double ttl_seconds = 0;  // as the server said
  ServerEndpoint server;
  MonoTime sent_at;  // when the successful request was started
  WallTime wall_sent_at;
};

struct LoginRoundResult {
  std::optional<LoginSuccess> success;
  FailureKind failure_kind = FailureKind::kTransient;  // when !success
  std::string error;            // when !success: every server's reason, "; "-separated
  MonoDuration retry_after{0};  // longest Retry-After of a 429/503 in this round
};

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
