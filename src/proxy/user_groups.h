// A user's groups from the user and group databases (NSS: files, LDAP, sssd),
// for proxy callers on loopback TCP, where the kernel reports only the uid.
// The lookup may block; the proxy makes it off its event loops
// (base/background_lookups.h).
#pragma once

#include <sys/types.h>

#include <vector>

#include "base/status.h"

namespace tokend {

struct UserGroups {
  gid_t gid = static_cast<gid_t>(-1);  // the primary group
  std::vector<gid_t> groups;           // every group the user is in
};

/// `uid`'s primary group and groups; an error when the user is unknown.
Result<UserGroups> LookupUserGroups(uid_t uid);

}  // namespace tokend
