#include "daemon/prepared_config.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "base/file_ops.h"
#include "login/nacos_password_login.h"
#include "login/oidc_login.h"
#include "publish/token_file.h"

namespace tokend {
namespace {

bool IsLoopback(const std::string& host) {
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
}

void WarnAboutOidc(const NacosConfig& nacos, std::vector<std::string>* warnings) {
  for (const auto& url : {nacos.oidc.issuer, nacos.oidc.token_endpoint}) {
    if (!url) continue;
    if (url->server.https && !nacos.tls_verify) {
      warnings->push_back(nacos.section + ".tls_verify = false: the certificate of " +
                          url->Display() +
                          " is NOT checked; anyone on the path can read the client secret. Never "
                          "use this in production.");
    }
    if (!url->server.https && !IsLoopback(url->server.host)) {
      warnings->push_back(nacos.section + ": " + url->Display() +
                          " is plain http: the client secret crosses the network unencrypted");
    }
  }
}

void WarnAboutServers(const NacosConfig& nacos, std::vector<std::string>* warnings) {
  if (nacos.login == LoginKind::kOidc) return WarnAboutOidc(nacos, warnings);
  for (const auto& s : nacos.servers) {
    if (s.https && !nacos.tls_verify) {
      warnings->push_back(nacos.section + ".tls_verify = false: the certificate of " + s.Display() +
                          " is NOT checked; anyone on the path can read the password. Never use "
                          "this in production.");
    }
    if (!s.https && !IsLoopback(s.host)) {
      warnings->push_back(nacos.section + ".servers: " + s.Display() +
                          " is plain http: the password crosses the network unencrypted");
    }
  }
}

// The password (or client secret) of `id`, or the one in force when its
// environment variable is unchanged and gone (it was removed from the
// environment after the first read).
Result<Secret> SecretFor(const IdentityConfig& id, const PreparedConfig* previous,
                         std::vector<std::string>* warnings) {
  const PreparedIdentity* old = previous ? previous->Find(id.name) : nullptr;
  const bool oidc = id.nacos.login == LoginKind::kOidc;
  auto env_of = [oidc](const NacosConfig& c) -> const std::string& {
    return oidc ? c.oidc.client_secret_env : c.password_env;
  };
  const std::string& env = env_of(id.nacos);
  if (old && old->config.nacos.login == id.nacos.login && !env.empty() &&
      env == env_of(old->config.nacos) && !getenv(env.c_str())) {
    return Secret(old->secret->Reveal());
  }
  return oidc ? ReadOidcClientSecret(id.nacos, warnings) : ReadPassword(id.nacos, warnings);
}

Result<std::shared_ptr<LoginMethod>> MakeLogin(const NacosConfig& nacos,
                                               std::shared_ptr<const Secret> secret,
                                               const Clock* clock) {
  if (nacos.login == LoginKind::kOidc) {
    auto login = OidcLogin::Create(nacos, std::move(secret), clock);
    if (!login) return Error{login.error()};
    return std::shared_ptr<LoginMethod>(std::move(*login));
  }
  auto login = NacosPasswordLogin::Create(nacos, std::move(secret), clock);
  if (!login) return Error{login.error()};
  return std::shared_ptr<LoginMethod>(std::move(*login));
}

}  // namespace

const PreparedIdentity* PreparedConfig::Find(const std::string& name) const {
  for (const auto& id : identities) {
    if (id.config.name == name) return &id;
  }
  return nullptr;
}

PreparedConfig PrepareConfig(const ConfigSource& source, const PreparedConfig* previous,
                             const Clock* clock, std::vector<std::string>* problems) {
  PreparedConfig out;
  size_t before = problems->size();
  out.config = LoadConfig(source.file, source.defines, problems);
  if (problems->size() > before) return out;
  FileOps ops;
  for (const IdentityConfig& id : out.config.identities) {
    WarnAboutServers(id.nacos, &out.warnings);
    Result<Secret> read = SecretFor(id, previous, &out.warnings);
    if (!read) {
      problems->push_back(read.error());
      continue;
    }
    auto secret = std::make_shared<const Secret>(std::move(*read));
    if (!id.file.path.empty()) {
      if (Status s = TokenFile(id.file, &ops).CheckDirectory(); !s) problems->push_back(s.error());
    } else {
      FileConfig state;
      state.path = StatePath(id, out.config.socket);
      if (Status s = TokenFile(state, &ops).CheckDirectory(); !s) {
        problems->push_back("socket.path: " + s.error());
      }
    }
    if (!id.hook.argv.empty() && access(id.hook.argv.front().c_str(), X_OK) != 0) {
      problems->push_back(std::string(id.name == kDefaultIdentity ? "hook" : "hook:" + id.name) +
                          ".on_change: cannot execute '" + id.hook.argv.front() +
                          "': " + std::strerror(errno));
    }
    auto login = MakeLogin(id.nacos, secret, clock);
    if (!login) {
      problems->push_back(login.error());
      continue;
    }
    out.identities.push_back(PreparedIdentity{id, secret, std::move(*login)});
  }
  return out;
}

}  // namespace tokend
