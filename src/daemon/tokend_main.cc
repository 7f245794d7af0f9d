// nacos-tokend: logs in to Nacos, keeps the token fresh, publishes it to a
// file and a Unix socket. The command line is fixed by shared/interface.md.
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "base/log.h"
#include "base/secret.h"
#include "base/version.h"
#include "config/config.h"
#include "daemon/daemon.h"
#include "host/signals.h"

namespace {

constexpr const char* kDefaultConfig = "/etc/nacos-tokend/nacos-tokend.ini";

constexpr const char* kHelp =
    R"(Usage: nacos-tokend [--config FILE] [-D section.key=value]... [--once] [--check-config]
       nacos-tokend --help | --version

Logs in to Nacos, refreshes the access token before its TTL runs out, and
publishes it to a file and to an HTTP endpoint on a Unix socket.

Options:
  -c, --config FILE        INI configuration (default /etc/nacos-tokend/nacos-tokend.ini;
                           not needed when -D gives every required key)
  -D, --define S.K=VALUE   override one key, e.g. -D nacos.servers=10.0.0.1:8848
      --once               log in once, publish the file, exit
      --check-config       validate the configuration, print every problem, exit
  -h, --help               show this help
  -V, --version            show the version

Signals: TERM/INT stop (socket removed, a valid token file kept); HUP reloads the
configuration (a bad file is reported and the old one stays); USR1 logs in now.

Password: from nacos.password_file, or the environment variable named by
nacos.password_env, or else the systemd credential nacos-password
($CREDENTIALS_DIRECTORY/nacos-password). Never on the command line.

Files: the token at file.path (default /run/nacos-tokend/token, mode 0640), the
socket at socket.path (default /run/nacos-tokend/tokend.sock), and the saved
token for restarts beside the file (.token.state, mode 0600).
Socket: GET /v1/token, GET /v1/token?format=json, GET /v1/health,
POST /v1/refresh, GET /metrics (curl --unix-socket PATH http://localhost/v1/token).

Logs go to stderr, with <N> priority prefixes for journald when stderr is not a
terminal. Neither the password nor a token is ever logged.

Exit codes: 0 stopped normally; 64 bad command line; 78 configuration error;
--once: 77 credentials rejected, 69 no server reachable or usable,
73 the token file could not be written.
)";

struct Options {
  std::string config;
  bool config_given = false;
  std::vector<std::string> defines;
  bool once = false;
  bool check = false;
};

int Usage(const std::string& message) {
  fprintf(stderr, "nacos-tokend: %s\nTry 'nacos-tokend --help'.\n", message.c_str());
  return tokend::kExitUsage;
}

// Returns -1 to go on, else an exit code.
int ParseArgs(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const std::string& name, std::string* out) -> bool {
      if (arg.size() > name.size() && arg.compare(0, name.size() + 1, name + "=") == 0) {
        *out = arg.substr(name.size() + 1);
        return true;
      }
      if (arg == name) {
        if (i + 1 >= argc) return false;
        *out = argv[++i];
        return true;
      }
      return false;
    };
    std::string v;
    if (arg == "-h" || arg == "--help") {
      fputs(kHelp, stdout);
      return 0;
    } else if (arg == "-V" || arg == "--version") {
      printf("nacos-tokend %s\n", tokend::kVersion);
      return 0;
    } else if (arg == "--once") {
      o->once = true;
    } else if (arg == "--check-config") {
      o->check = true;
    } else if (arg.rfind("--config", 0) == 0 || arg == "-c") {
      if (!value(arg == "-c" ? "-c" : "--config", &v) || v.empty()) {
        return Usage("--config needs a file name");
      }
      o->config = v;
      o->config_given = true;
    } else if (arg.rfind("--define", 0) == 0) {
      if (!value("--define", &v)) return Usage("--define needs section.key=value");
      o->defines.push_back(v);
    } else if (arg.rfind("-D", 0) == 0) {
      if (arg.size() > 2)
        o->defines.push_back(arg.substr(2));
      else if (i + 1 < argc)
        o->defines.push_back(argv[++i]);
      else
        return Usage("-D needs section.key=value");
    } else {
      return Usage("unknown argument '" + arg + "'");
    }
  }
  if (o->once && o->check) return Usage("--once and --check-config exclude each other");
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace tokend;
  BlockDaemonSignals();  // before any thread exists
  // Other processes of this uid must not read our memory (the password) via /proc.
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  // Held long polls are normal: allow as many descriptors as the hard limit does (we use
  // epoll, never select, so a large limit is safe).
  if (rlimit nofile; getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
    nofile.rlim_cur = nofile.rlim_max;
    setrlimit(RLIMIT_NOFILE, &nofile);
  }

  Options opts;
  if (int rc = ParseArgs(argc, argv, &opts); rc >= 0) return rc;
  std::string file = opts.config;
  if (!opts.config_given) {
    bool have_default = access(kDefaultConfig, F_OK) == 0;
    file = (have_default || opts.defines.empty()) ? kDefaultConfig : "";
  }

  RealClock clock;
  ConfigSource source{file, opts.defines};
  std::vector<std::string> problems;
  PreparedConfig prepared = PrepareConfig(source, nullptr, &clock, &problems);
  if (opts.check) {
    for (const auto& p : problems) fprintf(stderr, "nacos-tokend: %s\n", p.c_str());
    for (const auto& w : prepared.warnings) {
      fprintf(stderr, "nacos-tokend: warning: %s\n", w.c_str());
    }
    if (!problems.empty()) return kExitConfig;
    printf("configuration OK%s%s\n", file.empty() ? "" : ": ", file.c_str());
    return kExitOk;
  }
  if (!problems.empty()) {
    for (const auto& p : problems) LogError("configuration: " + p);
    return kExitConfig;
  }
  SetLogLevel(prepared.config.log_level);
  for (const auto& w : prepared.warnings) LogWarning(w);

  Daemon daemon(&clock, std::move(prepared), std::move(source));
  if (Status s = daemon.Init(!opts.once); !s) {
    LogError("configuration: " + s.error());
    return kExitConfig;
  }
  return opts.once ? daemon.RunOnce() : daemon.Run();
}
