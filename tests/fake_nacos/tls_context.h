// TLS contexts: the main listener's (--tls-cert/--tls-key) and the OIDC key fetcher's.
#ifndef TESTS_FAKE_NACOS_TLS_CONTEXT_H_
#define TESTS_FAKE_NACOS_TLS_CONTEXT_H_

#include <Poco/Net/Context.h>

#include <string>

namespace fake_nacos {

// Server context with the given PEM certificate (chain) and key, no client certificate
// verification, TLS 1.2 minimum. Throws Poco::Exception if the files cannot be loaded.
Poco::Net::Context::Ptr MakeServerTlsContext(const std::string& cert_file,
                                             const std::string& key_file);

// Client context for fetching an https OIDC issuer's keys: the peer must verify against
// `ca_file` (the system store when empty), TLS 1.2 minimum.
Poco::Net::Context::Ptr MakeClientTlsContext(const std::string& ca_file);

}  // namespace fake_nacos

#endif  // TESTS_FAKE_NACOS_TLS_CONTEXT_H_
