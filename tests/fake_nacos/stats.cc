#include "stats.h"

#include "json_text.h"

namespace fake_nacos {

void Stats::RecordLogin(PathGeneration generation, const std::string& content_type,
                        const std::string& masked_query, bool carries_token) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++logins_;
  ++(generation == PathGeneration::kV1 ? v1_logins_ : v3_logins_);
  if (carries_token) ++logins_with_token_;
  last_login_content_type_ = content_type;
  last_login_query_ = masked_query;
}

void Stats::RecordLoginOutcome(LoginOutcome outcome) {
  std::lock_guard<std::mutex> lock(mutex_);
  switch (outcome) {
    case LoginOutcome::kOk:
      ++login_ok_;
      break;
    case LoginOutcome::kRejected:
      ++login_rejected_;
      break;
    case LoginOutcome::kFaulted:
      ++login_faulted_;
      break;
  }
}

void Stats::RecordTokenMinted() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++tokens_issued_;
}

void Stats::RecordApi(bool allowed) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++(allowed ? api_ok_ : api_denied_);
}

void Stats::Reset() {
  std::lock_guard<std::mutex> lock(mutex_);
  logins_ = login_ok_ = login_rejected_ = login_faulted_ = logins_with_token_ = 0;
  v1_logins_ = v3_logins_ = api_ok_ = api_denied_ = tokens_issued_ = 0;
  last_login_content_type_.clear();
  last_login_query_.clear();
}

std::string Stats::ToJson() const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto field = [](const char* name, uint64_t value) {
    return std::string("\"") + name + "\":" + std::to_string(value);
  };
  return "{" + field("logins", logins_) + "," + field("login_ok", login_ok_) + "," +
         field("login_rejected", login_rejected_) + "," + field("login_faulted", login_faulted_) +
         "," + field("logins_with_token", logins_with_token_) + "," +
         field("v1_logins", v1_logins_) + "," + field("v3_logins", v3_logins_) + "," +
         field("api_ok", api_ok_) + "," + field("api_denied", api_denied_) +
         ",\"last_login_content_type\":" + JsonQuote(last_login_content_type_) +
         ",\"last_login_query\":" + JsonQuote(last_login_query_) + "," +
         field("tokens_issued", tokens_issued_) + "}";
}

}  // namespace fake_nacos
