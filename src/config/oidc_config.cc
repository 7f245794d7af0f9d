#include "config/oidc_config.h"

namespace tokend {
namespace {

const char* const kOidcKeys[] = {"oidc_issuer",
                                 "oidc_token_endpoint",
                                 "oidc_client_id",
                                 "oidc_client_secret_file",
                                 "oidc_client_secret_env",
                                 "oidc_scope",
                                 "oidc_audience"};
const char* const kPasswordKeys[] = {"username", "password_file", "password_env"};

class Keys {
 public:
  Keys(const IniValues& values, const std::string& sec, std::vector<std::string>* problems)
      : values_(values), sec_(sec), problems_(problems) {}
  const IniValue* Find(const std::string& key) const {
    auto it = values_.find(sec_ + "." + key);
    return it == values_.end() ? nullptr : &it->second;
  }
  std::string Get(const std::string& key) const {
    const IniValue* v = Find(key);
    return v ? v->value : "";
  }
  void Problem(const std::string& key, const std::string& reason) {
    const IniValue* v = Find(key);
    problems_->push_back((v ? v->origin + ": " : std::string()) + sec_ + "." + key + ": " + reason);
  }
  std::optional<HttpUrl> Url(const std::string& key) {
    std::string text = Get(key);
    if (text.empty()) return std::nullopt;
    auto url = ParseHttpUrl(text);
    if (!url) {
      Problem(key, url.error());
      return std::nullopt;
    }
    return *url;
  }

 private:
  const IniValues& values_;
  const std::string& sec_;
  std::vector<std::string>* problems_;
};

void ParseOidc(Keys& k, const std::string& sec, OidcConfig* c) {
  c->issuer = k.Url("oidc_issuer");
  c->token_endpoint = k.Url("oidc_token_endpoint");
  if (!c->issuer && !c->token_endpoint && k.Get("oidc_issuer").empty() &&
      k.Get("oidc_token_endpoint").empty()) {
    k.Problem("oidc_issuer",
              "missing: the OpenID provider's issuer URL (or set " + sec + ".oidc_token_endpoint)");
  }
  c->client_id = k.Get("oidc_client_id");
  if (c->client_id.empty()) {
    k.Problem("oidc_client_id", "missing: the OAuth client to get tokens as");
  } else if (c->client_id.find_first_of("\r\n") != std::string::npos) {
    k.Problem("oidc_client_id", "must be one line");
  }
  c->client_secret_file = k.Get("oidc_client_secret_file");
  c->client_secret_env = k.Get("oidc_client_secret_env");
  if (!c->client_secret_file.empty() && !c->client_secret_env.empty()) {
    k.Problem("oidc_client_secret_env",
              "set together with " + sec + ".oidc_client_secret_file: choose one");
  }
  if (!c->client_secret_file.empty() && c->client_secret_file.front() != '/') {
    k.Problem("oidc_client_secret_file",
              "'" + c->client_secret_file + "' must be an absolute path");
  }
  c->scope = k.Get("oidc_scope");
  c->audience = k.Get("oidc_audience");
}

}  // namespace

const std::set<std::string>& LoginKeys() {
  static const std::set<std::string> keys = [] {
    std::set<std::string> s = {"login"};
    for (const char* key : kOidcKeys) s.insert(key);
    return s;
  }();
  return keys;
}

bool ParseLoginKeys(const IniValues& values, const std::string& sec, NacosConfig* c,
                    std::vector<std::string>* problems) {
  Keys k(values, sec, problems);
  if (const IniValue* v = k.Find("login")) {
    if (v->value == "password")
      c->login = LoginKind::kPassword;
    else if (v->value == "oidc")
      c->login = LoginKind::kOidc;
    else
      k.Problem("login", "'" + v->value + "' is not one of password, oidc");
  }
  if (c->login == LoginKind::kPassword) {
    for (const char* key : kOidcKeys) {
      if (k.Find(key)) k.Problem(key, "is used only with " + sec + ".login = oidc");
    }
    return false;
  }
  for (const char* key : kPasswordKeys) {
    if (k.Find(key)) {
      k.Problem(key, "is not used with " + sec +
                         ".login = oidc (the client id and secret are the oidc_* keys)");
    }
  }
  ParseOidc(k, sec, &c->oidc);
  return true;
}

}  // namespace tokend
