#include "publish/token_file.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "test_util.h"

using namespace tokend;
using namespace tokend::testing;

namespace {

// Real system calls, with one step failing on demand and a record of the order.
class FaultyFileOps : public FileOps {
 public:
  std::string fail_step;  // "create", "chmod", "chown", "write", "sync", "rename", "syncdir"
  int fail_errno = ENOSPC;
  std::vector<std::string> steps;
  std::string forced_name;  // when set, CreateExclusive uses it (to plant a symlink)

  int CreateExclusive(int dir, const std::string& name) override {
    steps.push_back("create");
    if (fail_step == "create") return -fail_errno;
    int fd = FileOps::CreateExclusive(dir, forced_name.empty() ? name : forced_name);
    if (fd >= 0) opened_fd_ = fd;
    return fd;
  }
  int Chmod(int fd, mode_t m) override {
    return Step("chmod", [&] { return FileOps::Chmod(fd, m); });
  }
  int ChownGroup(int fd, gid_t g) override {
    return Step("chown", [&] { return FileOps::ChownGroup(fd, g); });
  }
  int WriteAll(int fd, const std::string& d) override {
    return Step("write", [&] { return FileOps::WriteAll(fd, d); });
  }
  int Sync(int fd) override {
    return Step(fd == opened_fd_ ? "sync" : "syncdir", [&] { return FileOps::Sync(fd); });
  }
  int Rename(int dir, const std::string& a, const std::string& b) override {
    return Step("rename", [&] { return FileOps::Rename(dir, a, b); });
  }

