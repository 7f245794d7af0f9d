#include "host/notifier.h"

#include "host/sd_daemon.h"

namespace tokend {

Notifier::Notifier() {
  uint64_t usec = 0;
  // unset_environment = 0: a reload or re-exec must still see it.
  if (sd::WatchdogEnabled(&usec) > 0 && usec > 0) {
    interval_ = std::chrono::duration_cast<MonoDuration>(std::chrono::microseconds(usec));
  }
}

void Notifier::Ready() { sd::Notify("READY=1"); }

void Notifier::Status(const std::string& text) {
  if (text == last_status_) return;
  last_status_ = text;
  sd::Notify(("STATUS=" + text).c_str());
}

void Notifier::Reloading() {
  // systemd 253+ wants MONOTONIC_USEC with RELOADING=1; older ones ignore it.
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  uint64_t usec =
      static_cast<uint64_t>(ts.tv_sec) * 1000000 + static_cast<uint64_t>(ts.tv_nsec) / 1000;
  sd::Notify(("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec)).c_str());
}

void Notifier::Stopping() { sd::Notify("STOPPING=1"); }

void Notifier::MaybePing(MonoTime now) {
  if (!watchdog_enabled()) return;
  if (now >= next_ping()) {
    sd::Notify("WATCHDOG=1");
    last_ping_ = now;
  }
}

}  // namespace tokend
