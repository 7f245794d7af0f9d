#include "host/hook_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/duration.h"
#include "base/log.h"
#include "base/secret.h"

namespace tokend {
namespace {

constexpr size_t kMaxLine = 512;
constexpr const char* kPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

int PidfdOpen(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

void CloseFd(int* fd) {
  if (*fd >= 0) ::close(*fd);
  *fd = -1;
}

std::string Describe(int status) {
  if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("killed by signal ") + strsignal(WTERMSIG(status));
  return "status " + std::to_string(status);
}

// Strings that are wiped when they go out of scope (they hold the token).
struct WipedStrings {
  std::vector<std::string> items;
  ~WipedStrings() {
    for (auto& s : items) WipeMemory(s.data(), s.size());
  }
};

}  // namespace

HookRunner::HookRunner(HookConfig config, std::string token_file, std::string log_prefix)
    : config_(std::move(config)),
      token_file_(std::move(token_file)),
      prefix_(std::move(log_prefix)) {}

HookRunner::~HookRunner() { Stop(); }

void HookRunner::Reconfigure(HookConfig config, std::string token_file, std::string log_prefix) {
  config_ = std::move(config);
  token_file_ = std::move(token_file);
  prefix_ = std::move(log_prefix);
  if (config_.argv.empty()) pending_.reset();  // the hook was removed: no further run
}

void HookRunner::OnTokenEvent(const std::string&, const TokenEvent& event) {
  // A token no longer served must not reach a run that is still to come.
  if (event.change == TokenChange::kExpired || event.change == TokenChange::kRemoved) {
    pending_.reset();
  }
  // Only a new token: not one confirmed again, nor one reused at start.
  if (event.change != TokenChange::kNew || config_.argv.empty() || !event.token) return;
  if (run_) {
    pending_ = event.token;  // coalesced: one more run afterwards, with the newest token
    return;
  }
  Start(event.now, *event.token);
}

void HookRunner::Start(MonoTime now, const Token& token) {
  const std::string& program = config_.argv.front();
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    LogError(prefix_ + "hook " + program + " not run: pipe: " + std::strerror(errno));
    return;
  }
  // Only our end is non-blocking: the hook's stderr must block like any other.
  fcntl(pipe_fds[0], F_SETFL, fcntl(pipe_fds[0], F_GETFL) | O_NONBLOCK);
  WipedStrings env;
  env.items = {kPath,
               "NACOS_ACCESS_TOKEN=" + token.value,
               "NACOS_TOKEN_FILE=" + token_file_,
               "NACOS_TOKEN_IDENTITY=" + token.identity,
               "NACOS_TOKEN_GENERATION=" + std::to_string(token.generation),
               "NACOS_TOKEN_EXPIRES_AT=" + FormatWallTime(token.expires_wall)};
  std::vector<char*> envp, argv;
  for (auto& e : env.items) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = config_.argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 2);
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);    // the daemon blocks TERM, HUP, ...
  posix_spawnattr_setsigdefault(&attr, &all);  // and ignores SIGPIPE
  posix_spawnattr_setpgroup(&attr, 0);         // its own process group, killed whole
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, program.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(pipe_fds[1]);
  if (rc != 0) {
    ::close(pipe_fds[0]);
    LogError(prefix_ + "hook " + program + " could not be started: " + std::strerror(rc));
    return;
  }
  Run run;
  run.program = program;
  run.timeout = config_.timeout;
  run.pid = pid;
  run.pidfd = PidfdOpen(pid);
  run.err_fd = pipe_fds[0];
  run.started = now;
  run.deadline = now + config_.timeout;
  run.token_value = token.value;
  run_ = std::move(run);
  if (run_->pidfd < 0) {
    LogWarning(prefix_ + "hook " + program + ": pidfd_open failed (" + std::strerror(errno) +
               "); its end is noticed at its timeout");
  }
  LogDebug(prefix_ + "hook " + program + " started (pid " + std::to_string(pid) + ", generation " +
           std::to_string(token.generation) + ")");
}

void HookRunner::AddPollFds(std::vector<pollfd>* fds) const {
  if (!run_) return;
  if (run_->pidfd >= 0) fds->push_back({run_->pidfd, POLLIN, 0});
  if (run_->err_fd >= 0) fds->push_back({run_->err_fd, POLLIN, 0});
}

std::optional<MonoTime> HookRunner::next_deadline() const {
  if (!run_) return std::nullopt;
  return run_->deadline;
}

void HookRunner::ReadStderr() {
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(run_->err_fd, buf, sizeof buf);
    if (n > 0) {
      for (ssize_t i = 0; i < n && !run_->line_done; ++i) {
        if (buf[i] == '\n' || run_->first_line.size() >= kMaxLine) {
          run_->line_done = true;
        } else if (static_cast<unsigned char>(buf[i]) >= 0x20 || buf[i] == '\t') {
          run_->first_line += buf[i];
        }
      }
      continue;  // the rest is read and dropped, so the hook never blocks on a full pipe
    }
    if (n == 0) CloseFd(&run_->err_fd);
    return;  // EOF, EAGAIN or an error
  }
}

void HookRunner::Service(MonoTime now) {
  if (!run_) return;
  if (run_->err_fd >= 0) ReadStderr();
  int status = 0;
  pid_t done = waitpid(run_->pid, &status, WNOHANG);
  if (done == run_->pid) {
    Finish(status);
  } else if (done < 0 && errno == ECHILD) {
    Finish(0);  // reaped elsewhere (SIGCHLD ignored by whoever started us): nothing to wait for
  } else if (now >= run_->deadline) {
    if (!run_->killed) {
      LogWarning(prefix_ + "hook " + run_->program + " still running after " +
                 FormatDuration(run_->timeout) + " (hook.timeout); killed its process group");
    }
    kill(-run_->pid, SIGKILL);
    run_->killed = true;
    run_->deadline = now + std::chrono::seconds(1);  // look again, without spinning
  }
  if (!run_ && pending_) {
    auto token = std::move(pending_);
    pending_.reset();
    if (token->ValidAt(now)) Start(now, *token);
  }
}

void HookRunner::Finish(int status) {
  if (run_->err_fd >= 0) ReadStderr();
  std::string line = run_->first_line;
  if (!run_->token_value.empty()) {
    for (size_t at; (at = line.find(run_->token_value)) != std::string::npos;) {
      line.replace(at, run_->token_value.size(), "[the token]");
    }
  }
  std::string message = prefix_ + "hook " + run_->program + ": " + Describe(status) +
                        (line.empty() ? "" : ": " + line);
  bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (ok)
    LogInfo(message);
  else
    LogWarning(message);
  WipeMemory(run_->token_value.data(), run_->token_value.size());
  CloseFd(&run_->pidfd);
  CloseFd(&run_->err_fd);
  run_.reset();
}

void HookRunner::Stop() {
  pending_.reset();
  if (!run_) return;
  kill(-run_->pid, SIGKILL);
  int status = 0;
  waitpid(run_->pid, &status, 0);
  WipeMemory(run_->token_value.data(), run_->token_value.size());
  CloseFd(&run_->pidfd);
  CloseFd(&run_->err_fd);
  run_.reset();
}

}  // namespace tokend