 private:
  template <typename F>
  int Step(const std::string& name, F f) {
    steps.push_back(name);
    if (fail_step == name) return -fail_errno;
    return f();
  }
  int opened_fd_ = -1;
};

Token MakeToken(const std::string& value) {
  Token t;
  t.value = value;
  t.obtained = MonoTime{std::chrono::seconds(0)};
  t.expires = MonoTime{std::chrono::seconds(100)};
  t.obtained_wall = WallTime(std::chrono::seconds(1'800'000'000));
  t.expires_wall = WallTime(std::chrono::seconds(1'800'000'100));
  t.username = "tokend";
  t.server = "http://127.0.0.1:8848";
  t.generation = 3;
  return t;
}

size_t CountEntries(const std::string& dir) {
  size_t n = 0;
  for (auto& e : std::filesystem::directory_iterator(dir)) (void)e, ++n;
  return n;
}

}  // namespace

TEST_CASE("token file: publishes in the documented order with the exact mode") {
  ScopedTempDir dir;
  FileConfig c;
  c.path = dir.Join("token");
  c.mode = 0640;
  FaultyFileOps ops;
  TokenFile file(c, &ops);
  mode_t old = umask(0077);  // a hostile umask must not matter
  CHECK_OK(file.Publish("abc"));
  umask(old);
  CHECK(ops.steps ==
        std::vector<std::string>{"create", "chmod", "write", "sync", "rename", "syncdir"});
  CHECK(ReadFile(c.path) == "abc");
  struct stat st;
  REQUIRE(stat(c.path.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0640);
  CHECK(CountEntries(dir.path()) == 1);
}

TEST_CASE("token file: tells when the published file was removed or replaced by someone else") {
  ScopedTempDir dir;
  FileConfig c;
  c.path = dir.Join("token");
  FileOps ops;
  TokenFile file(c, &ops);
  CHECK(file.StillPublished());  // nothing published: nothing to tell
  CHECK_OK(file.Publish("abc"));
  CHECK(file.StillPublished());
  WriteFile(dir.Join("other"), "xyz");
  REQUIRE(rename(dir.Join("other").c_str(), c.path.c_str()) == 0);
  CHECK_FALSE(file.StillPublished());  // replaced
  CHECK_OK(file.Publish("abc"));
  CHECK(file.StillPublished());
  REQUIRE(unlink(c.path.c_str()) == 0);
  CHECK_FALSE(file.StillPublished());  // removed
  REQUIRE(symlink("/etc/hostname", c.path.c_str()) == 0);
  CHECK_FALSE(file.StillPublished());
  CHECK_OK(file.Remove());
  CHECK(file.StillPublished());  // removed by us: nothing to tell
}

TEST_CASE("token file: a failure at any step leaves the old file and no temp file") {
  for (const char* step : {"create", "chmod", "chown", "write", "sync", "rename"}) {
    CAPTURE(step);
    ScopedTempDir dir;
    FileConfig c;
    c.path = dir.Join("token");
    c.gid = getegid();  // so that the chown step runs
    FaultyFileOps ops;
    TokenFile file(c, &ops);
    REQUIRE(file.Publish("old-token").ok());
    ops.fail_step = step;
    Status s = file.Publish("new-token");
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().find(c.path) != std::string::npos);
    CHECK(s.error().find(strerror(ENOSPC)) != std::string::npos);
    CHECK(ReadFile(c.path) == "old-token");
    CHECK(CountEntries(dir.path()) == 1);
  }
}

TEST_CASE("token file: a failed directory fsync is a warning; the publication counts") {
  ScopedTempDir dir;
  FileConfig c;
  c.path = dir.Join("token");
  FaultyFileOps ops;
  ops.fail_step = "syncdir";
  ops.fail_errno = EIO;
  TokenFile file(c, &ops);
  std::string warning;
  Status s = file.Publish("t", &warning);
  CHECK(s.ok());
  CHECK(ReadFile(c.path) == "t");
  CHECK(warning.find("fsync of the directory " + dir.path()) != std::string::npos);
  CHECK(warning.find(std::strerror(EIO)) != std::string::npos);
}

TEST_CASE("token file: a symlink at the target is replaced, not followed") {
  ScopedTempDir dir;
  std::string victim = dir.Join("victim");
  WriteFile(victim, "precious");
  FileConfig c;
  c.path = dir.Join("token");
  REQUIRE(symlink(victim.c_str(), c.path.c_str()) == 0);
  FileOps ops;
  TokenFile file(c, &ops);
  CHECK_OK(file.Publish("tok"));
  CHECK(ReadFile(victim) == "precious");
  struct stat st;
  REQUIRE(lstat(c.path.c_str(), &st) == 0);
  CHECK(S_ISREG(st.st_mode));
}

TEST_CASE("token file: a symlink planted at the temp name is never written through") {
  ScopedTempDir dir;
  std::string victim = dir.Join("victim");
  WriteFile(victim, "precious");
  REQUIRE(symlink(victim.c_str(), dir.Join(".token.tmp.planted").c_str()) == 0);
  FileConfig c;
  c.path = dir.Join("token");
  FaultyFileOps ops;
  ops.forced_name = ".token.tmp.planted";
  TokenFile file(c, &ops);
  Status s = file.Publish("tok");
  CHECK_FALSE(s.ok());  // EEXIST every time: refused, not followed
  CHECK(ReadFile(victim) == "precious");
}

TEST_CASE("token file: formats") {
  Token t = MakeToken("eyJ.x.y");
  MonoTime now{std::chrono::seconds(40)};
  CHECK(RenderTokenFile(TokenFormat::kRaw, t, now) == "eyJ.x.y");
  CHECK(RenderTokenFile(TokenFormat::kEnv, t, now) == "NACOS_ACCESS_TOKEN=eyJ.x.y\n");
  std::string json = RenderTokenFile(TokenFormat::kJson, t, now);
  CHECK(json.find("\"accessToken\":\"eyJ.x.y\"") != std::string::npos);
  CHECK(json.find("\"expiresIn\":60") != std::string::npos);
  CHECK(json.back() == '\n');
}

TEST_CASE("token file: leftovers are cleaned, a world-writable directory is refused") {
  ScopedTempDir dir;
  FileConfig c;
  c.path = dir.Join("token");
  WriteFile(dir.Join(".token.tmp.0123456789abcdef"), "half");
  WriteFile(dir.Join("unrelated"), "keep");
  FileOps ops;
  TokenFile file(c, &ops);
  CHECK(file.RemoveLeftovers() == 1);
  CHECK(CountEntries(dir.path()) == 1);
  CHECK_OK(file.CheckDirectory());
  chmod(dir.path().c_str(), 01777);
  Status s = file.CheckDirectory();
  CHECK_FALSE(s.ok());
  CHECK(s.error().find("writable by every user") != std::string::npos);
  CHECK_OK(file.Remove());
  CHECK_OK(file.Remove());  // missing is fine
}
