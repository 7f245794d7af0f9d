#include "proxy/tcp_peer.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proxy/tcp_listener.h"
#include "test_util.h"

using namespace tokend;

TEST_CASE("tcp peer: the kernel names the owner of the caller's socket") {
  auto address = ParseLoopbackAddress("127.0.0.1:1");
  REQUIRE(address);
  // Port 0 would not parse; bind a free one by trying a few.
  int listener = -1;
  for (uint16_t port = 20000 + static_cast<uint16_t>(getpid() % 20000); listener < 0; ++port) {
    address->port = port;
    auto fd = BindLoopback(*address, "test");
    if (fd) listener = *fd;
  }
  int client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(address->port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(connect(client, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0);
  int accepted = -1;
  for (int i = 0; i < 100 && accepted < 0; ++i) {
    accepted = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (accepted < 0) usleep(1000);
  }
  REQUIRE(accepted >= 0);
  auto owner = TcpPeerOwner(accepted);
  REQUIRE_MESSAGE(owner, owner.error());
  CHECK(*owner == getuid());
  ::close(accepted);
  ::close(client);
  ::close(listener);
}

TEST_CASE("tcp peer: no owner for what is not a TCP connection") {
  int pair[2];
  REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0);
  CHECK(!TcpPeerOwner(pair[0]));
  ::close(pair[0]);
  ::close(pair[1]);
}
