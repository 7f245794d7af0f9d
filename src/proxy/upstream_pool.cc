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

void Discard(UpstreamPool::Conn& c) {
  c.tls.reset();
  ::close(c.fd);
}

}  // namespace

void UpstreamPool::Put(const std::string& server, Conn conn, MonoTime now) {
  size_t same = 0;
  for (const auto& i : idle_conns_) same += i.server == server;
  if (same >= per_server_) return Discard(conn);
  idle_conns_.push_back(Idle{server, std::move(conn), now});
}

UpstreamPool::Conn UpstreamPool::Take(const std::string& server, MonoTime now) {
  for (auto it = idle_conns_.end(); it != idle_conns_.begin();) {
    --it;
    if (it->server != server) continue;
    Conn c = std::move(it->conn);
    bool fresh = now - it->since < idle_;
    it = idle_conns_.erase(it);
    if (fresh && StillOpen(c.fd)) return c;
    Discard(c);
  }
  return Conn{};
}

void UpstreamPool::Expire(MonoTime now) {
  while (!idle_conns_.empty() && now - idle_conns_.front().since >= idle_) {
    Discard(idle_conns_.front().conn);
    idle_conns_.pop_front();
  }
}

void UpstreamPool::CloseAll() {
  for (auto& i : idle_conns_) Discard(i.conn);
  idle_conns_.clear();
}

}  // namespace tokend
