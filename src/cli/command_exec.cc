#include "cli/command_exec.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace tokend::cli {

int ExecWithToken(const std::vector<char*>& command, const TokenInfo& info) {
  if (setenv("NACOS_ACCESS_TOKEN", info.token.c_str(), 1) != 0 ||
      (info.expires_at.empty()
           ? unsetenv("NACOS_TOKEN_EXPIRES_AT")
           : setenv("NACOS_TOKEN_EXPIRES_AT", info.expires_at.c_str(), 1)) != 0) {
    fprintf(stderr, "nacos-token: cannot set the environment for %s: %s\n", command[0],
            strerror(errno));
    return 126;
  }
  fflush(stdout);
  execvp(command[0], command.data());
  int err = errno;
  fprintf(stderr, "nacos-token: cannot run %s: %s\n", command[0], strerror(err));
  return err == ENOENT || err == ENOTDIR ? 127 : 126;
}

}  // namespace tokend::cli
