#include "publish/token_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <random>

namespace tokend {
namespace {

std::string RandomSuffix() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[17];
  snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

std::string Reason(int neg_errno) { return std::strerror(-neg_errno); }

// Closes a directory fd on every path out of Publish.
class FdCloser {
 public:
  FdCloser(FileOps* ops, int fd) : ops_(ops), fd_(fd) {}
  ~FdCloser() {
    if (fd_ >= 0) ops_->Close(fd_);
  }
  int release() { return std::exchange(fd_, -1); }

 private:
  FileOps* ops_;
  int fd_;
};

}  // namespace

std::string RenderTokenFile(TokenFormat format, const Token& token, MonoTime now) {
  switch (format) {
    case TokenFormat::kRaw:
      return token.value;
    case TokenFormat::kEnv:
      return "NACOS_ACCESS_TOKEN=" + token.value + "\n";
    case TokenFormat::kJson:
      return TokenMetadataJson(token, now) + "\n";
  }
  return token.value;
}

std::string TokenFile::Directory() const {
  size_t slash = config_.path.rfind('/');
  return slash == 0 ? "/" : config_.path.substr(0, slash);
}

std::string TokenFile::BaseName() const { return config_.path.substr(config_.path.rfind('/') + 1); }

Status TokenFile::Publish(const std::string& content, std::string* warning) {
  const std::string dir_path = Directory();
  int dir = ops_->OpenDir(dir_path);
  if (dir < 0)
    return Error{config_.path + ": cannot open directory " + dir_path + ": " + Reason(dir)};
  FdCloser dir_closer(ops_, dir);

  std::string temp;
  int fd = -EEXIST;
  for (int attempt = 0; attempt < 8 && fd == -EEXIST; ++attempt) {
    temp = TempPrefix() + RandomSuffix();
    fd = ops_->CreateExclusive(dir, temp);
  }
  if (fd < 0) {
    return Error{config_.path + ": cannot create a temporary file in " + dir_path + ": " +
                 Reason(fd)};
  }

  auto fail = [&](const char* step, int err) -> Status {
    ops_->Close(fd);
    ops_->Unlink(dir, temp);  // best effort: the error below is the one that matters
    return Error{config_.path + ": " + step + " failed: " + Reason(err) +
                 "; the previous file is unchanged"};
  };
  // Mode and group are set before any secret byte is written.
  if (int r = ops_->Chmod(fd, config_.mode); r < 0) return fail("fchmod", r);
  if (config_.gid != static_cast<gid_t>(-1)) {
    if (int r = ops_->ChownGroup(fd, config_.gid); r < 0) {
      return fail(("fchown to group " + config_.group).c_str(), r);
    }
  }
  if (int r = ops_->WriteAll(fd, content); r < 0) return fail("write", r);
  if (int r = ops_->Sync(fd); r < 0) return fail("fsync", r);
  struct stat written;
  bool known = ::fstat(fd, &written) == 0;
  if (int r = ops_->Close(fd); r < 0) {
    ops_->Unlink(dir, temp);
    return Error{config_.path + ": close failed: " + Reason(r) +
                 "; the previous file is unchanged"};
  }
  if (int r = ops_->Rename(dir, temp, BaseName()); r < 0) {
    ops_->Unlink(dir, temp);
    return Error{config_.path + ": rename failed: " + Reason(r) +
                 "; the previous file is unchanged"};
  }
  // Its times after the rename (which moves the change time); a file that is
  // not the one written by then was replaced in between, and counts as such.
  struct stat st;
  published_.reset();
  if (known && fstatat(dir, BaseName().c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    bool ours = st.st_dev == written.st_dev && st.st_ino == written.st_ino;
    published_ = Published{written.st_dev, written.st_ino, written.st_size, st.st_mtim,
                           ours ? st.st_ctim : timespec{0, 0}};
  }
  // The new file is in place and readers see it: the publication counts. A failed
  // directory fsync only weakens durability across a power loss (which /run, a
  // tmpfs, does not have anyway), so it is a warning, not a failure.
  if (int r = ops_->Sync(dir); r < 0 && warning) {
    *warning = config_.path + ": published, but fsync of the directory " + dir_path +
               " failed: " + Reason(r) + "; the file may not survive a power loss";
  }
  return Status::Ok();
}

bool TokenFile::StillPublished() const {
  if (!published_) return true;
  struct stat st;
  if (lstat(config_.path.c_str(), &st) != 0) return false;
  auto same = [](const timespec& a, const timespec& b) {
    return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
  };
  return st.st_dev == published_->dev && st.st_ino == published_->ino && st.st_nlink > 0 &&
         st.st_size == published_->size && same(st.st_mtim, published_->mtime) &&
         same(st.st_ctim, published_->ctime);
}

Status TokenFile::Remove() {
  published_.reset();
  const std::string dir_path = Directory();
  int dir = ops_->OpenDir(dir_path);
  if (dir == -ENOENT) return Status::Ok();
  if (dir < 0)
    return Error{config_.path + ": cannot open directory " + dir_path + ": " + Reason(dir)};
  FdCloser closer(ops_, dir);
  int r = ops_->Unlink(dir, BaseName());
  if (r < 0 && r != -ENOENT) return Error{config_.path + ": cannot remove: " + Reason(r)};
  return Status::Ok();
}

Status TokenFile::CheckDirectory() const {
  const std::string dir_path = Directory();
  struct stat st;
  if (::stat(dir_path.c_str(), &st) != 0) {
    return Error{"file.path: directory " + dir_path + " of " + config_.path + ": " +
                 std::strerror(errno)};
  }
  if (!S_ISDIR(st.st_mode)) return Error{"file.path: " + dir_path + " is not a directory"};
  if (faccessat(AT_FDCWD, dir_path.c_str(), W_OK | X_OK, AT_EACCESS) != 0) {
    return Error{"file.path: cannot write in directory " + dir_path + ": " + std::strerror(errno)};
  }
  if (st.st_mode & S_IWOTH) {
    char mode[8];
    snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777);
    return Error{"file.path: directory " + dir_path + " (mode " + mode +
                 ") is writable by every user; other users could plant files there. Use a "
                 "directory only the daemon can write, e.g. /run/nacos-tokend"};
  }
  return Status::Ok();
}

int TokenFile::RemoveLeftovers() {
  DIR* d = opendir(Directory().c_str());
  if (!d) return 0;
  int removed = 0;
  const std::string prefix = TempPrefix();
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name.rfind(prefix, 0) != 0) continue;
    struct stat st;
    if (fstatat(dirfd(d), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (!S_ISREG(st.st_mode) || st.st_uid != geteuid()) continue;
    if (unlinkat(dirfd(d), name.c_str(), 0) == 0) ++removed;
  }
  closedir(d);
  return removed;
}

}  // namespace tokend
