// The proxy's part of /metrics: requests by identity and status code, and
// the logins the proxy caused after Nacos rejected a token.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "proxy/proxy_server.h"

namespace tokend {

/// Prometheus text for `proxies` (identity, counts); empty when there are none.
std::string RenderProxyMetrics(const std::vector<std::pair<std::string, ProxyCounts>>& proxies);

}  // namespace tokend
