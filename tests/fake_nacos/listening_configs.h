// The listener long poll's wire format (Nacos 1.x/2.x HTTP client, ConfigController.listener).
#ifndef TESTS_FAKE_NACOS_LISTENING_CONFIGS_H_
#define TESTS_FAKE_NACOS_LISTENING_CONFIGS_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config_store.h"

namespace fake_nacos {

inline constexpr char kWordSeparator = '\x02';
inline constexpr char kLineSeparator = '\x01';

// Parses the (already URL-decoded) Listening-Configs value: entries
// "dataId^2group^2md5[^2tenant]^1" (^2 = \x02, ^1 = \x01), md5 possibly empty. nullopt for an
// empty value or an entry with fewer than 3 or more than 4 fields.
std::optional<std::map<ConfigKey, std::string>> ParseListeningConfigs(std::string_view text);

// MD5Util.compareMd5ResultString: "dataId^2group[^2tenant]^1" per key, the whole string
// URL-encoded like java.net.URLEncoder (space -> '+', only [A-Za-z0-9.*_-] kept).
std::string FormatChangedKeys(const std::vector<ConfigKey>& keys);

// java.net.URLEncoder.encode(text, UTF-8).
std::string JavaUrlEncode(std::string_view text);

}  // namespace fake_nacos

#endif  // TESTS_FAKE_NACOS_LISTENING_CONFIGS_H_
