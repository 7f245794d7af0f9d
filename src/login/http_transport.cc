#include "login/http_transport.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <condition_variable>
#include <future>
#include <thread>

#include "base/duration.h"
#include "base/version.h"
#include "login/tls_client.h"

namespace tokend {

using SteadyClock = std::chrono::steady_clock;

struct PocoTransport::Impl {
  NacosConfig config;
  std::unique_ptr<TlsClient> tls;  // loaded only when a server is https; guarded by tls_mu
  std::mutex tls_mu;

  std::mutex mu;
  std::condition_variable cv;
  bool aborted = false;  // guarded by mu
  int active_fd = -1;    // guarded by mu: the socket of the exchange in flight
};

namespace {

// Shuts the socket of one exchange down at its deadline (or on Abort), so a
// server that drips bytes cannot hold a login past request_timeout.
class DeadlineWatchdog {
 public:
  DeadlineWatchdog(PocoTransport::Impl* impl, int fd, SteadyClock::time_point deadline)
      : impl_(impl) {
    thread_ = std::thread([this, fd, deadline] {
      std::unique_lock lock(impl_->mu);
      if (!impl_->cv.wait_until(lock, deadline, [this] { return done_ || impl_->aborted; })) {
        fired_ = true;
        ::shutdown(fd, SHUT_RDWR);
      }
    });
    // Registered only once the thread exists, so a failed start leaves nothing behind.
    std::lock_guard lock(impl_->mu);
    impl_->active_fd = fd;
    if (impl_->aborted) ::shutdown(fd, SHUT_RDWR);
  }
  ~DeadlineWatchdog() {
    {
      std::lock_guard lock(impl_->mu);
      done_ = true;
      impl_->active_fd = -1;
    }
    impl_->cv.notify_all();
    thread_.join();
  }
  bool fired() {
    std::lock_guard lock(impl_->mu);
    return fired_;
  }

