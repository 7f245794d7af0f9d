// [proxy] and [proxy:NAME]: the Nacos proxy of one identity (see "The Nacos
// proxy" in the contract). Parsed apart from the rest of the configuration.
#pragma once

#include <sys/types.h>

#include <netinet/in.h>

#include <set>
#include <string>
#include <vector>

#include "base/duration.h"
#include "config/access_config.h"
#include "config/ini.h"

namespace tokend {

/// A loopback TCP address for `listen`: 127.0.0.0/8 or ::1.
struct LoopbackAddress {
  bool ipv6 = false;
  std::string host;  // as written, without brackets
  uint16_t port = 0;
  std::string Display() const;  // "127.0.0.1:18848", "[::1]:18848"
  bool operator==(const LoopbackAddress&) const = default;
};

struct ProxyConfig {
  std::string identity;  // the identity whose token it injects
  std::string section;   // "proxy" or "proxy:NAME", for messages
  std::string path;      // Unix socket; empty: none
  mode_t mode = 0660;
  std::string group;
  gid_t gid = static_cast<gid_t>(-1);
  std::string listen_text;  // as written; empty: no TCP listener
  LoopbackAddress listen;
  AccessConfig access;
  Millis timeout = std::chrono::seconds(60);
  bool operator==(const ProxyConfig&) const = default;
};

/// The keys a [proxy] section takes.
const std::set<std::string>& ProxyKeys();

/// Parses "host:port" / "[::1]:port" and checks it is loopback.
Result<LoopbackAddress> ParseLoopbackAddress(std::string_view text);

/// One ProxyConfig per [proxy] / [proxy:NAME] section found in `values` that
/// has a path or a listen address. `identities` are the configured identity
/// names (a [proxy:NAME] for another name is a problem). Problems name the key.
std::vector<ProxyConfig> ParseProxies(const IniValues& values,
                                      const std::vector<std::string>& identities,
                                      std::vector<std::string>* problems);

}  // namespace tokend
