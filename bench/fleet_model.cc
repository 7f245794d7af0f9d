#include "fleet_model.h"

#include <algorithm>
#include <queue>

#include "keeper/refresh_policy.h"

namespace tokend::fleet {
namespace {

using namespace std::chrono_literals;

struct Daemon {
  MonoTime expires{MonoDuration(-1)};  // of the held token; before 0: none
  int failures = 0;
};

struct Event {
  MonoTime at;
  int64_t daemon;
  bool expiry;  // the held token's expiry (if not renewed since), else a login attempt
  bool operator>(const Event& o) const { return at > o.at; }
};

size_t Second(MonoTime t) { return static_cast<size_t>(t.since_boot / 1s); }

class Simulation {
 public:
  Simulation(int64_t n, const RefreshConfig& refresh, const ClusterModel& cluster, MonoTime until,
             uint64_t seed)
      : policy_(refresh), cluster_(cluster), until_(until), rng_(seed), daemons_(n) {
    size_t seconds = Second(until) + 1;
    trace_.requests.assign(seconds, 0);
    trace_.ok.assign(seconds, 0);
    trace_.holders.assign(seconds, 0);
  }

  void Start(FleetStart start) {
    for (int64_t i = 0; i < static_cast<int64_t>(daemons_.size()); ++i) {
      switch (start) {
        case FleetStart::kNoToken:
          Push({MonoTime{}, i, false});
          break;
        case FleetStart::kTogether:
          Grant(i, MonoTime{});
          break;
        case FleetStart::kStaggered:
          Push({MonoTime{MonoDuration(static_cast<int64_t>(
                    U() * 0.8 * static_cast<double>(cluster_.token_ttl.count())))},
                i, false});
          break;
      }
    }
  }

  FleetTrace Run() {
    size_t recorded = 0;  // seconds whose holder count is written
    while (!queue_.empty() && queue_.top().at < until_) {
      Event e = queue_.top();
      queue_.pop();
      for (; recorded < Second(e.at); ++recorded) trace_.holders[recorded] = holders_;
      if (e.at >= cluster_.down_until && !recovery_seen_) {
        recovery_seen_ = true;
        if (AllHold()) trace_.all_hold_since = cluster_.down_until;
      }
      if (e.expiry) {
        Expire(e);
      } else {
        Attempt(e.daemon, e.at);
      }
    }
    for (; recorded < trace_.holders.size(); ++recorded) trace_.holders[recorded] = holders_;
    return std::move(trace_);
  }

 private:
  double U() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); }
  void Push(Event e) { queue_.push(e); }
  bool Holds(const Daemon& d, MonoTime t) const { return d.expires > t; }
  bool AllHold() const { return holders_ == static_cast<int64_t>(daemons_.size()); }

  void Grant(int64_t i, MonoTime now) {
    Daemon& d = daemons_[static_cast<size_t>(i)];
    if (!Holds(d, now)) ++holders_;
    if (AllHold() && now >= cluster_.down_until && trace_.all_hold_since < MonoTime{})
      trace_.all_hold_since = now;
    d.expires = now + cluster_.token_ttl;
    d.failures = 0;
    Push({policy_.NextRefresh(now, now, d.expires, U()), i, false});
    Push({d.expires, i, true});
  }

  void Expire(const Event& e) {
    Daemon& d = daemons_[static_cast<size_t>(e.daemon)];
    if (d.expires == e.at) --holders_;  // not renewed since this expiry was scheduled
  }

  void Attempt(int64_t i, MonoTime now) {
    Daemon& d = daemons_[static_cast<size_t>(i)];
    size_t s = Second(now);
    ++trace_.requests[s];
    ++trace_.total_requests;
    MonoDuration retry_after{0};
    if (now >= cluster_.down_from && now < cluster_.down_until) {
      ++trace_.failed_down;
    } else if (cluster_.capacity > 0 && trace_.ok[s] >= cluster_.capacity) {
      ++trace_.refused;
      retry_after = cluster_.retry_after;
    } else {
      ++trace_.ok[s];
      Grant(i, now);
      return;
    }
    ++d.failures;
    RetryInput in{now, d.failures, FailureKind::kTransient, std::nullopt, retry_after};
    if (Holds(d, now)) in.valid_until = d.expires;
    Push({policy_.NextRetry(in, {U(), U(), U()}), i, false});
  }

  RefreshPolicy policy_;
  ClusterModel cluster_;
  MonoTime until_;
  std::mt19937_64 rng_;
  std::vector<Daemon> daemons_;
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> queue_;
  int64_t holders_ = 0;
  bool recovery_seen_ = false;
  FleetTrace trace_;
};

}  // namespace

FleetTrace RunFleet(int64_t daemons, const RefreshConfig& refresh, const ClusterModel& cluster,
                    FleetStart start, MonoTime until, uint64_t seed) {
  Simulation sim(daemons, refresh, cluster, until, seed);
  sim.Start(start);
  return sim.Run();
}

}  // namespace tokend::fleet
