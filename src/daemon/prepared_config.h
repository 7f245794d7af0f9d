// The one way a configuration is made ready, used alike by the start,
// --check-config and a reload: read the file and -D overrides, check every
// key, read every identity's password, check the directories the files go
// to, build each identity's login (TLS included). Only a configuration that
// passed all of it is ever put in force, so a reload is "prepare, then commit"
// and its warnings and errors are the same words as at the start.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/secret.h"
#include "config/config.h"
#include "keeper/login_method.h"

namespace tokend {

/// Where the configuration came from, so SIGHUP can read it again.
struct ConfigSource {
  std::string file;  // empty: -D only
  std::vector<std::string> defines;
};

struct PreparedIdentity {
  IdentityConfig config;
  /// The password, or the client secret for login = oidc: with `config`,
  /// what a reload compares to tell whether the identity changed.
  std::shared_ptr<const Secret> secret;
  std::shared_ptr<LoginMethod> login;  // a NacosPasswordLogin or an OidcLogin
};

struct PreparedConfig {
  Config config;
  std::vector<PreparedIdentity> identities;  // in the order of config.identities
  std::vector<std::string> warnings;         // to log once the configuration is in force

  const PreparedIdentity* Find(const std::string& name) const;
};

/// Prepares the configuration `source` names. Every problem found is added to
/// `problems` (each names the key or path and the reason); the result is
/// usable only when none was. `previous` is the configuration in force, on a
/// reload: a password or client secret read from an environment variable,
/// which was removed from the environment after the first read, is taken
/// from there.
PreparedConfig PrepareConfig(const ConfigSource& source, const PreparedConfig* previous,
                             const Clock* clock, std::vector<std::string>* problems);

}  // namespace tokend
