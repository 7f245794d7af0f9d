// The daemon's configuration: a plain struct with the defaults of the
// contract (shared/interface.md), parsed and validated separately.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/duration.h"
#include "base/identity_name.h"
#include "base/log.h"
#include "config/access_config.h"
#include "config/ini.h"
#include "config/proxy_config.h"

namespace tokend {

enum class ApiMode { kAuto, kV1, kV3 };
/// How an identity gets its tokens: a Nacos user's password, or the OAuth
/// client-credentials grant at an OpenID provider (Nacos's OIDC mode).
enum class LoginKind { kPassword, kOidc };
enum class TokenFormat { kRaw, kEnv, kJson };

/// One Nacos server as "scheme://host:port" (scheme http or https).
struct ServerEndpoint {
  bool https = false;
  std::string host;  // without brackets for IPv6
  uint16_t port = 8848;
  /// "http://10.0.0.1:8848", as people and logs see it.
  std::string Display() const;
  bool operator==(const ServerEndpoint&) const = default;
};

/// An absolute http(s) URL: an OpenID issuer or token endpoint.
struct HttpUrl {
  ServerEndpoint server;
  std::string path;  // "" or "/...", with any query; no fragment
  /// "https://idp.example.com/realms/nacos" (the port only when not the scheme's).
  std::string Display() const;
  /// What a request line carries: the path, "/" when empty.
  std::string Target() const { return path.empty() ? "/" : path; }
  bool operator==(const HttpUrl&) const = default;
};

/// Parses "http(s)://host[:port][/path[?query]]".
Result<HttpUrl> ParseHttpUrl(std::string_view text);

/// [nacos] keys of login = oidc (see config/oidc_config.h).
struct OidcConfig {
  std::optional<HttpUrl> issuer;          // discovery at <issuer>/.well-known/openid-configuration
  std::optional<HttpUrl> token_endpoint;  // set: used as is, no discovery
  std::string client_id;                  // required; the metadata's username
  std::string client_secret_file;  // one of client_secret_file / client_secret_env / the credential
  std::string client_secret_env;
  std::string scope;     // sent as `scope` when not empty
  std::string audience;  // sent as `audience` when not empty
  /// The systemd credential read when neither secret key is set:
  /// "nacos-oidc-secret", or "nacos-oidc-secret-NAME" for identity NAME.
  std::string credential = "nacos-oidc-secret";
  bool operator==(const OidcConfig&) const = default;
};

struct NacosConfig {
  LoginKind login = LoginKind::kPassword;
  OidcConfig oidc;                      // only with login = oidc
  std::vector<ServerEndpoint> servers;  // tried in turn; at least one (oidc: only for the proxy)
  std::string context_path = "/nacos";  // "" or "/x" without a trailing slash
  ApiMode api = ApiMode::kAuto;
  std::string username;       // required for login = password
  std::string password_file;  // one of password_file / password_env / the credential
  std::string password_env;
  Millis connect_timeout = std::chrono::seconds(3);
  Millis request_timeout = std::chrono::seconds(10);  // bounds a whole login exchange
  std::string ca_file;                                // empty: the system CA store
  bool tls_verify = true;
  /// The systemd credential read when neither password_file nor password_env
  /// is set: "nacos-password", or "nacos-password-NAME" for identity NAME.
  std::string credential = "nacos-password";
  /// "nacos" or "nacos:NAME": how messages name this section's keys.
  std::string section = "nacos";
  bool operator==(const NacosConfig&) const = default;
};

struct RefreshConfig {
  double at = 0.8;      // fraction of the TTL after which to log in again
  double jitter = 0.1;  // +/- fraction of the TTL, random per refresh
  Millis retry_min = std::chrono::seconds(1);
  Millis retry_max = std::chrono::seconds(60);
  bool operator==(const RefreshConfig&) const = default;
};

struct FileConfig {
  std::string path = "/run/nacos-tokend/token";  // empty: no file
  mode_t mode = 0640;
  std::string group;                   // empty: the daemon's own group
  gid_t gid = static_cast<gid_t>(-1);  // resolved from group; -1 = leave as is
  TokenFormat format = TokenFormat::kRaw;
  bool operator==(const FileConfig&) const = default;
};

struct SocketConfig {
  std::string path = "/run/nacos-tokend/tokend.sock";  // empty: no socket
  mode_t mode = 0660;
  std::string group;
  gid_t gid = static_cast<gid_t>(-1);
  AccessConfig access;  // who may connect at all ([socket] allow_users / allow_groups)
  bool operator==(const SocketConfig&) const = default;
};

/// [hook] / [hook:NAME]: a command run after each new token of the identity.
struct HookConfig {
  std::vector<std::string> argv;  // on_change split on whitespace; argv[0] absolute; empty: none
  Millis timeout = std::chrono::seconds(30);
  bool operator==(const HookConfig&) const = default;
};

/// The identity that [nacos], [file] and [socket] describe.
inline constexpr const char* kDefaultIdentity = "default";

/// One Nacos user on one cluster: [nacos] / [file] for "default",
/// [nacos:NAME] / [file:NAME] / [socket:NAME] for identity NAME.
struct IdentityConfig {
  std::string name = kDefaultIdentity;
  NacosConfig nacos;
  FileConfig file;
  /// [socket:NAME]'s lists: who may get this identity's token over the
  /// socket; unset: whoever the [socket] lists let connect.
  std::optional<AccessConfig> access;
  HookConfig hook;
  bool operator==(const IdentityConfig&) const = default;
};

struct Config {
  std::vector<IdentityConfig> identities;  // at least one; "default" first, then by name
  RefreshConfig refresh;
  SocketConfig socket;
  LogLevel log_level = LogLevel::kInfo;
  std::vector<ProxyConfig> proxies;  // [proxy] / [proxy:NAME] with a path or a listen address
  bool operator==(const Config&) const = default;

