#include "proxy/proxy_server.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>

#include "base/epoll_tag.h"
#include "base/http_head.h"
#include "base/log.h"
#include "proxy/body_framer.h"
#include "proxy/forward_head.h"
#include "proxy/identity_params.h"
#include "proxy/peer_access.h"
#include "proxy/tcp_listener.h"
#include "proxy/tcp_peer.h"
#include "proxy/token_rejection.h"
#include "proxy/upstream_connect.h"
#include "proxy/upstream_pool.h"
#include "proxy/upstream_resolver.h"
#include "proxy/user_groups.h"
#include "serve/unix_listener.h"

namespace tokend {
namespace {

constexpr int kThreads = 2;
constexpr int kSweepMs = 250;
constexpr int kAcceptBatch = 32;
constexpr int kMaxSessions = 4000;
constexpr int kMaxRequestsPerConnection = 10000;
/// A caller that did not send a complete request head within this is
/// dropped, as on the token socket.
constexpr MonoDuration kHeadDeadline = kRequestDeadline;
constexpr MonoDuration kIdleBetweenRequests = std::chrono::seconds(10);
constexpr MonoDuration kLinger = std::chrono::seconds(1);
/// Bytes queued towards one side before the other side is no longer read:
/// what bounds the memory of a streamed body.
constexpr size_t kPipeCap = 256 * 1024;
constexpr size_t kReadChunk = 64 * 1024;
/// A 403 answer body is held to be classified up to this size.
constexpr size_t kMax403Body = 64 * 1024;
constexpr size_t kMaxAnswerHead = 64 * 1024;
/// Idle connections to one server kept per event-loop thread, and for how long.
constexpr size_t kPoolPerServer = 16;
constexpr MonoDuration kPoolIdle = std::chrono::seconds(15);

enum class Phase {
  kHead,     // reading a request head (or idle between requests)
  kBuffer,   // reading a small body whole before sending
  kForward,  // sending the request and relaying the answer
  kHealing,  // Nacos rejected the token: waiting for a new one to replay
};

struct Session {
  uint32_t id = 0;
  int cfd = -1;
  bool dead = false;
  PeerIdentity peer;
  uint64_t access_checked = 0;  // the settings generation its caller was last allowed under
  bool authorizing = false;     // waiting for the caller's groups (until `deadline`)
  bool resume_request = false;  // with authorizing: StartRequest goes on once they are known
  std::string cin, cout;
  size_t cout_off = 0;
  bool client_eof = false;
  bool close_after = false;  // close once `cout` is written
  bool lingering = false;
  MonoTime deadline;
  Phase phase = Phase::kHead;
  int requests = 0;
  uint32_t cev = 0, uev = 0;
  bool creg = false, ureg = false;

  // The request in flight.
  RequestHead req;
  BodyFramer req_body;
  std::string body;  // the raw body bytes, while it is small (replayable)
  std::string form;  // the decoded body of a small form, for the parameter check
  bool replayable = false;
  bool request_done = false;  // every byte of the request body was taken from the caller
  bool replayed = false;
  bool stale_retried = false;
  uint64_t generation = 0;  // of the token sent
  MonoTime exchange_deadline;

  // Nacos's side.
  int ufd = -1;
  bool resolving = false;  // waiting for the resolver's answer (until connect_deadline)
  std::vector<SocketAddress> addresses;  // of the server being connected to
  size_t address = 0;                    // the one tried now
  bool connecting = false;
  std::unique_ptr<TlsStream> tls;  // https servers
  bool handshaking = false;
  bool tls_wants_write = false;  // the TLS layer needs the socket writable to go on
  bool ureused = false;
  MonoTime connect_deadline;
  size_t server = 0;        // index of the server in use, in the target of its time
  ServerEndpoint upstream;  // what `ufd` is connected to (a reload may change the target)
  size_t attempts = 0;      // servers tried for this request
  std::string uout, uin;
  size_t uout_off = 0;
  bool sent_any = false;
  bool have_head = false;
  std::string raw_head;
  ResponseHead resp;
  BodyFramer resp_body;
  bool dechunk = false;
  bool hold_403 = false;
  std::string held_raw, held_payload;
  bool response_started = false;
  uint64_t outcomes_seen = 0;
  uint64_t exchanges = 0;  // answers completed on this connection
  bool cstall = false;     // a caller event came that could not be used: stop asking
  bool ustall = false;     // likewise for Nacos's side
};

size_t Pending(const std::string& s, size_t off) { return s.size() - off; }

// Drops what was already sent from an output buffer before more is appended,
// so that a buffer drained only in part does not grow without bound.
void Compact(std::string* buf, size_t* off) {
  if (*off == buf->size()) {
    buf->clear();
    *off = 0;
  } else if (*off >= kPipeCap / 2) {
    buf->erase(0, *off);
    *off = 0;
  }
}

// Sets the value of the Host line UpstreamRequestHead wrote second.
void SetHost(std::string* head, const std::string& authority) {
  size_t host = head->find("\r\nHost: ");
  size_t eol = head->find("\r\n", host + 2);
  head->replace(host + 8, eol - host - 8, authority);
}

bool IsLongPoll(const RequestHead& r, uint64_t* ms) {
  if (r.method != "POST" || !r.path.ends_with("/v1/cs/configs/listener")) return false;
  const std::string* v = FindHeader(r.headers, "Long-Pulling-Timeout");
  if (!v || v->empty() || v->size() > 9 || v->find_first_not_of("0123456789") != std::string::npos)
    return false;
  *ms = std::stoull(*v);
  return true;
}

bool IsForm(const RequestHead& r) {
  const std::string* ct = FindHeader(r.headers, "Content-Type");
  return ct && ct->size() >= 33 &&
         HeaderNameIs(std::string_view(*ct).substr(0, 33), "application/x-www-form-urlencoded");
}

}  // namespace

using GroupLookups = BackgroundLookups<uid_t, UserGroups>;

struct ProxyServer::Impl {
  ProxyConfig config;
  const Clock* clock = nullptr;
  RefreshRequest request_refresh;
  UnixListener listener;  // [proxy] path (may be absent)
  int tcp_fd = -1;        // [proxy] listen (may be absent)
  std::atomic<bool> stopping{false};
  std::atomic<int> sessions{0};
  std::atomic<size_t> preferred_server{0};
  std::atomic<uint64_t> outcomes{0};  // logins finished for the identity, counted

  std::unique_ptr<UpstreamResolver> resolver;  // host names, looked up off the event loops
  // TCP callers' groups from the user database, likewise.
  std::unique_ptr<GroupLookups> user_groups;

  mutable std::mutex mu;
  // `config` is the section as created: its name, identity, path and listen
  // address never change. What a reload may change in place is `settings`.
  std::shared_ptr<const ProxyConfig> settings;       // guarded by mu
  std::atomic<uint64_t> settings_generation{1};      // bumped by each Reconfigure
  std::shared_ptr<const ProxyTarget> target;         // guarded by mu
  std::array<std::atomic<uint64_t>, 600> by_code{};  // requests by status code
  std::atomic<uint64_t> relogins{0};
  std::atomic<uint64_t> last_healed_logged{0};  // generation whose healing was logged
  int64_t last_refusal_log_ms = -1'000'000;     // guarded by mu

