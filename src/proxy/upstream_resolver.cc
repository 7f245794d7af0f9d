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
    : names_(
          clock, LookupTiming{kRefresh, kRetryFailed, kForget},
          [resolve = std::move(resolve)](const Key& key) -> Result<std::vector<SocketAddress>> {
            auto found = resolve(key.first, key.second);
            if (found && found->empty()) return Error{"no address"};
            return found;
          },
          std::move(on_answer)) {}

UpstreamResolver::Answer UpstreamResolver::Lookup(const ServerEndpoint& server) {
  if (auto numeric = SystemResolve(server.host, server.port, true)) {
    return Answer{State::kReady, std::move(*numeric), ""};
  }
  auto answer = names_.Get(Key{server.host, server.port});
  switch (answer.state) {
    case decltype(names_)::State::kReady:
      return Answer{State::kReady, std::move(answer.value), ""};
    case decltype(names_)::State::kFailed:
      return Answer{State::kFailed, {}, server.Display() + ": cannot resolve: " + answer.error};
    case decltype(names_)::State::kPending:
      break;
  }
  return Answer{};
}

void UpstreamResolver::ConnectFailed(const ServerEndpoint& server) {
  names_.Stale(Key{server.host, server.port});
}

}  // namespace tokend
