// Replays every saved fuzz input (tests/fuzz/corpus/<target>/) through the
// fuzz entry points, so inputs that once crashed stay regression tests.
#include <filesystem>

#include "../fuzz/fuzz_targets.h"
#include "test_util.h"

using namespace tokend;

namespace {

int Replay(const std::string& target, void (*entry)(const uint8_t*, size_t)) {
  int count = 0;
  for (const auto& e :
       std::filesystem::directory_iterator(std::string(TOKEND_FUZZ_CORPUS) + "/" + target)) {
    std::string data = testing::ReadFile(e.path());
    CAPTURE(e.path().string());
    entry(reinterpret_cast<const uint8_t*>(data.data()), data.size());
    ++count;
  }
  return count;
}

}  // namespace

TEST_CASE("fuzz corpus: every saved input still parses without crashing") {
  CHECK(Replay("login_answer", fuzz::LoginAnswer) > 0);
  CHECK(Replay("config", fuzz::Config) > 0);
  CHECK(Replay("socket_request", fuzz::SocketRequest) > 0);
  CHECK(Replay("jwt", fuzz::JwtExpiry) > 0);
  CHECK(Replay("oidc_token_answer", fuzz::OidcTokenAnswer) > 0);
  CHECK(Replay("oidc_discovery", fuzz::OidcDiscovery) > 0);
  CHECK(Replay("proxy_request", fuzz::ProxyRequest) > 0);
  CHECK(Replay("proxy_answer", fuzz::ProxyAnswer) > 0);
}
