// The parsers that read untrusted bytes, as fuzz entry points. The same
// functions run in libFuzzer (tests/fuzz/fuzz_*.cc, clang) and, over the
// saved corpus, in the unit tests, so every input that once crashed stays a
// regression test. Each must never crash, hang or leak for any input.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tokend::fuzz {

/// A Nacos login answer: status from the first byte, body from the rest.
void LoginAnswer(const uint8_t* data, size_t size);
/// An INI configuration, then every value again as a duration.
void Config(const uint8_t* data, size_t size);
/// Bytes a socket client sent: parsed and routed like the server does.
void SocketRequest(const uint8_t* data, size_t size);
/// A token whose JWT exp claim is read.
void JwtExpiry(const uint8_t* data, size_t size);
/// An OAuth token endpoint answer: status from the first byte, body from the rest.
void OidcTokenAnswer(const uint8_t* data, size_t size);
/// An OpenID discovery document, for an https or an http issuer (first byte).
void OidcDiscovery(const uint8_t* data, size_t size);
/// Bytes a caller sent to the Nacos proxy: request heads and bodies as the
/// proxy frames, checks and rewrites them.
void ProxyRequest(const uint8_t* data, size_t size);
/// Bytes Nacos sent to the proxy: the first byte picks the request method
/// (HEAD or not), the rest is answers as the proxy frames and classifies them.
void ProxyAnswer(const uint8_t* data, size_t size);

}  // namespace tokend::fuzz
