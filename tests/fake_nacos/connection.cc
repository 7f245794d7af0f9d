#include "connection.h"

#include <Poco/Exception.h>
#include <Poco/NumberParser.h>
#include <Poco/String.h>
#include <Poco/Timespan.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <thread>

namespace fake_nacos {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;

constexpr milliseconds kPollSlice(200);
// Tomcat drops idle keep-alive connections after 60 s (keepAliveTimeout default).
constexpr seconds kIdleLimit(60);
constexpr seconds kRequestLimit(20);
constexpr size_t kMaxHeadBytes = 64 * 1024;
constexpr uint64_t kMaxBodyBytes = 32 * 1024 * 1024;

}  // namespace

Connection::Connection(Poco::Net::StreamSocket socket, const std::atomic<bool>& abort)
    : socket_(std::move(socket)), abort_(abort) {
  socket_.setNoDelay(true);
  // Short timeouts turn every blocking call into a bounded step; loops re-check abort_.
  socket_.setReceiveTimeout(Poco::Timespan(1, 0));
  socket_.setSendTimeout(Poco::Timespan(0, 200 * 1000));
}

Connection::~Connection() {
  try {
    socket_.close();
  } catch (const Poco::Exception&) {
    // Already gone; nothing to release.
  }
}

Connection::Fill Connection::ReadMore(SteadyTime deadline) {
  char chunk[16 * 1024];
  while (!aborted() && steady_clock::now() < deadline) {
    try {
      // available() also reports bytes TLS has already decrypted but not handed out.
      if (socket_.available() <= 0 && !socket_.poll(Poco::Timespan(kPollSlice.count() * 1000),
                                                    Poco::Net::Socket::SELECT_READ)) {
        continue;
      }
      const int received = socket_.receiveBytes(chunk, sizeof(chunk));
      if (received == 0) return Fill::kEnd;
      if (received > 0) {
        buffer_.append(chunk, static_cast<size_t>(received));
        return Fill::kData;
      }
    } catch (const Poco::TimeoutException&) {
      // TLS handshake or record still incomplete; try again.
    } catch (const Poco::Exception&) {
      return Fill::kEnd;
    }
  }
  return Fill::kEnd;
}

bool Connection::Buffer(size_t bytes, SteadyTime deadline) {
  while (buffer_.size() < bytes) {
    if (ReadMore(deadline) == Fill::kEnd) return false;
  }
  return true;
}

std::optional<std::string> Connection::ReadLine(SteadyTime deadline) {
  size_t end;
  while ((end = buffer_.find("\r\n")) == std::string::npos) {
    if (buffer_.size() > kMaxHeadBytes || ReadMore(deadline) == Fill::kEnd) return std::nullopt;
  }
  std::string line = buffer_.substr(0, end);
  buffer_.erase(0, end + 2);
  return line;
}

Connection::ReadResult Connection::ReadRequest(HttpRequest* request) {
  if (!open_) return ReadResult::kClosed;
  // Tolerate stray CRLFs between requests (RFC 9112 §2.2).
  const SteadyTime idle_deadline = steady_clock::now() + kIdleLimit;
  while (buffer_.empty() || buffer_.starts_with("\r\n")) {
    if (buffer_.starts_with("\r\n")) buffer_.erase(0, 2);
    if (buffer_.empty() && ReadMore(idle_deadline) == Fill::kEnd) return ReadResult::kClosed;
  }
  const SteadyTime deadline = steady_clock::now() + kRequestLimit;
  size_t head_end;
  while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (buffer_.size() > kMaxHeadBytes) return ReadResult::kTooLarge;
    if (ReadMore(deadline) == Fill::kEnd) return ReadResult::kClosed;
  }
  try {
    *request = ParseRequestHead(buffer_.substr(0, head_end + 4));
  } catch (const Poco::Exception&) {
    return ReadResult::kBadRequest;
  }
  buffer_.erase(0, head_end + 4);
  keep_alive_ = request->keep_alive;

  const bool chunked =
      Poco::icompare(request->Header("Transfer-Encoding"), std::string("chunked")) == 0;
  uint64_t length = 0;
  if (!chunked && request->HasHeader("Content-Length") &&
      !Poco::NumberParser::tryParseUnsigned64(request->Header("Content-Length"), length)) {
    return ReadResult::kBadRequest;
  }
  if (length > kMaxBodyBytes) return ReadResult::kTooLarge;
  if ((chunked || length > buffer_.size()) &&
      Poco::icompare(request->Header("Expect"), std::string("100-continue")) == 0 &&
      !SendAll("HTTP/1.1 100 Continue\r\n\r\n")) {
    return ReadResult::kClosed;
  }
  if (chunked) return ReadChunkedBody(&request->body, deadline);
  if (!Buffer(length, deadline)) return ReadResult::kClosed;
  request->body = buffer_.substr(0, length);
  buffer_.erase(0, length);
  return ReadResult::kRequest;
}

