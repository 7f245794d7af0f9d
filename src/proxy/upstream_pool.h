// Idle keep-alive connections to Nacos servers, kept for the next caller
// (one pool per event-loop thread, so no locking). A connection is kept at
// most `idle` (shorter than the servers' own keep-alive, so Nacos rarely
// closes one under us) and checked before it is handed out again.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <string>

#include "base/clock.h"
#include "proxy/tls_stream.h"

namespace tokend {

class UpstreamPool {
 public:
  UpstreamPool(size_t per_server, MonoDuration idle) : per_server_(per_server), idle_(idle) {}
  ~UpstreamPool() { CloseAll(); }
  UpstreamPool(const UpstreamPool&) = delete;
  UpstreamPool& operator=(const UpstreamPool&) = delete;

  /// A connection and, for https, its TLS state.
  struct Conn {
    int fd = -1;
    std::unique_ptr<TlsStream> tls;
  };
  /// Keeps `conn` (to `server`, after a complete exchange), or closes it when
  /// that server already has `per_server` idle connections.
  void Put(const std::string& server, Conn conn, MonoTime now);
  /// The most recently used live connection to `server` (fd -1: none).
  /// Connections found closed by the server or idle too long are closed on the way.
  Conn Take(const std::string& server, MonoTime now);
  /// Closes the connections idle longer than `idle`.
  void Expire(MonoTime now);
  void CloseAll();
  size_t size() const { return idle_conns_.size(); }

 private:
  struct Idle {
    std::string server;
    Conn conn;
    MonoTime since;
  };
  size_t per_server_;
  MonoDuration idle_;
  std::deque<Idle> idle_conns_;  // oldest first
};

}  // namespace tokend
