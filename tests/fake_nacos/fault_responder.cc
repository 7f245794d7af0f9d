#include "fault_responder.h"

#include <chrono>

#include "login_answer.h"

namespace fake_nacos {
namespace {

constexpr uint64_t kHugeLength = 64ull * 1024 * 1024;
constexpr std::chrono::milliseconds kDripInterval(500);

HttpResponse Text(int status, std::string type, std::string body) {
  return HttpResponse::Text(status, std::move(type), std::move(body));
}

}  // namespace

HttpResponse FaultResponder::BentSuccess(FaultMode mode) {
  const TokenGrant grant = login_.GrantForConfiguredUser();
  LoginAnswer answer{grant.token, std::to_string(grant.reported_ttl), login_.configured_user()};
  switch (mode) {
    case FaultMode::kMissingToken:
      answer.access_token.reset();
      break;
    case FaultMode::kEmptyToken:
      answer.access_token = "";
      break;
    case FaultMode::kBadTtl:
      answer.token_ttl_json = "\"abc\"";
      break;
    case FaultMode::kNegativeTtl:
      answer.token_ttl_json = "-5";
      break;
    case FaultMode::kZeroTtl:
      answer.token_ttl_json = "0";
      break;
    default:
      break;
  }
  return LoginSuccessResponse(answer);
}

void FaultResponder::Respond(const Fault& fault, const HttpRequest& request,
                             PathGeneration generation, Connection& connection) {
  logger_.Log("login fault " + FaultName(fault) + " on " + request.path);
  switch (fault.mode) {
    case FaultMode::kReset:
      connection.Reset();
      return;
    case FaultMode::kHttp500:
      connection.Respond(
          Text(500, "text/plain;charset=UTF-8", "caused: java.lang.NullPointerException;"));
      return;
    case FaultMode::kHttp503:
      connection.Respond(Text(503, "text/html",
                              "<html>\r\n<head><title>503 Service Temporarily Unavailable</title>"
                              "</head>\r\n<body>\r\n<center><h1>503 Service Temporarily "
                              "Unavailable</h1></center>\r\n</body>\r\n</html>\r\n"));
      return;
    case FaultMode::kMalformed:
      connection.Respond(HttpResponse::Json(200, "{\"accessToken\":\"eyJ"));
      return;
    case FaultMode::kTooMany: {
      HttpResponse r = Text(429, "text/plain;charset=UTF-8", "Too Many Requests");
      r.headers.emplace_back("Retry-After", fault.retry_after);
      connection.Respond(r);
      return;
    }
    case FaultMode::kNonJson:
      connection.Respond(Text(200, "text/html",
                              "<html><head><title>Nacos</title></head><body>Welcome</body>"
                              "</html>"));
      return;
    case FaultMode::kMissingToken:
    case FaultMode::kEmptyToken:
    case FaultMode::kBadTtl:
    case FaultMode::kNegativeTtl:
    case FaultMode::kZeroTtl:
      connection.Respond(BentSuccess(fault.mode));
      return;
    case FaultMode::kHuge: {
      HttpResponse head = HttpResponse::Json(200, "");
      head.declared_length = kHugeLength;
      connection.Close();
      if (connection.Respond(head)) connection.SendFill(kHugeLength, ' ');
      return;
    }
    case FaultMode::kDrip:
      connection.Respond(login_.Login(request, generation).response, kDripInterval);
      return;
    case FaultMode::kHang:
      connection.AwaitPeerClose();
      return;
    case FaultMode::kRedirect: {
      HttpResponse redirect = Text(302, "text/html", "");
      redirect.AddHeader("Location", "http://127.0.0.1:9/steal");
      connection.Respond(redirect);
      return;
    }
    case FaultMode::kAuthDisabled:
      connection.Respond(
          LoginSuccessResponse({"AUTH_DISABLED", "18000", login_.configured_user()}));
      return;
    case FaultMode::kLiteralToken:
      connection.Respond(LoginSuccessResponse(
          {fault.token, std::to_string(login_.configured_ttl()), login_.configured_user()}));
      return;
    case FaultMode::kNone:
    case FaultMode::kDown:
      break;
  }
}

}  // namespace fake_nacos
