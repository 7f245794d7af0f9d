// Optional line log (--log FILE) for debugging test failures.
#ifndef TESTS_FAKE_NACOS_LOGGER_H_
#define TESTS_FAKE_NACOS_LOGGER_H_

#include <fstream>
#include <mutex>
#include <string>
#include <string_view>

namespace fake_nacos {

// Thread-safe; a no-op without a path. Callers never pass passwords, and pass tokens only
// shortened.
class Logger {
 public:
  explicit Logger(const std::string& path);

  void Log(std::string_view line);

 private:
  std::mutex mutex_;
  std::ofstream file_;
};

// First 12 characters of a token plus "...", enough to tell tokens apart in the log.
std::string ShortToken(std::string_view token);

}  // namespace fake_nacos

#endif  // TESTS_FAKE_NACOS_LOGGER_H_
