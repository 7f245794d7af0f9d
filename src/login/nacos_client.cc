#include "login/nacos_client.h"

#include <variant>

#include "base/form_encode.h"
#include "base/log.h"
#include "base/secret.h"
#include "login/login_answer.h"

namespace tokend {
namespace {

const char* ApiName(ApiMode api) { return api == ApiMode::kV1 ? "v1" : "v3"; }

// Wipes the login body when it goes out of scope.
struct WipedString {
  std::string value;
  ~WipedString() { WipeMemory(value.data(), value.size()); }
};

}  // namespace

NacosClient::NacosClient(const NacosConfig& config, HttpTransport* transport, const Clock* clock)
    : config_(config), transport_(transport), clock_(clock), learned_api_(config.servers.size()) {}

std::string NacosClient::LoginPath(ApiMode api) const {
  return config_.context_path +
         (api == ApiMode::kV1 ? "/v1/auth/users/login" : "/v3/auth/user/login");
}

LoginRoundResult NacosClient::Login(std::string_view password) {
  WipedString body;
  body.value = "username=" + FormEncode(config_.username) + "&password=";
  std::string encoded = FormEncode(password);
  body.value += encoded;
  WipeMemory(encoded.data(), encoded.size());

  LoginRoundResult round;
  bool any_rejected = false;
  for (size_t i = 0; i < config_.servers.size(); ++i) {
    const ServerEndpoint& server = config_.servers[i];
    std::vector<ApiMode> apis;
    if (config_.api != ApiMode::kAuto)
      apis = {config_.api};
    else if (learned_api_[i])
      apis = {*learned_api_[i]};
    else
      apis = {ApiMode::kV3, ApiMode::kV1};

    for (size_t k = 0; k < apis.size(); ++k) {
      ApiMode api = apis[k];
      MonoTime sent_at = clock_->Now();
      WallTime wall_sent_at = clock_->WallNow();
      Result<HttpAnswer> answer = transport_->Post(server, LoginPath(api), body.value);
      if (!answer) {
        round.error += (round.error.empty() ? "" : "; ") + answer.error();
        break;  // unreachable or too slow: the next server, at once
      }
      auto judged = ParseLoginAnswer(answer->status, answer->content_type, answer->body, password);
      if (auto* ok = std::get_if<LoginAnswer>(&judged)) {
        if (config_.api == ApiMode::kAuto) learned_api_[i] = api;
        round.success = LoginSuccess{std::move(ok->token), ok->ttl_seconds, server.Display(),
                                     sent_at, wall_sent_at};
        return round;
      }
      const auto& failure = std::get<LoginFailure>(judged);
      bool fall_back = failure.kind == LoginFailureKind::kNoSuchApi && k + 1 < apis.size();
      if (fall_back) {
        LogDebug(server.Display() + ": " + ApiName(api) + " login endpoint " + LoginPath(api) +
                 " answered " + failure.reason + "; trying v1");
        continue;
      }
      if (failure.kind == LoginFailureKind::kNoSuchApi) learned_api_[i].reset();
      if (answer->status == 429 || answer->status == 503) {
        if (auto wait = ParseRetryAfter(answer->retry_after, clock_->WallNow())) {
          round.retry_after = std::max(round.retry_after, *wait);
        }
      }
      any_rejected |= failure.kind == LoginFailureKind::kRejected;
      round.error += (round.error.empty() ? "" : "; ") + server.Display() + " (" + ApiName(api) +
                     " " + LoginPath(api) + "): " + failure.reason;
      break;
    }
  }
  round.failure_kind = any_rejected ? FailureKind::kRejected : FailureKind::kTransient;
  return round;
}

}  // namespace tokend
