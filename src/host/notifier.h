// The systemd notify protocol (sd_notify(3)): readiness, status text,
// watchdog pings, reload and stop. Does nothing when NOTIFY_SOCKET is unset.
#pragma once

#include <string>

#include "base/clock.h"

namespace tokend {

class Notifier {
 public:
  Notifier();
  void Ready();
  void Status(const std::string& text);
  void Reloading();
  void Stopping();
  /// Sends WATCHDOG=1 when the watchdog is on and half its interval has
  /// passed since the last ping; next_ping() says when the next one is due.
  void MaybePing(MonoTime now);
  bool watchdog_enabled() const { return interval_.count() > 0; }
  MonoTime next_ping() const { return last_ping_ + interval_ / 2; }

 private:
  MonoDuration interval_{0};
  MonoTime last_ping_;
  std::string last_status_;
};

}  // namespace tokend
