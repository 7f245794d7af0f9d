// Addresses of the proxy's Nacos servers, found off its event loops. A name
// lookup (getaddrinfo: /etc/hosts, DNS, NSS) can block for seconds; the event
// loops only read the last answer, and a thread of this resolver does the
// lookups: when a name is first needed, again every `refresh` while it is in
// use, and soon after a connect to it failed. Addresses given as numbers are
// answered at once.
#pragma once

#include <sys/socket.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "base/background_lookups.h"
#include "base/clock.h"
#include "base/status.h"
#include "config/config.h"

namespace tokend {

/// One address to connect to.
struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family() const { return storage.ss_family; }
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

/// What a lookup found: the addresses, or why none.
using ResolveFunction =
    std::function<Result<std::vector<SocketAddress>>(const std::string& host, uint16_t port)>;

/// getaddrinfo for TCP; `numeric_only` never consults a resolver (and so never blocks).
Result<std::vector<SocketAddress>> SystemResolve(const std::string& host, uint16_t port,
                                                 bool numeric_only = false);

class UpstreamResolver {
 public:
  /// How long an answer is used before it is looked up again.
  static constexpr MonoDuration kRefresh = std::chrono::seconds(30);
  /// How soon a failed lookup (no address at all) is tried again.
  static constexpr MonoDuration kRetryFailed = std::chrono::seconds(1);
  /// A name not asked for this long is forgotten (a server removed by a reload).
  static constexpr MonoDuration kForget = std::chrono::minutes(10);

  /// `on_answer` runs on the resolver's thread after each round of lookups
  /// (the proxy wakes its event loops with it).
  UpstreamResolver(
      const Clock* clock, std::function<void()> on_answer,
      ResolveFunction resolve = [](const std::string& h, uint16_t p) {
        return SystemResolve(h, p);
      });

  enum class State { kReady, kPending, kFailed };
  struct Answer {
    State state = State::kPending;
    std::vector<SocketAddress> addresses;  // kReady: in the order to try them
    std::string error;                     // kFailed: names the server and the reason
  };

  /// Never blocks. kPending: a lookup is under way; `on_answer` will run.
  /// A name that resolved once keeps its last addresses while later lookups
  /// fail (a resolver outage does not take a working server away).
  Answer Lookup(const ServerEndpoint& server);
  /// A connect to `server` failed: look its name up again soon.
  void ConnectFailed(const ServerEndpoint& server);

  /// Starts the lookup thread (without it, RunDue does the lookups: tests).
  void Start() { names_.Start(); }
  void Stop() { names_.Stop(); }
  /// Looks up every name that is due; returns whether there were any.
  bool RunDue() { return names_.RunDue(); }

 private:
  using Key = std::pair<std::string, uint16_t>;
  BackgroundLookups<Key, std::vector<SocketAddress>> names_;
};

}  // namespace tokend
