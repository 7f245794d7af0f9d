// Carries out an armed fault on a login request.
#ifndef TESTS_FAKE_NACOS_FAULT_RESPONDER_H_
#define TESTS_FAKE_NACOS_FAULT_RESPONDER_H_

#include "connection.h"
#include "fault.h"
#include "http_request.h"
#include "logger.h"
#include "login_routes.h"
#include "login_service.h"

namespace fake_nacos {

// Faults replace the answer regardless of the credentials sent, except "drip", which sends the
// normal answer slowly. Success-shaped faults carry a genuine token for the configured user.
class FaultResponder {
 public:
  FaultResponder(LoginService& login, Logger& logger) : login_(login), logger_(logger) {}

  void Respond(const Fault& fault, const HttpRequest& request, PathGeneration generation,
               Connection& connection);

 private:
  HttpResponse BentSuccess(FaultMode mode);

  LoginService& login_;
  Logger& logger_;
};

}  // namespace fake_nacos

#endif  // TESTS_FAKE_NACOS_FAULT_RESPONDER_H_
