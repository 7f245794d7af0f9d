// nacos-token --watch: follows the token with the daemon's long poll.
#pragma once

#include "cli/cli_options.h"

namespace tokend::cli {

/// Prints the current token, then one line per new token, until TERM or INT (then kOk).
/// Returns kUnavailable only when the daemon refuses for good (4xx: unknown identity, not
/// allowed) or stdout fails; an unreachable daemon is waited for.
int WatchToken(const CliOptions& o);

}  // namespace tokend::cli
