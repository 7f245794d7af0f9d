#include "daemon.h"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "http_transport.h"
#include "log.h"
#include "login_answer.h"
#include "nacos_client.h"
#include "signals.h"
#include "socket_server.h"
#include "token_state.h"

namespace tokend {

/// Everything one login needs, fixed for one configuration generation. A
/// login in flight keeps its context alive even if a reload replaces it.
struct LoginContext {
  uint64_t id = 0;
  NacosConfig config;
  Secret password;
  std::unique_ptr<PocoTransport> transport;
  std::unique_ptr<NacosClient> client;
};

namespace {

std::string Dir(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string Base(const std::string& path) { return path.substr(path.rfind('/') + 1); }

uint64_t NextContextId() {
  static uint64_t id = 0;
  return ++id;
}

}  // namespace

Daemon::Daemon(const Clock* clock, Config config, Secret password, ConfigSource source)
    : clock_(clock),
      config_(std::move(config)),
      source_(std::move(source)),
      policy_(config_.refresh),
      rng_(std::random_device{}()),
      boot_id_(CurrentBootId()) {
  login_ = MakeLoginContext(config_, std::move(password), &init_error_);
}

Daemon::~Daemon() { StopLoginWorker(); }

std::shared_ptr<LoginContext> Daemon::MakeLoginContext(const Config& config, Secret password,
                                                       std::string* error) {
  auto transport = PocoTransport::Create(config.nacos);
  if (!transport) {
    *error = transport.error();
    return nullptr;
  }
  auto ctx = std::make_shared<LoginContext>();
  ctx->id = NextContextId();
  ctx->config = config.nacos;
  ctx->password = std::move(password);
  ctx->transport = std::move(*transport);
  ctx->client = std::make_unique<NacosClient>(ctx->config, ctx->transport.get(), clock_);
  return ctx;
}

std::string Daemon::StatePath() const {
  if (!config_.file.path.empty()) {
    return Dir(config_.file.path) + "/." + Base(config_.file.path) + ".state";
  }
  return Dir(config_.socket.path) + "/.nacos-tokend.state";
}

Status Daemon::Init(bool with_socket) {
  if (!login_) return Error{init_error_};
  for (const auto& s : config_.nacos.servers) {
    if (s.https && !config_.nacos.tls_verify) {
      LogWarning("nacos.tls_verify = false: the certificate of " + s.Display() +
                 " is NOT checked; anyone on the path can read the password. Never use this in "
                 "production.");
    }
  }
  if (!config_.file.path.empty()) {
    token_file_ = std::make_unique<TokenFile>(config_.file, &file_ops_);
    if (Status s = token_file_->CheckDirectory(); !s) return s;
    if (int n = token_file_->RemoveLeftovers(); n > 0) {
      LogInfo(config_.file.path + ": removed " + std::to_string(n) +
              " temporary file(s) left by an interrupted run");
    }
  }
  state_file_ = MakeStateFile();
  if (config_.file.path.empty()) {
    if (Status s = state_file_->CheckDirectory(); !s) return Error{"socket.path: " + s.error()};
  }
  state_file_->RemoveLeftovers();
  if (with_socket && !config_.socket.path.empty()) {
    auto server = SocketServer::Create(config_.socket, clock_, &store_, &metrics_,
                                       [this] { RequestRefresh(); });
    if (!server) return Error{server.error()};
    socket_ = std::move(*server);
  }
  return Status::Ok();
}

double Daemon::Uniform() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); }

void Daemon::RequestRefresh() {
  {
    std::lock_guard lock(mu_);
    refresh_requested_ = true;
  }
  wakeup_.Notify();
}

