// Which 403 answers of Nacos mean "this token is expired or invalid" (log in
// again) rather than "this token lacks a permission" (never retried). The
// texts are those of 1.x, 2.x and 3.x (nacos-auth.md section 9), in the
// Spring error JSON, the Whitelabel HTML page or plain text alike.
#pragma once

#include <string_view>

namespace tokend {

/// `status` and `body` of a Nacos answer to a request carrying a token.
bool IsTokenRejection(int status, std::string_view body);

}  // namespace tokend
