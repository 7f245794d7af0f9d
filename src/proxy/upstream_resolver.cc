#include "proxy/upstream_resolver.h"

#include <netdb.h>

#include <cstring>

namespace tokend {

Result<std::vector<SocketAddress>> SystemResolve(const std::string& host, uint16_t port,
                                                 bool numeric_only) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | (numeric_only ? AI_NUMERICHOST : 0);
  addrinfo* found = nullptr;
  int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
  if (rc != 0) return Error{rc == EAI_SYSTEM ? std::strerror(errno) : gai_strerror(rc)};
  std::vector<SocketAddress> out;
  for (addrinfo* a = found; a; a = a->ai_next) {
    if (a->ai_addrlen > sizeof(sockaddr_storage)) continue;
    SocketAddress address;
    std::memcpy(&address.storage, a->ai_addr, a->ai_addrlen);
    address.length = a->ai_addrlen;
    out.push_back(address);
  }
  freeaddrinfo(found);
  if (out.empty()) return Error{"no address"};
  return out;
}

UpstreamResolver::UpstreamResolver(const Clock* clock, std::function<void()> on_answer,
                                   ResolveFunction resolve)
    : clock_(clock), on_answer_(std::move(on_answer)), resolve_(std::move(resolve)) {}

UpstreamResolver::~UpstreamResolver() { Stop(); }

UpstreamResolver::Answer UpstreamResolver::Lookup(const ServerEndpoint& server) {
  if (auto numeric = SystemResolve(server.host, server.port, true)) {
    return Answer{State::kReady, std::move(*numeric), ""};
  }
  MonoTime now = clock_->Now();
  bool wake = false;
  Answer answer;
  {
    std::lock_guard lock(mu_);
    auto [it, added] = entries_.try_emplace(Key{server.host, server.port});
    Entry& e = it->second;
    e.used = now;
    wake = added;
    bool answered = e.answered >= MonoTime{};
    if (answered && !e.due) {
      // Refresh an answer in use; retry a failure, but at most once a second.
      MonoDuration age = now - e.answered;
      if (age >= (e.addresses.empty() ? kRetryFailed : kRefresh)) e.due = wake = true;
    }
    if (!e.addresses.empty()) {
      answer = Answer{State::kReady, e.addresses, ""};
    } else if (answered && !e.due) {
      answer = Answer{State::kFailed, {}, server.Display() + ": cannot resolve: " + e.error};
    }  // else kPending: the first lookup, or a retry of a failed one, is under way
  }
  if (wake) wake_.notify_one();
  return answer;
}

void UpstreamResolver::ConnectFailed(const ServerEndpoint& server) {
  MonoTime now = clock_->Now();
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(Key{server.host, server.port});
    if (it == entries_.end() || it->second.due || now - it->second.answered < kRetryFailed) return;
    it->second.due = true;
  }
  wake_.notify_one();
}

bool UpstreamResolver::AnyDue() const {
  for (const auto& [key, e] : entries_) {
    if (e.due) return true;
  }
  return false;
}

bool UpstreamResolver::RunDue() {
  std::vector<Key> due;
  {
    std::lock_guard lock(mu_);
    MonoTime now = clock_->Now();
    for (auto it = entries_.begin(); it != entries_.end();) {
      if (!it->second.due && now - it->second.used >= kForget) {
        it = entries_.erase(it);
        continue;
      }
      if (it->second.due) due.push_back(it->first);
      ++it;
    }
  }
  for (const Key& key : due) {
    auto found = resolve_(key.first, key.second);  // may block: no lock held
    std::lock_guard lock(mu_);
    auto it = entries_.find(key);
    if (it == entries_.end()) continue;
    Entry& e = it->second;
    e.due = false;
    e.answered = clock_->Now();
    if (found && !found->empty()) {
      e.addresses = std::move(*found);
      e.error.clear();
    } else {
      e.error = found ? "no address" : found.error();  // earlier addresses stay in use
    }
  }
  return !due.empty();
}

void UpstreamResolver::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void UpstreamResolver::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void UpstreamResolver::Loop() {
  for (;;) {
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [this] { return stopping_ || AnyDue(); });
      if (stopping_) return;
    }
    if (RunDue() && on_answer_) on_answer_();
  }
}

}  // namespace tokend
