// nacos-token --help.
#pragma once

namespace tokend::cli {

inline constexpr const char* kHelp =
    R"HELP(Usage: nacos-token [OPTION]...            print the current token
       nacos-token [OPTION]... --watch    print it, then each new one, one per line
       nacos-token [OPTION]... exec [OPTION]... -- COMMAND [ARG]...
                                          run COMMAND with the token in its environment

Prints the current Nacos access token, as served by nacos-tokend.

  --socket PATH        the daemon's socket (default /run/nacos-tokend/tokend.sock)
  --file PATH          token file to read when the socket cannot be used (default
                       /run/nacos-tokend/token; with --identity NAME,
                       /run/nacos-tokend/NAME.token)
  -i, --identity NAME  the token of identity NAME (default: the identity "default")
  --header             print "Authorization: Bearer <token>"
  --env                print "NACOS_ACCESS_TOKEN=<token>"
  --json               print the metadata object (expiresAt, generation, ...)
  --wait SECONDS       wait up to SECONDS for a usable token instead of failing at once
  --refresh            ask the daemon to log in again first
  --rejected TOKEN     Nacos refused TOKEN: print the token to use instead (the daemon
                       logs in again if TOKEN is its current one). --rejected - reads
                       TOKEN from standard input, which keeps it out of `ps`.
  --min-valid DURATION print only a token valid at least that long (500ms, 30s, 5m, 2h;
                       bare: seconds), asking the daemon to log in first if needed
  --watch              print the token, then one line per new token, until TERM/INT;
                       keeps retrying while the daemon is away (notes on stderr)
  -h, --help           show this help;  -V, --version  show the version

exec: COMMAND runs in place of nacos-token (same process, so it receives every
signal and its exit status is nacos-token's) with NACOS_ACCESS_TOKEN and
NACOS_TOKEN_EXPIRES_AT (RFC 3339, when known) in its environment, never on its
command line. PATH is searched as by execvp; 127: COMMAND not found, 126: it
cannot be run. Without a token, COMMAND is not run (exit 69 or 75).

The token file may be in any of nacos-tokend's formats (raw, env, json); an
expired json file is not used. Access needs membership in the daemon's reader
group (nacos-token under systemd) or a place in socket.allow_users/allow_groups.

Exit codes: 0 printed a valid token; 75 the daemon answers but has no valid
token (yet), or none valid for --min-valid; 69 neither the socket nor the file
could be used; 64 bad command line. --watch exits 0 on TERM/INT.

Examples:
  curl -H "$(nacos-token --header)" http://nacos:8848/nacos/v1/cs/configs?...
  nacos-token --min-valid 10m exec -- ./long-job
  nacos-token --watch | while read -r token; do reload-with "$token"; done
)HELP";

}  // namespace tokend::cli
