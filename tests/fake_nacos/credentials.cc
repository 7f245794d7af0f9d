#include "credentials.h"

#include <utility>

namespace fake_nacos {

Credentials::Credentials(std::string user, std::string password)
    : user_(std::move(user)), password_(std::move(password)) {}

void Credentials::SetPassword(std::string password) {
  std::lock_guard<std::mutex> lock(mutex_);
  password_ = std::move(password);
}

bool Credentials::Matches(const std::string& user, const std::string& password) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return !user.empty() && !password.empty() && user == user_ && password == password_;
}

}  // namespace fake_nacos