void Daemon::StartLogin() {
  if (login_in_flight_) return;
  StopLoginWorker();  // joins the previous, finished worker
  login_in_flight_ = true;
  auto ctx = login_;
  inflight_ = ctx;
  LogDebug("logging in as " + ctx->config.username);
  login_thread_ = std::thread([this, ctx] {
    auto result = std::make_unique<LoginRoundResult>(ctx->client->Login(ctx->password.Reveal()));
    {
      std::lock_guard lock(mu_);
      login_result_ = std::move(result);
      login_result_context_ = ctx->id;
    }
    wakeup_.Notify();
  });
}

void Daemon::StopLoginWorker() {
  if (login_thread_.joinable()) login_thread_.join();
}

void Daemon::FinishLogin(MonoTime now) {
  std::unique_ptr<LoginRoundResult> result;
  uint64_t context;
  {
    std::lock_guard lock(mu_);
    result = std::move(login_result_);
    context = login_result_context_;
  }
  if (!result) return;
  StopLoginWorker();
  login_in_flight_ = false;
  inflight_.reset();
  bool forced = std::exchange(login_forced_, false);
  if (context != login_->id) {
    // The configuration changed while this login ran: its answer is for old
    // credentials or servers. Log in again with the new ones.
    LogInfo("discarding a login made with the previous configuration");
    next_login_ = now;
    if (forced && socket_) socket_->RefreshFinished(false, "configuration reloaded; retry");
    return;
  }
  if (result->success) {
    OnLoginSuccess(now, *result->success, forced);
  } else {
    OnLoginFailure(now, result->failure_kind, result->error, result->retry_after);
  }
  if (socket_)
    socket_->RefreshFinished(result->success.has_value() && last_error_.empty(), last_error_);
}

void Daemon::OnLoginSuccess(MonoTime now, LoginSuccess& success, bool forced) {
  std::vector<std::string> warnings;
  Result<Token> token = TokenFromLogin(success, config_.nacos.username, &warnings);
  for (const auto& w : warnings) LogWarning(w);
  if (!token) {
    OnLoginFailure(now, FailureKind::kTransient, token.error());
    return;
  }
  if (!token->ValidAt(now)) {
    OnLoginFailure(now, FailureKind::kTransient,
                   success.server.Display() + ": the token expired before it could be used");
    return;
  }
  auto previous = store_.Valid(now);
  if (!forced && previous && previous->value != token->value &&
      previous->expires > token->expires) {
    // A scheduled refresh gave a token that dies sooner than the one served
    // (a shorter server TTL, a skewed server clock): keep serving the longer
    // one, and log in again on the new token's schedule. A forced login
    // (USR1, POST /v1/refresh) always switches: someone asked for a new token.
    failures_ = 0;
    last_error_.clear();
    metrics_.ok++;
    next_login_ = policy_.NextRefresh(now, token->obtained, token->expires, Uniform());
    LogInfo("login gave a token valid for " + FormatDuration(token->expires - now) +
            ", less than the current one (" + FormatDuration(previous->expires - now) +
            "); keeping the current token; next login in " + FormatDuration(next_login_ - now));
    return;
  }
  metrics_.SetProblem("");
  auto current = store_.Set(std::move(*token));
  failures_ = 0;
  last_error_.clear();
  metrics_.ok++;
  metrics_.last_success_unix =
      std::chrono::duration_cast<std::chrono::seconds>(clock_->WallNow().time_since_epoch())
          .count();
  next_login_ = policy_.NextRefresh(now, current->obtained, current->expires, Uniform());
  bool same = previous && previous->value == current->value;
  LogInfo(std::string(same ? "token confirmed by " : "new token from ") + current->server + " (" +
          TokenFingerprint(current->value) + ", generation " + std::to_string(current->generation) +
          "), valid for " + FormatDuration(current->expires - now) + "; next refresh in " +
          FormatDuration(next_login_ - now));
  Publish(now);
  SaveState();
  MaybeReady(now);
}

