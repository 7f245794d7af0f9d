// Who may use a socket ([socket], [socket:NAME], [proxy]): with both lists
// empty, anyone who can connect.
#pragma once

#include <sys/types.h>

#include <vector>

namespace tokend {

struct AccessConfig {
  std::vector<uid_t> allow_uids;  // resolved from allow_users
  std::vector<gid_t> allow_gids;  // resolved from allow_groups
  bool operator==(const AccessConfig&) const = default;
};

}  // namespace tokend
