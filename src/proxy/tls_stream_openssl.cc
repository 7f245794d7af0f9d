// The proxy's non-blocking TLS, in the TLS module (see tls_stream.h).
#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "proxy/tls_stream.h"

namespace tokend {
namespace {

bool IsAddress(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

class OpenSslStream final : public TlsStream {
 public:
  OpenSslStream(SSL_CTX* ctx, int fd, const std::string& host, bool verify) {
    ssl_ = SSL_new(ctx);
    SSL_set_fd(ssl_, fd);
    SSL_set_connect_state(ssl_);
    if (!IsAddress(host)) SSL_set_tlsext_host_name(ssl_, host.c_str());
    if (verify) {
      SSL_set_verify(ssl_, SSL_VERIFY_PEER, nullptr);
      X509_VERIFY_PARAM* param = SSL_get0_param(ssl_);
      if (IsAddress(host)) {
        X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
      } else {
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
      }
    } else {
      SSL_set_verify(ssl_, SSL_VERIFY_NONE, nullptr);
    }
  }
  ~OpenSslStream() override { SSL_free(ssl_); }

  TlsIo Handshake() override { return Map(SSL_do_handshake(ssl_), 0); }
  TlsIo Read(char* buf, size_t len) override {
    size_t n = 0;
    int rc = SSL_read_ex(ssl_, buf, len, &n);
    return Map(rc, n);
  }
  TlsIo Write(const char* buf, size_t len) override {
    size_t n = 0;
    int rc = SSL_write_ex(ssl_, buf, len, &n);
    return Map(rc, n);
  }
  bool Pending() const override { return SSL_pending(ssl_) > 0; }

 private:
  TlsIo Map(int rc, size_t n) {
    TlsIo io;
    if (rc == 1) {
      io.bytes = n;
      return io;
    }
    int e = SSL_get_error(ssl_, rc);
    if (e == SSL_ERROR_WANT_READ) {
      io.kind = TlsIo::kWantRead;
    } else if (e == SSL_ERROR_WANT_WRITE) {
      io.kind = TlsIo::kWantWrite;
    } else if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)) {
      io.kind = TlsIo::kClosed;
    } else {
      io.kind = TlsIo::kError;
      long verify = SSL_get_verify_result(ssl_);
      if (verify != X509_V_OK) {
        io.error = std::string("certificate: ") + X509_verify_cert_error_string(verify);
      } else {
        char text[256];
        ERR_error_string_n(ERR_get_error(), text, sizeof text);
        io.error = text;
      }
    }
    ERR_clear_error();
    return io;
  }
  SSL* ssl_ = nullptr;
};

class OpenSslFactory final : public TlsStreamFactory {
 public:
  OpenSslFactory(SSL_CTX* ctx, bool verify) : ctx_(ctx), verify_(verify) {}
  ~OpenSslFactory() override { SSL_CTX_free(ctx_); }
  std::unique_ptr<TlsStream> Start(int fd, const std::string& host) override {
    return std::make_unique<OpenSslStream>(ctx_, fd, host, verify_);
  }

 private:
  SSL_CTX* ctx_;
  bool verify_;
};

}  // namespace
}  // namespace tokend

extern "C" tokend::TlsStreamFactory* tokend_tls_stream_factory_create(
    const tokend::TlsSettings* settings, std::string* error) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (!ctx) {
    *error = "cannot create a TLS context";
    return nullptr;
  }
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  int ok = settings->ca_file.empty()
               ? SSL_CTX_set_default_verify_paths(ctx)
               : SSL_CTX_load_verify_locations(ctx, settings->ca_file.c_str(), nullptr);
  if (ok != 1) {
    char text[256];
    ERR_error_string_n(ERR_get_error(), text, sizeof text);
    *error = text;
    SSL_CTX_free(ctx);
    return nullptr;
  }
  return new tokend::OpenSslFactory(ctx, settings->verify);
}
