#include "logger.h"

#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>

namespace fake_nacos {

Logger::Logger(const std::string& path) {
  if (!path.empty()) file_.open(path, std::ios::app);
}

void Logger::Log(std::string_view line) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!file_.is_open()) return;
  file_ << Poco::DateTimeFormatter::format(Poco::Timestamp(), "%H:%M:%S.%i") << ' ' << line << '\n';
  file_.flush();
}

std::string ShortToken(std::string_view token) {
  if (token.size() <= 12) return std::string(token);
  return std::string(token.substr(0, 12)) + "...";
}

}  // namespace fake_nacos
