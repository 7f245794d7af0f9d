// The token saved beside the token file (mode 0600, never readable by
// others) so that a restarted daemon serves it at once instead of logging in.
#pragma once

#include <string>

#include "base/clock.h"
#include "base/status.h"
#include "keeper/token.h"

namespace tokend {

/// Serialises a token, its generation and identity with the boot it was
/// obtained in and its lifetime on the boot-time clock.
std::string RenderTokenState(const Token& token, const std::string& boot_id);

/// Reads a saved token back. Within the same boot the boot-time clock is
/// trusted; after a reboot the wall-clock expiry is used. Fails, saying why
/// (never quoting the content), when the text is malformed, for another user,
/// or already expired at `now`. Never throws.
Result<Token> ParseTokenState(const std::string& text, const std::string& boot_id,
                              const std::string& username, MonoTime now, WallTime wall_now);

/// Reads back a token file in the json format (the metadata object), for a
/// start that finds no saved state beside it: its times are wall-clock ones,
/// judged as after a reboot. Fails, saying why, like ParseTokenState.
Result<Token> ParseTokenMetadata(const std::string& text, const std::string& username, MonoTime now,
                                 WallTime wall_now);

/// /proc/sys/kernel/random/boot_id, or "" when unreadable.
std::string CurrentBootId();

}  // namespace tokend
