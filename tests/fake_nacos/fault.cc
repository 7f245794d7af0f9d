#include "fault.h"

#include <array>
#include <utility>

namespace fake_nacos {
namespace {

constexpr std::string_view kTokenPrefix = "token:";
constexpr std::string_view kTooManyPrefix = "429:";

constexpr std::array<std::pair<FaultMode, std::string_view>, 17> kNames{{
    {FaultMode::kNone, "none"},
    {FaultMode::kReset, "reset"},
    {FaultMode::kHttp500, "500"},
    {FaultMode::kHttp503, "503"},
    {FaultMode::kMalformed, "malformed"},
    {FaultMode::kNonJson, "nonjson"},
    {FaultMode::kMissingToken, "missing_token"},
    {FaultMode::kEmptyToken, "empty_token"},
    {FaultMode::kBadTtl, "bad_ttl"},
    {FaultMode::kNegativeTtl, "negative_ttl"},
    {FaultMode::kZeroTtl, "zero_ttl"},
    {FaultMode::kHuge, "huge"},
    {FaultMode::kDrip, "drip"},
    {FaultMode::kHang, "hang"},
    {FaultMode::kRedirect, "redirect"},
    {FaultMode::kAuthDisabled, "auth_disabled"},
    {FaultMode::kDown, "down"},
}};

}  // namespace

std::optional<Fault> ParseFault(std::string_view text) {
  if (text.starts_with(kTokenPrefix)) {
    return Fault{FaultMode::kLiteralToken, std::string(text.substr(kTokenPrefix.size())), ""};
  }
  if (text.starts_with(kTooManyPrefix)) {
    return Fault{FaultMode::kTooMany, "", std::string(text.substr(kTooManyPrefix.size()))};
  }
  for (const auto& [mode, name] : kNames) {
    if (text == name) return Fault{mode, "", ""};
  }
  return std::nullopt;
}

std::string FaultName(const Fault& fault) {
  if (fault.mode == FaultMode::kLiteralToken) return std::string(kTokenPrefix) + fault.token;
  if (fault.mode == FaultMode::kTooMany) return std::string(kTooManyPrefix) + fault.retry_after;
  for (const auto& [mode, name] : kNames) {
    if (fault.mode == mode) return std::string(name);
  }
  return "unknown";
}

}  // namespace fake_nacos
