#include "options.h"

#include <Poco/Exception.h>

#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string_view>

#include "value_parsing.h"

namespace fake_nacos {
namespace {

[[noreturn]] void Fail(const std::string& message) { throw std::invalid_argument(message); }

int64_t RequireInteger(const std::string& flag, const std::string& value, int64_t minimum) {
  const std::optional<int64_t> parsed = ParseInteger(value);
  if (!parsed || *parsed < minimum)
    Fail(flag + ": expected an integer >= " + std::to_string(minimum));
  return *parsed;
}

std::string ReadPasswordFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) Fail("--password-file: cannot read " + path);
  std::ostringstream content;
  content << file.rdbuf();
  std::string password = content.str();
  if (password.ends_with("\r\n")) {
    password.resize(password.size() - 2);
  } else if (password.ends_with('\n')) {
    password.pop_back();
  }
  return password;
}

std::string NormalizeContextPath(std::string path) {
  while (!path.empty() && path.back() == '/') path.pop_back();
  if (!path.empty() && path.front() != '/') path.insert(path.begin(), '/');
  return path;
}

}  // namespace

const char* UsageText() {
  return "usage: fake-nacos --listen HOST:PORT --port-file F --control-port-file G\n"
         "         [--context-path /nacos] [--api both|v1|v3] [--flavor 1|2|3]\n"
         "         [--user NAME] [--password-file F] [--ttl SECONDS]\n"
         "         [--ttl-mode remaining|configured] [--cache] [--unknown-user-500]\n"
         "         [--secret BASE64KEY]\n"
         "         [--tls-cert PEM --tls-key PEM] [--fault MODE] [--max-lifetime SECONDS]\n"
         "         [--log FILE] [--long-poll-min-ms MS] [--oidc-issuer URL]\n"
         "         [--oidc-audience AUD] [--oidc-ca PEM] [--seed-config DATAID=CONTENT]...\n";
}

Options ParseOptions(int argc, char** argv) {
  Options options;
  std::string secret = kDefaultSecret;
  std::string fault = "none";
  using Setter = std::function<void(const std::string&)>;
  const std::map<std::string, Setter> with_value = {
      {"--listen",
       [&](const std::string& v) {
         try {
           options.listen = Poco::Net::SocketAddress(v);
         } catch (const Poco::Exception& e) {
           Fail("--listen: " + e.displayText());
         }
       }},
      {"--port-file", [&](const std::string& v) { options.port_file = v; }},
      {"--control-port-file", [&](const std::string& v) { options.control_port_file = v; }},
      {"--context-path",
       [&](const std::string& v) { options.context_path = NormalizeContextPath(v); }},
      {"--api",
       [&](const std::string& v) {
         const auto api = ParseApiMode(v);
         if (!api) Fail("--api: expected both, v1 or v3");
         options.api = *api;
       }},
      {"--flavor",
       [&](const std::string& v) {
         const auto flavor = ParseFlavor(v);
         if (!flavor) Fail("--flavor: expected 1, 2 or 3");
         options.flavor = *flavor;
       }},
      {"--user", [&](const std::string& v) { options.user = v; }},
      {"--password-file", [&](const std::string& v) { options.password = ReadPasswordFile(v); }},
      {"--ttl", [&](const std::string& v) { options.ttl_seconds = RequireInteger("--ttl", v, 0); }},
      {"--ttl-mode",
       [&](const std::string& v) {
         const auto mode = ParseTtlMode(v);
         if (!mode) Fail("--ttl-mode: expected remaining or configured");
         options.ttl_mode = *mode;
       }},
      {"--secret", [&](const std::string& v) { secret = v; }},
      {"--tls-cert", [&](const std::string& v) { options.tls_cert = v; }},
      {"--tls-key", [&](const std::string& v) { options.tls_key = v; }},
      {"--fault", [&](const std::string& v) { fault = v; }},
      {"--max-lifetime",
       [&](const std::string& v) {
         options.max_lifetime_seconds = RequireInteger("--max-lifetime", v, 1);
       }},
      {"--log", [&](const std::string& v) { options.log_file = v; }},
      {"--long-poll-min-ms",
       [&](const std::string& v) {
         options.long_poll_min_ms = RequireInteger("--long-poll-min-ms", v, 0);
       }},
      {"--oidc-issuer",
       [&](const std::string& v) {
         std::string issuer = v;
         while (issuer.ends_with('/')) issuer.pop_back();
         if (!issuer.starts_with("http://") && !issuer.starts_with("https://")) {
           Fail("--oidc-issuer: expected http(s)://HOST:PORT");
         }
         options.oidc_issuer = issuer;
       }},
      {"--oidc-audience", [&](const std::string& v) { options.oidc_audience = v; }},
      {"--oidc-ca", [&](const std::string& v) { options.oidc_ca = v; }},
      {"--seed-config",
       [&](const std::string& v) {
         const size_t equals = v.find('=');
         if (equals == 0 || equals == std::string::npos) Fail("--seed-config: expected ID=TEXT");
         options.seed_configs.emplace_back(v.substr(0, equals), v.substr(equals + 1));
       }},
      {"--fixed-now",
       [&](const std::string& v) { options.fixed_now = RequireInteger("--fixed-now", v, 0); }},
  };

  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--cache") {
      options.cache = true;
      continue;
    }
    if (arg == "--unknown-user-500") {
      options.unknown_user_500 = true;
      continue;
    }
    if (arg == "--help" || arg == "-h") Fail("");
    std::optional<std::string> value;
    if (const size_t equals = arg.find('='); arg.starts_with("--") && equals != std::string::npos) {
      value = arg.substr(equals + 1);
      arg.resize(equals);
    }
    const auto setter = with_value.find(arg);
    if (setter == with_value.end()) Fail("unknown argument " + arg);
    if (!value) {
      if (i + 1 >= argc) Fail(arg + ": missing value");
      value = argv[++i];
    }
    setter->second(*value);
  }

  const std::optional<std::string> key = ParseSecret(secret);
  if (!key) Fail("--secret: expected base64 of at least 32 bytes");
  options.key = *key;
  const std::optional<Fault> parsed_fault = ParseFault(fault);
  if (!parsed_fault) Fail("--fault: unknown mode " + fault);
  options.fault = *parsed_fault;
  if (options.unknown_user_500 && options.flavor == Flavor::k1) {
    Fail("--unknown-user-500: 1.x-2.2.0 answer an unknown user 403 (use --flavor 2 or 3)");
  }
  if (options.tls_cert.empty() != options.tls_key.empty()) {
    Fail("--tls-cert and --tls-key go together");
  }
  return options;
}

}  // namespace fake_nacos