void Daemon::OnLoginFailure(MonoTime now, FailureKind kind, const std::string& error,
                            MonoDuration retry_after) {
  ++failures_;
  last_error_ = error;
  (kind == FailureKind::kRejected ? metrics_.rejected : metrics_.failed)++;
  metrics_.last_error_unix =
      std::chrono::duration_cast<std::chrono::seconds>(clock_->WallNow().time_since_epoch())
          .count();
  auto valid = store_.Valid(now);
  std::optional<MonoTime> valid_until;
  if (valid) valid_until = valid->expires;
  next_login_ = policy_.NextRetry({now, failures_, kind, valid_until, retry_after},
                                  {Uniform(), Uniform(), Uniform()});
  std::string retry =
      "; retrying in " + FormatDuration(next_login_ - now) +
      (retry_after > MonoDuration(0) ? " (the server asked for " + FormatDuration(retry_after) + ")"
                                     : "");
  std::string served =
      valid ? " (the current token stays valid for " + FormatDuration(valid->expires - now) + ")"
            : " (no valid token to serve)";
  metrics_.SetProblem((valid ? "" : "login failed: ") + QuoteServerText(error, "") + retry);
  if (kind == FailureKind::kRejected) {
    LogError("login as " + config_.nacos.username +
             " rejected: check the user name and password: " + error + retry + served);
  } else {
    LogWarning("login failed: " + error + retry + served);
  }
}

void Daemon::Publish(MonoTime now) {
  auto token = store_.Valid(now);
  if (!token_file_ || !token) {
    file_dirty_ = false;
    return;
  }
  Status s = token_file_->Publish(RenderTokenFile(config_.file.format, *token, now));
  if (!s) {
    // Retry with backoff; say it once per distinct error, not once per attempt.
    ++file_failures_;
    MonoDuration delay =
        std::min<MonoDuration>(config_.refresh.retry_max,
                               config_.refresh.retry_min * (1LL << std::min(file_failures_, 20)));
    next_publish_ = now + delay;
    std::string message = s.error() + "; retrying in " + FormatDuration(delay);
    if (file_failures_ == 1 || s.error() != last_file_error_)
      LogError(message);
    else
      LogDebug(message);
    last_file_error_ = s.error();
    file_dirty_ = true;
    cleanup_pending_ = true;
    return;
  }
  RemoveLeftoversIfNeeded();  // first, so that the line below describes a clean directory
  if (file_failures_ > 0) {
    LogInfo(config_.file.path + ": published again after " + std::to_string(file_failures_) +
            " failed attempt(s)");
  }
  if (retired_file_) {
    (void)retired_file_->Remove();
    retired_file_.reset();
  }
  file_failures_ = 0;
  last_file_error_.clear();
  file_dirty_ = false;
}

// A publication that failed may have left its temp file behind when the
// directory turned read-only between create and unlink; sweep once writing works again.
void Daemon::RemoveLeftoversIfNeeded() {
  if (!cleanup_pending_) return;
  cleanup_pending_ = false;
  int removed = (token_file_ ? token_file_->RemoveLeftovers() : 0) + state_file_->RemoveLeftovers();
  if (removed > 0)
    LogInfo("removed " + std::to_string(removed) + " temporary file(s) left by failed writes");
}

void Daemon::MaybeReady(MonoTime now) {
  if (ready_sent_ || !store_.Valid(now) || (token_file_ && file_dirty_)) return;
  notifier_.Ready();
  ready_sent_ = true;
}

void Daemon::SaveState() {
  auto token = store_.Current();
  if (!token || !state_file_) return;
  std::string text = RenderTokenState(*token, boot_id_);
  Status s = state_file_->Publish(text);
  WipeMemory(text.data(), text.size());
  if (!s) {
    LogWarning("cannot save the token for a restart: " + s.error());
    cleanup_pending_ = true;
  } else {
    RemoveLeftoversIfNeeded();
  }
}

