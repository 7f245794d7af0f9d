// The plain-HTTP control listener tests use to steer the fake (never faulted).
#ifndef TESTS_FAKE_NACOS_CONTROL_HANDLER_H_
#define TESTS_FAKE_NACOS_CONTROL_HANDLER_H_

#include "clock.h"
#include "config_handler.h"
#include "config_stats.h"
#include "credentials.h"
#include "fault_plan.h"
#include "http_server.h"
#include "logger.h"
#include "permission_rules.h"
#include "request_handler.h"
#include "stats.h"
#include "token_service.h"

namespace fake_nacos {

struct ControlTargets {
  FaultPlan& fault_plan;
  HttpServer& main_server;
  TokenService& tokens;
  Credentials& credentials;
  Clock& clock;
  Stats& stats;
  ConfigStats& config_stats;
  ConfigSettings& config_settings;
  PermissionRules& permissions;
  Logger& logger;
};

// POST /_fake/fault?mode=M[&count=N]   arm a login fault ("down" closes the main listener)
// POST /_fake/set?ttl=&cache=&ttl_mode=&secret=&password=&clock_offset=&long_poll_min_ms=
//                                       any subset
// POST /_fake/invalidate-tokens         new random secret: every issued token fails
// POST /_fake/deny?user=&tenant=&group=&data_id=&action=r|w|rw   add a permission rule
// POST /_fake/allow-all                 drop every permission rule
// GET  /_fake/stats                     login/API counters as JSON
// GET  /_fake/config-stats              config-API counters and the last request as JSON
// POST /_fake/reset-stats               both sets of counters
// Parameters may come in the query or a form body. Bad input -> 400 and nothing changes.
class ControlHandler : public RequestHandler {
 public:
  explicit ControlHandler(ControlTargets targets) : targets_(targets) {}

  void Handle(const HttpRequest& request, Connection& connection) override;

 private:
  HttpResponse SetFault(const HttpRequest& request);
  HttpResponse SetOptions(const HttpRequest& request);
  HttpResponse InvalidateTokens();
  HttpResponse AddDenyRule(const HttpRequest& request);

  ControlTargets targets_;
};

}  // namespace fake_nacos

#endif  // TESTS_FAKE_NACOS_CONTROL_HANDLER_H_
