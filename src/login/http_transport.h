// The network seam: one HTTP exchange with a Nacos server or an OpenID
// provider, bounded in time and size.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "base/secret.h"
#include "base/status.h"
#include "config/config.h"

namespace tokend {

/// What came back from a server, already bounded: the body is at most
/// kMaxAnswerBytes long.
struct HttpAnswer {
  int status = 0;
  std::string content_type;
  std::string body;
  std::string retry_after;  // the Retry-After header, verbatim ("" when absent)
};

/// Largest login answer we read. Real ones are ~250 bytes.
constexpr size_t kMaxAnswerBytes = 64 * 1024;

/// One request: a form-encoded POST (a login) or a GET (OIDC discovery).
struct HttpExchange {
  enum Method { kPost, kGet };
  Method method = kPost;
  ServerEndpoint server;
  std::string target;  // path and query, "/nacos/v3/auth/user/login"
  std::string body;    // application/x-www-form-urlencoded; POST only
  /// Extra request headers (e.g. Authorization: Basic for an OAuth client).
  /// Values may be secret: an implementation never logs or quotes them.
  std::vector<std::pair<std::string, std::string>> headers;
};

/// Sends requests. Implementations must be safe to Abort() from another
/// thread while Send() runs.
class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  /// Sends `exchange` and returns the answer, or an error naming the server
  /// and the reason (connection refused, timed out after 10s, TLS
  /// certificate rejected, ...). Redirects are returned, never followed.
  virtual Result<HttpAnswer> Send(const HttpExchange& exchange) = 0;
  /// POSTs `body` (application/x-www-form-urlencoded) to `path` on `server`.
  /// The copy of `body` (it carries the password) is wiped afterwards.
  Result<HttpAnswer> Post(const ServerEndpoint& server, const std::string& path,
                          const std::string& body) {
    HttpExchange exchange{HttpExchange::kPost, server, path, body, {}};
    Result<HttpAnswer> answer = Send(exchange);
    WipeMemory(exchange.body.data(), exchange.body.size());
    return answer;
  }
  /// Cuts the exchange in flight, if any, and makes later Post() calls fail
  /// at once. Used on shutdown.
  virtual void Abort() = 0;
};

/// HttpTransport on Poco (Net, NetSSL). The whole exchange (resolve, connect,
/// TLS handshake, send, receive) ends by `request_timeout`: Poco's own
/// timeouts only bound each read, so a watchdog shuts the socket down at the
/// deadline. Redirects are returned, not followed. With tls_verify the peer
/// chain must verify against ca_file (or the system store) and the
/// certificate must match the host name or IP, on loopback too.
class PocoTransport final : public HttpTransport {
 public:
  /// Fails (naming nacos.ca_file) when the TLS context cannot be built. TLS
  /// is loaded when a server, the OIDC issuer or token endpoint is https, or
  /// else at the first https exchange (a token endpoint found by discovery).
  static Result<std::unique_ptr<PocoTransport>> Create(const NacosConfig& config);
  ~PocoTransport() override;

  Result<HttpAnswer> Send(const HttpExchange& exchange) override;
  void Abort() override;

  struct Impl;  // public only so the .cc's helpers can name it

 private:
  explicit PocoTransport(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tokend
