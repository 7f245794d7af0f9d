#include "base/read_to_end.h"

#include <unistd.h>

#include <cerrno>

#include "base/secret.h"

namespace tokend {

bool ReadToEnd(int fd, std::string* out) {
  char buf[8192];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) out->append(buf, static_cast<size_t>(n));
  }
  int err = errno;
  WipeMemory(buf, sizeof buf);
  errno = err;
  return n == 0;
}

}  // namespace tokend
