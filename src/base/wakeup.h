// An eventfd that other threads use to wake the daemon's poll loop.
#pragma once

namespace tokend {

class Wakeup {
 public:
  Wakeup();
  ~Wakeup();
  Wakeup(const Wakeup&) = delete;
  Wakeup& operator=(const Wakeup&) = delete;

  int fd() const { return fd_; }
  /// Thread-safe; never blocks.
  void Notify();
  /// Clears pending notifications; call from the loop that polls fd().
  void Drain();

 private:
  int fd_;
};

}  // namespace tokend
