// A strict INI reader that remembers where each value came from, so that
// configuration errors can name the file and line.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace tokend {

/// One "section.key = value" with its origin ("FILE:LINE" or "-D").
struct IniValue {
  std::string value;
  std::string origin;
};

/// Keys are "section.key", lower-case as written. Later assignments win.
using IniValues = std::map<std::string, IniValue>;

/// Parses INI text. Comments start with ';' or '#' at the start of a line or
/// after whitespace inside a value ("x = 1   ; note"). Every malformed line is
/// reported as "ORIGIN:LINE: reason"; parsing continues so all are listed.
/// `origin` is the file name used in messages.
IniValues ParseIni(std::string_view text, const std::string& origin,
                   std::vector<std::string>* problems);

/// Applies one "-D section.key=value" override. Returns an error naming the
/// argument when it is not of that shape.
Status ApplyDefine(std::string_view define, IniValues* values);

}  // namespace tokend
