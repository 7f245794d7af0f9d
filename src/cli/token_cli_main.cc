// nacos-token: prints the current Nacos token for scripts and cron jobs.
// It runs inside every cron job, so it does no work it does not need: plain
// system calls, no framework, no threads. The command line is fixed by
// shared/interface.md (cli_options.h).
#include <cstdio>
#include <string>

#include "cli/cli_options.h"
#include "cli/command_exec.h"
#include "cli/token_acquire.h"
#include "cli/token_output.h"
#include "cli/token_watch.h"

int main(int argc, char** argv) {
  using namespace tokend::cli;
  CliOptions o;
  if (int rc = ParseCliArgs(argc, argv, &o); rc >= 0) return rc;
  if (o.watch) return WatchToken(o);
  TokenInfo info;
  std::string why;
  if (int rc = AcquireToken(o, &info, &why); rc != kOk) {
    fprintf(stderr, "nacos-token: %s\n", why.c_str());
    return rc;
  }
  if (o.exec) return ExecWithToken(o.command, info);
  return PrintLine(FormatToken(o.format, info)) ? kOk : kUnavailable;
}
