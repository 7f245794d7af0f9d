// The file-system seam of the token file publisher: the few system calls it
// makes, so that tests can fail any one of them on demand.
// Every call returns >= 0 on success or -errno.
#pragma once

#include <sys/types.h>

#include <string>

namespace tokend {

class FileOps {
 public:
  virtual ~FileOps() = default;
  /// open(path, O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC).
  virtual int OpenDir(const std::string& path);
  /// openat(dir, name, O_WRONLY|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, 0600).
  virtual int CreateExclusive(int dir, const std::string& name);
  virtual int Chmod(int fd, mode_t mode);
  /// fchown(fd, -1, gid).
  virtual int ChownGroup(int fd, gid_t gid);
  /// Writes all of data, retrying short writes and EINTR.
  virtual int WriteAll(int fd, const std::string& data);
  virtual int Sync(int fd);
  virtual int Rename(int dir, const std::string& from, const std::string& to);
  virtual int Unlink(int dir, const std::string& name);
  virtual int Close(int fd);
};

}  // namespace tokend
