// Helpers for the configuration unit tests: parse an INI text (plus -D
// defines) the way the daemon does, and look for a problem mentioning a text.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/ini.h"

namespace tokend::testing {

/// The configuration `ini` (named test.ini in messages) and `defines` give;
/// every problem found is appended to `problems`.
inline Config ParseTestConfig(const std::string& ini, std::vector<std::string>* problems,
                              const std::vector<std::string>& defines = {}) {
  IniValues v = ParseIni(ini, "test.ini", problems);
  for (const auto& d : defines) {
    Status s = ApplyDefine(d, &v);
    if (!s) problems->push_back(s.error());
  }
  return ParseConfig(v, problems);
}

inline bool Mentions(const std::vector<std::string>& problems, const std::string& text) {
  return std::any_of(problems.begin(), problems.end(),
                     [&](const std::string& p) { return p.find(text) != std::string::npos; });
}

}  // namespace tokend::testing
