// Who is at the other end of a proxy connection, and whether the proxy's
// allow lists let them in. Unix sockets: SO_PEERCRED / SO_PEERGROUPS;
// loopback TCP: the owner of the client's socket (see tcp_peer.h) and that
// uid's groups from the group database.
#pragma once

#include <sys/types.h>

#include <optional>
#include <vector>

#include "config/access_config.h"

namespace tokend {

struct PeerIdentity {
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
  std::vector<gid_t> groups;  // supplementary groups
  bool groups_known = true;   // false: a TCP caller's, until looked up (user_groups.h)
};

/// The peer of a connected Unix stream socket; nullopt when the kernel does not say.
std::optional<PeerIdentity> UnixPeer(int fd);

/// Root always may; with both lists empty anyone who can connect may; else
/// the uid, the primary group or a supplementary group must be listed (groups
/// not known count as none).
bool PeerAllowed(const AccessConfig& policy, const PeerIdentity& peer);

/// Whether deciding for `peer` takes its groups, not known yet: it is not
/// root, not listed by uid, and the policy lists groups.
bool NeedsGroups(const AccessConfig& policy, const PeerIdentity& peer);

}  // namespace tokend
