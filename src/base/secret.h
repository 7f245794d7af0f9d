// The Nacos password, kept out of core dumps and swap where the kernel allows
// (mlock, MADV_DONTDUMP) and wiped when released. It has no printable form:
// the only way out is Reveal(), used where the login body is built.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/status.h"
#include "config/config.h"

namespace tokend {

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string_view value);
  ~Secret();
  Secret(Secret&& other) noexcept;
  Secret& operator=(Secret&& other) noexcept;
  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;

  bool empty() const { return size_ == 0; }
  std::string_view Reveal() const { return {data_, size_}; }
  bool operator==(const Secret& o) const { return Reveal() == o.Reveal(); }

 private:
  void Release();
  char* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

/// Longest password accepted; anything longer is a mistake (a key file?).
constexpr size_t kMaxPasswordLength = 1024;

/// Where one secret comes from: a file, else an environment variable, else
/// the systemd credential; the key names are what messages quote.
struct SecretSource {
  std::string file, env, credential;
  std::string file_key, env_key;  // "nacos.password_file", "nacos.password_env"
  std::string what;               // "password", "client secret"
};

/// Reads a secret from `source`: the file, or the environment variable (then
/// removed from the environment so no child inherits it), or else
/// $CREDENTIALS_DIRECTORY/<credential>. One trailing newline is stripped.
/// Errors name the key or path and the reason, never the content.
Result<Secret> ReadSecret(const SecretSource& source, std::vector<std::string>* warnings);

/// The login = oidc client secret: nacos.oidc_client_secret_file,
/// nacos.oidc_client_secret_env or the credential nacos-oidc-secret(-NAME).
Result<Secret> ReadOidcClientSecret(const NacosConfig& config, std::vector<std::string>* warnings);

/// Reads the password from the source the configuration names:
/// nacos.password_file, nacos.password_env (the variable is then removed from
/// the environment so no child inherits it), or else the systemd credential
/// $CREDENTIALS_DIRECTORY/nacos-password. One trailing newline is stripped.
/// Errors name the key or path and the reason, never the content.
/// `warnings` receives advice such as "readable by other users".
Result<Secret> ReadPassword(const NacosConfig& config, std::vector<std::string>* warnings);

/// Overwrites memory in a way the compiler may not optimise away.
void WipeMemory(void* data, size_t size);

}  // namespace tokend
