// The keys of login = oidc in [nacos] / [nacos:NAME], parsed apart from the
// password keys so that each login kind says which of its keys is missing.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/ini.h"

namespace tokend {

/// "login" and the oidc_* keys, as a [nacos] section takes them.
const std::set<std::string>& LoginKeys();

/// Reads `sec.login` and, for login = oidc, every oidc_* key into `c`.
/// Problems name the key: with oidc, oidc_client_id and a client secret source
/// are required and oidc_issuer unless oidc_token_endpoint is set, and
/// username / password_file / password_env are errors; with password, any
/// oidc_* key is. Returns whether the login is oidc.
bool ParseLoginKeys(const IniValues& values, const std::string& sec, NacosConfig* c,
                    std::vector<std::string>* problems);

}  // namespace tokend
