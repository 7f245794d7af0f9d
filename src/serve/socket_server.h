// The HTTP/1.1 endpoint on a Unix stream socket. A few event-loop threads
// (epoll) share the listening socket, so answers never wait for a login, a
// slow client costs one file descriptor and nothing else, and every request
// has a total deadline. Peers are identified by SO_PEERCRED before any byte
// of theirs is read.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "config/config.h"
#include "keeper/token_events.h"
#include "serve/served_identity.h"

namespace tokend {

/// A client that sent nothing complete within this time is dropped.
inline constexpr MonoDuration kRequestDeadline = std::chrono::seconds(3);
/// An idle keep-alive connection is closed after this time.
inline constexpr MonoDuration kKeepAliveIdle = std::chrono::seconds(10);
/// A POST /v1/refresh waits at most this long for the login.
inline constexpr MonoDuration kRefreshWait = std::chrono::seconds(60);
/// Connections beyond this are closed at once.
/// (Held long polls count: a thousand of them are normal.)
inline constexpr int kMaxConnections = 1800;

/// Called from server threads for POST /v1/refresh: `identity` asks for a
/// login; `rejected_generation` is the generation of the token reported as
/// rejected by Nacos (rejected=<token>), 0 for a plain request.
using RefreshRequest =
    std::function<void(const std::string& identity, uint64_t rejected_generation)>;

/// Observes every identity's keeper: a finished login answers the POST
/// /v1/refresh requests waiting for that identity.
class SocketServer final : public TokenObserver {
 public:
  /// Binds `config.path` (replacing a stale socket left by a crashed run,
  /// refusing a live one or any other kind of file), or uses the socket
  /// passed by systemd socket activation (LISTEN_FDS). Errors name
  /// socket.path and the reason.
  static Result<std::unique_ptr<SocketServer>> Create(
      const SocketConfig& config, const Clock* clock,
      std::shared_ptr<const ServedIdentities> identities, RefreshRequest request_refresh);
  ~SocketServer() override;

  void Start();
  /// Stops serving, closes every connection and removes the socket file if it
  /// is still the one this server bound.
  void Stop();

  /// The identities served from now on (a reload). Thread-safe.
  void SetIdentities(std::shared_ptr<const ServedIdentities> identities);
  /// Applies a new mode, group and allow-lists in place (same path).
  Status Reconfigure(const SocketConfig& config);

  void OnTokenEvent(const std::string& identity, const TokenEvent& event) override;
  void OnLoginEnding(const std::string& identity) override;
  void OnLoginFinished(const std::string& identity, const LoginOutcome& outcome) override;
  /// Looks again at the requests waiting (a rejected= report the keeper found outdated).
  void Recheck();
  /// More /metrics text (the proxy's), rendered at each scrape. Thread-safe.
  void SetExtraMetrics(std::function<std::string()> render);

  std::string description() const;
  const std::string& path() const;
  bool activated() const;

  struct Impl;

 private:
  explicit SocketServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tokend
