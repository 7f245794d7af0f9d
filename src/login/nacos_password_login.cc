#include "login/nacos_password_login.h"

namespace tokend {

Result<std::unique_ptr<NacosPasswordLogin>> NacosPasswordLogin::Create(
    const NacosConfig& config, std::shared_ptr<const Secret> password, const Clock* clock) {
  auto transport = PocoTransport::Create(config);
  if (!transport) return Error{transport.error()};
  return std::unique_ptr<NacosPasswordLogin>(
      new NacosPasswordLogin(config, std::move(password), std::move(*transport), clock));
}

NacosPasswordLogin::NacosPasswordLogin(const NacosConfig& config,
                                       std::shared_ptr<const Secret> password,
                                       std::unique_ptr<HttpTransport> transport, const Clock* clock)
    : config_(config),
      password_(std::move(password)),
      transport_(std::move(transport)),
      client_(std::make_unique<NacosClient>(config_, transport_.get(), clock)) {}

}  // namespace tokend
