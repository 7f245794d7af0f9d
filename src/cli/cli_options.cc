#include "cli/cli_options.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "base/duration.h"
#include "base/identity_name.h"
#include "base/version.h"
#include "cli/cli_help.h"
#include "cli/token_output.h"

namespace tokend::cli {
namespace {

constexpr size_t kMaxStdinToken = 16 * 1024;

int Usage(const std::string& message) {
  fprintf(stderr, "nacos-token: %s\nTry 'nacos-token --help'.\n", message.c_str());
  return kUsage;
}

// The token for `--rejected -`: standard input, up to its end, without the final newline.
bool ReadTokenFromStdin(std::string* token) {
  std::string in;
  char buf[4096];
  for (;;) {
    ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) break;
    in.append(buf, static_cast<size_t>(n));
    if (in.size() > kMaxStdinToken) return false;
  }
  while (!in.empty() && (in.back() == '\n' || in.back() == '\r')) in.pop_back();
  *token = std::move(in);
  return PlausibleToken(*token);
}

}  // namespace

std::string CliOptions::TokenFile() const {
  if (!file.empty()) return file;
  if (identity.empty() || identity == "default") return "/run/nacos-tokend/token";
  return "/run/nacos-tokend/" + identity + ".token";
}

int ParseCliArgs(int argc, char** argv, CliOptions* o) {
  int formats = 0;
  int i = 1;
  for (; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    bool has_value = false;
    // --name VALUE, --name=VALUE, and for a short alias -x VALUE.
    auto take = [&](const char* name, const char* alias = nullptr) -> bool {
      if (alias && arg == alias) {
        if (i + 1 < argc) value = argv[++i], has_value = true;
        return true;
      }
      size_t len = strlen(name);
      if (arg.compare(0, len, name) != 0) return false;
      if (arg.size() > len && arg[len] == '=') {
        value = arg.substr(len + 1), has_value = true;
        return true;
      }
      if (arg.size() != len) return false;
      if (i + 1 < argc) value = argv[++i], has_value = true;
      return true;
    };
    if (arg == "-h" || arg == "--help") {
      fputs(kHelp, stdout);
      return kOk;
    } else if (arg == "-V" || arg == "--version") {
      printf("nacos-token %s\n", tokend::kVersion);
      return kOk;
    } else if (arg == "--header") {
      o->format = Format::kHeader, ++formats;
    } else if (arg == "--json") {
      o->format = Format::kJson, ++formats;
    } else if (arg == "--env") {
      o->format = Format::kEnv, ++formats;
    } else if (arg == "--refresh") {
      o->refresh = true;
    } else if (arg == "--watch") {
      o->watch = true;
    } else if (arg == "exec" && !o->exec) {
      o->exec = true;
    } else if (arg == "--" && o->exec) {
      ++i;
      break;
    } else if (take("--socket")) {
      if (!has_value || value.empty()) return Usage("--socket needs a path");
      o->socket = value;
    } else if (take("--file")) {
      if (!has_value || value.empty()) return Usage("--file needs a path");
      o->file = value;
    } else if (take("--identity", "-i")) {
      if (!has_value) return Usage("--identity needs a name");
      if (!IsIdentityName(value)) {
        return Usage("invalid identity name '" + value.substr(0, 64) +
                     "': names are 1 to 32 of a-z 0-9 _ -, starting with a letter or digit");
      }
      o->identity = value;
    } else if (take("--wait")) {
      char* end = nullptr;
      double w = has_value ? strtod(value.c_str(), &end) : -1;
      if (!has_value || value.empty() || *end || !(w >= 0) || w > 86400) {
        return Usage("--wait needs a number of seconds (0 to 86400)");
      }
      o->wait_s = w;
    } else if (take("--min-valid")) {
      Result<Millis> d = has_value ? ParseDuration(value) : Result<Millis>(Error{"missing"});
      if (!d) return Usage("--min-valid needs a duration such as 90, 500ms, 30s, 5m or 2h");
      o->min_valid_s = static_cast<double>(d->count()) / 1000.0;
    } else if (take("--rejected")) {
      // The value is a secret: no message below repeats it.
      if (!has_value)
        return Usage("--rejected needs the token Nacos refused, or - to read it from stdin");
      o->rejected_given = true;
      o->rejected = value;
    } else if (o->exec && !arg.empty() && arg[0] != '-') {
      break;  // the COMMAND, when no -- came before it
    } else if (!o->exec && !arg.empty() && arg[0] != '-') {
      return Usage("unknown argument '" + arg.substr(0, 64) + "' (a command goes after 'exec --')");
    } else {
      return Usage("unknown option '" + arg.substr(0, 64) + "'");
    }
  }
  if (o->exec) {
    for (; i < argc; ++i) o->command.push_back(argv[i]);
    if (o->command.empty())
      return Usage("exec needs a command: nacos-token exec -- COMMAND [ARG]...");
    o->command.push_back(nullptr);
  }
  if (formats > 1) return Usage("--header, --json and --env exclude each other");
  if (o->refresh && o->rejected_given) return Usage("--refresh and --rejected exclude each other");
  if (o->exec && formats > 0) {
    return Usage("exec puts the token in the environment; --header, --json and --env do not apply");
  }
  if (o->watch &&
      (o->exec || o->refresh || o->rejected_given || o->min_valid_s > 0 || o->wait_s > 0)) {
    return Usage(
        "--watch follows the token as it is; exec, --refresh, --rejected, --min-valid and "
        "--wait do not apply to it");
  }
  if (o->rejected_given && o->rejected == "-" && !ReadTokenFromStdin(&o->rejected)) {
    return Usage("--rejected -: standard input holds no token");
  }
  if (o->rejected_given && !PlausibleToken(o->rejected)) {
    return Usage(
        "--rejected: that is not a token (empty, too long, or with spaces or control characters)");
  }
  return -1;
}

}  // namespace tokend::cli
