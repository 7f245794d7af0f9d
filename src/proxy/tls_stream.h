// Non-blocking TLS over a connected socket, for the proxy's https upstreams:
// the event loop drives the handshake and the records, never waiting. The
// implementation lives in the TLS module (nacos-tokend-tls.so, OpenSSL), loaded
// only when a proxied identity has an https server.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "base/status.h"
#include "login/tls_client.h"

namespace tokend {

struct TlsIo {
  enum Kind { kOk, kWantRead, kWantWrite, kClosed, kError };
  Kind kind = kOk;
  size_t bytes = 0;   // kOk of Read / Write
  std::string error;  // kError: why (certificate, protocol), never data
};

class TlsStream {
 public:
  virtual ~TlsStream() = default;
  /// kOk once the handshake is done and the certificate verified.
  virtual TlsIo Handshake() = 0;
  virtual TlsIo Read(char* buf, size_t len) = 0;
  virtual TlsIo Write(const char* buf, size_t len) = 0;
  /// Decrypted bytes already buffered (epoll will not report them).
  virtual bool Pending() const = 0;
};

class TlsStreamFactory {
 public:
  virtual ~TlsStreamFactory() = default;
  /// A client stream over `fd` (which the caller keeps owning) for `host`: SNI
  /// for names; with verification, the chain and `host` (name or address).
  virtual std::unique_ptr<TlsStream> Start(int fd, const std::string& host) = 0;
};

/// Loads the module and makes a factory for these settings. Errors name the
/// CA file or the module and the reason.
Result<std::shared_ptr<TlsStreamFactory>> LoadTlsStreamFactory(const TlsSettings& settings);

}  // namespace tokend

/// The module's entry point for the proxy. Returns null and sets *error on failure.
extern "C" tokend::TlsStreamFactory* tokend_tls_stream_factory_create(
    const tokend::TlsSettings* settings, std::string* error);
