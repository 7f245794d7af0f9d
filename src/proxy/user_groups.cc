#include "proxy/user_groups.h"

#include <grp.h>
#include <pwd.h>

#include <algorithm>
#include <cstring>
#include <string>

namespace tokend {

Result<UserGroups> LookupUserGroups(uid_t uid) {
  passwd pw, *found = nullptr;
  std::vector<char> buf(16384);
  int rc = getpwuid_r(uid, &pw, buf.data(), buf.size(), &found);
  if (rc != 0) return Error{"uid " + std::to_string(uid) + ": " + std::strerror(rc)};
  if (!found) return Error{"uid " + std::to_string(uid) + ": no such user"};
  UserGroups u;
  u.gid = found->pw_gid;
  int count = 64;
  u.groups.resize(static_cast<size_t>(count));
  if (getgrouplist(found->pw_name, found->pw_gid, u.groups.data(), &count) < 0) {
    u.groups.resize(static_cast<size_t>(count));
    getgrouplist(found->pw_name, found->pw_gid, u.groups.data(), &count);
  }
  u.groups.resize(static_cast<size_t>(std::max(count, 0)));
  return u;
}

}  // namespace tokend