  struct Worker {
    int epoll = -1;
    int wake = -1;
    std::thread thread;
    std::unordered_map<uint32_t, Session> sessions;
    uint32_t next_id = 0;
    uint64_t exchanges_checked = 1;  // settings generation its exchanges under way were checked at
    UpstreamPool pool{kPoolPerServer, kPoolIdle};
  };
  std::array<Worker, kThreads> workers;

  std::shared_ptr<const ProxyTarget> Target() const {
    std::lock_guard lock(mu);
    return target;
  }
  std::shared_ptr<const ProxyConfig> Settings() const {
    std::lock_guard lock(mu);
    return settings;
  }
  /// Whether the caller of `s` may (still: after a reload) use the proxy. Groups
  /// that are needed and not yet looked up count as none (Authorize waits for them).
  bool StillAllowed(Session& s) {
    uint64_t generation = settings_generation.load();
    if (s.access_checked == generation) return true;
    auto settings = Settings();
    if (NeedsGroups(settings->access, s.peer)) {
      auto found = user_groups->Get(s.peer.uid);
      if (found.state == GroupLookups::State::kReady) {
        s.peer.gid = found.value.gid;
        s.peer.groups = std::move(found.value.groups);
        s.peer.groups_known = true;
      }
    }
    if (!PeerAllowed(settings->access, s.peer)) return false;
    s.access_checked = generation;
    return true;
  }
  void Count(int code) {
    if (code >= 0 && code < static_cast<int>(by_code.size()))
      by_code[static_cast<size_t>(code)].fetch_add(1, std::memory_order_relaxed);
  }
  void WakeAll() {
    for (auto& w : workers) {
      uint64_t one = 1;
      (void)!::write(w.wake, &one, sizeof one);
    }
  }

  void Run(Worker& w);
  void Accept(Worker& w, int listen_fd);
  /// Lets the caller in (or on with a request that waited) or refuses it.
  void Authorize(Worker& w, Session& s);
  /// Whether the caller's groups are needed and still being looked up: the
  /// session then waits (authorizing) until the answer wakes it or `deadline`.
  bool AwaitingGroups(Session& s) {
    if (!NeedsGroups(Settings()->access, s.peer) ||
        user_groups->Get(s.peer.uid).state != GroupLookups::State::kPending)
      return false;
    s.authorizing = true;
    return true;
  }
  /// After a reload: ends the exchanges under way of callers no longer allowed.
  void RecheckExchanges(Worker& w);
  void OnEvent(Worker& w, Session& s, int fd, uint32_t events);
  void ClientRead(Worker& w, Session& s);
  void Advance(Worker& w, Session& s);
  void StartRequest(Worker& w, Session& s);
  void BufferBody(Session& s);
  void Begin(Worker& w, Session& s);
  void Connect(Worker& w, Session& s);
  void Handshake(Worker& w, Session& s);
  ssize_t UpSend(Session& s, const char* data, size_t len);
  ssize_t UpRecv(Session& s, char* buf, size_t len);
  void ConnectFailed(Worker& w, Session& s, const std::string& why);
  void PumpRequest(Worker& w, Session& s);
  void FlushUp(Worker& w, Session& s);
  void UpRead(Worker& w, Session& s);
  void UpstreamBroken(Worker& w, Session& s, const std::string& why);
  void ProcessResponse(Worker& w, Session& s);
  void StartRelay(Session& s, const std::string& raw_head, const ResponseHead& head);
  void Decide403(Worker& w, Session& s);
  void CheckHealing(Worker& w, Session& s);
  void FinishExchange(Worker& w, Session& s);
  void Fail(Worker& w, Session& s, int status, const std::string& reason);
  void FlushClient(Worker& w, Session& s);
  void CloseUpstream(Worker& w, Session& s);
  void Close(Worker& w, Session& s);
  /// Gives a clean upstream connection to the pool, closes any other.
  void ReleaseUpstream(Worker& w, Session& s);
  void Watch(Worker& w, Session& s);
  void Sweep(Worker& w);
  void LogRefusal(const std::string& who);
};

ProxyServer::ProxyServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ProxyServer::~ProxyServer() { Stop(); }

ProxyListeners::ProxyListeners(ProxyListeners&& o) noexcept
    : unix_listener(std::move(o.unix_listener)),
      tcp_fd(std::exchange(o.tcp_fd, -1)),
      tcp_address(o.tcp_address) {}

ProxyListeners::~ProxyListeners() {
  if (tcp_fd >= 0) ::close(tcp_fd);
}

namespace {

// The Unix socket settings of a [proxy] section, as the listener takes them.
SocketConfig SocketOf(const ProxyConfig& c) {
  SocketConfig sc;
  sc.path = c.path;
  sc.mode = c.mode;
  sc.group = c.group;
  sc.gid = c.gid;
  return sc;
}

// The listener's errors name socket.KEY; a proxy's name its section's KEY.
Error InSection(const ProxyConfig& c, std::string error) {
  if (error.starts_with("socket.")) error = c.section + "." + error.substr(7);
  return Error{std::move(error)};
}

void WatchListener(int epoll, int fd) {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLEXCLUSIVE;
  ev.data.u64 = EpollTag(fd, 0);
  epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &ev);
}

}  // namespace

