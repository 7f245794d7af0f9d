#include "serve/socket_server.h"

#include <fcntl.h>
#include <grp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <optional>
#include <unordered_map>

#include "base/epoll_tag.h"
#include "base/log.h"
#include "serve/metrics_text.h"
#include "serve/socket_api.h"
#include "serve/unix_listener.h"

namespace tokend {
namespace {

constexpr int kThreads = 2;
constexpr int kMaxRequestsPerConnection = 10000;
constexpr int kAcceptBatch = 32;

struct Peer {
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
  pid_t pid = 0;
};

bool Contains(const std::vector<gid_t>& v, gid_t x) {
  for (gid_t g : v) {
    if (g == x) return true;
  }
  return false;
}

// Root always may; with both lists empty anyone who can connect may.
bool Allowed(const AccessConfig& policy, int fd, const Peer& peer) {
  if (peer.uid == 0) return true;
  if (policy.allow_uids.empty() && policy.allow_gids.empty()) return true;
  for (uid_t u : policy.allow_uids) {
    if (u == peer.uid) return true;
  }
  if (Contains(policy.allow_gids, peer.gid)) return true;
  if (policy.allow_gids.empty()) return false;
  std::array<gid_t, 256> groups;
  socklen_t len = sizeof groups;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &len) != 0) return false;
  for (size_t i = 0; i < len / sizeof(gid_t); ++i) {
    if (Contains(policy.allow_gids, groups[i])) return true;
  }
  return false;
}

struct Connection {
  int fd = -1;
  std::string in;
  std::string out;
  size_t out_off = 0;
  MonoTime deadline;
  bool close_after_write = false;
  bool waiting_refresh = false;
  std::optional<TokenHold> hold;  // a long poll waiting for another token
  bool keep_alive = false;
  bool head = false;
  int requests = 0;
  uint64_t refresh_seen = 0;  // the identity's logins ended when the request arrived
  std::string refresh_identity;
  uint64_t rejected_generation = 0;  // rejected=<token of this generation>; 0: plain refresh
  Peer peer;                         // from SO_PEERCRED at accept
  uint64_t access_checked = 0;       // the access generation its rights were last checked at
  uint32_t id = 0;                   // tells apart connections that reuse a descriptor number
  uint32_t events = 0;               // the interest registered with epoll
  bool registered = false;           // added to epoll (done lazily: most requests finish before)
  bool must_linger = false;  // answered before the request was read: the peer may still send
  bool peer_closed = false;  // read() returned 0
  bool lingering = false;    // answered and shut down for writing; draining until the peer closes
};

// After the last answer, half-close and drain what the peer still sends:
// closing with unread input would reset the connection and could destroy the
// answer before the peer read it.
constexpr MonoDuration kLinger = std::chrono::seconds(1);

}  // namespace

// The last login outcome of one identity, and how many there were: `ending`
// counts the rounds that ended, `count` those whose outcome is applied (and so
// may answer); `count` catches up with `ending` as each is applied.
struct Outcome {
  uint64_t ending = 0;
  uint64_t count = 0;
  bool ok = false;
  std::string reason;
};

struct SocketServer::Impl {
  SocketConfig config;
  const Clock* clock;
  RefreshRequest request_refresh;
  UnixListener listener;

  std::mutex mu;
  std::shared_ptr<const AccessConfig> policy;          // guarded by mu
  std::shared_ptr<const ServedIdentities> identities;  // guarded by mu
  std::unordered_map<std::string, Outcome> outcomes;   // guarded by mu
  std::function<std::string()> extra_metrics;          // guarded by mu

  std::atomic<bool> stopping{false};
  // Bumped when the allow lists or the identities change: open connections are
  // checked again before their next request or answer.
  std::atomic<uint64_t> access_generation{1};
  std::atomic<int> connections{0};
  std::atomic<int64_t> last_refusal_log_ms{-1'000'000};
  std::atomic<uint64_t> refusals_unlogged{0};
  RequestCounters requests;

