#include "http_server.h"

#include <Poco/Exception.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Timespan.h>

#include <chrono>

namespace fake_nacos {
namespace {

using std::chrono::milliseconds;

constexpr int kMaxConnections = 256;

HttpResponse PlainError(int status, std::string text) {
  return HttpResponse::Text(status, "text/plain;charset=UTF-8", std::move(text));
}

}  // namespace

HttpServer::HttpServer(std::string name, Poco::Net::SocketAddress address,
                       Poco::Net::Context::Ptr tls, RequestHandler& handler, Logger& logger)
    : name_(std::move(name)),
      address_(std::move(address)),
      tls_(std::move(tls)),
      handler_(handler),
      logger_(logger) {}

HttpServer::~HttpServer() { Stop(); }

Poco::Net::ServerSocket HttpServer::Bind(const Poco::Net::SocketAddress& address) const {
  Poco::Net::ServerSocket socket;
  if (tls_) socket = Poco::Net::SecureServerSocket(tls_);
  socket.bind(address, /*reuseAddress=*/true);
  socket.listen(64);
  return socket;
}

void HttpServer::Start() {
  socket_ = Bind(address_);
  port_ = socket_.address().port();
  listening_ = true;
  accept_thread_ = std::thread([this] { AcceptLoop(); });
  logger_.Log(name_ + " listening on port " + std::to_string(port_) + (tls_ ? " (https)" : ""));
}

bool HttpServer::SetListening(bool listening) {
  std::unique_lock<std::mutex> lock(mutex_);
  want_listening_ = listening;
  const uint64_t ticket = ++requested_;
  const bool done = changed_.wait_for(lock, std::chrono::seconds(10),
                                      [&] { return applied_ >= ticket || stopping_.load(); });
  return done && applied_ >= ticket && last_apply_ok_;
}

void HttpServer::ApplyListeningRequest() {
  bool want;
  uint64_t ticket;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (applied_ == requested_) return;
    want = want_listening_;
    ticket = requested_;
  }
  bool ok = true;
  if (!want && listening_) {
    // Closing the listener resets connections still in the backlog; open ones see the abort flag
    // and are closed too, like a server process going away.
    abort_connections_ = true;
    socket_.close();
    listening_ = false;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    while (active_connections_.load() > 0 && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(milliseconds(20));
    }
    ReapWorkers(false);
    logger_.Log(name_ + " listener closed (down)");
  } else if (want && !listening_) {
    try {
      socket_ = Bind(Poco::Net::SocketAddress(address_.host(), port_));
      listening_ = true;
      abort_connections_ = false;
      logger_.Log(name_ + " listener reopened on port " + std::to_string(port_));
    } catch (const Poco::Exception& e) {
      ok = false;
      logger_.Log(name_ + " rebind failed: " + e.displayText());
    }
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    applied_ = ticket;
    last_apply_ok_ = ok;
  }
  changed_.notify_all();
}

void HttpServer::AcceptLoop() {
  while (!stopping_.load()) {
    ApplyListeningRequest();
    ReapWorkers(false);
    if (!listening_) {
      std::this_thread::sleep_for(milliseconds(20));
      continue;
    }
    try {
      if (!socket_.poll(Poco::Timespan(0, 100 * 1000), Poco::Net::Socket::SELECT_READ)) continue;
      Poco::Net::StreamSocket client = socket_.acceptConnection();
      if (active_connections_.load() >= kMaxConnections) {
        // A runaway client must not exhaust threads; the dropped connection shows in the log.
        logger_.Log(name_ + " too many connections, dropping one");
        client.close();
        continue;
      }
      auto done = std::make_shared<std::atomic<bool>>(false);
      ++active_connections_;
      workers_.push_back(Worker{std::thread([this, client, done]() mutable {
                                  Serve(std::move(client));
                                  --active_connections_;
                                  *done = true;
                                }),
                                done});
    } catch (const Poco::Exception& e) {
      logger_.Log(name_ + " accept failed: " + e.displayText());
      std::this_thread::sleep_for(milliseconds(20));
    }
  }
}

void HttpServer::Serve(Poco::Net::StreamSocket socket) {
  try {
    Connection connection(std::move(socket), abort_connections_);
    while (connection.open()) {
      HttpRequest request;
      switch (connection.ReadRequest(&request)) {
        case Connection::ReadResult::kRequest:
          try {
            handler_.Handle(request, connection);
          } catch (const std::exception& e) {
            logger_.Log(name_ + " handler error: " + e.what());
            connection.Close();
            connection.Respond(PlainError(500, "caused: fake-nacos internal error;"));
          }
          break;
        case Connection::ReadResult::kBadRequest:
          connection.Close();
          connection.Respond(PlainError(400, "bad request"));
          break;
        case Connection::ReadResult::kTooLarge:
          connection.Close();
          connection.Respond(PlainError(413, "request too large"));
          break;
        case Connection::ReadResult::kClosed:
          connection.Close();
          break;
      }
    }
  } catch (const std::exception& e) {
    logger_.Log(name_ + " connection error: " + e.what());
  }
}

void HttpServer::ReapWorkers(bool all) {
  for (auto it = workers_.begin(); it != workers_.end();) {
    if (all || it->done->load()) {
      it->thread.join();
      it = workers_.erase(it);
    } else {
      ++it;
    }
  }
}

void HttpServer::Stop() {
  if (stopping_.exchange(true)) return;
  abort_connections_ = true;
  changed_.notify_all();
  if (accept_thread_.joinable()) accept_thread_.join();
  ReapWorkers(true);
  try {
    socket_.close();
  } catch (const Poco::Exception&) {
    // Never bound or already closed.
  }
}

}  // namespace fake_nacos
