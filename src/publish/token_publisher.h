// Keeps one identity's token file and saved state in step with its token, as
// an observer of the keeper's lifecycle: a new, confirmed or reused token is
// written (the file in its format, the state for restarts); an expired or
// removed one takes both away, so neither outlives the token. A failed file
// write is retried with backoff and reported once per distinct error.
// Loop thread only.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "base/clock.h"
#include "base/file_ops.h"
#include "config/config.h"
#include "keeper/token_events.h"
#include "publish/token_file.h"

namespace tokend {

class TokenPublisher final : public TokenObserver {
 public:
  /// `file.path` empty: no token file, only the saved state at `state_path`.
  TokenPublisher(FileConfig file, std::string state_path, const RefreshConfig& backoff,
                 std::string log_prefix);

  /// "[NAME] " when the daemon holds several identities, else "".
  void SetLogPrefix(std::string prefix) { prefix_ = std::move(prefix); }

  /// At start: removes temporary files an interrupted run left behind.
  void SweepLeftovers();

  /// The token the previous run saved, when it can be served again for
  /// `username`. What cannot be reused is removed, with a log line saying
  /// what was found and why it was not reused. Without a saved state, a json
  /// token file (which carries its lifetime) is reused instead, and the state
  /// is saved again; another token file left without it is removed.
  /// `servers` (as Display() shows them), when not empty: the token must come
  /// from one of them (a restart after nacos.servers changed logs in anew).
  std::optional<Token> LoadSaved(MonoTime now, WallTime wall_now, const std::string& username,
                                 const std::vector<std::string>& servers = {});

  void OnTokenEvent(const std::string& identity, const TokenEvent& event) override;

  /// Writes the file again when a failed write is due.
  void RetryIfDue(MonoTime now);
  /// Writes the file again if someone else removed, replaced or changed it
  /// (after a change in its directory: DirectoryWatch).
  void RepairIfTampered(MonoTime now);
  /// The directory of the token file, "" when there is none.
  std::string directory() const;
  /// When the next retry of a failed write is due, if one is pending.
  std::optional<MonoTime> next_retry() const;
  /// The file holds the current token (or there is no file, or no token).
  bool up_to_date() const { return !dirty_; }

  /// A reload: new file settings (a new path retires the old file once the new
  /// one is written), new state path, new backoff; the token is written again.
  void Reconfigure(MonoTime now, FileConfig file, std::string state_path,
                   const RefreshConfig& backoff);
  /// At stop: the file stays while its token is valid; a retired file goes.
  void Stop(MonoTime now);

 private:
  void Write(MonoTime now);
  void SaveState();
  void RemoveAll();
  void SweepIfNeeded();
  std::optional<Token> LoadJsonFile(MonoTime now, WallTime wall_now, const std::string& username,
                                    const std::vector<std::string>& servers,
                                    const std::string& state_problem);

  FileConfig file_config_;
  FileOps ops_;
  std::unique_ptr<TokenFile> file_;     // null: no file
  std::unique_ptr<TokenFile> retired_;  // the previous path, until the new file is written
  std::unique_ptr<TokenFile> state_;
  RefreshConfig backoff_;
  std::string prefix_;
  std::string boot_id_;
  std::shared_ptr<const Token> token_;  // the token served, as the last event said
  bool dirty_ = false;                  // the file does not hold token_ yet
  int failures_ = 0;
  MonoTime next_retry_;
  std::string last_error_;
  bool sweep_pending_ = false;  // a failed write may have left a temp file
  bool save_on_reuse_ = false;  // the token to reuse came from a json file, not the state
  int repairs_ = 0;             // tampered files written again since the last token event
};

}  // namespace tokend