  struct Worker {
    int epoll = -1;
    int wake = -1;
    std::thread thread;
    std::unordered_map<int, Connection> conns;
    uint32_t next_id = 0;
  };
  std::array<Worker, kThreads> workers;

  std::shared_ptr<const AccessConfig> Policy() {
    std::lock_guard lock(mu);
    return policy;
  }
  /// The [socket] lists, or the [socket:NAME] lists of any identity, let this peer in.
  bool MayConnect(int fd, const Peer& peer) {
    auto socket_lists = Policy();
    if (Allowed(*socket_lists, fd, peer)) return true;
    auto ids = Identities();
    for (const auto& id : *ids) {
      if (id.access && Allowed(*id.access, fd, peer)) return true;
    }
    return false;
  }
  /// Whether the peer may use `id`: its [socket:NAME] lists, or else the [socket] lists.
  bool MayUse(const ServedIdentity& id, int fd, const Peer& peer) {
    return id.access ? Allowed(*id.access, fd, peer) : Allowed(*Policy(), fd, peer);
  }
  /// Whether a connection accepted under older lists may still be served, and
  /// its waiting request (for `waiting_for`, if any) answered. `generation`
  /// is access_generation as read before the identities `waiting_for` comes
  /// from, so that a reload in between is checked again next time. Costs
  /// nothing while the lists are unchanged.
  bool StillAllowed(Connection& c, const ServedIdentity* waiting_for, uint64_t generation) {
    if (c.access_checked == generation) return true;
    if (!MayConnect(c.fd, c.peer) || (waiting_for && !MayUse(*waiting_for, c.fd, c.peer))) {
      return false;
    }
    c.access_checked = generation;
    return true;
  }
  void AccessChanged() {
    access_generation.fetch_add(1);
    WakeWorkers();
  }
  void LogRefusalOnce(const std::string& message) {
    int64_t now_ms = clock->Now().since_boot.count();
    int64_t last = last_fd_log_ms.load();
    if (now_ms - last >= 10'000 && last_fd_log_ms.compare_exchange_strong(last, now_ms)) {
      LogError(message);
    }
  }
  std::mutex spare_mu;
  int spare_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);  // guarded by spare_mu
  std::atomic<int64_t> last_fd_log_ms{-1'000'000};
  std::shared_ptr<const ServedIdentities> Identities() {
    std::lock_guard lock(mu);
    return identities;
  }
  void WakeWorkers() {
    for (auto& w : workers) {
      uint64_t one = 1;
      (void)!::write(w.wake, &one, sizeof one);
    }
  }
  void Run(Worker& w);
  void Accept(Worker& w);
  void OnEvent(Worker& w, Connection& c, uint32_t events);
  void Process(Worker& w, Connection& c);
  void Respond(Worker& w, Connection& c, const HttpResponse& r, ApiPath path, bool keep_alive);
  void Flush(Worker& w, Connection& c);
  void Watch(Worker& w, Connection& c);
  void CloseConn(Worker& w, int fd);
  /// Handles connections past their deadline; returns the next deadline.
  std::optional<MonoTime> Sweep(Worker& w);
  void AnswerRefreshWaiters(Worker& w);
  /// 403 and close: the peer may not use the socket at all (any more).
  void Refuse(Worker& w, Connection& c);
  void LogRefusal(const Peer& peer);
};

namespace {

// What one request sees: the identities at that moment and its peer's rights.
class RequestState final : public ApiState {
 public:
  RequestState(SocketServer::Impl* impl, const Connection* c)
      : impl_(impl), c_(c), now_(impl->clock->Now()), identities_(impl->Identities()) {}
  MonoTime now() const override { return now_; }
  const ServedIdentities& identities() const override { return *identities_; }
  bool PeerMayUse(const ServedIdentity& id) const override {
    return impl_->MayUse(id, c_->fd, c_->peer);
  }
  std::string Metrics() const override {
    std::function<std::string()> extra;
    {
      std::lock_guard lock(impl_->mu);
      extra = impl_->extra_metrics;
    }
    return RenderMetrics(*identities_, impl_->requests, now_) + (extra ? extra() : "");
  }

