// Who owns the other end of a loopback TCP connection. The kernel knows the
// owner of every socket; NETLINK_SOCK_DIAG (inet_diag, what `ss -e` shows)
// looks up the caller's socket by its four-tuple, seen from its side: source
// = the caller's address and port, destination = ours.
#pragma once

#include <optional>

#include "base/status.h"
#include "proxy/peer_access.h"

namespace tokend {

/// The uid owning the client socket connected to `fd` (an accepted TCP
/// socket on loopback), or an error saying why it could not be found.
Result<uid_t> TcpPeerOwner(int fd);

}  // namespace tokend