Result<std::unique_ptr<ProxyServer>> ProxyServer::Create(const ProxyConfig& config,
                                                         ProxyTarget target, const Clock* clock,
                                                         RefreshRequest request_refresh,
                                                         InheritedAddresses inherited) {
  if (Status s = AddTls(&target); !s) return Error{config.section + ": " + s.error()};
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  impl->clock = clock;
  impl->request_refresh = std::move(request_refresh);
  impl->target = std::make_shared<const ProxyTarget>(std::move(target));
  impl->settings = std::make_shared<const ProxyConfig>(config);
  impl->resolver = std::make_unique<UpstreamResolver>(clock, [p = impl.get()] { p->WakeAll(); });
  impl->user_groups = std::make_unique<GroupLookups>(
      clock,
      LookupTiming{std::chrono::seconds(30), std::chrono::seconds(1), std::chrono::minutes(10)},
      LookupUserGroups, [p = impl.get()] { p->WakeAll(); });
  if (!config.path.empty() && !inherited.path) {
    auto bound = UnixListener::Bind(SocketOf(config));
    if (!bound) return InSection(config, bound.error());
    impl->listener = std::move(*bound);
  }
  if (!config.listen_text.empty() && !inherited.listen) {
    auto fd = BindLoopback(config.listen, config.section + ".listen");
    if (!fd) return Error{fd.error()};
    impl->tcp_fd = *fd;
  }
  // Two descriptors per held connection: a thousand long polls need more than
  // the usual soft limit of 1024.
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  for (auto& w : impl->workers) {
    w.epoll = epoll_create1(EPOLL_CLOEXEC);
    w.wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (w.epoll < 0 || w.wake < 0)
      return Error{config.section + ": epoll: " + std::string(strerror(errno))};
    for (int fd : {impl->listener.fd(), impl->tcp_fd}) {
      if (fd >= 0) WatchListener(w.epoll, fd);
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = EpollTag(w.wake, 0);
    epoll_ctl(w.epoll, EPOLL_CTL_ADD, w.wake, &ev);
  }
  return std::unique_ptr<ProxyServer>(new ProxyServer(std::move(impl)));
}

void ProxyServer::Start() {
  impl_->resolver->Start();
  impl_->user_groups->Start();
  for (auto& w : impl_->workers) w.thread = std::thread([this, &w] { impl_->Run(w); });
}

void ProxyServer::Stop() { ProxyListeners closed_with_it = StopKeepingListeners(); }

ProxyListeners ProxyServer::StopKeepingListeners() {
  ProxyListeners held;
  if (impl_->stopping.exchange(true)) return held;
  impl_->resolver->Stop();
  impl_->user_groups->Stop();
  impl_->WakeAll();
  for (auto& w : impl_->workers) {
    if (w.thread.joinable()) w.thread.join();
    for (auto& [id, s] : w.sessions) {
      if (s.cfd >= 0) ::close(s.cfd);
      if (s.ufd >= 0) ::close(s.ufd);
    }
    w.sessions.clear();
    w.pool.CloseAll();
    if (w.epoll >= 0) ::close(w.epoll);
    if (w.wake >= 0) ::close(w.wake);
  }
  held.unix_listener = std::move(impl_->listener);
  held.tcp_fd = std::exchange(impl_->tcp_fd, -1);
  held.tcp_address = impl_->config.listen;
  return held;
}

Status ProxyServer::Adopt(ProxyListeners* held) {
  const ProxyConfig& c = impl_->config;
  Status status = Status::Ok();
  if (!c.path.empty() && impl_->listener.fd() < 0 && held->unix_listener.fd() >= 0 &&
      held->unix_listener.path() == c.path) {
    impl_->listener = std::move(held->unix_listener);
    for (auto& w : impl_->workers) WatchListener(w.epoll, impl_->listener.fd());
    if (Status applied = impl_->listener.Apply(SocketOf(c)); !applied)
      status = InSection(c, applied.error());
  }
  if (!c.listen_text.empty() && impl_->tcp_fd < 0 && held->tcp_fd >= 0 &&
      held->tcp_address == c.listen) {
    impl_->tcp_fd = std::exchange(held->tcp_fd, -1);
    for (auto& w : impl_->workers) WatchListener(w.epoll, impl_->tcp_fd);
  }
  return status;
}

Status ProxyServer::AddTls(ProxyTarget* target) {
  bool https = false;
  for (const auto& s : target->nacos.servers) https = https || s.https;
  if (!https) return Status::Ok();
  auto factory = LoadTlsStreamFactory(TlsSettings{target->nacos.ca_file, target->nacos.tls_verify});
  if (!factory) return Error{target->nacos.section + "." + factory.error()};
  target->tls = std::move(*factory);
  return Status::Ok();
}

Status ProxyServer::Reconfigure(const ProxyConfig& config) {
  const ProxyConfig& fixed = impl_->config;
  if (config.section != fixed.section || config.path != fixed.path ||
      config.listen_text != fixed.listen_text) {
    return Error{fixed.section + ": a new path or listen address needs a new server"};
  }
  {
    // The allow lists first: a mode or group that cannot be applied must not keep the old ones.
    std::lock_guard lock(impl_->mu);
    impl_->settings = std::make_shared<const ProxyConfig>(config);
  }
  impl_->settings_generation.fetch_add(1);
  impl_->WakeAll();  // exchanges under way are checked against the new lists
  if (config.path.empty()) return Status::Ok();
  if (Status applied = impl_->listener.Apply(SocketOf(config)); !applied)
    return InSection(fixed, applied.error());
  return Status::Ok();
}

void ProxyServer::SetTarget(ProxyTarget target) {
  if (Status s = AddTls(&target); !s) {
    LogError(impl_->config.section + ": " + s.error() + "; the proxy keeps its previous servers");
    return;
  }
  std::lock_guard lock(impl_->mu);
  impl_->target = std::make_shared<const ProxyTarget>(std::move(target));
}

void ProxyServer::OnTokenEvent(const std::string& identity, const TokenEvent&) {
  if (identity == impl_->config.identity) impl_->WakeAll();
}

void ProxyServer::OnLoginFinished(const std::string& identity, const LoginOutcome&) {
  if (identity != impl_->config.identity) return;
  impl_->outcomes.fetch_add(1);
  impl_->WakeAll();
}

ProxyConfig ProxyServer::config() const { return *impl_->Settings(); }
const std::string& ProxyServer::identity() const { return impl_->config.identity; }
const std::string& ProxyServer::section() const { return impl_->config.section; }

std::string ProxyServer::description() const {
  const ProxyConfig& c = impl_->config;
  std::string where = c.path;
  if (!c.listen_text.empty()) where += (where.empty() ? "" : " and ") + c.listen.Display();
  return where;
}

ProxyCounts ProxyServer::counts() const {
  ProxyCounts c;
  for (size_t code = 0; code < impl_->by_code.size(); ++code) {
    if (uint64_t n = impl_->by_code[code].load()) c.requests_by_code[static_cast<int>(code)] = n;
  }
  c.relogins = impl_->relogins.load();
  return c;
}

void ProxyServer::Impl::Run(Worker& w) {
  std::array<epoll_event, 128> events;
  while (!stopping.load()) {
    bool idle = w.sessions.empty() && w.pool.size() == 0;
    int n = epoll_wait(w.epoll, events.data(), events.size(), idle ? -1 : kSweepMs);
    if (n < 0 && errno != EINTR) {
      LogError("proxy: epoll_wait failed: " + std::string(strerror(errno)));
      return;
    }
    for (int i = 0; i < n; ++i) {
      int fd = EpollTagFd(events[i].data.u64);
      uint32_t id = EpollTagId(events[i].data.u64);
      if (id == 0 && (fd == listener.fd() || fd == tcp_fd)) {
        Accept(w, fd);
      } else if (id == 0 && fd == w.wake) {
        uint64_t v;
        (void)!::read(w.wake, &v, sizeof v);
        RecheckExchanges(w);  // first: nothing below may go on for a caller refused now
        for (auto& [sid, s] : w.sessions) {
          if (!s.dead && s.phase == Phase::kHealing) CheckHealing(w, s);
          if (!s.dead && s.resolving) Connect(w, s);      // the resolver answered (maybe)
          if (!s.dead && s.authorizing) Authorize(w, s);  // likewise the user database
        }
      } else if (auto it = w.sessions.find(id); it != w.sessions.end() && !it->second.dead) {
        OnEvent(w, it->second, fd, events[i].events);
      }
    }
    Sweep(w);
    for (auto it = w.sessions.begin(); it != w.sessions.end();) {
      it = it->second.dead ? w.sessions.erase(it) : std::next(it);
    }
  }
}

// An exchange under way for a caller a reload no longer allows ends with 403,
// unless Nacos has the whole request and may have acted on it: that answer is
// passed on, and the connection closes after it. A long poll Nacos holds is
// refused all the same (it only reads). A caller whose groups are still being
// looked up is checked when they arrive (the lookup wakes every worker); idle
// connections at their next request.
void ProxyServer::Impl::RecheckExchanges(Worker& w) {
  const uint64_t generation = settings_generation.load();
  if (w.exchanges_checked == generation) return;
  const auto settings = Settings();
  bool all_checked = true;
  for (auto& [sid, s] : w.sessions) {
    if (s.dead || s.phase == Phase::kHead || s.authorizing || s.access_checked == generation)
      continue;
    if (NeedsGroups(settings->access, s.peer) &&
        user_groups->Get(s.peer.uid).state == GroupLookups::State::kPending) {
      all_checked = false;
      continue;
    }
    if (StillAllowed(s)) continue;
    const bool reached_nacos =
        s.phase == Phase::kForward && s.sent_any && s.request_done && !Pending(s.uout, s.uout_off);
    uint64_t poll_ms = 0;
    const bool held_poll = IsLongPoll(s.req, &poll_ms) && !s.response_started;
    s.close_after = true;
    if (s.response_started || (reached_nacos && !held_poll)) continue;
    LogRefusal("uid " + std::to_string(s.peer.uid) + " is no longer in " + config.section +
               ".allow_users / " + config.section + ".allow_groups; its exchange under way ends");
    Fail(w, s, 403, "this user may not use the proxy of identity " + config.identity);
  }
  if (all_checked) w.exchanges_checked = generation;
}

void ProxyServer::Impl::LogRefusal(const std::string& who) {
  int64_t now_ms = clock->Now().since_boot.count();
  {
    std::lock_guard lock(mu);
    if (now_ms - last_refusal_log_ms < 10'000) return;
    last_refusal_log_ms = now_ms;
  }
  LogWarning(config.section + ": refused a client: " + who);
}

void ProxyServer::Impl::Accept(Worker& w, int listen_fd) {
  const bool tcp = listen_fd == tcp_fd;
  for (int batch = 0; batch < kAcceptBatch; ++batch) {
    int fd = accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE) LogError("proxy: out of file descriptors");
      return;
    }
    if (sessions.load() >= kMaxSessions) {
      ::close(fd);
      continue;
    }
    sessions.fetch_add(1);
    if (++w.next_id == 0) ++w.next_id;
    Session& s = w.sessions[w.next_id];
    s = Session{};
    s.id = w.next_id;
    s.cfd = fd;
    s.deadline = clock->Now() + kHeadDeadline;
    if (tcp) {
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    // Decided before a byte of the caller's is read; on TCP a connection
    // whose owner the kernel does not report is refused.
    std::optional<PeerIdentity> peer;
    if (!tcp) {
      peer = UnixPeer(fd);
    } else if (auto owner = TcpPeerOwner(fd)) {
      peer = PeerIdentity{*owner, static_cast<gid_t>(-1), {}, false};
    }
    if (!peer) {
      LogRefusal("the owner of its TCP socket cannot be found");
      s.close_after = true;
      Fail(w, s, 403, "this user may not use the proxy of identity " + config.identity);
      continue;
    }
    s.peer = *peer;
    Authorize(w, s);
  }
}

// Lets the caller in or refuses it. A TCP caller whose groups the allow lists
// need waits for them (the user database is asked off the event loop; its
// answer wakes the workers), at most until the head deadline.
void ProxyServer::Impl::Authorize(Worker& w, Session& s) {
  if (AwaitingGroups(s)) return;
  s.authorizing = false;
  if (!StillAllowed(s)) {
    LogRefusal("uid " + std::to_string(s.peer.uid) + " gid " + std::to_string(s.peer.gid) +
               " is not in " + config.section + ".allow_users / " + config.section +
               ".allow_groups");
    s.close_after = true;
    return Fail(w, s, 403, "this user may not use the proxy of identity " + config.identity);
  }
  if (!std::exchange(s.resume_request, false)) return ClientRead(w, s);
  StartRequest(w, s);  // the request that waited (see StartRequest)
  if (!s.dead && !s.authorizing) Advance(w, s);
  if (!s.dead) Watch(w, s);
}

void ProxyServer::Impl::OnEvent(Worker& w, Session& s, int fd, uint32_t events) {
  if (fd == s.cfd) {
    // Gone (a hang-up is reported whether asked for or not): nobody to answer.
    if (events & (EPOLLERR | EPOLLHUP)) return Close(w, s);
    if ((events & EPOLLOUT) && Pending(s.cout, s.cout_off)) FlushClient(w, s);
    if (s.dead) return;
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) ClientRead(w, s);
    return;
  }
  if (fd != s.ufd) return;
  if (s.connecting) {
    if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
    int err = UpstreamConnectError(s.ufd);
    if (err) return ConnectFailed(w, s, strerror(err));
    s.connecting = false;
    auto t = Target();
    const ServerEndpoint& server = s.upstream;
    if (server.https) {
      if (!t->tls) return ConnectFailed(w, s, "no TLS set up");
      s.tls = t->tls->Start(s.ufd, server.host);
      s.handshaking = true;
      return Handshake(w, s);
    }
    preferred_server.store(s.server);
    FlushUp(w, s);
    if (!s.dead) Watch(w, s);
    return;
  }
  if (s.handshaking) return Handshake(w, s);
  if (s.phase != Phase::kForward) {
    // Idle between exchanges: Nacos closed it (or sent what nobody asked for).
    CloseUpstream(w, s);
    return Watch(w, s);
  }
  if (events & EPOLLOUT) {
    if (s.tls_wants_write) {
      s.tls_wants_write = false;
      UpRead(w, s);  // a read that had to write first
      if (s.dead || fd != s.ufd) return;
    }
    FlushUp(w, s);
  }
  if (s.dead || fd != s.ufd) return;
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) UpRead(w, s);
}

