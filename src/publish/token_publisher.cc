#include "publish/token_publisher.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "base/duration.h"
#include "base/log.h"
#include "base/read_to_end.h"
#include "base/secret.h"
#include "publish/token_state.h"

namespace tokend {
namespace {

std::unique_ptr<TokenFile> MakeStateFile(const std::string& path, FileOps* ops) {
  FileConfig c;
  c.path = path;
  c.mode = 0600;  // holds the token: for the daemon alone
  return std::make_unique<TokenFile>(c, ops);
}

}  // namespace

TokenPublisher::TokenPublisher(FileConfig file, std::string state_path,
                               const RefreshConfig& backoff, std::string log_prefix)
    : file_config_(std::move(file)),
      state_(MakeStateFile(state_path, &ops_)),
      backoff_(backoff),
      prefix_(std::move(log_prefix)),
      boot_id_(CurrentBootId()) {
  if (!file_config_.path.empty()) file_ = std::make_unique<TokenFile>(file_config_, &ops_);
}

void TokenPublisher::SweepLeftovers() {
  if (file_) {
    if (int n = file_->RemoveLeftovers(); n > 0) {
      LogInfo(prefix_ + file_->path() + ": removed " + std::to_string(n) +
              " temporary file(s) left by an interrupted run");
    }
  }
  state_->RemoveLeftovers();
}

namespace {

// The whole of a file we wrote ourselves: a regular file of our own user,
// opened without following a symbolic link; nullopt otherwise.
std::optional<std::string> ReadOwnFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct stat st;
  std::optional<std::string> text;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid()) {
    text.emplace();
    if (!ReadToEnd(fd, &*text)) {
      WipeMemory(text->data(), text->size());
      text.reset();
    }
  }
  ::close(fd);
  return text;
}

// A saved token of a server no longer configured is not reused.
Result<Token> FromServers(Result<Token> token, const std::vector<std::string>& servers) {
  if (!token || servers.empty() ||
      std::find(servers.begin(), servers.end(), token->server) != servers.end())
    return token;
  return Error{"its token came from " + token->server + ", no longer one of nacos.servers"};
}

}  // namespace

std::optional<Token> TokenPublisher::LoadSaved(MonoTime now, WallTime wall_now,
                                               const std::string& username,
                                               const std::vector<std::string>& servers) {
  std::string state_problem;  // why the saved state, which exists, cannot be used
  if (std::optional<std::string> content = ReadOwnFile(state_->path())) {
    Result<Token> token =
        FromServers(ParseTokenState(*content, boot_id_, username, now, wall_now), servers);
    WipeMemory(content->data(), content->size());
    if (token) return std::move(*token);
    state_problem = token.error();
  }
  if (auto token = LoadJsonFile(now, wall_now, username, servers, state_problem)) return token;
  if (!state_problem.empty()) {
    LogInfo(prefix_ + "not reusing the saved token " + state_->path() + ": " + state_problem +
            "; removed it, logging in");
  }
  RemoveAll();  // a token file left without a usable lifetime is not servable
  return std::nullopt;
}

// A json token file carries its own lifetime, so it is servable without the
// saved state (deleted, damaged, or written by a run that could not save it).
std::optional<Token> TokenPublisher::LoadJsonFile(MonoTime now, WallTime wall_now,
                                                  const std::string& username,
                                                  const std::vector<std::string>& servers,
                                                  const std::string& state_problem) {
  if (!file_ || file_config_.format != TokenFormat::kJson) return std::nullopt;
  std::optional<std::string> content = ReadOwnFile(file_->path());
  if (!content) return std::nullopt;
  Result<Token> token = FromServers(ParseTokenMetadata(*content, username, now, wall_now), servers);
  WipeMemory(content->data(), content->size());
  const std::string state = state_problem.empty() ? "no saved state beside " + file_->path()
                                                  : "the saved state beside " + file_->path() +
                                                        " is unusable (" + state_problem + ")";
  if (!token) {
    LogInfo(prefix_ + state + "; not reusing its json token either: " + token.error() +
            "; removed it, logging in");
    return std::nullopt;
  }
  LogInfo(prefix_ + state + "; reusing its json token");
  save_on_reuse_ = true;
  return std::move(*token);
}

void TokenPublisher::OnTokenEvent(const std::string&, const TokenEvent& event) {
  switch (event.change) {
    case TokenChange::kNew:
    case TokenChange::kConfirmed:
    case TokenChange::kReused:
      token_ = event.token;
      failures_ = 0;
      repairs_ = 0;
      Write(event.now);
      if (event.change != TokenChange::kReused || save_on_reuse_) SaveState();
      save_on_reuse_ = false;
      break;
    case TokenChange::kExpired:
    case TokenChange::kRemoved:
      token_.reset();
      dirty_ = false;
      RemoveAll();
      if (file_ && event.change == TokenChange::kExpired) {
        LogInfo(prefix_ + "removed " + file_->path() + " (its token expired)");
      }
      break;
  }
}

