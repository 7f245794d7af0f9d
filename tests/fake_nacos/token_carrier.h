// Where Nacos looks for an access token in an HTTP request (nacos-auth.md §4.1).
#ifndef TESTS_FAKE_NACOS_TOKEN_CARRIER_H_
#define TESTS_FAKE_NACOS_TOKEN_CARRIER_H_

#include <optional>
#include <string>

#include "flavor.h"
#include "http_request.h"

namespace fake_nacos {

// "Authorization: Bearer <t>" first (prefix case-sensitive; other schemes are ignored), then
// the accessToken parameter, then, from 2.1 on, the accessToken header. Empty values count as
// absent.
std::optional<std::string> FindToken(const HttpRequest& request, Flavor flavor);

// Whether any carrier holds a token, whatever the flavor would read (for the stats that prove a
// client never sends one to login).
bool CarriesToken(const HttpRequest& request);

}  // namespace fake_nacos

#endif  // TESTS_FAKE_NACOS_TOKEN_CARRIER_H_
