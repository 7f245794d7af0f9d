// One accepted client connection: reads requests, writes answers, and gives faults raw control
// of the socket.
#ifndef TESTS_FAKE_NACOS_CONNECTION_H_
#define TESTS_FAKE_NACOS_CONNECTION_H_

#include <Poco/Net/StreamSocket.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "http_request.h"
#include "http_response.h"

namespace fake_nacos {

// Every blocking step wakes at least every 200 ms and gives up once `abort` is set (server
// stopping or main listener taken "down"), so no fault can keep the process alive.
class Connection {
 public:
  enum class ReadResult { kRequest, kClosed, kBadRequest, kTooLarge };

  Connection(Poco::Net::StreamSocket socket, const std::atomic<bool>& abort);
  ~Connection();

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Waits (up to the keep-alive idle limit) for the next request and reads it whole, including
  // a Content-Length or chunked body (at most 32 MiB: a 10 MiB config, URL-encoded). Answers
  // "Expect: 100-continue".
  ReadResult ReadRequest(HttpRequest* request);

  // Writes `response`; with a non-zero `byte_interval` one byte at a time ("drip"). Closes the
  // connection afterwards unless both sides want keep-alive. False if the peer went away.
  bool Respond(const HttpResponse& response,
               std::chrono::milliseconds byte_interval = std::chrono::milliseconds(0));

  // Writes `count` copies of `fill` after a head sent with Respond ("huge"). False when the
  // peer went away or the server aborted first.
  bool SendFill(uint64_t count, char fill);

  // Abortive close: SO_LINGER 0, so the peer sees RST and no answer.
  void Reset();

  // Reads and discards until the peer closes or the server aborts ("hang").
  void AwaitPeerClose();

  // Set when the server stops or the main listener goes down; long holds watch it.
  const std::atomic<bool>& abort_flag() const { return abort_; }

  // No further request will be read on this connection.
  void Close() { open_ = false; }
  bool open() const { return open_; }

 private:
  using SteadyTime = std::chrono::steady_clock::time_point;
  enum class Fill { kData, kEnd };

  Fill ReadMore(SteadyTime deadline);
  bool Buffer(size_t bytes, SteadyTime deadline);
  std::optional<std::string> ReadLine(SteadyTime deadline);
  ReadResult ReadChunkedBody(std::string* body, SteadyTime deadline);
  bool SendAll(std::string_view bytes);
  bool SleepUnlessAborted(std::chrono::milliseconds duration) const;
  bool aborted() const { return abort_.load(); }

  Poco::Net::StreamSocket socket_;
  const std::atomic<bool>& abort_;
  std::string buffer_;
  bool keep_alive_ = true;
  bool open_ = true;
};

}  // namespace fake_nacos

#endif  // TESTS_FAKE_NACOS_CONNECTION_H_
