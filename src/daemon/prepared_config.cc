#include "daemon/prepared_config.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "base/file_ops.h"
#include "publish/token_file.h"

namespace tokend {
namespace {

bool IsLoopback(const std::string& host) {
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
}

void WarnAboutServers(const NacosConfig& nacos, std::vector<std::string>* warnings) {
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

// The password of `id`, or the one in force when password_env is unchanged and
// its variable is gone (it was removed from the environment after the first read).
Result<Secret> PasswordFor(const IdentityConfig& id, const PreparedConfig* previous,
                           std::vector<std::string>* warnings) {
  const PreparedIdentity* old = previous ? previous->Find(id.name) : nullptr;
  const std::string& env = id.nacos.password_env;
  if (old && !env.empty() && env == old->config.nacos.password_env && !getenv(env.c_str())) {
    return Secret(old->login->password().Reveal());
  }
  return ReadPassword(id.nacos, warnings);
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
    Result<Secret> password = PasswordFor(id, previous, &out.warnings);
    if (!password) {
      problems->push_back(password.error());
      continue;
    }
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
    auto login = NacosPasswordLogin::Create(id.nacos, std::move(*password), clock);
    if (!login) {
      problems->push_back(login.error());
      continue;
    }
    out.identities.push_back(PreparedIdentity{id, std::move(*login)});
  }
  return out;
}

}  // namespace tokend
