// Reading a whole file from an open descriptor, for files that may hold a
// secret (the saved token) as well as for the configuration.
#pragma once

#include <string>

namespace tokend {

/// Appends everything `fd` yields to `*out`, retrying EINTR. False on a read
/// error (errno says which); what was read stays in `*out`. The stack buffer
/// it reads through is wiped.
bool ReadToEnd(int fd, std::string* out);

}  // namespace tokend
