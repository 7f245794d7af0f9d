// A listening Unix stream socket at a path, bound safely: a stale socket from
// a crashed run is replaced, a live one or any other kind of file is not.
#pragma once

#include <sys/types.h>

#include <string>

#include "base/status.h"
#include "config/config.h"

namespace tokend {

class UnixListener {
 public:
  /// Binds config.path with config.mode and config.gid. Errors name socket.path.
  static Result<UnixListener> Bind(const SocketConfig& config);
  /// Uses the socket systemd passed (LISTEN_FDS), if there is one: returns an
  /// invalid listener (fd() < 0) when none was passed, an error when the
  /// passed descriptor is not a listening Unix stream socket.
  static Result<UnixListener> FromActivation();

  UnixListener() = default;
  UnixListener(UnixListener&& o) noexcept { *this = std::move(o); }
  UnixListener& operator=(UnixListener&& o) noexcept;
  ~UnixListener();

  int fd() const { return fd_; }
  bool activated() const { return activated_; }
  const std::string& path() const { return path_; }
  /// Sets mode and group of the socket file (for a reload).
  Status Apply(const SocketConfig& config) const;
  /// Closes the socket; removes the file if it is still the inode we bound.
  void Close();

 private:
  int fd_ = -1;
  bool activated_ = false;
  std::string path_;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
};

}  // namespace tokend
