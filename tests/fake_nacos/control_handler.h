// The plain-HTTP control listener tests use to steer the fake (never faulted).
#ifndef TESTS_FAKE_NACOS_CONTROL_HANDLER_H_
#define TESTS_FAKE_NACOS_CONTROL_HANDLER_H_

#include "clock.h"
#include "credentials.h"
#include "fault_plan.h"
#include "http_server.h"
#include "logger.h"
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
  Logger& logger;
};

// POST /_fake/fault?mode=M[&count=N]   arm a login fault ("down" closes the main listener)
// POST /_fake/set?ttl=&cache=&ttl_mode=&secret=&password=&clock_offset=   any subset
// GET  /_fake/stats                     counters as JSON
// POST /_fake/reset-stats
// Parameters may come in the query or a form body. Bad input -> 400 and nothing changes.
class ControlHandler : public RequestHandler {
 public:
  explicit ControlHandler(ControlTargets targets) : targets_(targets) {}

  void Handle(const HttpRequest& request, Connection& connection) override;

 private:
  HttpResponse SetFault(const HttpRequest& request);
  HttpResponse SetOptions(const HttpRequest& request);

  ControlTargets targets_;
};

}  // namespace fake_nacos

#endif  // TESTS_FAKE_NACOS_CONTROL_HANDLER_H_
