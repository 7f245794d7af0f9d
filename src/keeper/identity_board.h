// What other threads may read of one identity: its current token and its
// login counters. Written only by the identity's keeper; the socket server
// and /metrics read it. Thread-safe.
#pragma once

#include <string>

#include "keeper/login_metrics.h"
#include "keeper/token_store.h"

namespace tokend {

struct IdentityBoard {
  explicit IdentityBoard(std::string identity) : name(std::move(identity)) {}
  const std::string name;
  TokenStore store;
  LoginMetrics metrics;
};

}  // namespace tokend
