// application/x-www-form-urlencoded and query-string handling as a servlet container does it.
#ifndef TESTS_FAKE_NACOS_URL_ENCODING_H_
#define TESTS_FAKE_NACOS_URL_ENCODING_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fake_nacos {

using ParamList = std::vector<std::pair<std::string, std::string>>;

// Decodes %XX and '+' (space); a malformed escape is kept literally.
std::string UrlDecode(std::string_view text);

// Splits "a=1&b=2" into decoded pairs in order; "a" alone yields ("a", "").
ParamList ParseUrlEncoded(std::string_view text);

// Same string with the value of every parameter named `name` replaced by "***".
std::string MaskParameter(std::string_view text, std::string_view name);

}  // namespace fake_nacos

#endif  // TESTS_FAKE_NACOS_URL_ENCODING_H_