 private:
  SocketServer::Impl* impl_;
  const Connection* c_;
  MonoTime now_;
  std::shared_ptr<const ServedIdentities> identities_;
};

}  // namespace

SocketServer::SocketServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SocketServer::~SocketServer() { Stop(); }

Result<std::unique_ptr<SocketServer>> SocketServer::Create(
    const SocketConfig& config, const Clock* clock,
    std::shared_ptr<const ServedIdentities> identities, RefreshRequest request_refresh) {
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  impl->clock = clock;
  impl->identities = std::move(identities);
  impl->request_refresh = std::move(request_refresh);
  impl->policy = std::make_shared<AccessConfig>(config.access);
  auto activated = UnixListener::FromActivation();
  if (!activated) return Error{activated.error()};
  if (activated->fd() >= 0) {
    impl->listener = std::move(*activated);
  } else {
    auto bound = UnixListener::Bind(config);
    if (!bound) return Error{bound.error()};
    impl->listener = std::move(*bound);
  }
  for (auto& w : impl->workers) {
    w.epoll = epoll_create1(EPOLL_CLOEXEC);
    w.wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (w.epoll < 0 || w.wake < 0) return Error{std::string("socket: epoll: ") + strerror(errno)};
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLEXCLUSIVE;
    ev.data.u64 = EpollTag(impl->listener.fd(), 0);
    epoll_ctl(w.epoll, EPOLL_CTL_ADD, impl->listener.fd(), &ev);
    ev.events = EPOLLIN;
    ev.data.u64 = EpollTag(w.wake, 0);
    epoll_ctl(w.epoll, EPOLL_CTL_ADD, w.wake, &ev);
  }
  return std::unique_ptr<SocketServer>(new SocketServer(std::move(impl)));
}

std::string SocketServer::description() const {
  const auto& l = impl_->listener;
  return (l.activated() ? "socket-activated " : "") + l.path();
}

const std::string& SocketServer::path() const { return impl_->config.path; }
bool SocketServer::activated() const { return impl_->listener.activated(); }

void SocketServer::Start() {
  for (auto& w : impl_->workers) {
    w.thread = std::thread([this, &w] { impl_->Run(w); });
  }
}

void SocketServer::Stop() {
  if (impl_->stopping.exchange(true)) return;
  for (auto& w : impl_->workers) {
    uint64_t one = 1;
    (void)!::write(w.wake, &one, sizeof one);
  }
  for (auto& w : impl_->workers) {
    if (w.thread.joinable()) w.thread.join();
    for (auto& [fd, c] : w.conns) ::close(fd);
    w.conns.clear();
    ::close(w.epoll);
    ::close(w.wake);
  }
  impl_->listener.Close();
  std::lock_guard lock(impl_->spare_mu);
  if (impl_->spare_fd >= 0) ::close(std::exchange(impl_->spare_fd, -1));
}

void SocketServer::OnLoginEnding(const std::string& identity) {
  std::lock_guard lock(impl_->mu);
  ++impl_->outcomes[identity].ending;
}

void SocketServer::OnLoginFinished(const std::string& identity, const LoginOutcome& outcome) {
  {
    std::lock_guard lock(impl_->mu);
    Outcome& o = impl_->outcomes[identity];
    ++o.count;
    o.ok = outcome.ok;
    o.reason = outcome.error;
  }
  impl_->WakeWorkers();
}

void SocketServer::OnTokenEvent(const std::string&, const TokenEvent&) { impl_->WakeWorkers(); }

void SocketServer::Recheck() { impl_->WakeWorkers(); }

