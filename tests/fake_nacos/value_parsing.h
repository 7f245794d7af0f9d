// Parsing of option values shared by the command line and the control API.
#ifndef TESTS_FAKE_NACOS_VALUE_PARSING_H_
#define TESTS_FAKE_NACOS_VALUE_PARSING_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fake_nacos {

// Whole decimal number, optional leading '-', nothing else.
std::optional<int64_t> ParseInteger(std::string_view text);

// "1"/"true"/"on"/"yes" and "0"/"false"/"off"/"no".
std::optional<bool> ParseFlag(std::string_view text);

// Base64 secret -> key bytes; nullopt unless it decodes to at least 32 bytes (Nacos refuses
// shorter keys).
std::optional<std::string> ParseSecret(std::string_view base64);

}  // namespace fake_nacos

#endif  // TESTS_FAKE_NACOS_VALUE_PARSING_H_
