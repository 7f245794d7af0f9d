#include <dlfcn.h>
#include <unistd.h>

#include <climits>

#include "login/tls_client.h"

namespace tokend {
namespace {

constexpr const char* kModuleName = "nacos-tokend-tls.so";

}  // namespace

// Beside the running binary (a build tree), else where `make install` puts it.
std::string TlsModulePath() {
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    std::string dir(exe, static_cast<size_t>(n));
    dir.resize(dir.rfind('/'));
    std::string beside = dir + "/" + kModuleName;
    if (access(beside.c_str(), R_OK) == 0) return beside;
  }
  return std::string(TOKEND_TLS_MODULE_DIR) + "/" + kModuleName;
}

Result<std::unique_ptr<TlsClient>> LoadTlsClient(const TlsSettings& settings) {
  const std::string path = TlsModulePath();
  // Never unloaded: OpenSSL keeps global state for the life of the process.
  void* module = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (!module) return Error{"cannot load the TLS module " + path + ": " + dlerror()};
  auto create = reinterpret_cast<decltype(&tokend_tls_client_create)>(
      dlsym(module, "tokend_tls_client_create"));
  if (!create) return Error{"the TLS module " + path + " has no entry point"};
  std::string error;
  TlsClient* client = create(&settings, &error);
  if (!client) {
    return Error{
        "nacos.ca_file: cannot set up TLS with '" +
        (settings.ca_file.empty() ? std::string("the system CA store") : settings.ca_file) +
        "': " + error};
  }
  return std::unique_ptr<TlsClient>(client);
}

}  // namespace tokend