void ProxyServer::Impl::Handshake(Worker& w, Session& s) {
  TlsIo io = s.tls->Handshake();
  if (io.kind == TlsIo::kOk) {
    s.handshaking = false;
    s.tls_wants_write = false;
    preferred_server.store(s.server);
    FlushUp(w, s);
    if (!s.dead) Watch(w, s);
    return;
  }
  if (io.kind == TlsIo::kWantRead || io.kind == TlsIo::kWantWrite) {
    s.tls_wants_write = io.kind == TlsIo::kWantWrite;
    return Watch(w, s);
  }
  // Nothing of the request was sent: the next server.
  ConnectFailed(w, s, "TLS: " + (io.error.empty() ? std::string("connection closed") : io.error));
}

// send()/recv() semantics over the plain socket or its TLS stream: > 0 bytes,
// 0 end of stream, -1 with errno (EAGAIN: try again when epoll says so).
ssize_t ProxyServer::Impl::UpSend(Session& s, const char* data, size_t len) {
  if (!s.tls) return ::send(s.ufd, data, len, MSG_NOSIGNAL);
  TlsIo io = s.tls->Write(data, len);
  if (io.kind == TlsIo::kOk) return static_cast<ssize_t>(io.bytes);
  if (io.kind == TlsIo::kWantRead || io.kind == TlsIo::kWantWrite) {
    errno = EAGAIN;
    return -1;
  }
  errno = io.kind == TlsIo::kClosed ? EPIPE : EPROTO;
  return -1;
}

ssize_t ProxyServer::Impl::UpRecv(Session& s, char* buf, size_t len) {
  if (!s.tls) return ::read(s.ufd, buf, len);
  TlsIo io = s.tls->Read(buf, len);
  if (io.kind == TlsIo::kOk) return static_cast<ssize_t>(io.bytes);
  if (io.kind == TlsIo::kClosed) return 0;
  if (io.kind == TlsIo::kWantRead || io.kind == TlsIo::kWantWrite) {
    s.tls_wants_write = io.kind == TlsIo::kWantWrite;
    errno = EAGAIN;
    return -1;
  }
  errno = EPROTO;
  return -1;
}

