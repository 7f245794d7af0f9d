// fake-nacos: a Nacos login/token stand-in for nacos-tokend tests. See README.md.
#include <Poco/Exception.h>
#include <Poco/Net/NetSSL.h>

#include <iostream>
#include <memory>
#include <stdexcept>

#include "api_auth.h"
#include "clock.h"
#include "config_handler.h"
#include "config_stats.h"
#include "config_store.h"
#include "control_handler.h"
#include "credentials.h"
#include "fault_plan.h"
#include "fault_responder.h"
#include "http_server.h"
#include "logger.h"
#include "login_service.h"
#include "nacos_handler.h"
#include "oidc_verifier.h"
#include "options.h"
#include "permission_rules.h"
#include "port_file.h"
#include "process_lifetime.h"
#include "stats.h"
#include "tls_context.h"
#include "token_service.h"

namespace fake_nacos {
namespace {

int Run(const Options& options) {
  Logger logger(options.log_file);
  Clock clock(options.fixed_now);
  TokenService tokens(clock, TokenPolicy{options.ttl_seconds, options.ttl_mode, options.cache,
                                         options.key, options.flavor != Flavor::k1});
  Credentials credentials(options.user, options.password);
  Stats stats;
  FaultPlan fault_plan;
  LoginService login(options.flavor, credentials, tokens, stats, logger, options.unknown_user_500);
  FaultResponder fault_responder(login, logger);
  ConfigStore config_store;
  for (const auto& [data_id, content] : options.seed_configs) {
    config_store.Publish(ConfigKey{data_id, kDefaultGroup, ""}, content, "", clock.NowMillis());
  }
  ConfigSettings config_settings;
  config_settings.long_poll_min_ms = options.long_poll_min_ms;
  ConfigStats config_stats;
  PermissionRules permissions;
  std::unique_ptr<OidcVerifier> oidc;
  if (!options.oidc_issuer.empty()) {
    oidc = std::make_unique<OidcVerifier>(
        OidcSettings{options.oidc_issuer, options.oidc_audience, options.oidc_ca}, clock, logger);
  }
  const ApiAuth auth(options.flavor, tokens, oidc.get(), permissions);
  ConfigHandler config_handler(
      options.context_path, options.api, options.flavor,
      {config_store, config_settings, auth, stats, config_stats, clock, logger});
  NacosHandler nacos_handler(
      {options.context_path, options.api, options.flavor},
      {login, fault_responder, fault_plan, tokens, auth, config_handler, stats, clock, logger});

  Poco::Net::Context::Ptr tls;
  if (!options.tls_cert.empty()) tls = MakeServerTlsContext(options.tls_cert, options.tls_key);
  HttpServer main_server("main", options.listen, tls, nacos_handler, logger);
  main_server.Start();

  ControlHandler control_handler({fault_plan, main_server, tokens, credentials, clock, stats,
                                  config_stats, config_settings, permissions, logger});
  HttpServer control_server("control", Poco::Net::SocketAddress("127.0.0.1", 0), nullptr,
                            control_handler, logger);
  control_server.Start();

  fault_plan.Set(options.fault, std::nullopt);
  if (options.fault.mode == FaultMode::kDown) main_server.SetListening(false);

  // Main port last: once both files exist, both listeners are in their initial state.
  WritePortFile(options.control_port_file, control_server.port());
  WritePortFile(options.port_file, main_server.port());
  std::cerr << "fake-nacos: main port " << main_server.port() << (tls ? " (https)" : " (http)")
            << ", control port " << control_server.port() << std::endl;

  const std::string reason = WaitForShutdown(options.max_lifetime_seconds);
  logger.Log("shutting down: " + reason);
  ArmShutdownWatchdog(5);
  control_server.Stop();
  main_server.Stop();
  return 0;
}

}  // namespace
}  // namespace fake_nacos

int main(int argc, char** argv) {
  fake_nacos::Options options;
  try {
    options = fake_nacos::ParseOptions(argc, argv);
  } catch (const std::invalid_argument& e) {
    if (*e.what() != '\0') std::cerr << "fake-nacos: " << e.what() << "\n";
    std::cerr << fake_nacos::UsageText();
    return 2;
  }
  if (!fake_nacos::PrepareProcessSignals()) return 0;  // Parent already gone.
  Poco::Net::initializeSSL();
  int status = 1;
  try {
    status = fake_nacos::Run(options);
  } catch (const Poco::Exception& e) {
    std::cerr << "fake-nacos: " << e.displayText() << "\n";
  } catch (const std::exception& e) {
    std::cerr << "fake-nacos: " << e.what() << "\n";
  }
  Poco::Net::uninitializeSSL();
  return status;
}
