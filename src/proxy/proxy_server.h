// The Nacos proxy of one identity: an HTTP/1.1 endpoint on a Unix socket
// (and, later, loopback TCP) that relays each request to the identity's
// Nacos servers with the current token injected, and heals a token Nacos
// rejects (one shared login, one replay). Event loops (epoll), no thread per
// connection: a held long poll costs two descriptors and its buffers.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "base/clock.h"
#include "base/status.h"
#include "config/config.h"
#include "keeper/identity_board.h"
#include "keeper/token_events.h"
#include "proxy/tls_stream.h"
#include "serve/socket_server.h"
#include "serve/unix_listener.h"

namespace tokend {

/// Limits of the contract.
inline constexpr size_t kProxyMaxHead = 16 * 1024;
inline constexpr uint64_t kProxyMaxBody = 32ull * 1024 * 1024;
/// Bodies up to this are read whole before sending: checked for identity
/// parameters (forms) and kept for a replay after a token rejection.
inline constexpr size_t kProxyReplayBody = 1024 * 1024;
/// A long poll's bound is its Long-Pulling-Timeout plus this.
inline constexpr MonoDuration kLongPollGrace = std::chrono::seconds(15);

/// What a proxy relays to: its identity's board and Nacos servers.
struct ProxyTarget {
  std::string identity;
  std::shared_ptr<const IdentityBoard> board;
  NacosConfig nacos;
  std::shared_ptr<TlsStreamFactory> tls;  // set by the proxy when a server is https
};

/// Listening sockets a reload hands from a stopped proxy to the new server of
/// the same address (a path given to another section, the kept listen address
/// of a section whose path changed): connections wait in the backlog instead
/// of being refused, and nothing is left to bind after the reload committed.
/// What no server adopts is closed with it.
struct ProxyListeners {
  UnixListener unix_listener;
  int tcp_fd = -1;
  LoopbackAddress tcp_address;

  ProxyListeners() = default;
  ProxyListeners(ProxyListeners&& o) noexcept;
  ProxyListeners& operator=(ProxyListeners&&) = delete;
  ~ProxyListeners();
};

/// The addresses of a new server that a running one holds: Create leaves
/// them to Adopt.
struct InheritedAddresses {
  bool path = false;
  bool listen = false;
};

/// Counters for /metrics.
struct ProxyCounts {
  std::map<int, uint64_t> requests_by_code;
  uint64_t relogins = 0;
};

class ProxyServer final : public TokenObserver {
 public:
  /// Binds the proxy's sockets, except the `inherited` ones. Errors name the
  /// [proxy] key and the reason.
  static Result<std::unique_ptr<ProxyServer>> Create(const ProxyConfig& config, ProxyTarget target,
                                                     const Clock* clock,
                                                     RefreshRequest request_refresh,
                                                     InheritedAddresses inherited = {});
  ~ProxyServer() override;

  void Start();
  /// Stops serving, closes every connection, removes the socket file.
  void Stop();
  /// Stops like Stop, but returns the listening sockets instead of closing them.
  ProxyListeners StopKeepingListeners();
  /// Before Start: takes from `held` the sockets of this server's inherited
  /// addresses. An error (the socket file's mode or group) is only reported.
  Status Adopt(ProxyListeners* held);

  /// New servers or TLS settings of the identity (a reload). Thread-safe.
  void SetTarget(ProxyTarget target);
  /// A reload's new settings of this section, applied in place: allow lists
  /// (a caller no longer allowed gets 403 at its next request), timeout, the
  /// socket file's mode and group; exchanges under way of callers no longer
  /// allowed end. The path and the listen address are bound at creation (a
  /// reload that changes them makes a new server): an error says so if they
  /// differ.
  Status Reconfigure(const ProxyConfig& config);

  void OnTokenEvent(const std::string& identity, const TokenEvent& event) override;
  void OnLoginFinished(const std::string& identity, const LoginOutcome& outcome) override;

  /// The settings in force (a copy: a reload may replace them).
  ProxyConfig config() const;
  /// The section's identity and name, fixed at creation.
  const std::string& identity() const;
  const std::string& section() const;
  std::string description() const;
  ProxyCounts counts() const;

  struct Impl;

 private:
  explicit ProxyServer(std::unique_ptr<Impl> impl);
  /// Loads TLS for `target` when one of its servers is https.
  static Status AddTls(ProxyTarget* target);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tokend
