#include "load_worker.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace uxload {
namespace {

// After a failure a client pauses this long, so a dead server costs a
// bounded number of errors instead of a busy loop.
constexpr auto kFailurePause = std::chrono::milliseconds(1);
constexpr auto kSweepEvery = std::chrono::milliseconds(100);

}  // namespace

LoadWorker::LoadWorker(const LoadOptions& options, int clients)
    : options_(options), clients_(static_cast<size_t>(clients)) {
  request_ = "GET " + options.target + " HTTP/1.1\r\nHost: localhost\r\nUser-Agent: uxload\r\n";
  // Connection per request: say so, as nacos-token does, so the server may
  // close first instead of waiting for our end of file.
  if (!options.keepalive) request_ += "Connection: close\r\n";
  request_ += "\r\n";
}

LoadWorker::~LoadWorker() {
  for (Client& c : clients_) CloseFd(c);
  if (epoll_ >= 0) close(epoll_);
}

bool LoadWorker::Run(Clock::time_point end) {
  if (options_.socket_path.size() >= sizeof(sockaddr_un::sun_path)) {
    error_ = "socket path too long: " + options_.socket_path;
    return false;
  }
  epoll_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_ < 0) {
    error_ = std::string("epoll_create1: ") + strerror(errno);
    return false;
  }
  Clock::time_point now = Clock::now();
  for (Client& c : clients_) Start(c, now);
  Clock::time_point last_sweep = now;
  std::array<epoll_event, 256> events;
  while ((now = Clock::now()) < end) {
    bool any_waiting = false;
    for (const Client& c : clients_) any_waiting |= c.waiting;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - now).count() + 1;
    int timeout_ms = any_waiting ? 1 : static_cast<int>(std::min<int64_t>(left, 100));
    int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), timeout_ms);
    if (n < 0 && errno != EINTR) {
      error_ = std::string("epoll_wait: ") + strerror(errno);
      return false;
    }
    for (int i = 0; i < n; ++i) {
      Client& c = clients_[events[i].data.u32];
      // A stale event for a connection closed earlier in this batch: the
      // reads below then just find nothing.
      if (!c.busy || c.fd < 0) continue;
      if ((events[i].events & EPOLLOUT) && c.want_write) Send(c, Clock::now());
      if (c.busy && c.fd >= 0 && (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
        OnReadable(c);
      }
    }
    now = Clock::now();
    if (any_waiting) {
      for (Client& c : clients_) {
        if (!c.waiting || c.wake_at > now) continue;
        c.waiting = false;
        if (!c.busy) {
          Start(c, now);
        } else if (Connect(c, now)) {  // retry after a full listen queue
          Send(c, now);
        }
      }
    }
    if (now - last_sweep >= kSweepEvery) {
      last_sweep = now;
      for (Client& c : clients_) {
        if (c.busy && now - c.started > options_.timeout) {
          Fail(c, Failure::kTimeout, now);
        }
      }
    }
  }
  return true;
}

void LoadWorker::Start(Client& c, Clock::time_point now) {
  c.busy = true;
  c.started = now;
  c.sent = 0;
  c.parser.Reset();
  if (c.fd < 0 && !Connect(c, now)) return;
  Send(c, now);
}

bool LoadWorker::Connect(Client& c, Clock::time_point now) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    Fail(c, Failure::kConnect, now);
    return false;
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  memcpy(addr.sun_path, options_.socket_path.c_str(), options_.socket_path.size() + 1);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    close(fd);
    if (err == EAGAIN) {
      // A Unix socket's listen queue is full. A blocking client would just
      // wait here, so this is not an error: retry, the clock keeps running.
      ++stats_.backlog_retries;
      c.waiting = true;
      c.wake_at = now + kFailurePause;
    } else {
      Fail(c, Failure::kConnect, now);
    }
    return false;
  }
  c.fd = fd;
  c.want_write = false;
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u32 = static_cast<uint32_t>(&c - clients_.data());
  epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
  return true;
}

void LoadWorker::Send(Client& c, Clock::time_point now) {
  while (c.sent < request_.size()) {
    ssize_t n = send(c.fd, request_.data() + c.sent, request_.size() - c.sent, MSG_NOSIGNAL);
    if (n > 0) {
      c.sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      if (!c.want_write) Watch(c, true);
      return;
    }
    Fail(c, Failure::kIo, now);
    return;
  }
  if (c.want_write) Watch(c, false);
}

void LoadWorker::OnReadable(Client& c) {
  char buf[16 * 1024];
  for (;;) {
    ssize_t n = read(c.fd, buf, sizeof buf);
    ResponseParser::State state;
    if (n > 0) {
      state = c.parser.Feed(std::string_view(buf, static_cast<size_t>(n)));
      if (state == ResponseParser::State::kIncomplete) continue;
    } else if (n == 0) {
      state = c.parser.FeedEof();
    } else if (errno == EINTR) {
      continue;
    } else if (errno == EAGAIN) {
      return;
    } else {
      state = ResponseParser::State::kMalformed;
    }
    if (state == ResponseParser::State::kComplete) {
      Finish(c, Clock::now());
    } else {
      Fail(c, Failure::kIo, Clock::now());
    }
    return;
  }
}

void LoadWorker::Finish(Client& c, Clock::time_point now) {
  if (c.parser.status() != 200) return Fail(c, Failure::kStatus, now);
  if (options_.expect_bytes >= 0 &&
      c.parser.body_length() != static_cast<size_t>(options_.expect_bytes)) {
    return Fail(c, Failure::kLength, now);
  }
  stats_.latency.Record(static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(now - c.started).count()));
  if (!options_.keepalive || c.parser.server_closes()) CloseFd(c);
  Start(c, now);
}

void LoadWorker::Fail(Client& c, Failure why, Clock::time_point now) {
  switch (why) {
    case Failure::kConnect:
      ++stats_.connect_errors;
      break;
    case Failure::kStatus:
      ++stats_.status_errors;
      break;
    case Failure::kLength:
      ++stats_.length_errors;
      break;
    case Failure::kIo:
      ++stats_.io_errors;
      break;
    case Failure::kTimeout:
      ++stats_.timeouts;
      break;
  }
  CloseFd(c);
  c.busy = false;
  c.waiting = true;
  c.wake_at = now + kFailurePause;
}

void LoadWorker::CloseFd(Client& c) {
  if (c.fd < 0) return;
  close(c.fd);  // also drops it from the epoll set
  c.fd = -1;
  c.want_write = false;
}

void LoadWorker::Watch(Client& c, bool write) {
  epoll_event ev{};
  ev.events = EPOLLIN | (write ? EPOLLOUT : 0u);
  ev.data.u32 = static_cast<uint32_t>(&c - clients_.data());
  epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &ev);
  c.want_write = write;
}

}  // namespace uxload
