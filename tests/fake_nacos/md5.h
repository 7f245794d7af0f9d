// MD5 as Nacos reports it for a config (Content-MD5, Listening-Configs): lower-case hex.
#ifndef TESTS_FAKE_NACOS_MD5_H_
#define TESTS_FAKE_NACOS_MD5_H_

#include <string>
#include <string_view>

namespace fake_nacos {

// 32 lower-case hex digits of MD5(bytes) (MD5Utils.md5Hex over the UTF-8 content).
std::string Md5Hex(std::string_view bytes);

}  // namespace fake_nacos

#endif  // TESTS_FAKE_NACOS_MD5_H_
