#include "base/wakeup.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>
#include <stdexcept>

namespace tokend {

Wakeup::Wakeup() : fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (fd_ < 0) throw std::runtime_error("eventfd failed");
}

Wakeup::~Wakeup() { ::close(fd_); }

void Wakeup::Notify() {
  uint64_t one = 1;
  // A full counter already means "wake up"; nothing else can go wrong here.
  (void)!::write(fd_, &one, sizeof one);
}

void Wakeup::Drain() {
  uint64_t value;
  (void)!::read(fd_, &value, sizeof value);
}

}  // namespace tokend
