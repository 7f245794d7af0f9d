// nacos-token exec: runs a command with the token in its environment.
#pragma once

#include <vector>

#include "cli/token_output.h"

namespace tokend::cli {

/// Replaces this process with `command` (execvp: PATH lookup), with NACOS_ACCESS_TOKEN and,
/// when known, NACOS_TOKEN_EXPIRES_AT set (an inherited NACOS_TOKEN_EXPIRES_AT is removed
/// when the expiry is unknown, so it never describes another token). Being the same
/// process, the command receives every signal sent to nacos-token and its exit status, or
/// the signal that killed it, is what the caller sees. Returns only if it cannot be run:
/// 127 when it was not found, 126 otherwise, after a message naming it.
/// REQUIRES: command ends with a null pointer.
int ExecWithToken(const std::vector<char*>& command, const TokenInfo& info);

}  // namespace tokend::cli
