#include "publish/directory_watch.h"

#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tokend {

DirectoryWatch::DirectoryWatch() : fd_(inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {
  if (fd_ < 0) unavailable_ = std::strerror(errno);
}

DirectoryWatch::~DirectoryWatch() {
  if (fd_ >= 0) ::close(fd_);
}

std::vector<std::string> DirectoryWatch::Watch(std::vector<std::string> dirs) {
  dirs_ = std::move(dirs);
  std::vector<std::string> problems;
  for (const std::string& dir : dirs_) {
    if (fd_ < 0) {
      problems.push_back("cannot watch " + dir + ": inotify is unavailable: " + unavailable_);
      continue;
    }
    constexpr uint32_t kEvents = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_MODIFY |
                                 IN_CLOSE_WRITE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF |
                                 IN_ONLYDIR;
    // Watching a directory again is harmless: the kernel keeps one watch.
    if (inotify_add_watch(fd_, dir.c_str(), kEvents) < 0) {
      problems.push_back("cannot watch " + dir + ": " + std::strerror(errno));
    }
  }
  return problems;
}

bool DirectoryWatch::Drain() {
  if (fd_ < 0) return false;
  bool any = false;
  alignas(inotify_event) char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return any;  // EAGAIN: drained
    any = true;
  }
}

void DirectoryWatch::Renew() {
  if (fd_ >= 0) (void)Watch(dirs_);
}

}  // namespace tokend
