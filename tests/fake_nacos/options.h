// Command line of fake-nacos.
#ifndef TESTS_FAKE_NACOS_OPTIONS_H_
#define TESTS_FAKE_NACOS_OPTIONS_H_

#include <Poco/Net/SocketAddress.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fault.h"
#include "flavor.h"
#include "login_routes.h"
#include "token_service.h"

namespace fake_nacos {

inline constexpr char kDefaultSecret[] = "VGhpc0lzTXlDdXN0b21TZWNyZXRLZXkwMTIzNDU2Nzg=";

struct Options {
  Poco::Net::SocketAddress listen{"127.0.0.1", 0};
  std::string port_file;
  std::string control_port_file;
  std::string context_path = "/nacos";
  ApiMode api = ApiMode::kBoth;
  Flavor flavor = Flavor::k3;
  std::string user = "nacos";
  std::string password = "nacos";
  int64_t ttl_seconds = 18000;
  TtlMode ttl_mode = TtlMode::kRemaining;
  bool cache = false;
  // 2.2.1-3.1: an unknown user makes loadUserByUsername throw, answered 500 (nacos-auth.md §3.2).
  bool unknown_user_500 = false;
  std::string key;  // Decoded secret.
  std::string tls_cert;
  std::string tls_key;
  Fault fault;
  int64_t max_lifetime_seconds = 900;
  std::string log_file;
  std::optional<int64_t> fixed_now;  // Hidden test flag --fixed-now EPOCH.
  int64_t long_poll_min_ms = 10000;  // Nacos holds at least 10 s; tests lower it.
  std::string oidc_issuer;           // Non-empty: OIDC mode (tokens checked against its JWKS).
  std::string oidc_audience;
  std::string oidc_ca;
  std::vector<std::pair<std::string, std::string>> seed_configs;  // dataId -> content.
};

// Parses argv; throws std::invalid_argument with a message naming the bad flag. Accepts
// "--flag value" and "--flag=value". Reads --password-file (one trailing newline stripped).
Options ParseOptions(int argc, char** argv);

const char* UsageText();

}  // namespace fake_nacos

#endif  // TESTS_FAKE_NACOS_OPTIONS_H_
