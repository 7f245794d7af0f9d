#include "daemon/daemon.h"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <vector>

#include "base/log.h"
#include "host/signals.h"
#include "proxy/proxy_metrics.h"

namespace tokend {
namespace {

// A [proxy] section keeps its running server across a reload unless the
// address it is bound to changed.
bool SameAddress(const ProxyConfig& a, const ProxyConfig& b) {
  return a.path == b.path && a.listen_text == b.listen_text;
}

// The servers a saved token of `identity` must come from to be reused: its
// Nacos servers for a password login. (An OIDC token names the token endpoint,
// known only after discovery: not checked.)
std::vector<std::string> SavedTokenServers(const PreparedIdentity& identity) {
  std::vector<std::string> servers;
  if (identity.config.nacos.login != LoginKind::kPassword) return servers;
  for (const auto& s : identity.config.nacos.servers) servers.push_back(s.Display());
  return servers;
}

}  // namespace

Daemon::Daemon(const Clock* clock, PreparedConfig config, ConfigSource source)
    : clock_(clock), prepared_(std::move(config)), source_(std::move(source)) {
  for (const auto& p : prepared_.identities)
    identities_.push_back(MakeIdentity(p, prepared_.config));
  SetLogPrefixes();
}

Daemon::~Daemon() {
  for (auto& p : proxies_) p->Stop();  // their threads report rejected tokens to this shell
  for (auto& id : identities_) {
    id->keeper->Abort();
    id->worker->Join();
    id->hook->Stop();
  }
}

std::unique_ptr<Daemon::Identity> Daemon::MakeIdentity(const PreparedIdentity& prepared,
                                                       const Config& c) {
  auto id = std::make_unique<Identity>();
  id->name = prepared.config.name;
  id->publisher = std::make_unique<TokenPublisher>(
      prepared.config.file, StatePath(prepared.config, c.socket), c.refresh, "");
  id->keeper = std::make_unique<TokenKeeper>(id->name, clock_, c.refresh, prepared.login,
                                             std::random_device{}());
  id->keeper->AddObserver(id->publisher.get());  // first: the file before anyone is told
  id->keeper->AddObserver(this);
  id->hook = std::make_unique<HookRunner>(prepared.config.hook, prepared.config.file.path, "");
  id->keeper->AddObserver(id->hook.get());  // last: it must not delay the file or the socket
  id->worker = std::make_unique<LoginWorker>(clock_, &wakeup_);
  return id;
}

Daemon::Identity* Daemon::Find(const std::string& name) {
  for (auto& id : identities_) {
    if (id && id->name == name) return id.get();  // (null: moved away during a reload)
  }
  return nullptr;
}

void Daemon::SetLogPrefixes() {
  for (auto& id : identities_) SetLogPrefix(*id, identities_.size() > 1);
}

void Daemon::SetLogPrefix(Identity& id, bool several) {
  std::string prefix = several ? "[" + id.name + "] " : "";
  id.keeper->SetLogPrefix(prefix);
  id.publisher->SetLogPrefix(prefix);
  if (const IdentityConfig* c = prepared_.config.Find(id.name)) {
    id.hook->Reconfigure(c->hook, c->file.path, prefix);
  }
}

std::shared_ptr<const ServedIdentities> Daemon::Served() const {
  auto served = std::make_shared<ServedIdentities>();
  for (const auto& id : identities_) {
    const IdentityConfig* c = prepared_.config.Find(id->name);
    served->push_back(ServedIdentity{id->name, id->keeper->board(), c ? c->access : std::nullopt});
  }
  return served;
}

Status Daemon::Init(bool with_socket) {
  for (auto& id : identities_) id->publisher->SweepLeftovers();
  const SocketConfig& socket = prepared_.config.socket;
  if (with_socket && !socket.path.empty()) {
    auto server = SocketServer::Create(socket, clock_, Served(), Requester());
    if (!server) return Error{server.error()};
    socket_ = std::move(*server);
  }
  if (with_socket) {
    for (const ProxyConfig& pc : prepared_.config.proxies) {
      auto proxy =
          ProxyServer::Create(pc, TargetOf(pc.identity, prepared_.config), clock_, Requester());
      if (!proxy) return Error{proxy.error()};
      proxies_.push_back(std::move(*proxy));
    }
  }
  if (socket_) socket_->SetExtraMetrics([this] { return ProxyMetrics(); });
  return Status::Ok();
}

// Read by the socket's threads.
std::string Daemon::ProxyMetrics() const {
  std::vector<std::pair<std::string, ProxyCounts>> counts;
  std::lock_guard lock(proxies_mu_);
  for (const auto& p : proxies_) counts.emplace_back(p->identity(), p->counts());
  return RenderProxyMetrics(counts);
}

ProxyTarget Daemon::TargetOf(const std::string& identity, const Config& config) const {
  ProxyTarget t;
  t.identity = identity;
  for (const auto& id : identities_) {
    if (id && id->name == identity) t.board = id->keeper->board();
  }
  if (const IdentityConfig* c = config.Find(identity)) t.nacos = c->nacos;
  return t;
}

RefreshRequest Daemon::Requester() {
  return [this](const std::string& identity, uint64_t rejected_generation) {
    RequestRefresh(identity, rejected_generation);
  };
}

void Daemon::OnTokenEvent(const std::string& identity, const TokenEvent& event) {
  if (socket_) socket_->OnTokenEvent(identity, event);
  for (auto& p : proxies_) p->OnTokenEvent(identity, event);
}

void Daemon::OnLoginEnding(const std::string& identity) {
  if (socket_) socket_->OnLoginEnding(identity);
}

void Daemon::OnLoginFinished(const std::string& identity, const LoginOutcome& outcome) {
  if (socket_) socket_->OnLoginFinished(identity, outcome);
  for (auto& p : proxies_) p->OnLoginFinished(identity, outcome);
}

void Daemon::RequestRefresh(const std::string& identity, uint64_t rejected_generation) {
  {
    std::lock_guard lock(mu_);
    refresh_requests_.emplace_back(identity, rejected_generation);
  }
  wakeup_.Notify();
}

void Daemon::HandleRefreshRequests(MonoTime now) {
  std::vector<std::pair<std::string, uint64_t>> requests;
  {
    std::lock_guard lock(mu_);
    requests.swap(refresh_requests_);
  }
  for (const auto& [name, rejected] : requests) {
    Identity* id = Find(name);
    if (!id) continue;  // removed by a reload meanwhile; the socket answers 404
    if (rejected)
      id->keeper->ReportRejected(now, rejected);
    else
      id->keeper->RequestLogin(now);
  }
  // A rejected= report the keeper found outdated is answered with the current token.
  if (!requests.empty() && socket_) socket_->Recheck();
}

void Daemon::CollectLogins(MonoTime now) {
  for (auto& id : identities_) {
    if (auto done = id->worker->TakeResult()) {
      id->keeper->FinishLogin(now, done->method.get(), std::move(done->result), done->took);
    }
  }
}

void Daemon::MaybeReady(MonoTime now) {
  if (ready_sent_) return;
  for (const auto& id : identities_) {
    if (!id->keeper->has_valid_token(now) || !id->publisher->up_to_date()) return;
  }
  notifier_.Ready();
  ready_sent_ = true;
}

void Daemon::UpdateStatus(MonoTime now) {
  if (identities_.size() == 1) return notifier_.Status(identities_.front()->keeper->Status(now));
  std::string waiting;
  for (const auto& id : identities_) {
    if (id->keeper->has_valid_token(now)) continue;
    waiting += (waiting.empty() ? "" : "; ") + id->name + ": " + id->keeper->Status(now);
  }
  notifier_.Status(waiting.empty()
                       ? std::to_string(identities_.size()) + " identities, every token valid"
                       : "waiting for a token: " + waiting);
}

void Daemon::Reload(MonoTime now) {
  // Before the first READY=1 the unit is still starting: no RELOADING=1 then.
  if (ready_sent_) notifier_.Reloading();
  std::vector<std::string> problems;
  PreparedConfig next = PrepareConfig(source_, &prepared_, clock_, &problems);
  const Config& old = prepared_.config;
  // A new socket path is bound before anything is committed, so that a
  // failure leaves everything as it was.
  bool socket_changed = problems.empty() && next.config.socket != old.socket;
  bool rebind = socket_changed &&
                !(socket_ && (socket_->activated() || socket_->path() == next.config.socket.path));
  std::unique_ptr<SocketServer> fresh_socket;
  if (rebind && !next.config.socket.path.empty()) {
    auto server = SocketServer::Create(next.config.socket, clock_, Served(), Requester());
    if (server)
      fresh_socket = std::move(*server);
    else
      problems.push_back(server.error());
  }
  // [proxy] sections that need a server of their own (new ones, and kept ones
  // with a new path or listen address) are bound now too, for the same reason;
  // an added identity's board is set once its keeper exists (SetTarget below).
  // An address a running proxy holds (a path given to another section, the
  // kept listen address of a section whose path changed) is handed over from
  // it after the commit: the configuration check guarantees the new
  // configuration gives it to no other section.
  std::vector<std::unique_ptr<ProxyServer>> fresh_proxies;
  for (const ProxyConfig& pc :
       problems.empty() ? next.config.proxies : std::vector<ProxyConfig>{}) {
    const ProxyServer* current = FindProxy(pc.section);
    if (current && SameAddress(current->config(), pc)) continue;
    auto proxy = ProxyServer::Create(pc, TargetOf(pc.identity, next.config), clock_, Requester(),
                                     HeldByProxies(pc));
    if (proxy)
      fresh_proxies.push_back(std::move(*proxy));
    else
      problems.push_back(proxy.error());
  }
  if (!problems.empty()) {
    for (const auto& p : problems) LogError("reload: " + p);
    LogError("reload failed; the previous configuration stays in force");
    if (ready_sent_) notifier_.Ready();
    return;
  }

  // Everything below only applies what was checked above.
  SetLogLevel(next.config.log_level);
  for (const auto& w : next.warnings) LogWarning(w);
  std::vector<std::string> added, changed, removed;
  std::vector<std::unique_ptr<Identity>> kept;
  for (auto& prepared : next.identities) {
    const std::string& name = prepared.config.name;
    Identity* existing = Find(name);
    if (!existing) {
      auto id = MakeIdentity(prepared, next.config);
      SetLogPrefix(*id, next.identities.size() > 1);  // before its first line (reuse)
      id->publisher->SweepLeftovers();
      if (auto saved = id->publisher->LoadSaved(now, clock_->WallNow(), prepared.login->principal(),
                                                SavedTokenServers(prepared)))
        id->keeper->Reuse(now, std::move(*saved));
      kept.push_back(std::move(id));
      added.push_back(name);
      continue;
    }
    const PreparedIdentity* before = prepared_.Find(name);
    bool relogin =
        prepared.config.nacos != before->config.nacos || !(*prepared.secret == *before->secret);
    bool user_changed = prepared.login->principal() != before->login->principal();
    if (relogin) {
      changed.push_back(name);
    } else {
      prepared.login = before->login;  // unchanged: the keeper goes on with the login it has
      prepared.secret = before->secret;
    }
    existing->keeper->Reconfigure(now, next.config.refresh, relogin ? prepared.login : nullptr,
                                  user_changed);
    existing->publisher->Reconfigure(now, prepared.config.file,
                                     StatePath(prepared.config, next.config.socket),
                                     next.config.refresh);
    for (auto& id : identities_) {
      if (id && id->name == name) kept.push_back(std::move(id));
    }
  }
  for (auto& id : identities_) {
    if (!id) continue;  // moved to `kept`
    removed.push_back(id->name);
    id->keeper->Remove(now);  // its file and saved state go with it
    id->worker->Join();
    id->hook->Stop();
  }
  identities_ = std::move(kept);
  prepared_ = std::move(next);
  SetLogPrefixes();

  if (rebind) {
    if (socket_) socket_->Stop();
    socket_ = std::move(fresh_socket);
    if (socket_) {
      socket_->SetExtraMetrics([this] { return ProxyMetrics(); });
      socket_->Start();
      LogInfo("now serving on " + socket_->description());
    }
  } else if (socket_changed && socket_) {
    if (Status s = socket_->Reconfigure(prepared_.config.socket); !s) {
      LogError("reload: " + s.error());
    }
  }
  if (socket_) socket_->SetIdentities(Served());
  ReloadProxies(std::move(fresh_proxies));
  WatchTokenDirectories();  // a new file.path may be in a new directory
  auto list = [](const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
    return out;
  };
  std::string what;
  if (!added.empty()) what += "; added " + list(added);
  if (!removed.empty()) what += "; removed " + list(removed);
  if (!changed.empty())
    what += "; logging in again with new credentials or servers for " + list(changed);
  LogInfo("configuration reloaded" + what);
  if (ready_sent_) notifier_.Ready();
}

ProxyServer* Daemon::FindProxy(const std::string& section) const {
  for (const auto& p : proxies_) {
    if (p->section() == section) return p.get();
  }
  return nullptr;
}

InheritedAddresses Daemon::HeldByProxies(const ProxyConfig& pc) const {
  InheritedAddresses held;
  for (const auto& p : proxies_) {
    const ProxyConfig c = p->config();
    held.path = held.path || (!pc.path.empty() && c.path == pc.path);
    held.listen =
        held.listen || (!pc.listen_text.empty() && !c.listen_text.empty() && c.listen == pc.listen);
  }
  return held;
}

// After a reload's commit: proxies whose section is gone or has a new address
// stop and hand the addresses they hold to the new servers that keep them;
// the others take their new settings in place; then the new servers (`fresh`,
// bound before the commit) start.
void Daemon::ReloadProxies(std::vector<std::unique_ptr<ProxyServer>> fresh) {
  auto next_of = [this](const ProxyServer& p) -> const ProxyConfig* {
    for (const ProxyConfig& pc : prepared_.config.proxies) {
      if (pc.section == p.section()) return &pc;
    }
    return nullptr;
  };
  std::vector<std::unique_ptr<ProxyServer>> gone;
  {
    std::lock_guard lock(proxies_mu_);
    for (auto it = proxies_.begin(); it != proxies_.end();) {
      const ProxyConfig* next = next_of(**it);
      if (next && SameAddress((*it)->config(), *next)) {
        ++it;
        continue;
      }
      gone.push_back(std::move(*it));
      it = proxies_.erase(it);
    }
  }
  for (auto& p : gone) {
    ProxyListeners held = p->StopKeepingListeners();
    for (auto& f : fresh) {
      if (Status s = f->Adopt(&held); !s) LogError("reload: " + s.error());
    }
    LogInfo(
        "proxy for identity " + p->identity() + " stopped (" +
        (next_of(*p) ? "its section has a new path or listen address" : "its section was removed") +
        ")");
  }  // what no new server took is closed here
  for (auto& p : proxies_) {
    if (const ProxyConfig* next = next_of(*p)) {
      if (Status s = p->Reconfigure(*next); !s) LogError("reload: " + s.error());
    }
  }
  std::vector<ProxyServer*> to_start;
  {
    std::lock_guard lock(proxies_mu_);
    for (auto& p : fresh) {
      to_start.push_back(p.get());
      proxies_.push_back(std::move(p));
    }
  }
  for (auto& p : proxies_) p->SetTarget(TargetOf(p->identity(), prepared_.config));
  for (ProxyServer* p : to_start) {  // with their boards set
    p->Start();
    LogInfo("proxy for identity " + p->identity() + " on " + p->description());
  }
}

void Daemon::WatchTokenDirectories() {
  std::vector<std::string> dirs;
  for (auto& id : identities_) {
    if (std::string dir = id->publisher->directory(); !dir.empty()) dirs.push_back(dir);
  }
  for (const std::string& problem : token_directories_.Watch(std::move(dirs))) {
    LogWarning(problem + "; a token file removed there comes back at the next refresh");
  }
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
      for (auto& id : identities_) id->keeper->RequestLogin(now);
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
  for (auto& id : identities_) {
    if (auto saved =
            id->publisher->LoadSaved(now, clock_->WallNow(), id->keeper->login().principal(),
                                     SavedTokenServers(*prepared_.Find(id->name)))) {
      id->keeper->Reuse(now, std::move(*saved));
    }
  }
  WatchTokenDirectories();
  std::string who;
  for (const auto& p : prepared_.identities) {
    std::string login =
        p.config.nacos.login == LoginKind::kOidc
            ? "oidc client " + p.login->principal() + " at " + p.login->first_server()
            : "user " + p.config.nacos.username + ", " +
                  std::to_string(p.config.nacos.servers.size()) + " server(s)";
    who += (who.empty() ? "" : "; ") +
           (identities_.size() > 1 ? p.config.name + ": " : std::string()) + login +
           (p.config.file.path.empty() ? "" : ", file " + p.config.file.path);
  }
  LogInfo("nacos-tokend started: " + who + (socket_ ? "; socket " + socket_->description() : ""));
  if (socket_) socket_->Start();  // after the line above, which tests and operators read first
  for (auto& p : proxies_) {
    p->Start();
    LogInfo("proxy for identity " + p->identity() + " on " + p->description());
  }

  bool stop = false;
  while (!stop) {
    now = clock_->Now();
    HandleRefreshRequests(now);  // first: a request joins a round whose outcome is waiting
    CollectLogins(now);
    if (check_files_at_ && *check_files_at_ <= now) {
      check_files_at_.reset();
      for (auto& id : identities_) id->publisher->RepairIfTampered(now);
    }
    MonoTime wake = now + std::chrono::hours(24);
    for (auto& id : identities_) {
      id->keeper->Advance(now);
      if (auto login = id->keeper->TakeDueLogin(now)) id->worker->Start(std::move(login));
      id->publisher->RetryIfDue(now);
      wake = std::min(wake, id->keeper->NextWake(now));
      if (auto retry = id->publisher->next_retry()) wake = std::min(wake, *retry);
    }
    if (check_files_at_) wake = std::min(wake, *check_files_at_);
    // Each round (rare: rounds follow events): a directory removed and made
    // anew has no watch yet.
    token_directories_.Renew();
    MaybeReady(now);
    UpdateStatus(now);
    notifier_.MaybePing(now);
    if (notifier_.watchdog_enabled()) wake = std::min(wake, notifier_.next_ping());
    std::vector<pollfd> fds = {{signal_fd, POLLIN, 0},
                               {wakeup_.fd(), POLLIN, 0},
                               {token_directories_.fd(), POLLIN, 0}};  // poll skips a -1
    for (auto& id : identities_) {
      id->hook->AddPollFds(&fds);
      if (auto t = id->hook->next_deadline()) wake = std::min(wake, *t);
    }
    MonoDuration wait = std::max(MonoDuration(0), wake - now);
    int timeout_ms = static_cast<int>(std::min<int64_t>(wait.count() + 1, 24 * 3600 * 1000));

    int n = poll(fds.data(), fds.size(), timeout_ms);
    if (n < 0 && errno != EINTR) {
      LogError(std::string("poll failed: ") + std::strerror(errno));
      break;
    }
    now = clock_->Now();
    for (auto& id : identities_) id->hook->Service(now);
    if (fds[1].revents & POLLIN) wakeup_.Drain();
    if ((fds[2].revents & POLLIN) && token_directories_.Drain() && !check_files_at_) {
      check_files_at_ = now + std::chrono::seconds(1);
    }
    if (fds[0].revents & POLLIN) {
      while (int signo = ReadSignal(signal_fd)) HandleSignal(signo, now, &stop);
    }
  }

  notifier_.Stopping();
  for (auto& id : identities_) id->keeper->Abort();
  for (auto& id : identities_) id->worker->Join();
  for (auto& id : identities_) id->hook->Stop();
  if (socket_) socket_->Stop();
  for (auto& p : proxies_) p->Stop();
  ::close(signal_fd);
  now = clock_->Now();
  for (auto& id : identities_) id->publisher->Stop(now);
  LogInfo("stopped");
  return kExitOk;
}

int Daemon::RunOnce() {
  int rc = kExitOk;
  auto worse = [&rc](int code) {
    auto rank = [](int c) { return c == kExitNoPerm ? 3 : c == kExitUnavailable ? 2 : c ? 1 : 0; };
    if (rank(code) > rank(rc)) rc = code;
  };
  for (auto& id : identities_) {
    MonoTime now = clock_->Now();
    auto login = id->keeper->TakeDueLogin(now);
    LoginRoundResult result = login->Login();
    FailureKind kind = result.failure_kind;
    bool answered = result.success.has_value();
    MonoTime end = clock_->Now();
    id->keeper->FinishLogin(end, login.get(), std::move(result), end - now);
    if (!answered) {
      worse(kind == FailureKind::kRejected ? kExitNoPerm : kExitUnavailable);
    } else if (!id->keeper->has_valid_token(end)) {
      worse(kExitUnavailable);  // the answer was unusable (logged)
    } else if (!id->publisher->up_to_date()) {
      worse(kExitCantCreate);  // logged by the publisher
    }
  }
  // A hook started for the new token finishes (or meets its timeout) before we exit.
  for (auto& id : identities_) {
    while (auto deadline = id->hook->next_deadline()) {
      std::vector<pollfd> fds;
      id->hook->AddPollFds(&fds);
      MonoDuration left = std::max(MonoDuration(0), *deadline - clock_->Now());
      poll(fds.data(), fds.size(), static_cast<int>(left.count()) + 1);
      id->hook->Service(clock_->Now());
    }
  }
  return rc;
}

}  // namespace tokend