void ProxyServer::Impl::ClientRead(Worker& w, Session& s) {
  if (s.lingering) {
    char sink[4096];
    ssize_t n;
    while ((n = ::read(s.cfd, sink, sizeof sink)) > 0) {
    }
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) Close(w, s);
    return;
  }
  // How much the caller may have queued: a head, a small body whole, or a
  // streamed body only while Nacos's side keeps up.
  auto room = [&]() -> size_t {
    switch (s.phase) {
      case Phase::kHead:
        return Pending(s.cout, s.cout_off) ? 0 : kProxyMaxHead + 1;
      case Phase::kBuffer:  // what is read is moved to `body` at once (Advance)
        return s.body.size() > kProxyReplayBody ? 0 : kReadChunk;
      case Phase::kForward:
        return s.request_done || Pending(s.uout, s.uout_off) >= kPipeCap ? 0 : kPipeCap;
      case Phase::kHealing:
        return 0;
    }
    return 0;
  };
  if (!s.client_eof && room() <= s.cin.size()) s.cstall = true;
  char buf[kReadChunk];
  while (!s.client_eof && s.cin.size() < room()) {
    size_t want = std::min(sizeof buf, room() - s.cin.size());
    ssize_t n = ::read(s.cfd, buf, want);
    if (n > 0) {
      s.cin.append(buf, static_cast<size_t>(n));
      if (s.phase == Phase::kBuffer) BufferBody(s);  // not held twice
      if (static_cast<size_t>(n) < want) break;      // drained: epoll says when there is more
      continue;
    }
    if (n == 0) {
      s.client_eof = true;
      break;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN) break;
    return Close(w, s);
  }
  if (s.client_eof && s.phase == Phase::kHead && s.cin.empty() && !Pending(s.cout, s.cout_off))
    return Close(w, s);
  Advance(w, s);
  if (!s.dead) Watch(w, s);
}

void ProxyServer::Impl::Advance(Worker& w, Session& s) {
  while (!s.dead && !s.authorizing) {
    if (s.phase == Phase::kHead) {
      if (Pending(s.cout, s.cout_off) || s.close_after) return;
      if (s.cin.empty()) return;
      s.req = RequestHead{};
      HeadOutcome o = ParseRequestHead(s.cin, kProxyMaxHead, &s.req);
      if (o.status == HeadStatus::kIncomplete) {
        if (s.client_eof) Close(w, s);
        return;
      }
      if (o.status == HeadStatus::kError) {
        s.close_after = true;
        return Fail(w, s, o.error_status, o.error_reason);
      }
      s.cin.erase(0, s.req.size);
      StartRequest(w, s);
      continue;
    }
    if (s.phase == Phase::kBuffer) {
      BufferBody(s);
      if (s.req_body.failed()) {
        s.close_after = true;
        return Fail(w, s, 400, "malformed chunked request body");
      }
      if (s.req_body.done()) {
        s.request_done = true;
        s.replayable = true;
        if (auto p = FindIdentityParameter(s.form)) {
          s.form.clear();
          return Fail(w, s, 400,
                      "the form body carries the identity parameter '" + *p +
                          "'; the proxy adds the token itself");
        }
        s.form.clear();
        Begin(w, s);
      } else if (s.body.size() > kProxyReplayBody) {
        s.form.clear();  // too large to check or to replay: streamed as it is
        Begin(w, s);
      } else if (s.client_eof) {
        return Close(w, s);
      }
      return;
    }
    if (s.phase == Phase::kForward) return PumpRequest(w, s);
    return;
  }
}

// Moves the body bytes read so far from `cin` to `body` (and a form's payload to `form`).
void ProxyServer::Impl::BufferBody(Session& s) {
  size_t used = s.req_body.Consume(s.cin, IsForm(s.req) ? &s.form : nullptr);
  s.body.append(s.cin, 0, used);
  s.cin.erase(0, used);
}

void ProxyServer::Impl::StartRequest(Worker& w, Session& s) {
  MonoTime now = clock->Now();
  if (s.access_checked != settings_generation.load()) {  // a reload changed the lists
    if (AwaitingGroups(s)) {  // which now name groups: wait for the caller's
      s.resume_request = true;
      s.deadline = now + kHeadDeadline;
      return;
    }
    if (!StillAllowed(s)) {
      LogRefusal("uid " + std::to_string(s.peer.uid) + " is no longer in " + config.section +
                 ".allow_users / " + config.section + ".allow_groups");
      s.close_after = true;
      return Fail(w, s, 403, "this user may not use the proxy of identity " + config.identity);
    }
  }
  s.body.clear();
  s.form.clear();
  s.replayable = s.request_done = s.replayed = s.stale_retried = false;
  s.have_head = s.hold_403 = s.response_started = s.sent_any = false;
  s.held_raw.clear();
  s.held_payload.clear();
  s.attempts = 0;
  s.address = 0;
  ++s.requests;
  const RequestHead& r = s.req;
  uint64_t poll_ms = 0;
  s.exchange_deadline =
      now + (IsLongPoll(r, &poll_ms)
                 ? std::chrono::duration_cast<MonoDuration>(std::chrono::milliseconds(poll_ms)) +
                       kLongPollGrace
                 : std::chrono::duration_cast<MonoDuration>(Settings()->timeout));
  s.deadline = s.exchange_deadline;
  if (r.framing == BodyFraming::kLength && r.content_length > kProxyMaxBody) {
    s.close_after = true;
    return Fail(w, s, 413, "request body larger than 32 MiB");
  }
  if (auto p = FindIdentityParameter(r.query)) {
    s.close_after = r.framing != BodyFraming::kNone;  // its body is not read
    return Fail(
        w, s, 400,
        "the query carries the identity parameter '" + *p + "'; the proxy adds the token itself");
  }
  s.req_body = BodyFramer(r.framing, r.content_length);
  if (const std::string* e = FindHeader(r.headers, "Expect");
      e && HeaderNameIs(*e, "100-continue") && r.framing != BodyFraming::kNone) {
    // Nacos gets no Expect (see UpstreamRequestHead): the proxy reads the body itself.
    s.cout += "HTTP/1.1 100 Continue\r\n\r\n";
    FlushClient(w, s);
    if (s.dead) return;
  }
  s.phase = Phase::kBuffer;  // a body of up to 1 MiB is read whole first (none: at once)
}

void ProxyServer::Impl::Begin(Worker& w, Session& s) {
  auto t = Target();
  auto token = t->board->store.Valid(clock->Now());
  if (!token) {
    s.close_after = s.close_after || !s.request_done;
    return Fail(w, s, 503, "no valid token for identity " + config.identity + " (yet)");
  }
  s.generation = token->generation;
  s.phase = Phase::kForward;
  s.uout = UpstreamRequestHead(s.req, "", token->value);  // Host filled in by Connect
  s.uout_off = 0;
  s.uout.append(s.body);
  if (!s.replayable) std::string().swap(s.body);  // streamed from here: its memory goes back
  // A kept connection to a server a reload took away is not reused.
  if (s.ufd >= 0 && std::find(t->nacos.servers.begin(), t->nacos.servers.end(), s.upstream) ==
                        t->nacos.servers.end())
    CloseUpstream(w, s);
  // A kept connection Nacos has closed meanwhile is not reused. (A replayable
  // request that meets one anyway is sent again: UpstreamBroken.)
  if (s.ufd >= 0 && !s.replayable) {
    char probe;
    ssize_t n = ::recv(s.ufd, &probe, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN)) CloseUpstream(w, s);
  }
  if (s.ufd < 0) {
    s.server = preferred_server.load() % t->nacos.servers.size();
    const ServerEndpoint& server = t->nacos.servers[s.server];
    UpstreamPool::Conn pooled = w.pool.Take(server.Display(), clock->Now());
    if (pooled.fd >= 0) {
      s.ufd = pooled.fd;
      s.upstream = server;
      s.tls = std::move(pooled.tls);
      s.ureg = false;
      s.uev = 0;
    }
  }
  if (s.ufd < 0) {
    Connect(w, s);
  } else {
    s.ureused = true;
    SetHost(&s.uout, Authority(s.upstream));
    FlushUp(w, s);
  }
  if (!s.dead) PumpRequest(w, s);
}

