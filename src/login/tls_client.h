// TLS for https Nacos servers, in a module of its own (nacos-tokend-tls.so)
// that the daemon loads only when a server is https: OpenSSL and Poco NetSSL
// cost ~3 MiB of memory that a plain-http setup never needs.
#pragma once

#include <Poco/Net/StreamSocket.h>

#include <memory>
#include <string>

#include "base/status.h"

namespace tokend {

struct TlsSettings {
  std::string ca_file;  // PEM bundle; empty: the system CA store
  bool verify = true;   // false: no certificate checks at all
};

/// Turns a connected TCP socket into a verified TLS connection.
/// Thread-compatible: one handshake at a time per object.
class TlsClient {
 public:
  virtual ~TlsClient() = default;
  /// Runs the handshake over `plain` (which stays the owner of the
  /// descriptor, so a watchdog may shut it down). With verification on, the
  /// chain must verify and the certificate must match `host` (a DNS name or
  /// an IP address), on loopback too. Returns the secure socket, or an error
  /// naming the reason (never any data that was exchanged).
  virtual Result<Poco::Net::StreamSocket> Secure(const Poco::Net::StreamSocket& plain,
                                                 const std::string& host) = 0;
};

/// Where the TLS module is: beside the running binary, else the install directory.
std::string TlsModulePath();

/// Loads the module and creates a client. Errors name the module path or the
/// CA file and the reason.
Result<std::unique_ptr<TlsClient>> LoadTlsClient(const TlsSettings& settings);

}  // namespace tokend

/// The module's one entry point. Returns null and sets *error on failure.
extern "C" tokend::TlsClient* tokend_tls_client_create(const tokend::TlsSettings* settings,
                                                       std::string* error);
