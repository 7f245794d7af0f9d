#include "proxy/peer_access.h"

#include <sys/socket.h>

#include <algorithm>
#include <array>

namespace tokend {

std::optional<PeerIdentity> UnixPeer(int fd) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return std::nullopt;
  PeerIdentity p;
  p.uid = cred.uid;
  p.gid = cred.gid;
  std::array<gid_t, 256> groups;
  len = sizeof groups;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &len) == 0)
    p.groups.assign(groups.begin(), groups.begin() + len / sizeof(gid_t));
  return p;
}

bool NeedsGroups(const AccessConfig& policy, const PeerIdentity& peer) {
  if (peer.groups_known || peer.uid == 0 || policy.allow_gids.empty()) return false;
  return std::find(policy.allow_uids.begin(), policy.allow_uids.end(), peer.uid) ==
         policy.allow_uids.end();
}

bool PeerAllowed(const AccessConfig& policy, const PeerIdentity& peer) {
  if (peer.uid == 0) return true;
  if (policy.allow_uids.empty() && policy.allow_gids.empty()) return true;
  auto listed = [&](gid_t g) {
    return std::find(policy.allow_gids.begin(), policy.allow_gids.end(), g) !=
           policy.allow_gids.end();
  };
  if (std::find(policy.allow_uids.begin(), policy.allow_uids.end(), peer.uid) !=
      policy.allow_uids.end())
    return true;
  if (listed(peer.gid)) return true;
  return std::any_of(peer.groups.begin(), peer.groups.end(), listed);
}

}  // namespace tokend