void ProxyServer::Impl::Connect(Worker& w, Session& s) {
  if (s.dead || s.lingering || s.phase == Phase::kHead) return;  // answered meanwhile
  auto t = Target();
  const auto& servers = t->nacos.servers;
  // Each server once per request; each of its addresses in turn (a name may
  // resolve to ::1 first while the server listens on 127.0.0.1 only).
  while (s.address > 0 || s.attempts < servers.size()) {
    const ServerEndpoint& server = servers[s.server % servers.size()];
    if (s.address == 0) {
      UpstreamResolver::Answer answer = resolver->Lookup(server);
      if (answer.state == UpstreamResolver::State::kPending) {
        // The resolver wakes the workers when it answers; bounded like a connect.
        if (!s.resolving) {
          s.resolving = true;
          s.connect_deadline =
              clock->Now() + std::chrono::duration_cast<MonoDuration>(t->nacos.connect_timeout);
        }
        return;
      }
      s.resolving = false;
      ++s.attempts;
      if (answer.state == UpstreamResolver::State::kFailed) {
        LogWarning(config.section + ": " + answer.error);
        s.server = (s.server + 1) % servers.size();
        continue;
      }
      s.addresses = std::move(answer.addresses);
    }
    auto fd = StartUpstreamConnect(s.addresses[s.address], server);
    if (!fd) {
      LogWarning(config.section + ": " + fd.error());
      if (++s.address < s.addresses.size()) continue;
      s.address = 0;
      s.server = (s.server + 1) % servers.size();
      continue;
    }
    SetHost(&s.uout, Authority(server));
    s.ufd = *fd;
    s.upstream = server;
    s.connecting = true;
    s.ureused = false;
    s.ureg = false;
    s.uev = 0;
    s.connect_deadline =
        clock->Now() + std::chrono::duration_cast<MonoDuration>(t->nacos.connect_timeout);
    Watch(w, s);
    return;
  }
  Fail(w, s, 502, "no Nacos server of identity " + config.identity + " could be reached");
}

void ProxyServer::Impl::ConnectFailed(Worker& w, Session& s, const std::string& why) {
  auto t = Target();
  const ServerEndpoint& server = s.upstream;
  LogWarning(config.section + ": cannot connect to " + server.Display() + ": " + why);
  resolver->ConnectFailed(server);  // its address may have moved
  CloseUpstream(w, s);
  // Nothing was sent: the server's next address (an IPv4 server behind a name
  // that resolves to ::1 first), else the next server.
  if (++s.address >= s.addresses.size()) {
    s.address = 0;
    s.server = (s.server + 1) % t->nacos.servers.size();
  }
  Connect(w, s);
}

void ProxyServer::Impl::PumpRequest(Worker& w, Session& s) {
  if (!s.request_done && !s.cin.empty() && Pending(s.uout, s.uout_off) < kPipeCap) {
    size_t used = s.req_body.Consume(s.cin);
    if (s.req_body.failed()) return Close(w, s);  // part of it went out: nothing to answer
    if (s.req_body.payload_size() > kProxyMaxBody) {
      LogWarning(config.section + ": dropped a chunked request body beyond 32 MiB");
      return Close(w, s);
    }
    Compact(&s.uout, &s.uout_off);
    s.uout.append(s.cin, 0, used);
    s.cin.erase(0, used);
    if (s.req_body.done()) s.request_done = true;
  }
  if (!s.request_done && s.client_eof) return Close(w, s);
  if (!s.connecting && s.ufd >= 0) FlushUp(w, s);
}

