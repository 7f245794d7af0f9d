// The proxy's loopback TCP listener ([proxy] listen).
#pragma once

#include "base/status.h"
#include "config/proxy_config.h"

namespace tokend {

/// A non-blocking listening socket bound to `address` (loopback only, as
/// ParseLoopbackAddress checked). Errors name `key` and the reason.
Result<int> BindLoopback(const LoopbackAddress& address, const std::string& key);

}  // namespace tokend
