// The body and headers of a successful Nacos login, with hooks for faults to bend each field.
#ifndef TESTS_FAKE_NACOS_LOGIN_ANSWER_H_
#define TESTS_FAKE_NACOS_LOGIN_ANSWER_H_

#include <optional>
#include <string>

#include "http_response.h"

namespace fake_nacos {

struct LoginAnswer {
  std::optional<std::string> access_token;  // nullopt omits the field.
  std::string token_ttl_json;               // Raw JSON value, e.g. 18000 or "abc".
  std::string username;
};

// 200 application/json {"accessToken":..,"tokenTtl":..,"globalAdmin":true,"username":..} in
// exactly this order (Jackson ObjectNode insertion order), plus "Authorization: Bearer <token>"
// whenever the token field is present.
HttpResponse LoginSuccessResponse(const LoginAnswer& answer);

}  // namespace fake_nacos

#endif  // TESTS_FAKE_NACOS_LOGIN_ANSWER_H_
