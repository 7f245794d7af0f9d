// The Prometheus text exposition of /metrics: every identity's login counters,
// login durations and token, and the socket's requests.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

#include "base/clock.h"
#include "serve/served_identity.h"
#include "serve/socket_api.h"

namespace tokend {

/// HTTP status codes 0..599 are counted; others count as 599.
inline constexpr int kStatusSlots = 600;

/// Socket requests by path and status. Thread-safe.
struct RequestCounters {
  std::array<std::array<std::atomic<uint64_t>, kStatusSlots>, kApiPathCount> counts{};
  void Count(ApiPath path, int status) {
    counts[static_cast<int>(path)][std::min(std::max(status, 0), kStatusSlots - 1)].fetch_add(
        1, std::memory_order_relaxed);
  }
};

std::string RenderMetrics(const ServedIdentities& identities, const RequestCounters& requests,
                          MonoTime now);

}  // namespace tokend
