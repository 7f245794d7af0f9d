// Idle keep-alive connections to Nacos servers, kept for the next caller
// (one pool per event-loop thread, so no locking). A connection is kept at
// most `idle` (shorter than the servers' own keep-alive, so Nacos rarely
// closes one under us) and checked before it is handed out again.
#pragma once

#include <cstddef>
#include <deque>
#include <string>

#include "base/clock.h"

namespace tokend {

class UpstreamPool {
 public:
  UpstreamPool(size_t per_server, MonoDuration idle) : per_server_(per_server), idle_(idle) {}
  ~UpstreamPool() { CloseAll(); }
  UpstreamPool(const UpstreamPool&) = delete;
  UpstreamPool& operator=(const UpstreamPool&) = delete;

  /// Keeps `fd` (a connection to `server` after a complete exchange), or
  /// closes it when that server already has `per_server` idle connections.
  void Put(const std::string& server, int fd, MonoTime now);
  /// The most recently used live connection to `server`, or -1. Connections
  /// found closed by the server or idle too long are closed on the way.
  int Take(const std::string& server, MonoTime now);
  /// Closes the connections idle longer than `idle`.
  void Expire(MonoTime now);
  void CloseAll();
  size_t size() const { return idle_conns_.size(); }

 private:
  struct Idle {
    std::string server;
    int fd;
    MonoTime since;
  };
  size_t per_server_;
  MonoDuration idle_;
  std::deque<Idle> idle_conns_;  // oldest first
};

}  // namespace tokend
