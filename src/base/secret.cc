#include "base/secret.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace tokend {
namespace {

Result<Secret> ReadSecretFile(const std::string& path, const std::string& what,
                              const std::string& noun, std::vector<std::string>* warnings) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return Error{what + ": cannot open '" + path + "': " + std::strerror(errno)};
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Error{what + ": '" + path + "' is not a regular file"};
  }
  if (st.st_mode & 0004) {
    warnings->push_back(what + ": '" + path +
                        "' is readable by every user of the host; chmod 0600 it");
  } else if (st.st_mode & 0040) {
    warnings->push_back(what + ": '" + path + "' is readable by its group; chmod 0600 it");
  }
  char buf[kMaxPasswordLength + 2];
  size_t len = 0;
  while (len < sizeof buf) {
    ssize_t n = ::read(fd, buf + len, sizeof buf - len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      WipeMemory(buf, sizeof buf);
      return Error{what + ": cannot read '" + path + "': " + std::strerror(err)};
    }
    if (n == 0) break;
    len += static_cast<size_t>(n);
  }
  ::close(fd);
  if (len > 0 && buf[len - 1] == '\n') --len;
  if (len > 0 && buf[len - 1] == '\r') --len;
  Result<Secret> result = Error{""};
  if (len == 0) {
    result = Error{what + ": '" + path + "' holds an empty " + noun};
  } else if (len > kMaxPasswordLength) {
    result = Error{what + ": '" + path + "' is longer than " + std::to_string(kMaxPasswordLength) +
                   " bytes; is it the right file?"};
  } else {
    result = Secret(std::string_view(buf, len));
  }
  WipeMemory(buf, sizeof buf);
  return result;
}

}  // namespace

void WipeMemory(void* data, size_t size) {
  if (data && size) explicit_bzero(data, size);
}

Secret::Secret(std::string_view value) {
  long page = sysconf(_SC_PAGESIZE);
  capacity_ = ((value.size() / static_cast<size_t>(page)) + 1) * static_cast<size_t>(page);
  void* p = mmap(nullptr, capacity_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  // Both are best effort: mlock needs RLIMIT_MEMLOCK headroom, DONTDUMP a recent kernel.
  (void)mlock(p, capacity_);
  (void)madvise(p, capacity_, MADV_DONTDUMP);
  data_ = static_cast<char*>(p);
  std::memcpy(data_, value.data(), value.size());
  size_ = value.size();
}

Secret::~Secret() { Release(); }

Secret::Secret(Secret&& other) noexcept
    : data_(other.data_), size_(other.size_), capacity_(other.capacity_) {
  other.data_ = nullptr;
  other.size_ = other.capacity_ = 0;
}

Secret& Secret::operator=(Secret&& other) noexcept {
  if (this != &other) {
    Release();
    data_ = other.data_;
    size_ = other.size_;
    capacity_ = other.capacity_;
    other.data_ = nullptr;
    other.size_ = other.capacity_ = 0;
  }
  return *this;
}

void Secret::Release() {
  if (!data_) return;
  WipeMemory(data_, capacity_);
  munlock(data_, capacity_);
  munmap(data_, capacity_);
  data_ = nullptr;
  size_ = capacity_ = 0;
}

Result<Secret> ReadSecret(const SecretSource& source, std::vector<std::string>* warnings) {
  if (!source.file.empty()) {
    return ReadSecretFile(source.file, source.file_key, source.what, warnings);
  }
  if (!source.env.empty()) {
    const char* value = std::getenv(source.env.c_str());
    if (!value || !*value) {
      // The name is not echoed: a secret put there by mistake must not reach the log.
      return Error{source.env_key + ": the environment variable it names is not set or empty"};
    }
    Secret secret{std::string_view(value)};
    WipeMemory(const_cast<char*>(value), std::strlen(value));
    unsetenv(source.env.c_str());
    warnings->push_back(source.env_key + ": a " + source.what +
                        " in the environment is visible to 'systemctl show' and inherited by "
                        "children; prefer LoadCredential=");
    return secret;
  }
  const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
  if (!dir || !*dir) {
    return Error{"no " + source.what + " source: set " + source.file_key + " or " + source.env_key +
                 ", or run under systemd with LoadCredential=" + source.credential + ":..."};
  }
  return ReadSecretFile(std::string(dir) + "/" + source.credential,
                        "credential " + source.credential, source.what, warnings);
}

Result<Secret> ReadPassword(const NacosConfig& config, std::vector<std::string>* warnings) {
  return ReadSecret(
      {config.password_file, config.password_env, config.credential,
       config.section + ".password_file", config.section + ".password_env", "password"},
      warnings);
}

Result<Secret> ReadOidcClientSecret(const NacosConfig& config, std::vector<std::string>* warnings) {
  const OidcConfig& o = config.oidc;
  return ReadSecret({o.client_secret_file, o.client_secret_env, o.credential,
                     config.section + ".oidc_client_secret_file",
                     config.section + ".oidc_client_secret_env", "client secret"},
                    warnings);
}

}  // namespace tokend
