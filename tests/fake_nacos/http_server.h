// Small threaded HTTP/1.1 server with a listener that can be closed and reopened on the same
// port (the "down" fault).
#ifndef TESTS_FAKE_NACOS_HTTP_SERVER_H_
#define TESTS_FAKE_NACOS_HTTP_SERVER_H_

#include <Poco/Net/Context.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "logger.h"
#include "request_handler.h"

namespace fake_nacos {

// Hand-rolled instead of Poco::Net::HTTPServer because faults need the raw socket (RST, partial
// writes, endless bodies) and the listener must be closable without ending the process. One
// thread per connection; with `tls` the listener is HTTPS (handshake runs on that thread).
class HttpServer {
 public:
  HttpServer(std::string name, Poco::Net::SocketAddress address, Poco::Net::Context::Ptr tls,
             RequestHandler& handler, Logger& logger);
  ~HttpServer();

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds (throws Poco::Exception on failure) and starts accepting.
  void Start();

  // The bound port; fixed for the server's life, also across SetListening(false/true).
  uint16_t port() const { return port_; }

  // Closes the listener (new connections are refused, open ones are dropped) or rebinds the same
  // port with SO_REUSEADDR. Returns once applied; false if rebinding failed.
  bool SetListening(bool listening);

  // Stops accepting, aborts all connections and joins every thread. Idempotent.
  void Stop();

 private:
  struct Worker {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };

  Poco::Net::ServerSocket Bind(const Poco::Net::SocketAddress& address) const;
  void AcceptLoop();
  void ApplyListeningRequest();
  void Serve(Poco::Net::StreamSocket socket);
  void ReapWorkers(bool all);

  const std::string name_;
  const Poco::Net::SocketAddress address_;
  const Poco::Net::Context::Ptr tls_;
  RequestHandler& handler_;
  Logger& logger_;

  Poco::Net::ServerSocket socket_;  // Accept thread only, after Start().
  uint16_t port_ = 0;
  bool listening_ = false;  // Accept thread only.
  std::thread accept_thread_;
  std::list<Worker> workers_;  // Accept thread only, until Stop() joined it.
  std::atomic<bool> stopping_{false};
  std::atomic<bool> abort_connections_{false};
  std::atomic<int> active_connections_{0};

  std::mutex mutex_;  // Guards the listening request/acknowledgement below.
  std::condition_variable changed_;
  bool want_listening_ = true;
  uint64_t requested_ = 0;
  uint64_t applied_ = 0;
  bool last_apply_ok_ = true;
};

}  // namespace fake_nacos

#endif  // TESTS_FAKE_NACOS_HTTP_SERVER_H_
