// Opening a connection to a Nacos server without blocking the proxy's event
// loop (its address comes from proxy/upstream_resolver, which looks host names
// up on a thread of its own).
#pragma once

#include <string>

#include "base/status.h"
#include "config/config.h"
#include "proxy/upstream_resolver.h"

namespace tokend {

/// A non-blocking TCP socket with the connect to `address` (of `server`)
/// started: it may still be in progress (wait for writability, then
/// UpstreamConnectError). Errors say which server and why.
Result<int> StartUpstreamConnect(const SocketAddress& address, const ServerEndpoint& server);

/// 0 when the connect of `fd` succeeded, else the errno it failed with.
int UpstreamConnectError(int fd);

/// "10.0.0.1:8848", "[::1]:8848": the authority for the Host header.
std::string Authority(const ServerEndpoint& server);

}  // namespace tokend
