#include "base/file_ops.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace tokend {
namespace {
int Ret(int r) { return r < 0 ? -errno : r; }
}  // namespace

int FileOps::OpenDir(const std::string& path) {
  return Ret(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
}

int FileOps::CreateExclusive(int dir, const std::string& name) {
  return Ret(
      ::openat(dir, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
}

int FileOps::Chmod(int fd, mode_t mode) { return Ret(::fchmod(fd, mode)); }
int FileOps::ChownGroup(int fd, gid_t gid) {
  return Ret(::fchown(fd, static_cast<uid_t>(-1), gid));
}

int FileOps::WriteAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -errno;
    if (n == 0) return -EIO;
    done += static_cast<size_t>(n);
  }
  return 0;
}

int FileOps::Sync(int fd) { return Ret(::fsync(fd)); }
int FileOps::Rename(int dir, const std::string& from, const std::string& to) {
  return Ret(::renameat(dir, from.c_str(), dir, to.c_str()));
}
int FileOps::Unlink(int dir, const std::string& name) {
  return Ret(::unlinkat(dir, name.c_str(), 0));
}
int FileOps::Close(int fd) { return Ret(::close(fd)); }

}  // namespace tokend
