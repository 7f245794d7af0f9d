// What reached the config API, for proxy tests: GET /_fake/config-stats.
#ifndef TESTS_FAKE_NACOS_CONFIG_STATS_H_
#define TESTS_FAKE_NACOS_CONFIG_STATS_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http_request.h"
#include "identity_token.h"

namespace fake_nacos {

// First 16 hex digits of SHA-256(token): tokens are told apart without being exposed.
std::string TokenFingerprint(std::string_view token);

// Thread-safe.
class ConfigStats {
 public:
  // One answered config-API request: `status` is what was sent, `token` what the auth filter
  // found (nullopt: none).
  void Record(const HttpRequest& request, int status, const std::optional<FoundToken>& token);
  void Reset();

  // {"requests":{"METHOD PATH STATUS":N,...},"tokens_seen":{"<fingerprint>":N,...},
  //  "token_carriers":{"authorization_header":N,...},"without_token":N,
  //  "last_request":{"method","path","query","headers":[[name,value],...],"body_bytes"}|null}
  // Token values in the last request's query and headers are replaced by "sha256:<fp>";
  // password parameters by "***".
  std::string ToJson() const;

 private:
  struct LastRequest {
    std::string method;
    std::string path;
    std::string query;
    std::vector<std::pair<std::string, std::string>> headers;
    size_t body_bytes = 0;
  };

  mutable std::mutex mutex_;
  std::map<std::string, uint64_t> requests_;
  std::map<std::string, uint64_t> tokens_seen_;
  std::map<std::string, uint64_t> token_carriers_;
  uint64_t without_token_ = 0;
  std::optional<LastRequest> last_;
};

}  // namespace fake_nacos

#endif  // TESTS_FAKE_NACOS_CONFIG_STATS_H_
