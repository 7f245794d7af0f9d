// The single user account the fake knows.
#ifndef TESTS_FAKE_NACOS_CREDENTIALS_H_
#define TESTS_FAKE_NACOS_CREDENTIALS_H_

#include <mutex>
#include <string>

namespace fake_nacos {

// Thread-safe; the password can be changed at runtime (a rotated password on the server).
class Credentials {
 public:
  Credentials(std::string user, std::string password);

  const std::string& user() const { return user_; }
  void SetPassword(std::string password);

  // Blank values never match, as with Nacos.
  bool Matches(const std::string& user, const std::string& password) const;

 private:
  const std::string user_;
  mutable std::mutex mutex_;
  std::string password_;
};

}  // namespace fake_nacos

#endif  // TESTS_FAKE_NACOS_CREDENTIALS_H_
