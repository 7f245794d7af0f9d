// The Nacos username/password login as a LoginMethod: the credentials, the
// servers and their transport, fixed for one configuration of one identity.
#pragma once

#include <memory>
#include <string>

#include "base/clock.h"
#include "base/secret.h"
#include "config/config.h"
#include "keeper/login_method.h"
#include "login/http_transport.h"
#include "login/nacos_client.h"

namespace tokend {

class NacosPasswordLogin final : public LoginMethod {
 public:
  /// Builds the transport (loading TLS for https servers); errors name
  /// nacos.ca_file or the server at fault.
  static Result<std::unique_ptr<NacosPasswordLogin>> Create(const NacosConfig& config,
                                                            std::shared_ptr<const Secret> password,
                                                            const Clock* clock);

  LoginRoundResult Login() override { return client_->Login(password_->Reveal()); }
  void Abort() override { transport_->Abort(); }
  const std::string& principal() const override { return config_.username; }
  std::string first_server() const override { return config_.servers.front().Display(); }

  const NacosConfig& config() const { return config_; }

 private:
  NacosPasswordLogin(const NacosConfig& config, std::shared_ptr<const Secret> password,
                     std::unique_ptr<HttpTransport> transport, const Clock* clock);

  NacosConfig config_;
  std::shared_ptr<const Secret> password_;
  std::unique_ptr<HttpTransport> transport_;
  std::unique_ptr<NacosClient> client_;
};

}  // namespace tokend
