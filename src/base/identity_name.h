// The one rule for identity names, shared by the daemon's configuration and
// nacos-token (which links no core library, so this unit depends on nothing).
#pragma once

#include <string_view>

namespace tokend {

/// Whether `name` may name an identity: [a-z0-9][a-z0-9_-]{0,31}.
bool IsIdentityName(std::string_view name);

}  // namespace tokend