void TokenPublisher::Write(MonoTime now) {
  dirty_ = false;
  if (!file_ || !token_ || !token_->ValidAt(now)) return;
  std::string warning;
  Status s = file_->Publish(RenderTokenFile(file_config_.format, *token_, now), &warning);
  if (!warning.empty()) LogWarning(prefix_ + warning);
  if (!s) {
    // Retry with backoff; say it once per distinct error, not once per attempt.
    ++failures_;
    MonoDuration delay = std::min<MonoDuration>(
        backoff_.retry_max, backoff_.retry_min * (1LL << std::min(failures_, 20)));
    next_retry_ = now + delay;
    std::string message = prefix_ + s.error() + "; retrying in " + FormatDuration(delay);
    if (failures_ == 1 || s.error() != last_error_)
      LogError(message);
    else
      LogDebug(message);
    last_error_ = s.error();
    dirty_ = true;
    sweep_pending_ = true;
    return;
  }
  SweepIfNeeded();  // first, so that the line below describes a clean directory
  if (failures_ > 0) {
    LogInfo(prefix_ + file_->path() + ": published again after " + std::to_string(failures_) +
            " failed attempt(s)");
  }
  if (retired_) {
    (void)retired_->Remove();
    retired_.reset();
  }
  failures_ = 0;
  last_error_.clear();
}

void TokenPublisher::RepairIfTampered(MonoTime now) {
  if (!file_ || !token_ || dirty_ || !token_->ValidAt(now) || file_->StillPublished()) return;
  // Another writer of the same file (a second daemon, the same file under two
  // paths) would make this a rewrite every second for ever.
  constexpr int kMaxRepairsPerToken = 5;
  if (++repairs_ > kMaxRepairsPerToken) {
    if (repairs_ == kMaxRepairsPerToken + 1) {
      LogError(prefix_ + file_->path() + ": changed by someone else again after " +
               std::to_string(kMaxRepairsPerToken) +
               " repairs; is another program writing it? Left alone until the next token");
    }
    return;
  }
  LogWarning(prefix_ + file_->path() +
             ": removed, replaced or changed by someone else; writing it again");
  Write(now);
}

std::string TokenPublisher::directory() const { return file_ ? file_->Directory() : ""; }

void TokenPublisher::SaveState() {
  if (!token_) return;
  std::string text = RenderTokenState(*token_, boot_id_);
  Status s = state_->Publish(text);
  WipeMemory(text.data(), text.size());
  if (!s) {
    LogWarning(prefix_ + "cannot save the token for a restart: " + s.error());
    sweep_pending_ = true;
  } else {
    SweepIfNeeded();
  }
}

// A publication that failed may have left its temp file behind when the
// directory turned read-only between create and unlink; sweep once writing works again.
void TokenPublisher::SweepIfNeeded() {
  if (!sweep_pending_) return;
  sweep_pending_ = false;
  int removed = (file_ ? file_->RemoveLeftovers() : 0) + state_->RemoveLeftovers();
  if (removed > 0) {
    LogInfo(prefix_ + "removed " + std::to_string(removed) +
            " temporary file(s) left by failed writes");
  }
}

void TokenPublisher::RemoveAll() {
  if (file_) {
    if (Status s = file_->Remove(); !s) LogError(prefix_ + s.error());
  }
  if (retired_) (void)retired_->Remove();
  retired_.reset();
  (void)state_->Remove();
}

void TokenPublisher::RetryIfDue(MonoTime now) {
  if (dirty_ && now >= next_retry_) Write(now);
}

std::optional<MonoTime> TokenPublisher::next_retry() const {
  if (!dirty_) return std::nullopt;
  return next_retry_;
}

void TokenPublisher::Reconfigure(MonoTime now, FileConfig file, std::string state_path,
                                 const RefreshConfig& backoff) {
  backoff_ = backoff;
  if (file.path != file_config_.path && file_) {
    if (retired_) (void)retired_->Remove();  // an older path still waiting for its removal
    retired_ = std::move(file_);
  }
  bool file_changed = file != file_config_;
  file_config_ = std::move(file);
  if (file_changed || !file_) {  // kept as it is otherwise: it knows what it published
    file_ = file_config_.path.empty() ? nullptr : std::make_unique<TokenFile>(file_config_, &ops_);
  }
  if (state_path != state_->path()) {
    (void)state_->Remove();
    state_ = MakeStateFile(state_path, &ops_);
    SaveState();
  }
  if (file_changed) {
    failures_ = 0;
    Write(now);
  }
  if (!file_ && retired_) {  // no file any more: nothing will replace the old one
    (void)retired_->Remove();
    retired_.reset();
  }
}

void TokenPublisher::Stop(MonoTime now) {
  if (file_ && !(token_ && token_->ValidAt(now))) (void)file_->Remove();
  if (retired_) (void)retired_->Remove();
}

}  // namespace tokend