void SocketServer::SetExtraMetrics(std::function<std::string()> render) {
  std::lock_guard lock(impl_->mu);
  impl_->extra_metrics = std::move(render);
}

void SocketServer::SetIdentities(std::shared_ptr<const ServedIdentities> identities) {
  {
    std::lock_guard lock(impl_->mu);
    impl_->identities = std::move(identities);
  }
  // Requests waiting for a removed identity are answered; the rights of every
  // connection are checked again against the new identities' lists.
  impl_->AccessChanged();
}

Status SocketServer::Reconfigure(const SocketConfig& config) {
  if (config.path != impl_->config.path && !impl_->listener.activated()) {
    return Error{"socket.path: changing the socket path needs a restart"};
  }
  {
    // The allow lists first: a mode or group that cannot be applied must not keep the old ones.
    std::lock_guard lock(impl_->mu);
    impl_->policy = std::make_shared<AccessConfig>(config.access);
    impl_->config = config;
  }
  impl_->AccessChanged();
  return impl_->listener.Apply(config);
}

void SocketServer::Impl::Run(Worker& w) {
  std::array<epoll_event, 64> events;
  std::optional<MonoTime> next_deadline;
  while (!stopping.load()) {
    // Sleep until the earliest deadline: held long polls and idle connections
    // cost no wake-up until theirs.
    int timeout = -1;
    if (next_deadline) {
      int64_t ms = (*next_deadline - clock->Now()).count() + 1;
      timeout = static_cast<int>(std::clamp<int64_t>(ms, 0, 24 * 3600 * 1000));
    }
    int n = epoll_wait(w.epoll, events.data(), events.size(), timeout);
    if (n < 0 && errno != EINTR) {
      LogError(std::string("socket: epoll_wait failed: ") + strerror(errno));
      return;
    }
    for (int i = 0; i < n; ++i) {
      int fd = EpollTagFd(events[i].data.u64);
      uint32_t id = EpollTagId(events[i].data.u64);
      if (fd == listener.fd()) {
        Accept(w);
      } else if (fd == w.wake) {
        uint64_t v;
        (void)!::read(w.wake, &v, sizeof v);
        AnswerRefreshWaiters(w);
      } else if (auto it = w.conns.find(fd); it != w.conns.end() && it->second.id == id) {
        // (A stale event for a descriptor closed and reused within this batch has an old id.)
        OnEvent(w, it->second, events[i].events);
      }
    }
    next_deadline = w.conns.empty() ? std::nullopt : Sweep(w);
  }
}

void SocketServer::Impl::Accept(Worker& w) {
  // A bounded batch, so the connections already open get their turn; the
  // listener is level-triggered and brings the rest at the next wake-up.
  for (int batch = 0; batch < kAcceptBatch; ++batch) {
    int fd = accept4(listener.fd(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE) {
        // The listener stays readable: accept and close the connection with the descriptor
        // kept in reserve for this, or the loop would spin.
        LogRefusalOnce("socket: out of file descriptors; closing new connections");
        std::lock_guard lock(spare_mu);
        if (spare_fd >= 0) {
          ::close(spare_fd);
          int shed = accept4(listener.fd(), nullptr, nullptr, SOCK_CLOEXEC);
          if (shed >= 0) ::close(shed);
          spare_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
          if (shed >= 0) continue;
        }
      }
      return;  // EAGAIN: the queue is drained (or another worker took it)
    }
    if (connections.load() >= kMaxConnections) {
      ::close(fd);  // shed load at once rather than queue without bound
      continue;
    }
    connections.fetch_add(1);
    Connection& c = w.conns[fd];
    c = Connection{};
    c.fd = fd;
    if (++w.next_id == 0) ++w.next_id;  // never 0, the tag of the listener and the eventfd
    c.id = w.next_id;
    c.deadline = clock->Now() + kRequestDeadline;
    ucred cred{};
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
      c.peer = Peer{cred.uid, cred.gid, cred.pid};
    }
    if (!StillAllowed(c, nullptr, access_generation.load())) {
      Refuse(w, c);  // decided before reading a byte: the peer learns nothing but 403
      continue;
    }
    // Most clients have sent their request by now: read it before asking
    // epoll, which a connection answered at once never needs.
    OnEvent(w, c, EPOLLIN);
  }
}

