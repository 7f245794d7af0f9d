// Publishing the token to a file that readers can never see missing, empty
// or half-written, and that is never written through a planted symlink.
#pragma once

#include <sys/types.h>
#include <time.h>

#include <optional>
#include <string>

#include "base/file_ops.h"
#include "base/status.h"
#include "config/config.h"
#include "keeper/token.h"

namespace tokend {

/// The file's content in the configured format: raw (the token alone),
/// env ("NACOS_ACCESS_TOKEN=<token>\n") or json (the metadata object + "\n").
std::string RenderTokenFile(TokenFormat format, const Token& token, MonoTime now);

/// Not thread-safe; the daemon's main loop owns it.
class TokenFile {
 public:
  /// `ops` must outlive this object.
  TokenFile(const FileConfig& config, FileOps* ops) : config_(config), ops_(ops) {}

  /// Replaces the file with `content` in one order: exclusive temp file in
  /// the same directory (not following symlinks), fchmod (umask-proof),
  /// fchown to the group, write, fsync, rename, directory fsync. On any
  /// failure the temp file is removed, the old file is left as it was and the
  /// error names the path, the step and the reason. A failed directory fsync
  /// after the rename is no failure (the file is in place): `warning`, when
  /// given, then names the directory and the reason.
  Status Publish(const std::string& content, std::string* warning = nullptr);

  /// Removes the file (the token expired). A missing file is not an error.
  Status Remove();

  /// Whether the file at the path is still the one the last Publish put
  /// there, untouched: same inode, still linked, same size, modification and
  /// change time (a write, truncation, chmod, chown or rename by someone else
  /// moves one of them). True when nothing was published.
  bool StillPublished() const;

  /// Checks the directory is fit to hold a secret: it exists and is not
  /// writable by every user (like /tmp, where others could plant files).
  Status CheckDirectory() const;

  /// Removes temp files left by a run killed mid-publication (regular files
  /// named like ours, owned by us). Returns how many were removed.
  int RemoveLeftovers();

  const std::string& path() const { return config_.path; }
  std::string Directory() const;

 private:
  std::string BaseName() const;
  std::string TempPrefix() const { return "." + BaseName() + ".tmp."; }

  struct Published {
    dev_t dev;
    ino_t ino;
    off_t size;
    timespec mtime;
    timespec ctime;
  };

  FileConfig config_;
  FileOps* ops_;
  std::optional<Published> published_;
};

}  // namespace tokend
