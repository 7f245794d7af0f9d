#include "proxy/upstream_resolver.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "test_util.h"

using namespace tokend;
using namespace tokend::testing;

namespace {

ServerEndpoint Server(const std::string& host, uint16_t port = 8848) {
  ServerEndpoint s;
  s.host = host;
  s.port = port;
  return s;
}

SocketAddress V4(const char* ip, uint16_t port) {
  SocketAddress a;
  auto* in = reinterpret_cast<sockaddr_in*>(&a.storage);
  in->sin_family = AF_INET;
  in->sin_port = htons(port);
  inet_pton(AF_INET, ip, &in->sin_addr);
  a.length = sizeof(sockaddr_in);
  return a;
}

std::string Ip(const SocketAddress& a) {
  char text[INET6_ADDRSTRLEN] = "";
  const auto* in = reinterpret_cast<const sockaddr_in*>(&a.storage);
  inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
  return text;
}

// A scripted name service: what it answers now, and how often it was asked.
struct FakeDns {
  std::string answer = "10.0.0.1";  // empty: fail
  int asked = 0;
  ResolveFunction Function() {
    return [this](const std::string& host, uint16_t port) -> Result<std::vector<SocketAddress>> {
      ++asked;
      if (answer.empty()) return Error{"Name or service not known"};
      (void)host;
      return std::vector<SocketAddress>{V4(answer.c_str(), port)};
    };
  }
};

}  // namespace

TEST_CASE("upstream resolver: a number is answered at once, a name once looked up") {
  FakeClock clock;
  FakeDns dns;
  int answers = 0;
  UpstreamResolver r(
      &clock, [&] { ++answers; }, dns.Function());
  auto numeric = r.Lookup(Server("127.0.0.1", 9000));
  REQUIRE(numeric.state == UpstreamResolver::State::kReady);
  CHECK(Ip(numeric.addresses.front()) == "127.0.0.1");
  CHECK(r.Lookup(Server("::1")).state == UpstreamResolver::State::kReady);
  CHECK(dns.asked == 0);  // numbers never reach the name service

  CHECK(r.Lookup(Server("nacos.internal")).state == UpstreamResolver::State::kPending);
  CHECK(r.Lookup(Server("nacos.internal")).state == UpstreamResolver::State::kPending);
  CHECK(r.RunDue());
  CHECK(dns.asked == 1);  // one lookup for both requests
  auto ready = r.Lookup(Server("nacos.internal"));
  REQUIRE(ready.state == UpstreamResolver::State::kReady);
  CHECK(Ip(ready.addresses.front()) == "10.0.0.1");
  CHECK_FALSE(r.RunDue());  // nothing due
  CHECK(dns.asked == 1);
}

TEST_CASE("upstream resolver: a name that never resolved fails with the reason, then retries") {
  FakeClock clock;
  FakeDns dns;
  dns.answer.clear();
  UpstreamResolver r(&clock, nullptr, dns.Function());
  CHECK(r.Lookup(Server("nacos.internal", 8848)).state == UpstreamResolver::State::kPending);
  r.RunDue();
  auto failed = r.Lookup(Server("nacos.internal", 8848));
  REQUIRE(failed.state == UpstreamResolver::State::kFailed);
  CHECK(failed.error == "http://nacos.internal:8848: cannot resolve: Name or service not known");
  CHECK_FALSE(r.RunDue());  // no retry within kRetryFailed: a bad name costs no lookup storm
  clock.Advance(UpstreamResolver::kRetryFailed);
  dns.answer = "10.0.0.9";
  CHECK(r.Lookup(Server("nacos.internal", 8848)).state == UpstreamResolver::State::kPending);
  r.RunDue();
  CHECK(Ip(r.Lookup(Server("nacos.internal", 8848)).addresses.front()) == "10.0.0.9");
}

TEST_CASE("upstream resolver: the system resolver knows localhost and refuses nonsense") {
  auto local = SystemResolve("localhost", 8848);
  REQUIRE(local);
  CHECK_FALSE(local->empty());
  CHECK_FALSE(SystemResolve("nacos.internal", 8848, true));  // numbers only
  CHECK(SystemResolve("10.1.2.3", 8848, true));
}

TEST_CASE("upstream resolver: a failed connect looks the name up again, at most once a second") {
  FakeClock clock;
  FakeDns dns;
  UpstreamResolver r(&clock, nullptr, dns.Function());
  r.Lookup(Server("nacos.internal"));
  r.RunDue();
  dns.answer = "10.0.0.3";
  clock.Advance(UpstreamResolver::kRetryFailed);
  r.ConnectFailed(Server("nacos.internal"));
  CHECK(r.RunDue());
  CHECK(Ip(r.Lookup(Server("nacos.internal")).addresses.front()) == "10.0.0.3");
}
