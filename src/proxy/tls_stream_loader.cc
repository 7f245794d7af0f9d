#include <dlfcn.h>

#include "proxy/tls_stream.h"

namespace tokend {

Result<std::shared_ptr<TlsStreamFactory>> LoadTlsStreamFactory(const TlsSettings& settings) {
  const std::string path = TlsModulePath();
  void* module = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (!module) return Error{"cannot load the TLS module " + path + ": " + dlerror()};
  auto create = reinterpret_cast<decltype(&tokend_tls_stream_factory_create)>(
      dlsym(module, "tokend_tls_stream_factory_create"));
  if (!create) return Error{"the TLS module " + path + " has no proxy entry point"};
  std::string error;
  TlsStreamFactory* factory = create(&settings, &error);
  if (!factory) {
    return Error{
        "ca_file: cannot set up TLS with '" +
        (settings.ca_file.empty() ? std::string("the system CA store") : settings.ca_file) +
        "': " + error};
  }
  return std::shared_ptr<TlsStreamFactory>(factory);
}

}  // namespace tokend