 private:
  PocoTransport::Impl* impl_;
  std::thread thread_;
  bool done_ = false;   // guarded by impl_->mu
  bool fired_ = false;  // guarded by impl_->mu
};

Poco::Timespan Span(SteadyClock::duration d) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  return Poco::Timespan(std::max<int64_t>(us, 1000));
}

bool IsIpLiteral(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// getaddrinfo cannot be cancelled, so a name is looked up on a detached thread
// and waited for until the deadline: a dead resolver cannot hold a login
// longer than request_timeout (the lookup then finishes, unused, on its own).
Result<Poco::Net::SocketAddress> Resolve(PocoTransport::Impl* impl, const ServerEndpoint& server,
                                         SteadyClock::time_point deadline) {
  if (IsIpLiteral(server.host)) return Poco::Net::SocketAddress(server.host, server.port);
  auto task = std::make_shared<std::packaged_task<Poco::Net::SocketAddress()>>(
      [host = server.host, port = server.port] { return Poco::Net::SocketAddress(host, port); });
  std::future<Poco::Net::SocketAddress> result = task->get_future();
  std::thread([task] { (*task)(); }).detach();
  for (;;) {
    if (result.wait_for(std::chrono::milliseconds(50)) == std::future_status::ready) break;
    {
      std::lock_guard lock(impl->mu);
      if (impl->aborted) return Error{server.Display() + ": not contacted, shutting down"};
    }
    if (SteadyClock::now() >= deadline) {
      return Error{server.Display() + ": looking up '" + server.host +
                   "' did not finish within nacos.request_timeout"};
    }
  }
  try {
    return result.get();
  } catch (const Poco::Exception& e) {
    return Error{server.Display() + ": cannot resolve '" + server.host + "': " + e.displayText()};
  }
}

}  // namespace

PocoTransport::PocoTransport(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PocoTransport::~PocoTransport() = default;

Result<std::unique_ptr<PocoTransport>> PocoTransport::Create(const NacosConfig& config) {
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  bool any_https = false;
  for (const auto& server : config.servers) any_https |= server.https;
  if (config.login == LoginKind::kOidc) {
    for (const auto& url : {config.oidc.issuer, config.oidc.token_endpoint})
      any_https |= url && url->server.https;
  }
  if (any_https) {
    auto tls = LoadTlsClient(TlsSettings{config.ca_file, config.tls_verify});
    if (!tls) return Error{tls.error()};
    impl->tls = std::move(*tls);
  }
  return std::unique_ptr<PocoTransport>(new PocoTransport(std::move(impl)));
}

void PocoTransport::Abort() {
  std::lock_guard lock(impl_->mu);
  impl_->aborted = true;
  if (impl_->active_fd >= 0) ::shutdown(impl_->active_fd, SHUT_RDWR);
  impl_->cv.notify_all();
}

Result<HttpAnswer> PocoTransport::Send(const HttpExchange& exchange) {
  const ServerEndpoint& server = exchange.server;
  const std::string& body = exchange.body;
  const bool post = exchange.method == HttpExchange::kPost;
  const NacosConfig& c = impl_->config;
  const std::string where = server.Display();
  const auto start = SteadyClock::now();
  const auto deadline = start + c.request_timeout;
  auto remaining = [&] { return deadline - SteadyClock::now(); };
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->aborted) return Error{where + ": not contacted, shutting down"};
  }
  // Declared before the watchdog: the descriptor must stay open until the
  // watchdog (which may shut it down) has stopped.
  Poco::Net::StreamSocket socket;
  std::optional<DeadlineWatchdog> watchdog;
  try {
    Result<Poco::Net::SocketAddress> address = Resolve(impl_.get(), server, deadline);
    if (!address) return Error{address.error()};
    auto connect_budget = std::min<SteadyClock::duration>(c.connect_timeout, remaining());
    socket.connect(*address, Span(connect_budget));
    watchdog.emplace(impl_.get(), socket.impl()->sockfd(), deadline);
    socket.setReceiveTimeout(Span(remaining()));
    socket.setSendTimeout(Span(remaining()));
    socket.setNoDelay(true);

    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    if (server.https) {
      std::lock_guard tls_lock(impl_->tls_mu);
      if (!impl_->tls) {
        auto tls = LoadTlsClient(TlsSettings{c.ca_file, c.tls_verify});
        if (!tls) return Error{where + ": " + tls.error()};
        impl_->tls = std::move(*tls);
      }
      auto secure = impl_->tls->Secure(socket, server.host);
      if (!secure) return Error{where + ": " + secure.error()};
      // A plain HTTPClientSession over the secure socket: HTTPSClientSession's
      // constructor from a socket tries to set the port of a connected session.
      session = std::make_unique<Poco::Net::HTTPClientSession>(*secure);
    } else {
      session = std::make_unique<Poco::Net::HTTPClientSession>(socket);
    }
    session->setTimeout(Span(remaining()));
    session->setKeepAlive(false);

    Poco::Net::HTTPRequest request(
        post ? Poco::Net::HTTPRequest::HTTP_POST : Poco::Net::HTTPRequest::HTTP_GET,
        exchange.target, Poco::Net::HTTPMessage::HTTP_1_1);
    request.setHost(server.host, server.port);
    if (post) {
      request.setContentType("application/x-www-form-urlencoded");
      request.setContentLength(static_cast<std::streamsize>(body.size()));
    }
    request.set("Accept", "application/json");
    request.set("User-Agent", std::string("nacos-tokend/") + kVersion);
    for (const auto& [name, value] : exchange.headers) request.set(name, value);
    request.setKeepAlive(false);
    std::ostream& out = session->sendRequest(request);
    if (post) out.write(body.data(), static_cast<std::streamsize>(body.size()));
    out.flush();
    if (!out) return Error{where + ": connection lost while sending the request"};

    Poco::Net::HTTPResponse response;
    std::istream& in = session->receiveResponse(response);
    HttpAnswer answer;
    answer.status = static_cast<int>(response.getStatus());
    answer.content_type = response.getContentType();
    answer.retry_after = response.get("Retry-After", "");
    if (response.hasContentLength() &&
        response.getContentLength64() > static_cast<int64_t>(kMaxAnswerBytes)) {
      return Error{where + ": HTTP " + std::to_string(answer.status) + " answer of " +
                   std::to_string(response.getContentLength64()) + " bytes refused (limit " +
                   std::to_string(kMaxAnswerBytes) + ")"};
    }
    char buf[4096];
    while (in) {
      in.read(buf, sizeof buf);
      answer.body.append(buf, static_cast<size_t>(in.gcount()));
      if (answer.body.size() > kMaxAnswerBytes) {
        return Error{where + ": HTTP " + std::to_string(answer.status) + " answer longer than " +
                     std::to_string(kMaxAnswerBytes) + " bytes refused"};
      }
    }
    if (watchdog->fired()) {
      return Error{where + ": no complete answer within nacos.request_timeout (" +
                   FormatDuration(c.request_timeout) + ")"};
    }
    if (response.hasContentLength() &&
        static_cast<int64_t>(answer.body.size()) != response.getContentLength64()) {
      return Error{where + ": answer cut short (" + std::to_string(answer.body.size()) + " of " +
                   std::to_string(response.getContentLength64()) + " bytes)"};
    }
    return answer;
  } catch (const Poco::Exception& e) {
    if (watchdog && watchdog->fired()) {
      return Error{where + ": no complete answer within nacos.request_timeout (" +
                   FormatDuration(c.request_timeout) + ")"};
    }
    return Error{where + ": " + e.displayText()};
  } catch (const std::exception& e) {
    return Error{where + ": " + e.what()};
  }
}

}  // namespace tokend