void Daemon::RestoreState(MonoTime now) {
  std::ifstream in(StatePath());
  if (!in) {
    RemovePublished();  // a file left without its lifetime is not servable
    return;
  }
  std::stringstream text;
  text << in.rdbuf();
  std::string content = text.str();
  auto token = ParseTokenState(content, boot_id_, config_.nacos.username, now, clock_->WallNow());
  WipeMemory(content.data(), content.size());
  if (!token) {
    RemovePublished();  // whatever the previous run left is expired or not ours
    return;
  }
  auto current = store_.Set(std::move(*token));
  next_login_ = policy_.NextRefresh(now, current->obtained, current->expires, Uniform());
  LogInfo("reusing the token saved by the previous run (" + TokenFingerprint(current->value) +
          "), valid for " + FormatDuration(current->expires - now) + "; next refresh in " +
          FormatDuration(next_login_ - now));
  Publish(now);
  MaybeReady(now);
}

std::unique_ptr<TokenFile> Daemon::MakeStateFile() {
  FileConfig state_config;
  state_config.path = StatePath();
  state_config.mode = 0600;  // holds the token: for the daemon alone
  return std::make_unique<TokenFile>(state_config, &file_ops_);
}

void Daemon::RemovePublished() {
  if (token_file_) {
    if (Status s = token_file_->Remove(); !s) LogError(s.error());
  }
  if (retired_file_) (void)retired_file_->Remove();
  retired_file_.reset();
  if (state_file_) (void)state_file_->Remove();
}

void Daemon::ExpireIfDue(MonoTime now) {
  auto token = store_.Current();
  if (!token || token->ValidAt(now)) return;
  store_.Clear();
  RemovePublished();
  LogWarning("token " + TokenFingerprint(token->value) +
             " expired and no new one could be obtained" +
             (last_error_.empty() ? "" : " (" + last_error_ + ")") +
             (token_file_ ? "; removed " + config_.file.path : "") +
             "; answering 503 until a login succeeds");
}

void Daemon::UpdateStatus(MonoTime now) {
  auto token = store_.Valid(now);
  std::string status;
  if (token && last_error_.empty()) {
    status = "token valid for " + FormatDuration(token->expires - now) + ", next refresh in " +
             FormatDuration(std::max(MonoDuration(0), next_login_ - now));
  } else if (!last_error_.empty()) {
    status = (token ? "token valid for " + FormatDuration(token->expires - now) + "; " : "") +
             "login failed: " + QuoteServerText(last_error_, "") + ", retrying in " +
             FormatDuration(std::max(MonoDuration(0), next_login_ - now));
  } else {
    status = "logging in to " + config_.nacos.servers.front().Display();
  }
  notifier_.Status(status);
}

