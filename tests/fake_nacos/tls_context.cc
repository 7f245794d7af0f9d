#include "tls_context.h"

namespace fake_nacos {

Poco::Net::Context::Ptr MakeServerTlsContext(const std::string& cert_file,
                                             const std::string& key_file) {
  Poco::Net::Context::Params params;
  params.certificateFile = cert_file;
  params.privateKeyFile = key_file;
  params.verificationMode = Poco::Net::Context::VERIFY_NONE;
  params.loadDefaultCAs = false;
  Poco::Net::Context::Ptr context = new Poco::Net::Context(Poco::Net::Context::SERVER_USE, params);
  context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
  return context;
}

Poco::Net::Context::Ptr MakeClientTlsContext(const std::string& ca_file) {
  Poco::Net::Context::Params params;
  params.caLocation = ca_file;
  params.loadDefaultCAs = ca_file.empty();
  params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
  Poco::Net::Context::Ptr context = new Poco::Net::Context(Poco::Net::Context::CLIENT_USE, params);
  context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
  return context;
}

}  // namespace fake_nacos
