#include "proxy/upstream_connect.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tokend {

Result<int> StartUpstreamConnect(const ServerEndpoint& server) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  std::string port = std::to_string(server.port);
  int rc = getaddrinfo(server.host.c_str(), port.c_str(), &hints, &found);
  if (rc != 0 || !found) return Error{server.Display() + ": cannot resolve: " + gai_strerror(rc)};
  int fd = socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    freeaddrinfo(found);
    return Error{server.Display() + ": socket(): " + std::strerror(errno)};
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  rc = connect(fd, found->ai_addr, found->ai_addrlen);
  int err = errno;
  freeaddrinfo(found);
  if (rc != 0 && err != EINPROGRESS) {
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