void ProxyServer::Impl::FlushUp(Worker& w, Session& s) {
  while (Pending(s.uout, s.uout_off)) {
    ssize_t n = UpSend(s, s.uout.data() + s.uout_off, Pending(s.uout, s.uout_off));
    if (n > 0) {
      s.uout_off += static_cast<size_t>(n);
      s.sent_any = true;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    return UpstreamBroken(w, s, n < 0 ? strerror(errno) : "closed");
  }
  if (s.uout_off == s.uout.size() && !s.replayable) {
    s.uout.clear();
    s.uout_off = 0;
  }
  // Room again towards Nacos: take more of the caller's body.
  if (!s.request_done && !s.cin.empty() && Pending(s.uout, s.uout_off) < kPipeCap)
    PumpRequest(w, s);
  if (!s.dead) Watch(w, s);
}

void ProxyServer::Impl::UpstreamBroken(Worker& w, Session& s, const std::string& why) {
  CloseUpstream(w, s);
  if (!s.have_head && s.ureused && s.replayable && !s.stale_retried) {
    // A kept connection Nacos closed as we reused it: the request never reached
    // a controller, so it is sent again on a fresh one.
    s.stale_retried = true;
    s.uout_off = 0;
    s.attempts = 0;
    s.address = 0;
    return Connect(w, s);
  }
  if (!s.response_started) {
    s.close_after = true;
    return Fail(w, s, 502, "Nacos closed the connection before answering (" + why + ")");
  }
  Close(w, s);
}

void ProxyServer::Impl::UpRead(Worker& w, Session& s) {
  const uint64_t exchange = s.exchanges;
  if (s.uin.size() >= kPipeCap || Pending(s.cout, s.cout_off) >= kPipeCap) s.ustall = true;
  char buf[kReadChunk];
  bool eof = false;
  while (s.ufd >= 0 && s.uin.size() < kPipeCap && Pending(s.cout, s.cout_off) < kPipeCap) {
    ssize_t n = UpRecv(s, buf, sizeof buf);
    if (n > 0) {
      s.uin.append(buf, static_cast<size_t>(n));
      // (TLS hands out a record at a time: read on until it says "want read".)
      if (!s.tls && static_cast<size_t>(n) < sizeof buf) break;
      continue;
    }
    if (n == 0) {
      eof = true;
      break;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN) break;
    return UpstreamBroken(w, s, strerror(errno));
  }
  ProcessResponse(w, s);
  if (s.dead) return;
  if (eof && s.exchanges != exchange) {
    // The answer was complete; Nacos then closed the kept connection (a
    // pipelined request that took it over found that out with its probe).
    if (s.phase != Phase::kForward && s.ufd >= 0) CloseUpstream(w, s);
  } else if (eof && s.ufd >= 0) {
    if (s.have_head && !s.resp_body.done()) {
      s.resp_body.OnEof();
      if (s.resp_body.done()) {
        CloseUpstream(w, s);
        if (s.hold_403) return Decide403(w, s);
        return FinishExchange(w, s);
      }
      return Close(w, s);  // cut in the middle of the answer
    }
    if (!s.have_head) return UpstreamBroken(w, s, "end of stream");
    CloseUpstream(w, s);  // after a complete answer: nothing lost
  }
  if (!s.dead) Watch(w, s);
}

void ProxyServer::Impl::StartRelay(Session& s, const std::string& raw_head,
                                   const ResponseHead& head) {
  s.dechunk = s.req.minor_version == 0 && head.framing == BodyFraming::kChunked;
  bool keep = s.req.keep_alive && head.framing != BodyFraming::kUntilClose && !s.dechunk &&
              s.requests < kMaxRequestsPerConnection && !s.client_eof && !s.close_after;
  if (!keep) s.close_after = true;
  s.cout += CallerResponseHead(raw_head, head, keep, s.dechunk);
  s.response_started = true;
}

void ProxyServer::Impl::ProcessResponse(Worker& w, Session& s) {
  while (!s.have_head && !s.uin.empty()) {
    s.resp = ResponseHead{};
    HeadOutcome o = ParseResponseHead(s.uin, kMaxAnswerHead, s.req.method, &s.resp);
    if (o.status == HeadStatus::kIncomplete) return;
    if (o.status == HeadStatus::kError) {
      CloseUpstream(w, s);
      s.close_after = true;
      return Fail(w, s, 502, std::string("Nacos sent a malformed answer: ") + o.error_reason);
    }
    s.raw_head = s.uin.substr(0, s.resp.size);
    s.uin.erase(0, s.resp.size);
    if (s.resp.status < 200) continue;  // 100 Continue and the like: the proxy spoke for Nacos
    s.have_head = true;
    s.resp_body = BodyFramer(s.resp.framing, s.resp.content_length);
    if (s.resp.status == 403 && !s.replayed) {
      s.hold_403 = true;  // held whole (it is small) to tell a rejected token from a denial
    } else {
      StartRelay(s, s.raw_head, s.resp);
    }
  }
  if (!s.have_head) return;
  if (!s.uin.empty()) {
    std::string payload;
    if (s.hold_403) {
      size_t used = s.resp_body.Consume(s.uin, &s.held_payload);
      s.held_raw.append(s.uin, 0, used);
      s.uin.erase(0, used);
      if (!s.resp_body.done() && s.held_raw.size() > kMax403Body) {
        // Too large for a Nacos auth failure: relayed as it is.
        s.hold_403 = false;
        StartRelay(s, s.raw_head, s.resp);
        s.cout += s.dechunk ? s.held_payload : s.held_raw;
        s.held_raw.clear();
        s.held_payload.clear();
      }
    } else {
      size_t used = s.resp_body.Consume(s.uin, s.dechunk ? &payload : nullptr);
      Compact(&s.cout, &s.cout_off);
      if (s.dechunk)
        s.cout += payload;
      else
        s.cout.append(s.uin, 0, used);
      s.uin.erase(0, used);
    }
    if (s.resp_body.failed()) {
      CloseUpstream(w, s);
      if (!s.response_started) {
        s.close_after = true;
        return Fail(w, s, 502, "Nacos sent a malformed answer body");
      }
      return Close(w, s);
    }
  }
  if (s.resp_body.done()) {
    if (!s.uin.empty() || !s.resp.keep_alive || !s.request_done) CloseUpstream(w, s);
    if (s.hold_403) return Decide403(w, s);
    return FinishExchange(w, s);
  }
  FlushClient(w, s);
}

void ProxyServer::Impl::Decide403(Worker& w, Session& s) {
  s.hold_403 = false;
  if (IsTokenRejection(403, s.held_payload)) {
    relogins.fetch_add(1);
    s.outcomes_seen = outcomes.load();
    request_refresh(config.identity, s.generation);
    if (s.replayable && s.request_done) {
      s.phase = Phase::kHealing;
      return CheckHealing(w, s);
    }
    LogInfo(config.section + ": Nacos rejected token generation " + std::to_string(s.generation) +
            "; logging in again; the request (body over 1 MiB) is answered with the 403");
  }
  StartRelay(s, s.raw_head, s.resp);
  s.cout += s.dechunk ? s.held_payload : s.held_raw;
  s.held_raw.clear();
  s.held_payload.clear();
  FinishExchange(w, s);
}

void ProxyServer::Impl::CheckHealing(Worker& w, Session& s) {
  auto t = Target();
  auto token = t->board->store.Valid(clock->Now());
  if (token && token->generation != s.generation) {
    // One line per healed token, however many requests it had failed.
    uint64_t logged = last_healed_logged.load();
    while (logged < s.generation &&
           !last_healed_logged.compare_exchange_weak(logged, s.generation)) {
    }
    if (logged < s.generation)
      LogInfo(config.section + ": Nacos rejected token generation " + std::to_string(s.generation) +
              "; healed with generation " + std::to_string(token->generation) +
              ", requests replayed");
    s.replayed = true;
    s.have_head = false;
    s.response_started = false;
    s.held_raw.clear();
    s.held_payload.clear();
    s.attempts = 0;
    s.address = 0;
    s.stale_retried = false;
    s.phase = Phase::kForward;
    // Begin with the body kept: same path as the first send.
    Begin(w, s);
    if (!s.dead) Watch(w, s);
    return;
  }
  if (outcomes.load() > s.outcomes_seen) {
    // The login ended without another token: Nacos's answer goes back.
    LogWarning(config.section + ": Nacos rejected token generation " +
               std::to_string(s.generation) + " and no new token could be had");
    s.phase = Phase::kForward;
    StartRelay(s, s.raw_head, s.resp);
    s.cout += s.dechunk ? s.held_payload : s.held_raw;
    s.held_raw.clear();
    s.held_payload.clear();
    FinishExchange(w, s);
    if (!s.dead) Watch(w, s);
  }
}

void ProxyServer::Impl::FinishExchange(Worker& w, Session& s) {
  Count(s.resp.status);
  ++s.exchanges;
  if (!s.request_done) s.close_after = true;  // the rest of its body is unread
  s.phase = Phase::kHead;
  // Buffers of a large exchange are given back, not kept for the next one.
  auto reset = [](std::string& b) {
    if (b.capacity() > 2 * kReadChunk)
      std::string().swap(b);
    else
      b.clear();
  };
  reset(s.body);
  reset(s.uout);
  s.uout_off = 0;
  reset(s.uin);
  if (s.cin.capacity() > 2 * kReadChunk) s.cin.shrink_to_fit();
  s.deadline = clock->Now() + kIdleBetweenRequests;
  FlushClient(w, s);
  if (!s.dead) Advance(w, s);  // a pipelined request
}

void ProxyServer::Impl::Fail(Worker& w, Session& s, int status, const std::string& reason) {
  Count(status);
  s.resolving = s.authorizing = s.resume_request = false;  // answered: nothing more is sent
  if (s.ufd >= 0 && !(s.phase == Phase::kHead)) CloseUpstream(w, s);
  bool keep = !s.close_after && s.req.keep_alive && s.phase != Phase::kForward;
  if (s.phase == Phase::kForward || s.phase == Phase::kHealing) keep = false;
  if (!keep) s.close_after = true;
  s.cout += ProxyErrorResponse(status, reason, keep, s.req.method == "HEAD");
  s.phase = Phase::kHead;
  s.body.clear();
  s.deadline = clock->Now() + kIdleBetweenRequests;
  FlushClient(w, s);
}

void ProxyServer::Impl::FlushClient(Worker& w, Session& s) {
  while (Pending(s.cout, s.cout_off)) {
    ssize_t n =
        ::send(s.cfd, s.cout.data() + s.cout_off, Pending(s.cout, s.cout_off), MSG_NOSIGNAL);
    if (n > 0) {
      s.cout_off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return Watch(w, s);
    return Close(w, s);
  }
  if (s.cout.capacity() > 2 * kPipeCap)
    std::string().swap(s.cout);
  else
    s.cout.clear();
  s.cout_off = 0;
  // Room again towards the caller: read more of Nacos's answer.
  if (s.ufd >= 0 && s.have_head && s.phase == Phase::kForward && !s.uin.empty())
    ProcessResponse(w, s);
  // Decrypted bytes TLS holds are not reported by epoll: fetch them now.
  if (!s.dead && s.ufd >= 0 && s.tls && s.phase == Phase::kForward && s.tls->Pending())
    UpRead(w, s);
  if (s.dead) return;
  if (s.phase == Phase::kHead && !s.close_after && !s.cin.empty() && !Pending(s.cout, s.cout_off))
    return Advance(w, s);  // a pipelined request, once the answer before it is out
  if (s.close_after && s.phase == Phase::kHead && !Pending(s.cout, s.cout_off)) {
    ReleaseUpstream(w, s);
    int unread = 0;
    if (s.cin.empty() && ioctl(s.cfd, FIONREAD, &unread) == 0 && unread == 0 && s.client_eof)
      return Close(w, s);
    ::shutdown(s.cfd, SHUT_WR);
    s.lingering = true;
    s.deadline = clock->Now() + kLinger;
  }
  Watch(w, s);
}

void ProxyServer::Impl::CloseUpstream(Worker&, Session& s) {
  if (s.ufd < 0) return;
  s.tls.reset();
  s.handshaking = false;
  s.tls_wants_write = false;
  ::close(s.ufd);
  s.ufd = -1;
  s.connecting = false;
  s.ureg = false;
  s.uev = 0;
}

void ProxyServer::Impl::ReleaseUpstream(Worker& w, Session& s) {
  if (s.ufd >= 0 && !s.connecting && !s.handshaking && s.phase == Phase::kHead) {
    // Between exchanges the connection is clean: kept for another caller.
    // Under the server it is connected to, whatever the target is now.
    if (s.ureg) epoll_ctl(w.epoll, EPOLL_CTL_DEL, s.ufd, nullptr);
    w.pool.Put(s.upstream.Display(), UpstreamPool::Conn{s.ufd, std::move(s.tls)}, clock->Now());
    s.ufd = -1;
    s.ureg = false;
    s.uev = 0;
  }
  CloseUpstream(w, s);
}

void ProxyServer::Impl::Close(Worker& w, Session& s) {
  if (s.dead) return;
  s.resolving = s.authorizing = s.resume_request = false;
  ReleaseUpstream(w, s);
  ::close(s.cfd);
  s.cfd = -1;
  s.dead = true;
  sessions.fetch_sub(1);
}

// Level-triggered epoll: ask only for what each side can use now.
void ProxyServer::Impl::Watch(Worker& w, Session& s) {
  if (s.dead) return;
  uint32_t want = 0;
  bool reading = false;
  if (s.lingering) {
    reading = true;
  } else if (!s.client_eof) {
    switch (s.phase) {
      case Phase::kHead:
        reading = !Pending(s.cout, s.cout_off) && !s.close_after;
        break;
      case Phase::kBuffer:
        reading = true;
        break;
      case Phase::kForward:
        reading = !s.request_done && Pending(s.uout, s.uout_off) < kPipeCap;
        break;
      case Phase::kHealing:
        break;
    }
  }
  // Interest is dropped lazily: an event we cannot use now (cstall) drops it;
  // otherwise it stays, which saves two epoll_ctl calls per exchange.
  if (reading) s.cstall = false;
  if (reading || ((s.cev & EPOLLIN) && !s.cstall && !s.client_eof)) want |= EPOLLIN | EPOLLRDHUP;
  if (Pending(s.cout, s.cout_off)) want |= EPOLLOUT;
  SetEpollInterest(w.epoll, s.cfd, s.id, want, &s.creg, &s.cev);
  if (s.ufd < 0) return;
  want = 0;
  if (s.handshaking) {
    want = s.tls_wants_write ? EPOLLOUT : EPOLLIN;
  } else if (s.connecting || Pending(s.uout, s.uout_off) || s.tls_wants_write) {
    want |= EPOLLOUT;
  }
  bool ureading = !s.connecting && !s.handshaking && s.phase == Phase::kForward &&
                  Pending(s.cout, s.cout_off) < kPipeCap;
  if (ureading) s.ustall = false;
  if (ureading || (!s.connecting && !s.handshaking && (s.uev & EPOLLIN) && !s.ustall))
    want |= EPOLLIN | EPOLLRDHUP;
  SetEpollInterest(w.epoll, s.ufd, s.id, want, &s.ureg, &s.uev);
}

void ProxyServer::Impl::Sweep(Worker& w) {
  MonoTime now = clock->Now();
  w.pool.Expire(now);
  for (auto& [id, s] : w.sessions) {
    if (s.dead) continue;
    if (s.connecting && s.connect_deadline <= now) {
      ConnectFailed(w, s, "connect timed out");
      continue;
    }
    if (s.authorizing && s.deadline <= now) {
      s.authorizing = false;
      LogRefusal("uid " + std::to_string(s.peer.uid) +
                 ": the user database did not tell its groups in time");
      s.close_after = true;
      Fail(w, s, 403, "this user may not use the proxy of identity " + config.identity);
      continue;
    }
    if (s.resolving && s.connect_deadline <= now) {
      auto t = Target();
      LogWarning(config.section + ": " +
                 t->nacos.servers[s.server % t->nacos.servers.size()].Display() +
                 ": name lookup timed out");
      s.resolving = false;
      ++s.attempts;
      s.server = (s.server + 1) % t->nacos.servers.size();
      Connect(w, s);
      continue;
    }
    if (s.deadline > now) continue;
    if (s.lingering) {
      Close(w, s);
    } else if (s.phase == Phase::kHead) {
      if (!s.cin.empty() && !Pending(s.cout, s.cout_off)) {
        s.close_after = true;
        Fail(w, s, 408, "request not completed in time");
      } else {
        Close(w, s);  // idle keep-alive, or a caller that stopped reading
      }
    } else if (s.phase == Phase::kHealing) {
      s.phase = Phase::kForward;
      StartRelay(s, s.raw_head, s.resp);
      s.cout += s.dechunk ? s.held_payload : s.held_raw;
      FinishExchange(w, s);
    } else if (s.phase == Phase::kBuffer) {
      s.close_after = true;  // the caller, not Nacos, is late
      Fail(w, s, 408, "request body not completed in time");
    } else if (!s.response_started) {
      s.close_after = true;
      Fail(w, s, 504, "Nacos did not answer within the bound of this request");
    } else {
      Close(w, s);
    }
  }
}

}  // namespace tokend
