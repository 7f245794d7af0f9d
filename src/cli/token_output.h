// What nacos-token knows about a token, where it came from, and how it prints it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "cli/cli_options.h"

namespace tokend::cli {

struct TokenInfo {
  std::string token;
  std::string json;        // the metadata object as served (one line); empty when unknown
  std::string expires_at;  // RFC 3339; empty when unknown
  std::optional<double> expires_in_s;  // seconds it stays valid, when known
  std::string generation;              // empty when unknown
};

/// A token as the daemon publishes one: 1 to 8192 printable ASCII characters, no spaces.
bool PlausibleToken(std::string_view token);

/// The value of a top-level "key" in one flat JSON object: a string (unescaped) or the text
/// of a number; nullopt when absent. Enough for the objects nacos-tokend writes.
std::optional<std::string> JsonField(std::string_view json, std::string_view key);

/// Fills token, expiry and generation from a metadata object; `json` keeps it as it is.
TokenInfo FromMetadata(const std::string& json);

/// Reads a token file in any of the daemon's formats (raw, env, json). Returns false with a
/// reason (never the token itself) when it cannot be used, e.g. an expired json file.
bool ReadTokenFile(const std::string& path, TokenInfo* info, std::string* why);

/// The seconds `info` stays valid: expires_in_s, else from expires_at; nullopt if unknown.
std::optional<double> SecondsLeft(const TokenInfo& info);

/// The line to print for `format` (no newline). kJson without metadata gives the fields
/// that are known: accessToken and tokenType.
std::string FormatToken(Format format, const TokenInfo& info);

/// Writes `line` and a newline to stdout and flushes; false if stdout failed.
bool PrintLine(const std::string& line);

/// `text` with every occurrence of `secret` replaced, for messages that quote the daemon.
std::string Redact(std::string text, const std::string& secret);

std::string TrimRight(std::string s);

}  // namespace tokend::cli