void Daemon::Reload(MonoTime now) {
  notifier_.Reloading();
  std::vector<std::string> problems;
  Config next = LoadConfig(source_.file, source_.defines, &problems);
  std::vector<std::string> warnings;
  std::optional<Secret> password;
  if (problems.empty()) {
    // password_env was removed from the environment after the first read;
    // an unchanged setting keeps the password already in memory.
    if (!next.nacos.password_env.empty() && next.nacos.password_env == config_.nacos.password_env &&
        !getenv(next.nacos.password_env.c_str())) {
      password.emplace(login_->password.Reveal());
    } else if (auto p = ReadPassword(next.nacos, &warnings)) {
      password.emplace(std::move(*p));
    } else {
      problems.push_back(p.error());
    }
  }
  std::unique_ptr<TokenFile> next_file;
  if (problems.empty() && !next.file.path.empty()) {
    next_file = std::make_unique<TokenFile>(next.file, &file_ops_);
    if (Status s = next_file->CheckDirectory(); !s) problems.push_back(s.error());
  }
  std::shared_ptr<LoginContext> next_login;
  if (problems.empty()) {
    std::string error;
    next_login = MakeLoginContext(next, std::move(*password), &error);
    if (!next_login) problems.push_back(error);
  }
  // A new socket path is bound before anything is committed, so that a
  // failure leaves everything as it was.
  bool socket_changed = problems.empty() && next.socket != config_.socket;
  bool rebind =
      socket_changed && !(socket_ && (socket_->activated() || socket_->path() == next.socket.path));
  std::unique_ptr<SocketServer> fresh_socket;
  if (rebind && !next.socket.path.empty()) {
    auto server =
        SocketServer::Create(next.socket, clock_, &store_, &metrics_, [this] { RequestRefresh(); });
    if (server) {
      fresh_socket = std::move(*server);
    } else {
      problems.push_back(server.error());
    }
  }
  if (!problems.empty()) {
    for (const auto& p : problems) LogError("reload: " + p);
    LogError("reload failed; the previous configuration stays in force");
    notifier_.Ready();
    return;
  }
  for (const auto& w : warnings) LogWarning(w);

  // Everything below only applies what was checked above.
  bool relogin = next.nacos != config_.nacos || !(next_login->password == login_->password);
  bool user_changed = next.nacos.username != config_.nacos.username;
  if (next.file.path != config_.file.path && token_file_) {
    retired_file_ = std::move(token_file_);  // removed once the new file is in place
  }
  if (next.file != config_.file) {
    file_dirty_ = true;
    next_publish_ = now;
  }
  SetLogLevel(next.log_level);
  policy_ = RefreshPolicy(next.refresh);
  if (relogin) {
    if (inflight_) inflight_->transport->Abort();  // its answer would be for the old settings
    login_ = next_login;
  }
  const std::string old_state = StatePath();
  config_ = std::move(next);
  token_file_ = std::move(next_file);
  if (StatePath() != old_state) {
    (void)state_file_->Remove();
    state_file_ = MakeStateFile();
    SaveState();
  }
  if (user_changed) {
    // Another user's token must not be handed out under the new settings.
    store_.Clear();
    RemovePublished();
    file_dirty_ = false;
    metrics_.SetProblem("the user changed; logging in as " + config_.nacos.username);
  }
  if (rebind) {
    if (socket_) socket_->Stop();
    socket_ = std::move(fresh_socket);
    if (socket_) {
      socket_->Start();
      LogInfo("now serving on " + socket_->description());
    }
  } else if (socket_changed && socket_) {
    if (Status s = socket_->Reconfigure(config_.socket); !s) LogError("reload: " + s.error());
  }
  if (file_dirty_) Publish(now);
  if (relogin) {
    failures_ = 0;
    next_login_ = now;
    LogInfo("configuration reloaded; logging in again with the new credentials or servers");
  } else {
    LogInfo("configuration reloaded");
  }
  notifier_.Ready();
}

void Daemon::HandleSignal(int signo, MonoTime now, bool* stop) {
  switch (signo) {
    case SIGTERM:
    case SIGINT:
      LogInfo(std::string("received ") + strsignal(signo) + ", stopping");
      *stop = true;
      break;
    case SIGHUP:
      LogInfo("received SIGHUP, reloading the configuration");
      Reload(now);
      break;
    case SIGUSR1:
      LogInfo("received SIGUSR1, logging in now");
      failures_ = 0;
      next_login_ = now;
      break;
    default:
      break;
  }
}

