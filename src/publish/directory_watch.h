// Tells the main loop when entries of the token files' directories change
// (inotify), so that a token file someone removed, replaced or changed is
// written again within a second instead of at the next refresh. Costs no wake-up
// while nothing in those directories changes.
#pragma once

#include <string>
#include <vector>

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
  /// Watches `dirs` for entries created, removed, renamed, written or changed
  /// in mode or owner, and for their own removal or move. Returns a problem
  /// per directory that cannot be watched (now; Renew tries again).
  std::vector<std::string> Watch(std::vector<std::string> dirs);
  /// Reads every pending event; true when there was one.
  bool Drain();
  /// Watches the same directories again, quietly: one removed and made anew
  /// has no watch yet. (Its removal is no signal to wait for: a socket bound
  /// in it keeps the directory alive, so the kernel reports nothing.)
  void Renew();

 private:
  int fd_ = -1;
  std::string unavailable_;  // why inotify could not be set up
  std::vector<std::string> dirs_;
};

}  // namespace tokend
