#include "login_answer.h"

#include "json_text.h"

namespace fake_nacos {

HttpResponse LoginSuccessResponse(const LoginAnswer& answer) {
  std::string body = "{";
  if (answer.access_token) body += "\"accessToken\":" + JsonQuote(*answer.access_token) + ",";
  body += "\"tokenTtl\":" + answer.token_ttl_json +
          ",\"globalAdmin\":true,\"username\":" + JsonQuote(answer.username) + "}";
  HttpResponse response = HttpResponse::Json(200, std::move(body));
  if (answer.access_token) response.AddHeader("Authorization", "Bearer " + *answer.access_token);
  return response;
}

}  // namespace fake_nacos
