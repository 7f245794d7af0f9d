// The TLS module (built as nacos-tokend-tls.so, linked with Poco NetSSL).
#include "login/tls_client.h"

#include <Poco/Net/Context.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/X509Certificate.h>
#include <arpa/inet.h>
#include <openssl/x509v3.h>

namespace tokend {
namespace {

// OpenSSL's own matcher: SAN DNS names with wildcards, or IP SANs for addresses.
bool CertificateMatchesHost(const Poco::Net::X509Certificate& cert, const std::string& host) {
  X509* x = const_cast<X509*>(cert.certificate());
  unsigned char buf[16];
  if (inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1) {
    return X509_check_ip_asc(x, host.c_str(), 0) == 1;
  }
  return X509_check_host(x, host.c_str(), host.size(), X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS,
                         nullptr) == 1;
}

class PocoTlsClient final : public TlsClient {
 public:
  PocoTlsClient(Poco::Net::Context::Ptr context, bool verify)
      : context_(std::move(context)), verify_(verify) {}

  Result<Poco::Net::StreamSocket> Secure(const Poco::Net::StreamSocket& plain,
                                         const std::string& host) override {
    try {
      auto tls = Poco::Net::SecureStreamSocket::attach(plain, host, context_);
      if (verify_ && !CertificateMatchesHost(tls.peerCertificate(), host)) {
        return Error{"TLS certificate does not match host name '" + host + "'"};
      }
      return Poco::Net::StreamSocket(tls);
    } catch (const Poco::Exception& e) {
      return Error{e.displayText()};
    }
  }

 private:
  Poco::Net::Context::Ptr context_;
  bool verify_;
};

}  // namespace
}  // namespace tokend

extern "C" tokend::TlsClient* tokend_tls_client_create(const tokend::TlsSettings* settings,
                                                       std::string* error) {
  using Poco::Net::Context;
  try {
    Poco::Net::initializeSSL();
    // VERIFY_STRICT: RELAXED skips the host-name check for loopback names.
    Context::Ptr context =
        new Context(Context::TLS_CLIENT_USE, settings->ca_file,
                    settings->verify ? Context::VERIFY_STRICT : Context::VERIFY_NONE, 9,
                    settings->ca_file.empty(), "HIGH:!aNULL:!eNULL:!MD5:!3DES:@STRENGTH");
    context->requireMinimumProtocol(Context::PROTO_TLSV1_2);
    // Never prompt on a console or accept silently: reject what does not verify.
    Poco::Net::SSLManager::InvalidCertificateHandlerPtr reject(
        new Poco::Net::RejectCertificateHandler(false));
    Poco::Net::SSLManager::instance().initializeClient(nullptr, reject, context);
    return new tokend::PocoTlsClient(context, settings->verify);
  } catch (const Poco::Exception& e) {
    *error = e.displayText();
    return nullptr;
  }
}
