// The main listener: Nacos login endpoints and a token-protected API.
#ifndef TESTS_FAKE_NACOS_NACOS_HANDLER_H_
#define TESTS_FAKE_NACOS_NACOS_HANDLER_H_

#include <string>
#include <string_view>

#include "api_auth.h"
#include "clock.h"
#include "config_handler.h"
#include "fault_plan.h"
#include "fault_responder.h"
#include "flavor.h"
#include "logger.h"
#include "login_routes.h"
#include "login_service.h"
#include "request_handler.h"
#include "stats.h"
#include "token_service.h"

namespace fake_nacos {

struct NacosSite {
  std::string context_path;  // "" or "/nacos"-like, no trailing slash.
  ApiMode api = ApiMode::kBoth;
  Flavor flavor = Flavor::k3;
};

struct NacosServices {
  LoginService& login;
  FaultResponder& faults;
  FaultPlan& fault_plan;
  const TokenService& tokens;
  const ApiAuth& auth;
  ConfigHandler& config;
  Stats& stats;
  const Clock& clock;
  Logger& logger;
};

// Routes: POST login paths (faults apply here only, and only on paths the ApiMode serves),
// the config API (ConfigHandler), the protected probe API (never faulted), Spring-style 404
// for everything else.
class NacosHandler : public RequestHandler {
 public:
  NacosHandler(NacosSite site, NacosServices services);

  void Handle(const HttpRequest& request, Connection& connection) override;

 private:
  void HandleLogin(const HttpRequest& request, PathGeneration generation, Connection& connection);
  void HandleApi(const HttpRequest& request, PathGeneration generation, Connection& connection);
  HttpResponse Gone(const HttpRequest& request, std::string_view alternative) const;
  HttpResponse Error(const HttpRequest& request, int status,
                     const std::optional<std::string>& message) const;

  const NacosSite site_;
  NacosServices services_;
};

}  // namespace fake_nacos

#endif  // TESTS_FAKE_NACOS_NACOS_HANDLER_H_