int Daemon::Run() {
  int signal_fd = OpenSignalFd();
  if (signal_fd < 0) {
    LogError(std::string("cannot open a signalfd: ") + std::strerror(-signal_fd));
    return kExitSoftware;
  }
  MonoTime now = clock_->Now();
  next_login_ = now;
  RestoreState(now);
  if (socket_) socket_->Start();
  LogInfo(std::string("nacos-tokend started: user ") + config_.nacos.username + ", " +
          std::to_string(config_.nacos.servers.size()) + " server(s)" +
          (token_file_ ? ", file " + config_.file.path : "") +
          (socket_ ? ", socket " + socket_->description() : ""));

  bool stop = false;
  while (!stop) {
    now = clock_->Now();
    bool want_refresh = false;
    {
      std::lock_guard lock(mu_);
      want_refresh = std::exchange(refresh_requested_, false);
    }
    FinishLogin(now);
    if (want_refresh) {
      if (login_in_flight_) {
        login_forced_ = true;  // its waiters get this login's outcome
      } else if (now - last_forced_start_ < kForcedLoginInterval) {
        if (socket_)
          socket_->RefreshFinished(last_error_.empty() && store_.Valid(now), last_error_);
      } else {
        next_login_ = now;
        login_forced_ = true;
        last_forced_start_ = now;
      }
    }
    ExpireIfDue(now);
    if (!login_in_flight_ && now >= next_login_) StartLogin();
    if (file_dirty_ && !login_in_flight_ && now >= next_publish_) Publish(now);
    MaybeReady(now);
    UpdateStatus(now);
    notifier_.MaybePing(now);

    MonoTime wake = now + std::chrono::hours(24);
    if (!login_in_flight_) wake = std::min(wake, next_login_);
    if (auto t = store_.Current()) wake = std::min(wake, t->expires);
    if (notifier_.watchdog_enabled()) wake = std::min(wake, notifier_.next_ping());
    if (file_dirty_ && !login_in_flight_) wake = std::min(wake, next_publish_);
    MonoDuration wait = std::max(MonoDuration(0), wake - now);
    int timeout_ms = static_cast<int>(std::min<int64_t>(wait.count() + 1, 24 * 3600 * 1000));

    pollfd fds[2] = {{signal_fd, POLLIN, 0}, {wakeup_.fd(), POLLIN, 0}};
    int n = poll(fds, 2, timeout_ms);
    if (n < 0 && errno != EINTR) {
      LogError(std::string("poll failed: ") + std::strerror(errno));
      break;
    }
    now = clock_->Now();
    if (fds[1].revents & POLLIN) wakeup_.Drain();
    if (fds[0].revents & POLLIN) {
      while (int signo = ReadSignal(signal_fd)) HandleSignal(signo, now, &stop);
    }
  }

  notifier_.Stopping();
  login_->transport->Abort();
  if (inflight_) inflight_->transport->Abort();
  StopLoginWorker();
  if (socket_) socket_->Stop();
  ::close(signal_fd);
  now = clock_->Now();
  if (!store_.Valid(now) && token_file_) (void)token_file_->Remove();
  if (retired_file_) (void)retired_file_->Remove();
  LogInfo("stopped");
  return kExitOk;
}

int Daemon::RunOnce() {
  MonoTime now = clock_->Now();
  LoginRoundResult result = login_->client->Login(login_->password.Reveal());
  if (!result.success) {
    if (result.failure_kind == FailureKind::kRejected) {
      LogError("login as " + config_.nacos.username + " rejected: " + result.error);
      return kExitNoPerm;
    }
    LogError("login failed: " + result.error);
    return kExitUnavailable;
  }
  std::vector<std::string> warnings;
  Result<Token> token = TokenFromLogin(*result.success, config_.nacos.username, &warnings);
  for (const auto& w : warnings) LogWarning(w);
  if (!token) {
    LogError("login failed: " + token.error());
    return kExitUnavailable;
  }
  now = clock_->Now();
  if (!token->ValidAt(now)) {
    LogError("login failed: " + result.success->server.Display() +
             ": the token expired before it could be used");
    return kExitUnavailable;
  }
  auto current = store_.Set(std::move(*token));
  LogInfo("token from " + current->server + " (" + TokenFingerprint(current->value) +
          "), valid for " + FormatDuration(current->expires - now));
  if (token_file_) {
    Status s = token_file_->Publish(RenderTokenFile(config_.file.format, *current, now));
    if (!s) {
      LogError(s.error());
      return kExitCantCreate;
    }
    LogInfo("published " + config_.file.path);
  }
  SaveState();
  return kExitOk;
}

}  // namespace tokend