void SocketServer::Impl::Refuse(Worker& w, Connection& c) {
  LogRefusal(c.peer);
  c.must_linger = true;
  Respond(w, c, ErrorResponse(403, "forbidden"), ApiPath::kOther, false);
}

void SocketServer::Impl::LogRefusal(const Peer& peer) {
  int64_t now_ms = clock->Now().since_boot.count();
  int64_t last = last_refusal_log_ms.load();
  if (now_ms - last < 10'000 || !last_refusal_log_ms.compare_exchange_strong(last, now_ms)) {
    refusals_unlogged.fetch_add(1);
    return;
  }
  uint64_t more = refusals_unlogged.exchange(0);
  LogWarning("socket: refused a client: uid " + std::to_string(peer.uid) + " gid " +
             std::to_string(peer.gid) + " pid " + std::to_string(peer.pid) +
             " is not in socket.allow_users / socket.allow_groups" +
             (more ? " (" + std::to_string(more) + " more refusals not logged)" : ""));
}

void SocketServer::Impl::OnEvent(Worker& w, Connection& c, uint32_t events) {
  int fd = c.fd;
  if (events & (EPOLLERR | EPOLLHUP)) return CloseConn(w, fd);
  if ((events & EPOLLOUT) && !c.out.empty()) {
    Flush(w, c);
    if (w.conns.find(fd) == w.conns.end()) return;
  }
  if (!(events & (EPOLLIN | EPOLLRDHUP))) return;
  if (c.lingering) {
    char sink[4096];
    ssize_t n;
    while ((n = ::read(fd, sink, sizeof sink)) > 0) {
    }
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) CloseConn(w, fd);
    return;
  }
  if (c.close_after_write || c.waiting_refresh || c.hold || !c.out.empty()) {
    return Watch(w, c);  // busy: read the rest only once answered
  }
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      c.in.append(buf, static_cast<size_t>(n));
      if (c.in.size() > kMaxRequestHead + kMaxRequestBody) break;  // the parser will refuse it
      if (static_cast<size_t>(n) < sizeof buf) break;  // drained; epoll reports what comes next
      continue;
    }
    if (n == 0) {
      // Peer closed its side. Answer what is complete, then go.
      if (c.in.empty() && !c.waiting_refresh && !c.hold && c.out.empty()) return CloseConn(w, fd);
      c.keep_alive = false;
      c.peer_closed = true;
      break;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN) break;
    return CloseConn(w, fd);
  }
  Process(w, c);
  if (auto it = w.conns.find(fd); it != w.conns.end()) Watch(w, it->second);
}

void SocketServer::Impl::Process(Worker& w, Connection& c) {
  const int fd = c.fd;  // `c` dies with the connection; look it up again by fd
  while (!c.waiting_refresh && !c.hold && c.out.empty() && !c.close_after_write && !c.in.empty()) {
    if (!StillAllowed(c, nullptr, access_generation.load())) {
      return Refuse(w, c);  // a reload took its rights away
    }
    HttpRequest request;
    ParseOutcome o = ParseHttpRequest(c.in, &request);
    if (o.status == ParseStatus::kIncomplete) return;
    if (o.status == ParseStatus::kError) {
      c.must_linger = true;
      Respond(w, c, ErrorResponse(o.error_status, o.error_reason), ApiPath::kOther, false);
      return;
    }
    c.in.erase(0, o.consumed);
    c.head = request.method == "HEAD";
    bool keep = request.keep_alive && ++c.requests < kMaxRequestsPerConnection;
    ApiPath path = ClassifyPath(request.path);
    HttpResponse r = RouteRequest(request, RequestState(this, &c));
    if (r.hold) {
      c.hold = r.hold;
      c.keep_alive = keep;
      c.deadline = clock->Now() + r.hold->wait;
      return;
    }
    if (r.defer_refresh) {
      c.waiting_refresh = true;
      c.keep_alive = keep;
      c.deadline = clock->Now() + kRefreshWait;
      c.refresh_identity = r.refresh_identity;
      c.rejected_generation = r.rejected_generation;
      {
        std::lock_guard lock(mu);
        // Logins that ended before this request are not its answer, even
        // when their outcome is still being applied (the file written).
        c.refresh_seen = outcomes[r.refresh_identity].ending;
      }
      request_refresh(r.refresh_identity, r.rejected_generation);
      return;
    }
    Respond(w, c, r, path, keep);
    if (w.conns.find(fd) == w.conns.end()) return;
  }
}

