// One load thread: drives a share of the clients as non-blocking state
// machines on its own epoll set. Each client has at most one request in
// flight (no pipelining) and starts the next one as soon as it has the
// answer, so the offered load is closed-loop: `clients` requests at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "load_options.h"
#include "load_stats.h"
#include "response_parser.h"

namespace uxload {

class LoadWorker {
 public:
  using Clock = std::chrono::steady_clock;

  LoadWorker(const LoadOptions& options, int clients);
  ~LoadWorker();
  LoadWorker(const LoadWorker&) = delete;
  LoadWorker& operator=(const LoadWorker&) = delete;

  /// Runs until `end`; requests still in flight then are dropped uncounted.
  /// Returns false (with `error()`) if the worker could not run at all.
  bool Run(Clock::time_point end);

  const LoadStats& stats() const { return stats_; }
  const std::string& error() const { return error_; }

 private:
  struct Client {
    int fd = -1;
    bool busy = false;        // a request is in flight (its clock runs)
    bool waiting = false;     // paused until wake_at: after a failure (!busy)
                              // or a full listen queue (busy, no fd yet)
    bool want_write = false;  // registered for EPOLLOUT
    size_t sent = 0;
    Clock::time_point started;
    Clock::time_point wake_at;
    ResponseParser parser;
  };
  enum class Failure { kConnect, kStatus, kLength, kIo, kTimeout };

  void Start(Client& c, Clock::time_point now);
  bool Connect(Client& c, Clock::time_point now);
  void Send(Client& c, Clock::time_point now);
  void OnReadable(Client& c);
  void Finish(Client& c, Clock::time_point now);
  void Fail(Client& c, Failure why, Clock::time_point now);
  void CloseFd(Client& c);
  void Watch(Client& c, bool write);

  const LoadOptions& options_;
  std::string request_;
  std::vector<Client> clients_;
  int epoll_ = -1;
  LoadStats stats_;
  std::string error_;
};

}  // namespace uxload
