#include "proxy/upstream_pool.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace tokend {
namespace {

// Nacos sends nothing unasked: readable means closed (0) or broken.
bool StillOpen(int fd) {
  char probe;
  ssize_t n = ::recv(fd, &probe, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

}  // namespace

void UpstreamPool::Put(const std::string& server, int fd, MonoTime now) {
  size_t same = 0;
  for (const auto& i : idle_conns_) same += i.server == server;
  if (same >= per_server_) {
    ::close(fd);
    return;
  }
  idle_conns_.push_back(Idle{server, fd, now});
}

int UpstreamPool::Take(const std::string& server, MonoTime now) {
  for (auto it = idle_conns_.end(); it != idle_conns_.begin();) {
    --it;
    if (it->server != server) continue;
    int fd = it->fd;
    bool fresh = now - it->since < idle_;
    it = idle_conns_.erase(it);
    if (fresh && StillOpen(fd)) return fd;
    ::close(fd);
  }
  return -1;
}

void UpstreamPool::Expire(MonoTime now) {
  while (!idle_conns_.empty() && now - idle_conns_.front().since >= idle_) {
    ::close(idle_conns_.front().fd);
    idle_conns_.pop_front();
  }
}

void UpstreamPool::CloseAll() {
  for (const auto& i : idle_conns_) ::close(i.fd);
  idle_conns_.clear();
}

}  // namespace tokend
