#include "proxy/upstream_connect.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tokend {

Result<int> StartUpstreamConnect(const SocketAddress& address, const ServerEndpoint& server) {
  int fd = socket(address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Error{server.Display() + ": socket(): " + std::strerror(errno)};
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd, address.get(), address.length) != 0 && errno != EINPROGRESS) {
    int err = errno;
    ::close(fd);
    return Error{server.Display() + ": " + std::strerror(err)};
  }
  return fd;
}

int UpstreamConnectError(int fd) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
  return err;
}

std::string Authority(const ServerEndpoint& server) {
  std::string h =
      server.host.find(':') != std::string::npos ? "[" + server.host + "]" : server.host;
  return h + ":" + std::to_string(server.port);
}

}  // namespace tokend
