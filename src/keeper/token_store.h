// The one owner of the current token. Readers (socket handlers, the file
// publisher, metrics) take an immutable snapshot and never hold the lock
// across I/O. Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>

#include "keeper/token.h"

namespace tokend {

class TokenStore {
 public:
  /// Installs a new token and returns it with its generation set. The
  /// generation moves only when the value differs from the current one
  /// (Nacos hands out the same token for logins within one second).
  std::shared_ptr<const Token> Set(Token token);

  /// Installs a token saved by a previous run, keeping its generation, so
  /// that generations keep growing across restarts.
  std::shared_ptr<const Token> Reuse(Token token);

  /// Drops the current token (it expired, or must no longer be served).
  void Clear();

  /// The current token if it is still valid at `now`, else null.
  std::shared_ptr<const Token> Valid(MonoTime now) const;

  /// The current token, valid or not (null if none).
  std::shared_ptr<const Token> Current() const;

  uint64_t generation() const;

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const Token> current_;  // guarded by mu_
  std::string last_value_;                // guarded by mu_: survives Clear()
  uint64_t generation_ = 0;               // guarded by mu_
};

}  // namespace tokend
