#include "nacos_handler.h"

#include <utility>

#include "json_text.h"
#include "spring_error.h"
#include "token_carrier.h"
#include "url_encoding.h"

namespace fake_nacos {

NacosHandler::NacosHandler(NacosSite site, NacosServices services)
    : site_(std::move(site)), services_(services) {}

HttpResponse NacosHandler::Error(const HttpRequest& request, int status,
                                 const std::optional<std::string>& message) const {
  return SpringError(request, status, message, services_.clock, site_.flavor);
}

HttpResponse NacosHandler::Gone(const HttpRequest& request, std::string_view alternative) const {
  return CompatibilityGone(request, alternative, services_.clock, site_.flavor);
}

void NacosHandler::Handle(const HttpRequest& request, Connection& connection) {
  const std::string_view path = request.path;
  if (!path.starts_with(site_.context_path)) {
    connection.Respond(Error(request, 404, std::nullopt));
    return;
  }
  const std::string_view relative = path.substr(site_.context_path.size());
  if (const auto generation = MatchLoginPath(relative)) {
    HandleLogin(request, *generation, connection);
  } else if (services_.config.Handle(request, relative, connection)) {
    // Answered by the config API.
  } else if (const auto api_generation = MatchApiPath(relative)) {
    HandleApi(request, *api_generation, connection);
  } else {
    connection.Respond(Error(request, 404, std::nullopt));
  }
}

void NacosHandler::HandleLogin(const HttpRequest& request, PathGeneration generation,
                               Connection& connection) {
  services_.stats.RecordLogin(generation, request.Header("Content-Type"),
                              MaskParameter(request.query, "password"), CarriesToken(request));
  if (!Serves(site_.api, generation)) {
    services_.stats.RecordLoginOutcome(LoginOutcome::kRejected);
    services_.logger.Log("login on unserved path " + request.path);
    connection.Respond(generation == PathGeneration::kV1
                           ? Gone(request, "POST ${contextPath:nacos}/v3/auth/user/login")
                           : Error(request, 404, std::nullopt));
    return;
  }
  if (request.method != "POST") {
    services_.stats.RecordLoginOutcome(LoginOutcome::kRejected);
    // Spring 6 (Nacos 3.x) says "is not supported", Spring 5 "not supported".
    const char* verb = site_.flavor == Flavor::k3 ? "' is not supported" : "' not supported";
    HttpResponse response = Error(request, 405, "Request method '" + request.method + verb);
    response.AddHeader("Allow", "POST");
    connection.Respond(response);
    return;
  }
  const Fault fault = services_.fault_plan.TakeForLogin();
  if (fault.mode != FaultMode::kNone) {
    services_.stats.RecordLoginOutcome(LoginOutcome::kFaulted);
    services_.faults.Respond(fault, request, generation, connection);
    return;
  }
  LoginResult result = services_.login.Login(request, generation);
  services_.stats.RecordLoginOutcome(result.ok ? LoginOutcome::kOk : LoginOutcome::kRejected);
  connection.Respond(result.response);
}

void NacosHandler::HandleApi(const HttpRequest& request, PathGeneration generation,
                             Connection& connection) {
  if (!Serves(site_.api, generation)) {
    // The probe is a v3 admin path (v1 config paths belong to ConfigHandler): 2.x has none.
    connection.Respond(Error(request, 404, std::nullopt));
    return;
  }
  const AuthDecision decision =
      services_.auth.Authorize(request, request.Params(), std::nullopt, false);
  if (!decision.allowed) {
    services_.stats.RecordApi(false);
    services_.logger.Log("api " + request.path + " denied: " + decision.denial);
    connection.Respond(Error(request, 403, decision.denial));
    return;
  }
  services_.stats.RecordApi(true);
  connection.Respond(HttpResponse::Json(
      200, "{\"code\":0,\"message\":\"success\",\"data\":{\"user\":" + JsonQuote(decision.subject) +
               "}}"));
}

}  // namespace fake_nacos
