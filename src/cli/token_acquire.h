// Getting one usable token for nacos-token's one-shot and exec modes: the socket first
// (with --refresh, --rejected, --min-valid and --wait as shared/interface.md says), the
// token file when the socket cannot be used.
#pragma once

#include <string>

#include "cli/cli_options.h"
#include "cli/socket_client.h"
#include "cli/token_output.h"

namespace tokend::cli {

/// Returns kOk with `info` filled, or kTempFail (the daemon answers but has no token that
/// will do) or kUnavailable (neither the socket nor the file could be used) with `why`, a
/// message that never holds a token. `info.json` is filled when `o` needs metadata (--json,
/// --min-valid, exec) and the socket answered.
int AcquireToken(const CliOptions& o, TokenInfo* info, std::string* why);

/// What a GET of the token (or a POST of a refresh) answered, as nacos-token sees it.
struct Attempt {
  enum Kind { kToken, kNoToken, kUnreachable } kind = kUnreachable;
  TokenInfo info;
  std::string why;  // for kNoToken and kUnreachable
};

/// Interprets an answer to GET /v1/token (`json`: with format=json) or POST /v1/refresh.
Attempt ReadAnswer(const SocketAnswer& a, bool json, bool refresh);

}  // namespace tokend::cli
