// Interface between the HTTP server loop and the fake's behaviour.
#ifndef TESTS_FAKE_NACOS_REQUEST_HANDLER_H_
#define TESTS_FAKE_NACOS_REQUEST_HANDLER_H_

#include "connection.h"
#include "http_request.h"

namespace fake_nacos {

class RequestHandler {
 public:
  virtual ~RequestHandler() = default;

  // Answers `request` on `connection` (or deliberately does not). Called concurrently from
  // connection threads; may block, but must honour the connection's abort.
  virtual void Handle(const HttpRequest& request, Connection& connection) = 0;
};

}  // namespace fake_nacos

#endif  // TESTS_FAKE_NACOS_REQUEST_HANDLER_H_
