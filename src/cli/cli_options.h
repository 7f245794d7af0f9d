// The command line of nacos-token, as shared/interface.md fixes it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tokend::cli {

enum Exit { kOk = 0, kUsage = 64, kUnavailable = 69, kTempFail = 75 };
enum class Format { kRaw, kHeader, kEnv, kJson };

struct CliOptions {
  std::string socket = "/run/nacos-tokend/tokend.sock";
  std::string file;      // --file; empty: the identity's default file (TokenFile())
  std::string identity;  // --identity; empty: none sent, which means "default"
  Format format = Format::kRaw;
  double wait_s = 0;       // --wait: how long to wait for a usable token
  double min_valid_s = 0;  // --min-valid: 0 means any valid token
  bool refresh = false;
  bool rejected_given = false;  // --rejected: `rejected` holds a token Nacos refused
  std::string rejected;
  bool watch = false;
  bool exec = false;
  std::vector<char*> command;  // exec: COMMAND [ARG]..., then a null pointer

  /// The file read when the socket cannot be used: --file, else the identity's default.
  std::string TokenFile() const;
};

/// Parses argv into `o`. Returns -1 when the program should go on, else the exit code to
/// return at once: 0 after --help/--version, kUsage after a message on stderr. Never puts the
/// value of --rejected into a message. `--rejected -` reads the token from stdin here.
int ParseCliArgs(int argc, char** argv, CliOptions* o);

}  // namespace tokend::cli
