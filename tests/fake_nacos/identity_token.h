// Which access token a protected Nacos API sees in a request (nacos-auth.md §4.1,
// next-features.md §1.2 "Parameters beat headers").
#ifndef TESTS_FAKE_NACOS_IDENTITY_TOKEN_H_
#define TESTS_FAKE_NACOS_IDENTITY_TOKEN_H_

#include <optional>
#include <string>

#include "flavor.h"
#include "http_request.h"
#include "url_encoding.h"

namespace fake_nacos {

struct FoundToken {
  std::string token;
  // Where it came from: "authorization_header", "authorization_param", "access_token_param",
  // "access_token_header".
  std::string carrier;
};

// 1.x-2.0 (flavor 1): "Authorization: Bearer" header, else the accessToken parameter.
// 2.1+ (flavors 2, 3): HttpIdentityContextBuilder collects Authorization and accessToken from
// the headers, then from the parameters, which overwrite them (names case-insensitive); then a
// "Bearer " Authorization value wins over accessToken. Empty values count as absent.
// `params` is request.Params(), passed in so a large form body is decoded once.
std::optional<FoundToken> ResolveIdentityToken(const HttpRequest& request, const ParamList& params,
                                               Flavor flavor);

}  // namespace fake_nacos

#endif  // TESTS_FAKE_NACOS_IDENTITY_TOKEN_H_
