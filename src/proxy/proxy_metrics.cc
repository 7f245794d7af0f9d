#include "proxy/proxy_metrics.h"

namespace tokend {

std::string RenderProxyMetrics(const std::vector<std::pair<std::string, ProxyCounts>>& proxies) {
  if (proxies.empty()) return "";
  std::string out =
      "# HELP nacos_tokend_proxy_requests_total Requests answered through the Nacos proxy, by "
      "HTTP status code (Nacos's or the proxy's own).\n"
      "# TYPE nacos_tokend_proxy_requests_total counter\n";
  for (const auto& [identity, c] : proxies) {
    for (const auto& [code, n] : c.requests_by_code) {
      out += "nacos_tokend_proxy_requests_total{identity=\"" + identity + "\",code=\"" +
             std::to_string(code) + "\"} " + std::to_string(n) + "\n";
    }
  }
  out +=
      "# HELP nacos_tokend_proxy_relogins_total Logins the proxy asked for after Nacos rejected "
      "a token.\n"
      "# TYPE nacos_tokend_proxy_relogins_total counter\n";
  for (const auto& [identity, c] : proxies) {
    out += "nacos_tokend_proxy_relogins_total{identity=\"" + identity + "\"} " +
           std::to_string(c.relogins) + "\n";
  }
  return out;
}

}  // namespace tokend
