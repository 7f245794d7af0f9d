// An event-driven model of a fleet of nacos-tokend daemons and the Nacos
// cluster they log in to, on a simulated clock. Each daemon's timing comes
// from the project's real RefreshPolicy (NextRefresh after a success,
// NextRetry after a failure); only the network is modelled: a login takes no
// time, fails at once while the cluster is down, and is answered 503 (with an
// optional Retry-After) beyond the cluster's login capacity in each second.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "base/clock.h"
#include "config/config.h"

namespace tokend::fleet {

/// The cluster: down during [down_from, down_until), then serving at most
/// `capacity` logins in each second of the simulated clock.
struct ClusterModel {
  MonoTime down_from{MonoDuration(-1)};
  MonoTime down_until{MonoDuration(-1)};
  int64_t capacity = 0;         // logins per second; 0 = unlimited
  MonoDuration retry_after{0};  // sent with a 503 beyond capacity (0: none)
  MonoDuration token_ttl{std::chrono::hours(5)};
};

/// How the fleet starts.
enum class FleetStart {
  kNoToken,    // every daemon starts at 0 without a token and logs in at once
  kTogether,   // every daemon got its token at 0 (a fleet that logged in together)
  kStaggered,  // daemon i started at a uniform time in [0, 0.8 TTL): a fleet in steady state
};

/// Counters of one run, per second of the simulated clock.
struct FleetTrace {
  std::vector<int64_t> requests;  // login requests that reached the cluster (or found it down)
  std::vector<int64_t> ok;        // of them, answered with a token
  std::vector<int64_t> holders;   // daemons holding a valid token at the end of the second
  int64_t refused = 0;            // 503 beyond capacity
  int64_t failed_down = 0;        // attempts while the cluster was down
  int64_t total_requests = 0;
  MonoTime all_hold_since{MonoDuration(-1)};  // first instant >= down_until when all hold one
};

/// Runs `daemons` daemons with `refresh` from 0 to `until`, seeded by `seed`.
FleetTrace RunFleet(int64_t daemons, const RefreshConfig& refresh, const ClusterModel& cluster,
                    FleetStart start, MonoTime until, uint64_t seed);

}  // namespace tokend::fleet
