// The daemon's loop: logs in, keeps the token fresh, publishes it, and reacts
// to signals. One thread owns all state here; logins run on a worker thread
// and come back as events, so nothing waits for Nacos but the worker.
#pragma once

#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/file_ops.h"
#include "base/secret.h"
#include "base/wakeup.h"
#include "config/config.h"
#include "host/notifier.h"
#include "keeper/refresh_policy.h"
#include "keeper/token_store.h"
#include "publish/token_file.h"
#include "serve/metrics.h"

namespace tokend {

class SocketServer;
struct LoginContext;

/// Where the configuration came from, so SIGHUP can read it again.
struct ConfigSource {
  std::string file;  // empty: -D only
  std::vector<std::string> defines;
};

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

class Daemon {
 public:
  Daemon(const Clock* clock, Config config, Secret password, ConfigSource source);
  ~Daemon();

  /// Prepares everything that can fail because of the configuration or the
  /// host (TLS context, token directory, socket). Errors name the key/path.
  /// `with_socket` is false for --once, which serves nothing.
  Status Init(bool with_socket);

  /// Runs until SIGTERM/SIGINT. Returns an ExitCode.
  int Run();

  /// --once: one login round, publish the file, return 0 / 77 / 69 / 73.
  int RunOnce();

  /// Thread-safe: asks for a login now (POST /v1/refresh). At most one
  /// forced login starts per kForcedLoginInterval; callers in between get
  /// the outcome of the last one through the socket server.
  void RequestRefresh();

  const TokenStore& store() const { return store_; }
  const LoginMetrics& metrics() const { return metrics_; }

 private:
  void StartLogin();
  void FinishLogin(MonoTime now);
  void OnLoginSuccess(MonoTime now, struct LoginSuccess& success, bool forced);
  void OnLoginFailure(MonoTime now, FailureKind kind, const std::string& error,
                      MonoDuration retry_after = MonoDuration(0));
  void ExpireIfDue(MonoTime now);
  void Publish(MonoTime now);
  void MaybeReady(MonoTime now);
  void RemoveLeftoversIfNeeded();
  /// Removes the token file, a retired one and the saved state: none may outlive the token.
  void RemovePublished();
  std::unique_ptr<TokenFile> MakeStateFile();
  void SaveState();
  void RestoreState(MonoTime now);
  void Reload(MonoTime now);
  void HandleSignal(int signo, MonoTime now, bool* stop);
  void UpdateStatus(MonoTime now);
  void StopLoginWorker();
  double Uniform();
  std::string StatePath() const;
  std::shared_ptr<LoginContext> MakeLoginContext(const Config& config, Secret password,
                                                 std::string* error);

  const Clock* clock_;
  Config config_;
  std::string init_error_;
  ConfigSource source_;
  std::shared_ptr<LoginContext> login_;     // current credentials, servers, transport
  std::shared_ptr<LoginContext> inflight_;  // the context of the login running, if any
  RefreshPolicy policy_;
  FileOps file_ops_;
  std::unique_ptr<TokenFile> token_file_;
  std::unique_ptr<TokenFile> retired_file_;  // the previous file.path until the new one is written
  std::unique_ptr<TokenFile> state_file_;
  std::unique_ptr<SocketServer> socket_;
  TokenStore store_;
  LoginMetrics metrics_;
  Notifier notifier_;
  Wakeup wakeup_;
  std::mt19937_64 rng_;
  std::string boot_id_;

  // Login state, owned by the loop thread.
  std::thread login_thread_;
  bool login_in_flight_ = false;
  bool login_forced_ = false;  // the one in flight was forced (USR1, /v1/refresh)
  MonoTime next_login_;
  int failures_ = 0;
  std::string last_error_;
  bool file_dirty_ = false;  // the file does not hold the current token; publish at next_publish_
  int file_failures_ = 0;
  MonoTime next_publish_;
  std::string last_file_error_;
  bool cleanup_pending_ = false;  // a failed write may have left a temp file
  bool ready_sent_ = false;
  MonoTime last_forced_start_{MonoDuration(-1'000'000'000)};

  // Cross-thread hand-offs, guarded by mu_.
  std::mutex mu_;
  bool refresh_requested_ = false;
  std::unique_ptr<struct LoginRoundResult> login_result_;
  uint64_t login_result_context_ = 0;
};

/// Forced logins (USR1, POST /v1/refresh) start at most this often.
inline constexpr MonoDuration kForcedLoginInterval = std::chrono::seconds(5);

}  // namespace tokend
