// fleet_sim: the fleet scale no machine here reaches, 10,000 and 100,000
// daemons, simulated with the project's real refresh policy (fleet_model.h).
// For each fleet size and outage it runs three fleets:
//   at-cap     every daemon started without a token while the cluster was
//              down, so the fleet sits at retry_max when it returns;
//   together   the fleet logged in together at 0 with a TTL of twice the
//              outage; the outage spans 0.6-1.1 TTL, so every refresh and
//              every expiry falls inside it;
//   steady     a fleet in steady state (daemons started at random times over
//              0.8 TTL, TTL 600 s), outage at 3 TTL;
// and, under pressure, an at-cap fleet against a cluster with half the
// capacity the fleet needs, with and without Retry-After.
// It prints figures, not verdicts about timing; the goals of issue 14 are
// shown beside them. Exit status 0 unless the command line is bad.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "fleet_model.h"

using namespace std::chrono_literals;
using tokend::MonoDuration;
using tokend::MonoTime;
using tokend::RefreshConfig;
using namespace tokend::fleet;

namespace {

struct Options {
  std::vector<int64_t> daemons = {10'000, 100'000};
  std::vector<int64_t> outages = {60, 600, 3600};  // seconds
  int64_t retry_max = 60;                          // seconds
  double capacity_factor = 2.0;                    // capacity = factor * N / retry_max
  uint64_t seed = 1;
};

struct Case {
  std::string name;
  int64_t daemons;
  int64_t outage;
  FleetStart start;
  ClusterModel cluster;
  MonoTime until;
  MonoTime steady_from{}, steady_to{};  // for the steady-state figure; empty: none
};

std::vector<int64_t> ParseList(const char* text) {
  std::vector<int64_t> values;
  for (const char* p = text; *p;) {
    char* end;
    long long v = std::strtoll(p, &end, 10);
    if (end == p || v <= 0) return {};
    values.push_back(v);
    p = *end == ',' ? end + 1 : end;
    if (*end && *end != ',') return {};
  }
  return values;
}

int Usage() {
  std::fprintf(stderr,
               "usage: fleet_sim [--daemons 10000,100000] [--outages 60,600,3600] "
               "[--retry-max 60] [--capacity-factor 2] [--seed 1]\n");
  return 64;
}

int64_t Sum(const std::vector<int64_t>& v, size_t from, size_t to) {
  int64_t s = 0;
  for (size_t i = from; i < to && i < v.size(); ++i) s += v[i];
  return s;
}

int64_t Max(const std::vector<int64_t>& v, size_t from, size_t to) {
  int64_t m = 0;
  for (size_t i = from; i < to && i < v.size(); ++i) m = std::max(m, v[i]);
  return m;
}

void PrintHeader() {
  std::printf("%-10s %7s %6s %9s | %9s %6s %9s | %8s %9s %8s %9s | %s\n", "case", "daemons",
              "outage", "capacity", "peak/s", "xN/rmx", "mean/s", "all hold", "refused", "down",
              "requests", "goals");
}

void Report(const Case& c, const FleetTrace& t, const RefreshConfig& refresh) {
  const double n = static_cast<double>(c.daemons);
  const double rmax = static_cast<double>(refresh.retry_max.count()) / 1000.0;
  const size_t recovery = static_cast<size_t>(c.cluster.down_until.since_boot / 1s);
  const bool healed = t.all_hold_since >= MonoTime{};
  const double heal_s =
      healed ? static_cast<double>((t.all_hold_since - c.cluster.down_until).count()) / 1000.0 : -1;
  // Busiest second from recovery until everyone holds a token (at least retry_max).
  size_t end = recovery + static_cast<size_t>(std::max(heal_s, rmax)) + 1;
  int64_t peak = Max(t.requests, recovery, end);
  double mean =
      static_cast<double>(Sum(t.requests, recovery, end)) / static_cast<double>(end - recovery);
  double ratio = static_cast<double>(peak) / (n / rmax);
  std::string goals;
  auto goal = [&](bool met, const std::string& text) {
    goals += (goals.empty() ? "" : ", ") + text + (met ? " met" : " MISSED");
  };
  bool under_pressure = c.cluster.capacity > 0 && c.cluster.capacity < n / rmax;
  if (c.name == "at-cap") goal(ratio <= 1.5, "peak<=1.5x");
  if (c.name == "together") goal(ratio <= 3.0, "peak<=3x");
  if (!under_pressure) goal(healed && heal_s <= rmax + 2, "heal<=rmax+2s");
  if (under_pressure && healed) {
    // Converging, not oscillating: the cluster stays busy until the last daemon
    // is served, instead of alternating between refusals and idle seconds.
    size_t last = static_cast<size_t>(t.all_hold_since.since_boot / 1s);
    int64_t served = Sum(t.ok, recovery, last + 1);
    int64_t idle = 0;  // seconds with less than half the capacity used, before the end
    for (size_t s = recovery; s < last; ++s) idle += t.ok[s] * 2 < c.cluster.capacity;
    char text[160];
    std::snprintf(
        text, sizeof text,
        "%.0f%% of capacity used until all hold (N/capacity = %.0fs); %lld seconds "
        "below half of it",
        100.0 * static_cast<double>(served) /
            (static_cast<double>(c.cluster.capacity) * static_cast<double>(last + 1 - recovery)),
        n / static_cast<double>(c.cluster.capacity), static_cast<long long>(idle));
    goals = text;
  }
  char capacity[32];
  std::snprintf(capacity, sizeof capacity, "%lld/s", static_cast<long long>(c.cluster.capacity));
  char heal[32];
  if (healed)
    std::snprintf(heal, sizeof heal, "%.1fs", heal_s);
  else
    std::snprintf(heal, sizeof heal, "never");
  std::printf("%-10s %7lld %5llds %9s | %9lld %5.2fx %9.1f | %8s %9lld %8lld %9lld | %s\n",
              c.name.c_str(), static_cast<long long>(c.daemons), static_cast<long long>(c.outage),
              capacity, static_cast<long long>(peak), ratio, mean, heal,
              static_cast<long long>(t.refused), static_cast<long long>(t.failed_down),
              static_cast<long long>(t.total_requests), goals.c_str());
  if (c.steady_to > c.steady_from) {
    size_t from = static_cast<size_t>(c.steady_from.since_boot / 1s);
    size_t to = static_cast<size_t>(c.steady_to.since_boot / 1s);
    double even = n / (0.8 * static_cast<double>(c.cluster.token_ttl.count()) / 1000.0);
    int64_t steady_peak = Max(t.requests, from, to);
    double steady_mean =
        static_cast<double>(Sum(t.requests, from, to)) / static_cast<double>(to - from);
    std::printf(
        "%-10s %7s steady state before the outage (TTL %llds): peak %lld/s = %.2fx "
        "N/(0.8 TTL), mean %.1f/s = %.2fx; %s\n",
        "", "", static_cast<long long>(c.cluster.token_ttl / 1s),
        static_cast<long long>(steady_peak), static_cast<double>(steady_peak) / even, steady_mean,
        steady_mean / even,
        static_cast<double>(steady_peak) / even <= 3 ? "peak<=3x met" : "peak<=3x MISSED");
  }
  std::fflush(stdout);
}

std::vector<Case> Cases(const Options& o) {
  std::vector<Case> cases;
  for (int64_t n : o.daemons) {
    const int64_t capacity = static_cast<int64_t>(o.capacity_factor * static_cast<double>(n) /
                                                  static_cast<double>(o.retry_max));
    for (int64_t outage : o.outages) {
      const MonoDuration L = 1s * outage;
      const MonoDuration tail = 1s * (o.retry_max * 3 + 10);
      Case at_cap{"at-cap", n, outage, FleetStart::kNoToken, {}, {}};
      at_cap.cluster = {MonoTime{}, MonoTime{L}, capacity, 0s, 5h};
      at_cap.until = MonoTime{L + tail};
      cases.push_back(at_cap);

      Case together{"together", n, outage, FleetStart::kTogether, {}, {}};
      const MonoDuration ttl = 2 * L;
      const MonoTime down = MonoTime{ttl * 6 / 10};
      together.cluster = {down, down + L, capacity, 0s, ttl};
      together.until = down + L + tail;
      cases.push_back(together);

      Case steady{"steady", n, outage, FleetStart::kStaggered, {}, {}};
      const MonoDuration steady_ttl = 600s;
      const MonoTime steady_down = MonoTime{3 * steady_ttl};
      steady.cluster = {steady_down, steady_down + L, capacity, 0s, steady_ttl};
      steady.until = steady_down + L + tail;
      steady.steady_from = MonoTime{steady_ttl};
      steady.steady_to = steady_down;
      cases.push_back(steady);
    }
    // Under pressure: half the capacity the fleet needs at the cap; 10-minute outage.
    for (MonoDuration retry_after : {0s, 30s}) {
      const MonoDuration L = 600s;
      Case p{retry_after > 0s ? "pressure+RA" : "pressure", n, 600, FleetStart::kNoToken, {}, {}};
      p.cluster = {MonoTime{}, MonoTime{L}, n / o.retry_max / 2, retry_after, 5h};
      p.until = MonoTime{L + 1s * (4 * n / std::max<int64_t>(1, p.cluster.capacity) + 600)};
      cases.push_back(p);
    }
  }
  return cases;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    auto next = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* arg = argv[i];
    const char* v = nullptr;
    if (!std::strcmp(arg, "--daemons") && (v = next())) {
      o.daemons = ParseList(v);
      if (o.daemons.empty()) return Usage();
    } else if (!std::strcmp(arg, "--outages") && (v = next())) {
      o.outages = ParseList(v);
      if (o.outages.empty()) return Usage();
    } else if (!std::strcmp(arg, "--retry-max") && (v = next())) {
      o.retry_max = std::atoll(v);
      if (o.retry_max < 2) return Usage();
    } else if (!std::strcmp(arg, "--capacity-factor") && (v = next())) {
      o.capacity_factor = std::atof(v);
      if (o.capacity_factor < 0) return Usage();
    } else if (!std::strcmp(arg, "--seed") && (v = next())) {
      o.seed = std::strtoull(v, nullptr, 10);
    } else {
      return Usage();
    }
  }
  RefreshConfig refresh;  // the daemon's defaults: at 0.8 +/- 0.1, retry_min 1 s
  refresh.retry_max = 1s * o.retry_max;
  std::printf(
      "fleet_sim: real RefreshPolicy, retry_min %llds, retry_max %llds, at %.1f +/- %.1f; "
      "cluster capacity %.1f x N/retry_max unless under pressure (0.5x); seed %llu\n",
      static_cast<long long>(refresh.retry_min / 1s),
      static_cast<long long>(refresh.retry_max / 1s), refresh.at, refresh.jitter, o.capacity_factor,
      static_cast<unsigned long long>(o.seed));
  std::printf(
      "peak/s and mean/s: login requests reaching the cluster per second, from recovery "
      "until all hold a token (at least retry_max); xN/rmx: peak / (N / retry_max); "
      "all hold: time from recovery until every daemon holds a valid token\n");
  PrintHeader();
  auto started = std::chrono::steady_clock::now();
  uint64_t seed = o.seed;
  for (const Case& c : Cases(o)) {
    FleetTrace t = RunFleet(c.daemons, refresh, c.cluster, c.start, c.until, seed++);
    Report(c, t, refresh);
  }
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("simulated in %.1f s of CPU time on this machine\n", took);
  return 0;
}
