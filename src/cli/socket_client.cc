#include "cli/socket_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "base/version.h"

namespace tokend::cli {
namespace {

constexpr size_t kMaxAnswer = 256 * 1024;

timespec ToTimespec(double seconds) {
  if (seconds < 0) seconds = 0;
  double whole = std::floor(seconds);
  return timespec{static_cast<time_t>(whole), static_cast<long>((seconds - whole) * 1e9)};
}

bool Stopped(const Interruption* in) { return in && in->stop && *in->stop; }

// Waits for `events` on fd until `deadline`; 1 ready, 0 timed out, -1 interrupted or failed.
int WaitFd(int fd, short events, double deadline, const Interruption* in) {
  for (;;) {
    if (Stopped(in)) return -1;
    double left = deadline - MonotonicNow();
    if (left <= 0) return 0;
    pollfd p{fd, events, 0};
    timespec ts = ToTimespec(left);
    int n = ppoll(&p, 1, &ts, in ? in->mask : nullptr);
    if (n > 0) return 1;
    if (n < 0 && errno != EINTR) return -1;
  }
}

bool HeaderIs(std::string_view line, std::string_view name) {
  if (line.size() <= name.size() || line[name.size()] != ':') return false;
  return strncasecmp(line.data(), name.data(), name.size()) == 0;
}

std::string HeaderValue(std::string_view line) {
  size_t colon = line.find(':');
  std::string_view v = line.substr(colon + 1);
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return std::string(v);
}

// Parses what was read so far. Returns true when the answer is complete (or, with
// `at_eof`, as complete as it will get); fills `a`.
bool ParseAnswer(const std::string& response, bool at_eof, SocketAnswer* a) {
  size_t head_end = response.find("\r\n\r\n");
  if (head_end == std::string::npos) {
    if (at_eof)
      a->error = response.empty() ? "the daemon closed the connection" : "not an HTTP answer";
    return at_eof;
  }
  if (response.compare(0, 5, "HTTP/") != 0 || response.size() < 12 || response[8] != ' ') {
    a->error = "not an HTTP answer";
    return true;
  }
  long content_length = -1;
  std::string generation;
  std::string_view head(response.data(), head_end);
  for (size_t at = head.find("\r\n"); at != std::string_view::npos;) {
    size_t next = head.find("\r\n", at + 2);
    std::string_view line =
        head.substr(at + 2, next == std::string_view::npos ? head.npos : next - at - 2);
    if (HeaderIs(line, "Content-Length")) content_length = atol(HeaderValue(line).c_str());
    if (HeaderIs(line, "X-Token-Generation")) generation = HeaderValue(line);
    at = next;
  }
  size_t body_at = head_end + 4;
  if (content_length >= 0 && response.size() - body_at < static_cast<size_t>(content_length)) {
    if (at_eof) a->error = "the answer was cut short";
    return at_eof;
  }
  if (content_length < 0 && !at_eof) return false;  // ends with the connection
  a->status = atoi(response.c_str() + 9);
  a->generation = generation;
  a->body = content_length >= 0 ? response.substr(body_at, static_cast<size_t>(content_length))
                                : response.substr(body_at);
  return true;
}

}  // namespace

double MonotonicNow() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

bool Pause(double seconds, const Interruption* in) {
  const double deadline = MonotonicNow() + seconds;
  for (;;) {
    if (Stopped(in)) return false;
    double left = deadline - MonotonicNow();
    if (left <= 0) return true;
    timespec ts = ToTimespec(left);
    ppoll(nullptr, 0, &ts, in ? in->mask : nullptr);
  }
}

std::string ApiTarget(std::string_view path, const std::string& identity, bool json,
                      const std::string& wait, const std::string& after) {
  std::string target(path);
  char sep = '?';
  auto add = [&](const char* name, const std::string& value) {
    if (value.empty()) return;
    target += sep;
    target += name;
    target += '=';
    target += value;
    sep = '&';
  };
  add("format", json ? "json" : "");
  add("identity", identity);
  add("wait", wait);
  add("after", after);
  return target;
}

SocketAnswer AskSocket(const std::string& path, const char* method, const std::string& target,
                       const std::string& form_body, double timeout_s, const Interruption* in) {
  SocketAnswer a;
  const double deadline = MonotonicNow() + timeout_s;
  if (path.size() >= sizeof(sockaddr_un::sun_path)) {
    a.error = "socket path too long";
    return a;
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    a.error = strerror(errno);
    return a;
  }
  // connect() on a Unix socket completes at once unless the listen queue is full.
  timeval tv{static_cast<time_t>(timeout_s), 0};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    a.error = strerror(errno);
    close(fd);
    return a;
  }
  std::string request = std::string(method) + " " + target +
                        " HTTP/1.1\r\nHost: localhost\r\nUser-Agent: nacos-token/" +
                        tokend::kVersion + "\r\nConnection: close\r\n";
  if (!form_body.empty()) request += "Content-Type: application/x-www-form-urlencoded\r\n";
  if (std::string_view(method) == "POST" || !form_body.empty()) {
    request += "Content-Length: " + std::to_string(form_body.size()) + "\r\n";
  }
  request += "\r\n";
  request += form_body;
  for (size_t sent = 0; sent < request.size();) {
    ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      a.error = strerror(errno);
      close(fd);
      return a;
    }
    sent += static_cast<size_t>(n);
  }
  std::string response;
  char buf[4096];
  for (;;) {
    int ready = WaitFd(fd, POLLIN, deadline, in);
    if (ready <= 0) {
      a.interrupted = Stopped(in);
      a.error = ready == 0 ? "no answer in time" : a.interrupted ? "interrupted" : strerror(errno);
      break;
    }
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) {
      a.error = strerror(errno);
      break;
    }
    if (n > 0) response.append(buf, static_cast<size_t>(n));
    if (response.size() > kMaxAnswer) {
      a.error = "the answer is too large";
      break;
    }
    if (ParseAnswer(response, n == 0, &a)) break;
  }
  close(fd);
  return a;
}

}  // namespace tokend::cli
