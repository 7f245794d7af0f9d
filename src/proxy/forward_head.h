// The heads the proxy writes: the request as Nacos gets it (token injected,
// what could override or fake the identity removed), the answer as the
// caller gets it, and the proxy's own answers.
#pragma once

#include <string>
#include <string_view>

#include "base/http_head.h"

namespace tokend {

/// The request head for Nacos: method and target unchanged, HTTP/1.1, `Host`
/// set to `authority`, `Authorization: Bearer <token>` added; hop-by-hop
/// headers (and those `Connection` lists), the caller's `Host`,
/// `Authorization`, `accessToken`, `X-Forwarded-For` and `X-Real-IP` removed,
/// and `Expect` (the proxy reads the body itself and answers 100-continue).
/// A chunked body keeps its framing, so `Transfer-Encoding` stays.
std::string UpstreamRequestHead(const RequestHead& request, std::string_view authority,
                                std::string_view token);

/// The answer head for the caller: status and headers unchanged but for
/// hop-by-hop ones; `keep_alive` false adds `Connection: close`.
/// `dechunk`: the caller speaks HTTP/1.0, the body is sent without chunk
/// framing (and the connection closes after it).
std::string CallerResponseHead(std::string_view raw_head, const ResponseHead& response,
                               bool keep_alive, bool dechunk);

/// An answer the proxy makes itself: text/plain, a one-line reason,
/// `X-Nacos-Tokend-Error: 1`.
std::string ProxyErrorResponse(int status, std::string_view reason, bool keep_alive,
                               bool head_only);

}  // namespace tokend
