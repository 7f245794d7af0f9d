// Tells the main loop when entries of the token files' directories change
// (inotify), so that a token file someone removed, replaced or changed is
// written again within a second instead of at the next refresh. Costs no wake-up
// while nothing in those directories changes.
#pragma once

#include <string>

#include "base/status.h"

namespace tokend {

/// Not thread-safe; the daemon's main loop owns it.
class DirectoryWatch {
 public:
  DirectoryWatch();
  ~DirectoryWatch();
  DirectoryWatch(const DirectoryWatch&) = delete;
  DirectoryWatch& operator=(const DirectoryWatch&) = delete;

  /// -1 when inotify is unavailable (then nothing is watched).
  int fd() const { return fd_; }
  /// Watches `dir` for entries created, removed, renamed, written or changed
  /// in mode or owner, and for its own removal or move. Watching a directory
  /// again is harmless (and needed once it was removed and made anew).
  Status Add(const std::string& dir);
  /// Reads every pending event; true when there was one.
  bool Drain();

 private:
  int fd_ = -1;
  std::string unavailable_;  // why inotify could not be set up
};

}  // namespace tokend