void SocketServer::Impl::Respond(Worker& w, Connection& c, const HttpResponse& r, ApiPath path,
                                 bool keep_alive) {
  requests.Count(path, r.status);
  c.out = SerializeResponse(r, keep_alive, c.head);
  c.out_off = 0;
  c.keep_alive = keep_alive;
  c.close_after_write = !keep_alive;
  c.deadline = clock->Now() + (keep_alive ? kKeepAliveIdle : kRequestDeadline);
  Flush(w, c);
}

// Level-triggered epoll: ask only for what the connection can use now, or a
// half-closed peer (or one pipelining while we wait for a login) would wake
// the loop without end.
void SocketServer::Impl::Watch(Worker& w, Connection& c) {
  // Busy (an answer pending or a login awaited): read nothing, so a client
  // cannot queue unbounded input; HUP and ERR are still reported.
  bool busy = c.waiting_refresh || c.hold || !c.out.empty() || c.close_after_write;
  uint32_t want = 0;
  if (c.lingering || (!busy && !c.peer_closed)) want |= EPOLLIN | EPOLLRDHUP;
  if (c.out_off < c.out.size()) want |= EPOLLOUT;
  SetEpollInterest(w.epoll, c.fd, c.id, want, &c.registered, &c.events);
}

void SocketServer::Impl::Flush(Worker& w, Connection& c) {
  const int fd = c.fd;
  while (c.out_off < c.out.size()) {
    ssize_t n = ::send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
    if (n > 0) {
      c.out_off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return Watch(w, c);
    return CloseConn(w, c.fd);
  }
  c.out.clear();
  c.out_off = 0;
  if (c.close_after_write) {
    // Closing with unread input would reset the connection; with none, close now.
    int unread = 0;
    if (!c.must_linger && c.in.empty() && ioctl(c.fd, FIONREAD, &unread) == 0 && unread == 0) {
      return CloseConn(w, c.fd);
    }
    ::shutdown(c.fd, SHUT_WR);
    c.lingering = true;
    c.deadline = clock->Now() + kLinger;
    return Watch(w, c);
  }
  if (!c.in.empty()) Process(w, c);  // pipelined requests
  if (w.conns.count(fd)) Watch(w, w.conns[fd]);
}

void SocketServer::Impl::CloseConn(Worker& w, int fd) {
  ::close(fd);  // also takes it out of epoll: the descriptor is never duplicated
  w.conns.erase(fd);
  connections.fetch_sub(1);
}

std::optional<MonoTime> SocketServer::Impl::Sweep(Worker& w) {
  MonoTime now = clock->Now();
  std::vector<int> expired;
  for (auto& [fd, c] : w.conns) {
    if (c.deadline <= now) expired.push_back(fd);
  }
  for (int fd : expired) {
    auto it = w.conns.find(fd);
    if (it == w.conns.end()) continue;
    Connection& c = it->second;
    if (c.lingering) {
      CloseConn(w, fd);
    } else if (c.hold) {
      // `wait` passed: the same token again (or 503 if it just expired).
      HttpResponse answer = ErrorResponse(404, "identity '" + c.hold->identity + "' was removed");
      bool allowed = true;
      uint64_t generation = access_generation.load();  // before the identities: see StillAllowed
      auto ids = Identities();
      for (const auto& id : *ids) {
        if (id.name != c.hold->identity) continue;
        allowed = StillAllowed(c, &id, generation);
        answer = allowed ? TokenResponse(id, c.hold->json, now) : IdentityForbidden(id.name);
      }
      c.hold.reset();
      Respond(w, c, answer, ApiPath::kToken, allowed && c.keep_alive);
    } else if (c.waiting_refresh) {
      c.waiting_refresh = false;
      Respond(w, c, ErrorResponse(504, "the login is taking too long"), ApiPath::kRefresh, false);
    } else if (!c.in.empty() && c.out.empty()) {
      c.must_linger = true;
      Respond(w, c, ErrorResponse(408, "request not completed in time"), ApiPath::kOther, false);
    } else {
      CloseConn(w, fd);  // idle keep-alive, or a reader that stopped reading
    }
  }
  std::optional<MonoTime> next;
  for (auto& [fd, c] : w.conns) {
    if (!next || c.deadline < *next) next = c.deadline;
  }
  return next;
}

// A waiting POST /v1/refresh is answered by the first login of its identity
// that ends after it arrived; a rejected= one also as soon as another token
// is current, and any when its identity is gone. A held long poll is answered
// once its identity's generation moved or no token is valid.
void SocketServer::Impl::AnswerRefreshWaiters(Worker& w) {
  std::unordered_map<std::string, Outcome> seen;
  {
    std::lock_guard lock(mu);
    seen = outcomes;
  }
  uint64_t generation = access_generation.load();  // before the identities: see StillAllowed
  auto ids = Identities();
  MonoTime now = clock->Now();
  std::vector<int> ready;
  for (auto& [fd, c] : w.conns) {
    if (c.waiting_refresh || c.hold) ready.push_back(fd);
  }
  for (int fd : ready) {
    auto it = w.conns.find(fd);
    if (it == w.conns.end()) continue;
    Connection& c = it->second;
    const std::string& name = c.hold ? c.hold->identity : c.refresh_identity;
    const ServedIdentity* id = nullptr;
    for (const auto& candidate : *ids) {
      if (candidate.name == name) id = &candidate;
    }
    if (id && !StillAllowed(c, id, generation)) {
      // A reload took the peer's rights away while it waited: no token for it.
      ApiPath path = c.hold ? ApiPath::kToken : ApiPath::kRefresh;
      c.hold.reset();
      c.waiting_refresh = false;
      Respond(w, c, IdentityForbidden(id->name), path, false);
      continue;
    }
    if (c.hold) {
      if (id && !HoldIsOver(*c.hold, *id, now)) continue;
      HttpResponse answer = id ? TokenResponse(*id, c.hold->json, now)
                               : ErrorResponse(404, "identity '" + name + "' was removed");
      c.hold.reset();
      Respond(w, c, answer, ApiPath::kToken, c.keep_alive);
      continue;
    }
    HttpResponse answer;
    const Outcome& o = seen[c.refresh_identity];
    if (!id) {
      answer = ErrorResponse(404, "identity '" + c.refresh_identity + "' was removed");
    } else if (o.count > c.refresh_seen) {
      answer = RefreshResponse(o.ok, o.reason, *id, now);
    } else if (auto token = id->board->store.Valid(now);
               c.rejected_generation != 0 && token && token->generation != c.rejected_generation) {
      answer = RefreshResponse(true, "", *id, now);
    } else {
      continue;
    }
    c.waiting_refresh = false;
    Respond(w, c, answer, ApiPath::kRefresh, c.keep_alive);
  }
}

}  // namespace tokend
