#include "keeper/token_store.h"

#include <algorithm>

#include "base/secret.h"

namespace tokend {

std::shared_ptr<const Token> TokenStore::Set(Token token) {
  std::lock_guard lock(mu_);
  if (token.value != last_value_) {
    ++generation_;
    WipeMemory(last_value_.data(), last_value_.size());
    last_value_ = token.value;
  }
  token.generation = generation_;
  current_ = std::make_shared<const Token>(std::move(token));
  return current_;
}

std::shared_ptr<const Token> TokenStore::Reuse(Token token) {
  std::lock_guard lock(mu_);
  generation_ = std::max<uint64_t>({generation_, token.generation, 1});
  token.generation = generation_;
  WipeMemory(last_value_.data(), last_value_.size());
  last_value_ = token.value;
  current_ = std::make_shared<const Token>(std::move(token));
  return current_;
}

void TokenStore::Clear() {
  std::lock_guard lock(mu_);
  current_.reset();
}

std::shared_ptr<const Token> TokenStore::Valid(MonoTime now) const {
  std::lock_guard lock(mu_);
  if (current_ && current_->ValidAt(now)) return current_;
  return nullptr;
}

std::shared_ptr<const Token> TokenStore::Current() const {
  std::lock_guard lock(mu_);
  return current_;
}

uint64_t TokenStore::generation() const {
  std::lock_guard lock(mu_);
  return generation_;
}

}  // namespace tokend
