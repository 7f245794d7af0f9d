// What the event loops (token socket, proxy) put in epoll's user data: the
// descriptor and the id of the connection it belongs to (0 for listeners and
// eventfds), so that an event for a descriptor closed and reused within one
// batch is told apart by its old id. And the one way they change a
// descriptor's interest.
#pragma once

#include <sys/epoll.h>

#include <cstdint>

namespace tokend {

inline uint64_t EpollTag(int fd, uint32_t id) {
  return (static_cast<uint64_t>(id) << 32) | static_cast<uint32_t>(fd);
}
inline int EpollTagFd(uint64_t tag) { return static_cast<int>(tag & 0xffffffffu); }
inline uint32_t EpollTagId(uint64_t tag) { return static_cast<uint32_t>(tag >> 32); }

/// Adds `fd` to `epoll` for `want`, or changes its interest to `want`; nothing
/// when `*registered` and `*current == want` (an epoll_ctl saved).
inline void SetEpollInterest(int epoll, int fd, uint32_t id, uint32_t want, bool* registered,
                             uint32_t* current) {
  if (*registered && *current == want) return;
  epoll_event ev{};
  ev.events = want;
  ev.data.u64 = EpollTag(fd, id);
  epoll_ctl(epoll, *registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev);
  *current = want;
  *registered = true;
}

}  // namespace tokend
