// The process shell: the poll loop, signals, systemd notification, the
// socket, reloads, and for every identity its keeper, publisher and login
// worker. It holds no token logic of its own: the keepers decide, the
// publishers write, the socket serves; the shell wires and wakes them.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/wakeup.h"
#include "daemon/login_worker.h"
#include "daemon/prepared_config.h"
#include "host/hook_runner.h"
#include "host/notifier.h"
#include "keeper/token_keeper.h"
#include "proxy/proxy_server.h"
#include "publish/directory_watch.h"
#include "publish/token_publisher.h"
#include "serve/socket_server.h"

namespace tokend {

/// Exit codes (sysexits.h), mapped in one place.
enum ExitCode {
  kExitOk = 0,
  kExitUsage = 64,
  kExitUnavailable = 69,  // --once: no server reachable or usable
  kExitSoftware = 70,
  kExitCantCreate = 73,  // --once: the token file could not be written
  kExitTempFail = 75,
  kExitNoPerm = 77,  // --once: credentials rejected
  kExitConfig = 78,
};

class Daemon final : private TokenObserver {
 public:
  Daemon(const Clock* clock, PreparedConfig config, ConfigSource source);
  ~Daemon() override;

  /// Sweeps what an interrupted run left and binds the socket (`with_socket`
  /// is false for --once, which serves nothing). Errors name the key or path.
  Status Init(bool with_socket);
  /// Runs until SIGTERM/SIGINT. Returns an ExitCode.
  int Run();
  /// --once: one login round per identity, files written; 0 / 77 / 69 / 73.
  int RunOnce();

 private:
  struct Identity {
    std::string name;
    std::unique_ptr<TokenPublisher> publisher;
    std::unique_ptr<TokenKeeper> keeper;
    std::unique_ptr<LoginWorker> worker;
    std::unique_ptr<HookRunner> hook;
  };

  std::unique_ptr<Identity> MakeIdentity(const PreparedIdentity& prepared, const Config& config);
  Identity* Find(const std::string& name);
  std::shared_ptr<const ServedIdentities> Served() const;
  void SetLogPrefixes();
  void SetLogPrefix(Identity& id, bool several);
  /// What `identity`'s proxy relays to under `config` (its board once its keeper exists).
  ProxyTarget TargetOf(const std::string& identity, const Config& config) const;
  /// The callback through which the socket and the proxies ask for logins.
  RefreshRequest Requester();
  ProxyServer* FindProxy(const std::string& section) const;
  /// Which of `pc`'s addresses a running proxy holds.
  InheritedAddresses HeldByProxies(const ProxyConfig& pc) const;
  void ReloadProxies(std::vector<std::unique_ptr<ProxyServer>> fresh);
  std::string ProxyMetrics() const;
  void RequestRefresh(const std::string& identity, uint64_t rejected_generation);
  void HandleRefreshRequests(MonoTime now);
  void CollectLogins(MonoTime now);
  void MaybeReady(MonoTime now);
  void UpdateStatus(MonoTime now);
  /// Watches the directory of every token file (DirectoryWatch), saying which
  /// cannot be.
  void WatchTokenDirectories();
  void Reload(MonoTime now);
  void HandleSignal(int signo, MonoTime now, bool* stop);

  // TokenObserver: forwards to the socket in service (which a reload may replace).
  void OnTokenEvent(const std::string& identity, const TokenEvent& event) override;
  void OnLoginEnding(const std::string& identity) override;
  void OnLoginFinished(const std::string& identity, const LoginOutcome& outcome) override;

  const Clock* clock_;
  PreparedConfig prepared_;
  ConfigSource source_;
  std::vector<std::unique_ptr<Identity>> identities_;
  std::unique_ptr<SocketServer> socket_;
  // One per [proxy] / [proxy:NAME]. Changed by the loop (reloads); read by the
  // socket's threads for /metrics under proxies_mu_.
  std::vector<std::unique_ptr<ProxyServer>> proxies_;
  mutable std::mutex proxies_mu_;
  Notifier notifier_;
  Wakeup wakeup_;
  DirectoryWatch token_directories_;
  // When to check the token files after a change in their directories: a
  // second later, so that an operator removing a whole directory is not raced.
  std::optional<MonoTime> check_files_at_;
  bool ready_sent_ = false;

  std::mutex mu_;  // guards refresh_requests_ (socket threads add, the loop takes)
  std::vector<std::pair<std::string, uint64_t>> refresh_requests_;
};

}  // namespace tokend
