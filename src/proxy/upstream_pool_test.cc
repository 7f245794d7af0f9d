#include "proxy/upstream_pool.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test_util.h"

using namespace tokend;
using namespace std::chrono_literals;

namespace {

// A connected pair; the pool gets [0], the test plays the server with [1].
struct Pair {
  int fds[2];
  Pair() { REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0); }
  ~Pair() { ::close(fds[1]); }
};

bool IsOpen(int fd) { return fcntl(fd, F_GETFD) != -1; }

}  // namespace

TEST_CASE("upstream pool: a kept connection is handed out again, to its server only") {
  UpstreamPool pool(2, 15s);
  Pair a;
  MonoTime t0{std::chrono::seconds(100)};
  pool.Put("http://a:1", {a.fds[0], nullptr}, t0);
  CHECK(pool.Take("http://b:1", t0).fd == -1);
  CHECK(pool.Take("http://a:1", t0 + 1s).fd == a.fds[0]);
  CHECK(pool.Take("http://a:1", t0 + 1s).fd == -1);
  ::close(a.fds[0]);
}

TEST_CASE("upstream pool: closed by the server, idle too long or beyond the cap: closed") {
  UpstreamPool pool(1, 15s);
  MonoTime t0{std::chrono::seconds(100)};
  Pair closed, old, extra;
  pool.Put("s", {closed.fds[0], nullptr}, t0);
  ::shutdown(closed.fds[1], SHUT_WR);  // the server closed its side
  CHECK(pool.Take("s", t0).fd == -1);
  CHECK(!IsOpen(closed.fds[0]));

  pool.Put("s", {old.fds[0], nullptr}, t0);
  pool.Put("s", {extra.fds[0], nullptr}, t0);  // over the cap of one
  CHECK(!IsOpen(extra.fds[0]));
  CHECK(pool.size() == 1);
  pool.Expire(t0 + 14s);
  CHECK(pool.size() == 1);
  pool.Expire(t0 + 15s);
  CHECK(pool.size() == 0);
  CHECK(!IsOpen(old.fds[0]));
}
