// uxload: a closed-loop HTTP/1.1 load generator for Unix stream sockets.
// N clients each keep one GET in flight for a fixed time, over a connection
// per request (default) or a kept-alive one, and the run ends with a single
// key=value line on stdout for scripts. Exit 0 when at least one request
// succeeded, 1 when none did or the run failed, 2 for a bad command line.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "load_options.h"
#include "load_stats.h"
#include "load_worker.h"

namespace {

constexpr const char* kUsage =
    "Usage: uxload --socket PATH [--clients N] [--duration SECONDS] [--keepalive]\n"
    "              [--path /v1/token] [--expect-bytes N] [--threads N] [--timeout SECONDS]\n"
    "Prints: requests errors rps p50_us p90_us p99_us max_us and error details.\n";

int Usage(const std::string& message) {
  fprintf(stderr, "uxload: %s\n%s", message.c_str(), kUsage);
  return 2;
}

bool ParseNumber(const char* text, double low, double high, double* out) {
  char* end = nullptr;
  double v = strtod(text, &end);
  if (end == text || *end != '\0' || !(v >= low && v <= high)) return false;
  *out = v;
  return true;
}

std::chrono::nanoseconds Seconds(double s) {
  return std::chrono::nanoseconds(static_cast<int64_t>(s * 1e9));
}

// Returns -1 when the run should go on, else the exit code.
int ParseArgs(int argc, char** argv, uxload::LoadOptions* o) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      fputs(kUsage, stdout);
      return 0;
    }
    if (arg == "--keepalive") {
      o->keepalive = true;
      continue;
    }
    if (i + 1 >= argc) return Usage(arg + " needs a value (or is unknown)");
    const char* value = argv[++i];
    double v = 0;
    if (arg == "--socket") {
      o->socket_path = value;
    } else if (arg == "--path") {
      if (value[0] != '/') return Usage("--path must start with /");
      o->target = value;
    } else if (arg == "--clients" && ParseNumber(value, 1, 10000, &v)) {
      o->clients = static_cast<int>(v);
    } else if (arg == "--threads" && ParseNumber(value, 1, 64, &v)) {
      o->threads = static_cast<int>(v);
    } else if (arg == "--duration" && ParseNumber(value, 0.01, 3600, &v)) {
      o->duration = Seconds(v);
    } else if (arg == "--timeout" && ParseNumber(value, 0.001, 600, &v)) {
      o->timeout = Seconds(v);
    } else if (arg == "--expect-bytes" && ParseNumber(value, 0, 1 << 30, &v)) {
      o->expect_bytes = static_cast<long>(v);
    } else {
      return Usage("bad argument: " + arg + " " + value);
    }
  }
  if (o->socket_path.empty()) return Usage("--socket is required");
  o->threads = std::min(o->threads, o->clients);
  return -1;
}

double Micros(uint64_t ns) { return static_cast<double>(ns) / 1e3; }

}  // namespace

int main(int argc, char** argv) {
  uxload::LoadOptions options;
  if (int rc = ParseArgs(argc, argv, &options); rc >= 0) return rc;

  std::vector<std::unique_ptr<uxload::LoadWorker>> workers;
  for (int t = 0; t < options.threads; ++t) {
    int share = options.clients / options.threads + (t < options.clients % options.threads);
    workers.push_back(std::make_unique<uxload::LoadWorker>(options, share));
  }
  const auto start = uxload::LoadWorker::Clock::now();
  const auto end = start + options.duration;
  std::vector<std::thread> threads;
  std::vector<char> ok(workers.size(), 0);
  for (size_t t = 0; t < workers.size(); ++t) {
    threads.emplace_back([&, t] { ok[t] = workers[t]->Run(end); });
  }
  for (auto& th : threads) th.join();
  const double elapsed =
      std::chrono::duration<double>(uxload::LoadWorker::Clock::now() - start).count();

  uxload::LoadStats total;
  for (size_t t = 0; t < workers.size(); ++t) {
    if (!ok[t]) {
      fprintf(stderr, "uxload: %s\n", workers[t]->error().c_str());
      return 1;
    }
    total.Merge(workers[t]->stats());
  }
  const auto& h = total.latency;
  printf(
      "requests=%llu errors=%llu rps=%.1f p50_us=%.1f p90_us=%.1f p99_us=%.1f max_us=%.1f "
      "clients=%d threads=%d keepalive=%d duration_s=%.3f err_connect=%llu err_status=%llu "
      "err_length=%llu err_io=%llu err_timeout=%llu backlog_retries=%llu\n",
      static_cast<unsigned long long>(total.ok()), static_cast<unsigned long long>(total.errors()),
      static_cast<double>(total.ok()) / elapsed, Micros(h.Percentile(0.50)),
      Micros(h.Percentile(0.90)), Micros(h.Percentile(0.99)), Micros(h.max()), options.clients,
      options.threads, options.keepalive ? 1 : 0, elapsed,
      static_cast<unsigned long long>(total.connect_errors),
      static_cast<unsigned long long>(total.status_errors),
      static_cast<unsigned long long>(total.length_errors),
      static_cast<unsigned long long>(total.io_errors),
      static_cast<unsigned long long>(total.timeouts),
      static_cast<unsigned long long>(total.backlog_retries));
  return total.ok() > 0 ? 0 : 1;
}
