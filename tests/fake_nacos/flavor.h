// The Nacos generation being emulated and the exact wording it uses (nacos-auth.md §3.2, §4).
#ifndef TESTS_FAKE_NACOS_FLAVOR_H_
#define TESTS_FAKE_NACOS_FLAVOR_H_

#include <optional>
#include <string>
#include <string_view>

#include "token_service.h"

namespace fake_nacos {

// 1 = 1.x-2.2.0 (jjwt), 2 = 2.2.1-2.5.x, 3 = 3.x.
enum class Flavor { k1 = 1, k2 = 2, k3 = 3 };

std::optional<Flavor> ParseFlavor(std::string_view text);

// 403 text/plain body for a wrong password, an unknown user or blank credentials.
std::string_view LoginFailureMessage(Flavor flavor);

// Unwrapped token message, as the login endpoint's token-first path reports it.
std::string TokenErrorMessage(Flavor flavor, TokenError error);

// Message inside the 403 Spring error of a protected API; nullopt error = no token at all.
// 3.x wraps it as AuthResult.format(): "Code: 401, Message: <msg>.".
std::string ApiDenialMessage(Flavor flavor, std::optional<TokenError> error);

// Message inside the 403 Spring error when a valid token lacks permission (nacos-auth.md §4.2):
// "authorization failed!", in 3.x "Code: 403, Message: authorization failed!.".
std::string PermissionDenialMessage(Flavor flavor);

// 500 "caused: ...;" body Spring gives when a v1 login lacks a required parameter.
std::string MissingParameterMessage(Flavor flavor, std::string_view name);

// The accessToken *header* is read only from 2.1.0 on.
inline bool AcceptsAccessTokenHeader(Flavor flavor) { return flavor != Flavor::k1; }

// Spring Boot 2.1 (1.x) printed "+0000", later versions "+00:00".
std::string_view TimestampZoneSuffix(Flavor flavor);

}  // namespace fake_nacos

#endif  // TESTS_FAKE_NACOS_FLAVOR_H_