Connection::ReadResult Connection::ReadChunkedBody(std::string* body, SteadyTime deadline) {
  for (;;) {
    const std::optional<std::string> size_line = ReadLine(deadline);
    if (!size_line) return ReadResult::kClosed;
    unsigned size = 0;
    const std::string digits = Poco::trim(size_line->substr(0, size_line->find(';')));
    if (!Poco::NumberParser::tryParseHex(digits, size)) return ReadResult::kBadRequest;
    if (size == 0) break;
    if (body->size() + size > kMaxBodyBytes) return ReadResult::kTooLarge;
    if (!Buffer(size + 2, deadline)) return ReadResult::kClosed;
    body->append(buffer_, 0, size);
    buffer_.erase(0, size + 2);
  }
  for (;;) {  // Trailer section ends with an empty line.
    const std::optional<std::string> trailer = ReadLine(deadline);
    if (!trailer) return ReadResult::kClosed;
    if (trailer->empty()) return ReadResult::kRequest;
  }
}

bool Connection::SendAll(std::string_view bytes) {
  while (!bytes.empty()) {
    if (aborted()) return false;
    try {
      const int sent = socket_.sendBytes(bytes.data(), static_cast<int>(bytes.size()));
      if (sent > 0) bytes.remove_prefix(static_cast<size_t>(sent));
    } catch (const Poco::TimeoutException&) {
      // Peer not reading; keep trying until it goes away or we abort.
    } catch (const Poco::Exception&) {
      return false;
    }
  }
  return true;
}

bool Connection::SleepUnlessAborted(milliseconds duration) const {
  const SteadyTime until = steady_clock::now() + duration;
  while (!aborted()) {
    const auto left = until - steady_clock::now();
    if (left <= milliseconds(0)) return true;
    std::this_thread::sleep_for(std::min<steady_clock::duration>(left, kPollSlice));
  }
  return false;
}

bool Connection::Respond(const HttpResponse& response, milliseconds byte_interval) {
  if (!keep_alive_) open_ = false;
  const std::string wire = response.Serialize(open_);
  if (byte_interval.count() == 0) {
    const bool sent = SendAll(wire);
    if (!sent) open_ = false;
    return sent;
  }
  for (size_t i = 0; i < wire.size(); ++i) {
    if ((i > 0 && !SleepUnlessAborted(byte_interval)) || !SendAll(wire.substr(i, 1))) {
      open_ = false;
      return false;
    }
  }
  return true;
}

bool Connection::SendFill(uint64_t count, char fill) {
  const std::string chunk(64 * 1024, fill);
  while (count > 0) {
    const size_t part = static_cast<size_t>(std::min<uint64_t>(count, chunk.size()));
    if (!SendAll(std::string_view(chunk).substr(0, part))) {
      open_ = false;
      return false;
    }
    count -= part;
  }
  return true;
}

void Connection::Reset() {
  open_ = false;
  const int fd = socket_.impl()->sockfd();
  if (fd < 0) return;
  const linger abortive{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abortive, sizeof(abortive));
  // dup2 drops the last reference to the socket, so the kernel closes it with RST right now,
  // bypassing Poco's close (which would first send a TLS close_notify). Poco later closes the
  // /dev/null descriptor that took the number.
  const int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd >= 0) {
    ::dup2(null_fd, fd);
    ::close(null_fd);
  }
}

void Connection::AwaitPeerClose() {
  open_ = false;
  buffer_.clear();
  const SteadyTime forever = SteadyTime::max();
  while (ReadMore(forever) == Fill::kData) buffer_.clear();
}

}  // namespace fake_nacos
