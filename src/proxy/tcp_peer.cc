#include "proxy/tcp_peer.h"

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace tokend {
namespace {

// Copies the address and port of `sa` into an inet_diag_sockid half.
void Fill(const sockaddr_storage& sa, __be16* port, __be32 addr[4]) {
  if (sa.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&sa);
    *port = in->sin_port;
    std::memcpy(addr, &in->sin_addr, sizeof in->sin_addr);
  } else {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&sa);
    *port = in6->sin6_port;
    std::memcpy(addr, &in6->sin6_addr, sizeof in6->sin6_addr);
  }
}

}  // namespace

Result<uid_t> TcpPeerOwner(int fd) {
  sockaddr_storage ours{}, theirs{};
  socklen_t len = sizeof ours;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ours), &len) != 0)
    return Error{std::string("getsockname: ") + std::strerror(errno)};
  len = sizeof theirs;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&theirs), &len) != 0)
    return Error{std::string("getpeername: ") + std::strerror(errno)};
  if (ours.ss_family != AF_INET && ours.ss_family != AF_INET6) return Error{"not an inet socket"};

  struct {
    nlmsghdr nlh;
    inet_diag_req_v2 req;
  } msg{};
  msg.nlh.nlmsg_len = sizeof msg;
  msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  msg.nlh.nlmsg_flags = NLM_F_REQUEST;  // one exact socket, not a dump
  msg.req.sdiag_family = static_cast<uint8_t>(ours.ss_family);
  msg.req.sdiag_protocol = IPPROTO_TCP;
  msg.req.idiag_states = ~0u;
  // The caller's socket: its source is the peer we see, its destination us.
  Fill(theirs, &msg.req.id.idiag_sport, msg.req.id.idiag_src);
  Fill(ours, &msg.req.id.idiag_dport, msg.req.id.idiag_dst);
  msg.req.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
  msg.req.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;

  int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (nl < 0) return Error{std::string("netlink socket: ") + std::strerror(errno)};
  timeval tv{1, 0};
  setsockopt(nl, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (sendto(nl, &msg, sizeof msg, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0) {
    int err = errno;
    ::close(nl);
    return Error{std::string("sock_diag request: ") + std::strerror(err)};
  }
  alignas(nlmsghdr) char buf[8192];
  ssize_t n = recv(nl, buf, sizeof buf, 0);
  int err = errno;
  ::close(nl);
  if (n < 0) return Error{std::string("sock_diag answer: ") + std::strerror(err)};
  for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, static_cast<unsigned>(n));
       h = NLMSG_NEXT(h, n)) {
    if (h->nlmsg_type == NLMSG_ERROR) {
      const auto* e = static_cast<const nlmsgerr*>(NLMSG_DATA(h));
      return Error{std::string("sock_diag: ") + std::strerror(-e->error)};
    }
    if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY) continue;
    if (h->nlmsg_len < NLMSG_LENGTH(sizeof(inet_diag_msg))) break;
    const auto* m = static_cast<const inet_diag_msg*>(NLMSG_DATA(h));
    // The kernel matched on the four-tuple; check it is the caller's side.
    if (m->id.idiag_sport != msg.req.id.idiag_sport || m->id.idiag_dport != msg.req.id.idiag_dport)
      return Error{"sock_diag answered for another socket"};
    return static_cast<uid_t>(m->idiag_uid);
  }
  return Error{"no socket owner in the sock_diag answer"};
}

}  // namespace tokend
