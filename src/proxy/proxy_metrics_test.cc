#include "proxy/proxy_metrics.h"

#include "test_util.h"

using namespace tokend;

TEST_CASE("proxy metrics: requests by identity and code, relogins") {
  CHECK(RenderProxyMetrics({}).empty());
  ProxyCounts a;
  a.requests_by_code = {{200, 7}, {403, 1}};
  a.relogins = 1;
  ProxyCounts b;
  std::string text = RenderProxyMetrics({{"default", a}, {"staging", b}});
  CHECK(text.find("# TYPE nacos_tokend_proxy_requests_total counter\n") != std::string::npos);
  CHECK(text.find("nacos_tokend_proxy_requests_total{identity=\"default\",code=\"200\"} 7\n") !=
        std::string::npos);
  CHECK(text.find("nacos_tokend_proxy_requests_total{identity=\"default\",code=\"403\"} 1\n") !=
        std::string::npos);
  CHECK(text.find("nacos_tokend_proxy_relogins_total{identity=\"default\"} 1\n") !=
        std::string::npos);
  CHECK(text.find("nacos_tokend_proxy_relogins_total{identity=\"staging\"} 0\n") !=
        std::string::npos);
}
