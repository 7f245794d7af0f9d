#include "proxy/peer_access.h"

#include <algorithm>

#include "proxy/user_groups.h"
#include "test_util.h"

using namespace tokend;

namespace {

AccessConfig Lists(std::vector<uid_t> uids, std::vector<gid_t> gids) {
  AccessConfig a;
  a.allow_uids = std::move(uids);
  a.allow_gids = std::move(gids);
  return a;
}

PeerIdentity TcpCaller(uid_t uid) { return PeerIdentity{uid, static_cast<gid_t>(-1), {}, false}; }

}  // namespace

TEST_CASE("peer access: root, empty lists, uids, primary and supplementary groups") {
  PeerIdentity alice{1000, 1000, {1000, 27}, true};
  CHECK(PeerAllowed(Lists({}, {}), alice));
  CHECK(PeerAllowed(Lists({1000}, {}), alice));
  CHECK(PeerAllowed(Lists({}, {1000}), alice));
  CHECK(PeerAllowed(Lists({}, {27}), alice));
  CHECK_FALSE(PeerAllowed(Lists({2000}, {50}), alice));
  CHECK(PeerAllowed(Lists({2000}, {50}), PeerIdentity{0, 0, {}, true}));
}

TEST_CASE("peer access: a TCP caller's groups are needed only when the lists decide by group") {
  CHECK_FALSE(NeedsGroups(Lists({}, {}), TcpCaller(1000)));        // anyone may
  CHECK_FALSE(NeedsGroups(Lists({1000}, {27}), TcpCaller(1000)));  // listed by uid
  CHECK_FALSE(NeedsGroups(Lists({2000}, {}), TcpCaller(1000)));    // no groups listed: refused
  CHECK_FALSE(NeedsGroups(Lists({}, {27}), TcpCaller(0)));         // root
  CHECK(NeedsGroups(Lists({}, {27}), TcpCaller(1000)));
  CHECK_FALSE(NeedsGroups(Lists({}, {27}), PeerIdentity{1000, 1000, {}, true}));
  // Unknown groups count as none: refused until looked up.
  CHECK_FALSE(PeerAllowed(Lists({}, {27}), TcpCaller(1000)));
}

TEST_CASE("user groups: root's from the databases, an unknown uid is an error") {
  auto root = LookupUserGroups(0);
  REQUIRE_MESSAGE(root, root.error());
  CHECK(root->gid == 0);
  CHECK(std::find(root->groups.begin(), root->groups.end(), 0u) != root->groups.end());
  auto nobody = LookupUserGroups(3999999);
  REQUIRE_FALSE(nobody);
  CHECK(nobody.error() == "uid 3999999: no such user");
}
