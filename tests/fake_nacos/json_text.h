// Minimal JSON string quoting for hand-built bodies whose field order must match Nacos exactly.
#ifndef TESTS_FAKE_NACOS_JSON_TEXT_H_
#define TESTS_FAKE_NACOS_JSON_TEXT_H_

#include <string>
#include <string_view>

namespace fake_nacos {

// Returns `text` as a quoted JSON string. Escapes like Jackson: '"', '\\' and control characters
// only ('/' and non-ASCII UTF-8 stay as they are).
std::string JsonQuote(std::string_view text);

}  // namespace fake_nacos

#endif  // TESTS_FAKE_NACOS_JSON_TEXT_H_