  /// The identity called `name`, or null.
  const IdentityConfig* Find(const std::string& name) const;
};

/// Where an identity's token is saved for a restart (mode 0600): beside its
/// file, or in the socket's directory when it has no file.
std::string StatePath(const IdentityConfig& identity, const SocketConfig& socket);

/// Longest Unix socket path the kernel accepts (sun_path is 108 bytes with the NUL).
constexpr size_t kMaxSocketPath = 107;

/// Builds a Config from INI values. Returns every problem found, each naming
/// the key and where it was set ("FILE:LINE: nacos.servers: ...",
/// "nacos:staging.username: missing: ..."); the Config
/// is only meaningful when the list is empty. Names of users and groups are
/// resolved here, so a typo is caught before the daemon starts.
Config ParseConfig(const IniValues& values, std::vector<std::string>* problems);

/// allow_users / allow_groups of `section`, names resolved; problems name the key.
AccessConfig ParseAccessLists(const IniValues& values, const std::string& section,
                              std::vector<std::string>* problems);

/// Why the configuration FILE with status `st` must not be trusted by a
/// daemon running as `euid`, or "": writable by every user or by a group
/// other than root's (the daemon's own group is that of the token readers),
/// or owned by someone but root or the daemon's user. Whoever can change it
/// can send the password to a server of their choosing.
std::string ConfigFileOwnershipProblem(const std::string& file, const struct stat& st, uid_t euid);

/// Reads FILE (if non-empty) and applies -D defines in order, then parses.
/// Problems with reading the file, or a file others may change, name the path.
Config LoadConfig(const std::string& file, const std::vector<std::string>& defines,
                  std::vector<std::string>* problems);

/// Parses "host:port", "host" (port 8848), "[v6]:port" or "http(s)://host:port".
Result<ServerEndpoint> ParseServer(std::string_view text);

}  // namespace tokend
