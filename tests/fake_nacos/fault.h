// Misbehaviours the fake can inject into login answers, and their names on the command line and
// control API.
#ifndef TESTS_FAKE_NACOS_FAULT_H_
#define TESTS_FAKE_NACOS_FAULT_H_

#include <optional>
#include <string>
#include <string_view>

namespace fake_nacos {

enum class FaultMode {
  kNone,
  kReset,         // RST before any answer.
  kHttp500,       // 500 "caused: java.lang.NullPointerException;".
  kHttp503,       // 503 from a proxy.
  kMalformed,     // 200 application/json, truncated JSON.
  kNonJson,       // 200 text/html.
  kMissingToken,  // 200 JSON without accessToken.
  kEmptyToken,    // accessToken "".
  kBadTtl,        // tokenTtl "abc".
  kNegativeTtl,   // tokenTtl -5.
  kZeroTtl,       // tokenTtl 0.
  kHuge,          // Content-Length 64 MiB, body streamed until the client leaves.
  kDrip,          // The normal answer, one byte every 0.5 s.
  kHang,          // Never answers.
  kRedirect,      // 302 to http://127.0.0.1:9/steal.
  kAuthDisabled,  // accessToken "AUTH_DISABLED", tokenTtl 18000.
  kLiteralToken,  // Success carrying `Fault::token` verbatim.
  kTooMany,       // 429 with "Retry-After: <Fault::retry_after>" (verbatim, even if garbage).
  kDown,          // Main listener closed; not a per-request fault.
};

struct Fault {
  FaultMode mode = FaultMode::kNone;
  std::string token;        // For kLiteralToken only.
  std::string retry_after;  // For kTooMany only.
};

// "none", "reset", "500", ..., "token:<value>", "429:<Retry-After value>", "down".
std::optional<Fault> ParseFault(std::string_view text);

std::string FaultName(const Fault& fault);

}  // namespace fake_nacos

#endif  // TESTS_FAKE_NACOS_FAULT_H_
