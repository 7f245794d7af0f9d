#include "config/proxy_config.h"

#include "config/config.h"
#include "config_test_util.h"
#include "test_util.h"

using namespace tokend;
using namespace tokend::testing;
using namespace std::chrono_literals;

namespace {

const char* kTwo =
    "[nacos]\nservers = 127.0.0.1:8848\nusername = a\n"
    "[nacos:staging]\nservers = 127.0.0.1:8849\nusername = b\n";

}  // namespace

TEST_CASE("proxy config: a proxy per identity, with the defaults of the contract") {
  std::vector<std::string> problems;
  Config c = ParseTestConfig(std::string(kTwo) +
                                 "[proxy]\npath = /run/n.sock\n"
                                 "[proxy:staging]\npath = /run/s.sock\nmode = 0600\ntimeout = 5s\n"
                                 "allow_users = root\nallow_groups = 0\n",
                             &problems);
  REQUIRE(problems.empty());
  REQUIRE(c.proxies.size() == 2);
  CHECK(c.proxies[0].identity == "default");
  CHECK(c.proxies[0].section == "proxy");
  CHECK(c.proxies[0].mode == 0660);
  CHECK(c.proxies[0].timeout == 60s);
  CHECK(c.proxies[0].access.allow_uids.empty());
  CHECK(c.proxies[1].identity == "staging");
  CHECK(c.proxies[1].path == "/run/s.sock");
  CHECK(c.proxies[1].mode == 0600);
  CHECK(c.proxies[1].timeout == 5s);
  CHECK(c.proxies[1].access.allow_uids == std::vector<uid_t>{0});
  CHECK(c.proxies[1].access.allow_gids == std::vector<gid_t>{0});
}

TEST_CASE("proxy config: a section that serves nothing is no proxy") {
  std::vector<std::string> problems;
  Config c = ParseTestConfig(std::string(kTwo) + "[proxy]\npath =\ntimeout = 5s\n", &problems);
  CHECK(problems.empty());
  CHECK(c.proxies.empty());
}

TEST_CASE("proxy config: mistakes are named") {
  std::vector<std::string> problems;
  ParseTestConfig(std::string(kTwo) +
                      "[proxy:prod]\npath = /run/p.sock\n"
                      "[proxy]\npath = relative.sock\nmode = 0640x\nbogus = 1\ntimeout = 0s\n"
                      "allow_users = no-such-user-here\n"
                      "[proxy:staging]\nlisten = 10.0.0.1:18848\nmode = 0400\n",
                  &problems);
  CHECK(Mentions(problems, "[proxy:prod]: there is no identity 'prod'"));
  CHECK(Mentions(problems, "proxy.path: 'relative.sock' must be an absolute path"));
  CHECK(Mentions(problems, "proxy.mode: '0640x' is not an octal mode"));
  CHECK(Mentions(problems, "test.ini:12: proxy.bogus: unknown key"));
  CHECK(Mentions(problems, "proxy.timeout: must be longer than 0"));
  CHECK(Mentions(problems, "proxy.allow_users: no such user 'no-such-user-here'"));
  CHECK(Mentions(problems, "proxy:staging.listen: '10.0.0.1:18848' is not a loopback address"));
  CHECK(Mentions(problems, "proxy:staging.mode: must let the daemon read and write"));

  problems.clear();
  ParseTestConfig(
      std::string(kTwo) + "[proxy]\npath = /run/x.sock\n[proxy:staging]\npath = /run/x.sock\n",
      &problems);
  CHECK(Mentions(problems, "proxy:staging.path: '/run/x.sock' is also the path of [proxy]"));

  problems.clear();
  ParseTestConfig(std::string(kTwo) + "[socket]\npath = /run/t.sock\n[proxy]\npath = /run/t.sock\n",
                  &problems);
  CHECK(Mentions(problems, "proxy.path: '/run/t.sock' is also the token socket or a token file"));
}

TEST_CASE("proxy config: loopback addresses only") {
  auto a = ParseLoopbackAddress("127.0.0.1:18848");
  REQUIRE(a);
  CHECK(a->port == 18848);
  CHECK(a->Display() == "127.0.0.1:18848");
  auto six = ParseLoopbackAddress("[::1]:80");
  REQUIRE(six);
  CHECK(six->ipv6);
  CHECK(six->Display() == "[::1]:80");
  CHECK(ParseLoopbackAddress("127.9.9.9:1"));
  CHECK(!ParseLoopbackAddress("0.0.0.0:18848"));
  CHECK(!ParseLoopbackAddress("localhost:18848"));
  CHECK(!ParseLoopbackAddress("[::]:18848"));
  CHECK(!ParseLoopbackAddress("127.0.0.1"));
  CHECK(!ParseLoopbackAddress("127.0.0.1:0"));
  CHECK(!ParseLoopbackAddress("127.0.0.1:65536"));
  CHECK(!ParseLoopbackAddress("[::1]18848"));
}
