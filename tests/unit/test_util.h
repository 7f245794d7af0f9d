// Shared helpers for the unit tests: a fake clock, a seeded random source,
// a scoped temporary directory and a status check that prints the message.
#pragma once

#include <doctest/doctest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "base/clock.h"
#include "base/status.h"

namespace tokend::testing {

/// A clock that moves only when told to.
class FakeClock final : public Clock {
 public:
  MonoTime Now() const override { return mono_; }
  WallTime WallNow() const override { return wall_; }
  void Advance(MonoDuration d) {
    mono_ = mono_ + d;
    wall_ += d;
  }
  void SetWall(WallTime t) { wall_ = t; }

 private:
  MonoTime mono_{std::chrono::hours(1)};
  WallTime wall_ = WallTime(std::chrono::seconds(1'800'000'000));
};

/// A directory removed with everything in it when the test ends, pass or fail.
class ScopedTempDir {
 public:
  ScopedTempDir() {
    char tmpl[] = "/tmp/tokend-test-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~ScopedTempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }
  std::string Join(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path);
  out << content;
}

#define CHECK_OK(expr)                                   \
  do {                                                   \
    auto&& _s = (expr);                                  \
    CHECK_MESSAGE(_s.ok(), (_s.ok() ? "" : _s.error())); \
  } while (0)

}  // namespace tokend::testing
