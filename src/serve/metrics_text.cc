#include "serve/metrics_text.h"

#include <cstdio>

#include "base/version.h"

namespace tokend {
namespace {

class Exposition {
 public:
  void Family(const char* name, const char* type, const char* help) {
    out_ += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  }
  void Sample(const std::string& name, const std::string& labels, const std::string& value) {
    out_ += name + (labels.empty() ? "" : "{" + labels + "}") + " " + value + "\n";
  }
  std::string& text() { return out_; }

 private:
  std::string out_;
};

// Label values here are identity names and fixed words: no escaping needed.
std::string Label(const char* name, const std::string& value) {
  return std::string(name) + "=\"" + value + "\"";
}

std::string Seconds(double s) {
  char buf[32];
  snprintf(buf, sizeof buf, "%.6g", s);
  return buf;
}

int64_t Unix(WallTime t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace

std::string RenderMetrics(const ServedIdentities& identities, const RequestCounters& requests,
                          MonoTime now) {
  Exposition e;
  e.Family("nacos_tokend_build_info", "gauge", "The running version; always 1.");
  e.Sample("nacos_tokend_build_info", Label("version", kVersion), "1");

  e.Family("nacos_tokend_logins_total", "counter", "Login rounds by identity and result.");
  for (const auto& id : identities) {
    for (int r = 0; r < kLoginResults; ++r) {
      e.Sample("nacos_tokend_logins_total",
               Label("identity", id.name) + "," +
                   Label("result", LoginResultLabel(static_cast<LoginResult>(r))),
               std::to_string(id.board->metrics.rounds[r].load()));
    }
  }
  e.Family("nacos_tokend_login_duration_seconds", "histogram",
           "How long login rounds took, by identity and result.");
  for (const auto& id : identities) {
    const LoginMetrics& m = id.board->metrics;
    for (int r = 0; r < kLoginResults; ++r) {
      std::string labels = Label("identity", id.name) + "," +
                           Label("result", LoginResultLabel(static_cast<LoginResult>(r)));
      uint64_t cumulative = 0;
      for (size_t b = 0; b <= kLoginDurationBuckets.size(); ++b) {
        cumulative += m.duration_counts[r][b].load();
        std::string le =
            b < kLoginDurationBuckets.size() ? Seconds(kLoginDurationBuckets[b]) : "+Inf";
        e.Sample("nacos_tokend_login_duration_seconds_bucket", labels + "," + Label("le", le),
                 std::to_string(cumulative));
      }
      e.Sample("nacos_tokend_login_duration_seconds_sum", labels,
               Seconds(static_cast<double>(m.duration_sum_us[r].load()) / 1e6));
      e.Sample("nacos_tokend_login_duration_seconds_count", labels, std::to_string(cumulative));
    }
  }
  e.Family("nacos_tokend_token_valid", "gauge", "1 while a valid token is served.");
  for (const auto& id : identities) {
    e.Sample("nacos_tokend_token_valid", Label("identity", id.name),
             id.board->store.Valid(now) ? "1" : "0");
  }
  e.Family("nacos_tokend_token_expiry_timestamp_seconds", "gauge",
           "When the served token expires (0: none is served).");
  for (const auto& id : identities) {
    auto token = id.board->store.Valid(now);
    e.Sample("nacos_tokend_token_expiry_timestamp_seconds", Label("identity", id.name),
             std::to_string(token ? Unix(token->expires_wall) : 0));
  }
  e.Family("nacos_tokend_token_generation", "gauge",
           "Distinct tokens published; kept across restarts that reuse a saved token.");
  for (const auto& id : identities) {
    e.Sample("nacos_tokend_token_generation", Label("identity", id.name),
             std::to_string(id.board->store.generation()));
  }
  e.Family("nacos_tokend_last_login_error_timestamp_seconds", "gauge",
           "When the last login round failed (0: never).");
  for (const auto& id : identities) {
    e.Sample("nacos_tokend_last_login_error_timestamp_seconds", Label("identity", id.name),
             std::to_string(id.board->metrics.last_error_unix.load()));
  }
  e.Family("nacos_tokend_last_login_success_timestamp_seconds", "gauge",
           "When the last login round succeeded (0: never).");
  for (const auto& id : identities) {
    e.Sample("nacos_tokend_last_login_success_timestamp_seconds", Label("identity", id.name),
             std::to_string(id.board->metrics.last_success_unix.load()));
  }
  e.Family("nacos_tokend_requests_total", "counter", "Socket requests by path and status.");
  for (int p = 0; p < kApiPathCount; ++p) {
    for (int s = 0; s < kStatusSlots; ++s) {
      uint64_t n = requests.counts[p][s].load(std::memory_order_relaxed);
      if (n == 0) continue;
      e.Sample("nacos_tokend_requests_total",
               Label("path", ApiPathLabel(static_cast<ApiPath>(p))) + "," +
                   Label("code", std::to_string(s)),
               std::to_string(n));
    }
  }
  return std::move(e.text());
}

}  // namespace tokend
