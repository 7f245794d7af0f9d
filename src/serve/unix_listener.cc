#include "serve/unix_listener.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "host/sd_daemon.h"

namespace tokend {
namespace {

constexpr int kBacklog = 1024;

std::string Errno(int err) { return std::strerror(err); }

sockaddr_un Address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);  // length checked by the config
  return addr;
}

// Is a server answering on `path`? Only ECONNREFUSED proves the file is stale.
bool SomeoneListens(const std::string& path, int* error) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = errno;
    return false;
  }
  sockaddr_un addr = Address(path);
  int r = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  *error = r == 0 ? 0 : errno;
  ::close(fd);
  return r == 0;
}

}  // namespace

UnixListener& UnixListener::operator=(UnixListener&& o) noexcept {
  if (this != &o) {
    Close();
    fd_ = std::exchange(o.fd_, -1);
    activated_ = o.activated_;
    path_ = std::move(o.path_);
    dev_ = o.dev_;
    ino_ = o.ino_;
  }
  return *this;
}

UnixListener::~UnixListener() { Close(); }

Result<UnixListener> UnixListener::Bind(const SocketConfig& config) {
  const std::string& path = config.path;
  if (path.size() > kMaxSocketPath) {
    return Error{"socket.path: '" + path + "' is longer than " + std::to_string(kMaxSocketPath) +
                 " bytes"};
  }
  struct stat st;
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return Error{"socket.path: '" + path + "' exists and is not a socket; not touching it"};
    }
    if (st.st_uid != geteuid() && geteuid() != 0) {
      return Error{"socket.path: '" + path + "' belongs to uid " + std::to_string(st.st_uid) +
                   "; not replacing another user's socket"};
    }
    int err = 0;
    if (SomeoneListens(path, &err)) {
      return Error{"socket.path: another process is already serving '" + path +
                   "' (is nacos-tokend already running?)"};
    }
    if (err != ECONNREFUSED) {
      return Error{"socket.path: cannot tell whether '" + path + "' is in use: " + Errno(err)};
    }
    if (unlink(path.c_str()) != 0 && errno != ENOENT) {
      return Error{"socket.path: cannot remove the stale socket '" + path + "': " + Errno(errno)};
    }
  } else if (errno != ENOENT) {
    return Error{"socket.path: '" + path + "': " + Errno(errno)};
  }

  UnixListener l;
  l.fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (l.fd_ < 0) return Error{"socket.path: socket(): " + Errno(errno)};
  sockaddr_un addr = Address(path);
  if (bind(l.fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return Error{"socket.path: cannot bind '" + path + "': " + Errno(errno)};
  }
  l.path_ = path;
  if (lstat(path.c_str(), &st) == 0) {
    l.dev_ = st.st_dev;
    l.ino_ = st.st_ino;
  }
  if (Status s = l.Apply(config); !s) return Error{s.error()};
  if (listen(l.fd_, kBacklog) != 0) {
    return Error{"socket.path: cannot listen on '" + path + "': " + Errno(errno)};
  }
  return l;
}

Result<UnixListener> UnixListener::FromActivation() {
  int n = sd::ListenFds();
  if (n <= 0) return UnixListener();
  int fd = 3;  // SD_LISTEN_FDS_START
  if (n > 1) return Error{"socket activation: expected one socket, got " + std::to_string(n)};
  if (sd::IsListeningUnixStream(fd) <= 0) {
    return Error{"socket activation: the passed descriptor is not a listening Unix stream socket"};
  }
  int flags = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  fcntl(fd, F_SETFD, FD_CLOEXEC);
  UnixListener l;
  l.fd_ = fd;
  l.activated_ = true;
  sockaddr_un addr{};
  socklen_t len = sizeof addr;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0 && addr.sun_path[0]) {
    l.path_ = addr.sun_path;
  }
  return l;
}

Status UnixListener::Apply(const SocketConfig& config) const {
  if (activated_) return Status::Ok();  // the .socket unit owns mode and group
  // chmod after bind: the daemon's umask (0077 under systemd) would leave 0700.
  if (chmod(path_.c_str(), config.mode) != 0) {
    return Error{"socket.mode: cannot chmod '" + path_ + "': " + Errno(errno)};
  }
  if (config.gid != static_cast<gid_t>(-1) &&
      lchown(path_.c_str(), static_cast<uid_t>(-1), config.gid) != 0) {
    return Error{"socket.group: cannot give '" + path_ + "' to group " + config.group + ": " +
                 Errno(errno)};
  }
  return Status::Ok();
}

void UnixListener::Close() {
  if (fd_ < 0) return;
  ::close(fd_);
  fd_ = -1;
  if (activated_ || path_.empty()) return;
  // Remove the file only if it is still ours, not one another process put there.
  struct stat st;
  if (lstat(path_.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == dev_ &&
      st.st_ino == ino_) {
    unlink(path_.c_str());
  }
}

}  // namespace tokend
