#include "proxy/forward_head.h"

#include "base/http_status.h"

namespace tokend {
namespace {

bool IsHopByHop(std::string_view name) {
  static constexpr std::string_view kHop[] = {
      "Connection", "Keep-Alive", "Proxy-Connection",    "TE",
      "Trailer",    "Upgrade",    "Proxy-Authorization", "Proxy-Authenticate"};
  for (std::string_view h : kHop) {
    if (HeaderNameIs(name, h)) return true;
  }
  return false;
}

// Hop-by-hop by name or listed in a Connection header of the message.
bool Dropped(const HeaderList& headers, std::string_view name) {
  if (IsHopByHop(name)) return true;
  for (const auto& [n, v] : headers) {
    if (HeaderNameIs(n, "Connection") && ListHasToken(v, name)) return true;
  }
  return false;
}

}  // namespace

std::string UpstreamRequestHead(const RequestHead& r, std::string_view authority,
                                std::string_view token) {
  std::string out;
  out.reserve(r.size + 128 + token.size());
  out.append(r.method).append(" ").append(r.target).append(" HTTP/1.1\r\n");
  out.append("Host: ").append(authority).append("\r\n");
  for (const auto& [name, value] : r.headers) {
    if (Dropped(r.headers, name) || HeaderNameIs(name, "Host") ||
        HeaderNameIs(name, "Authorization") || HeaderNameIs(name, "accessToken") ||
        HeaderNameIs(name, "X-Forwarded-For") || HeaderNameIs(name, "X-Real-IP") ||
        HeaderNameIs(name, "Expect"))  // the proxy answers 100-continue itself
      continue;
    out.append(name).append(": ").append(value).append("\r\n");
  }
  out.append("Authorization: Bearer ").append(token).append("\r\n\r\n");
  return out;
}

std::string CallerResponseHead(std::string_view raw_head, const ResponseHead& r, bool keep_alive,
                               bool dechunk) {
  std::string out;
  out.reserve(raw_head.size() + 32);
  // The status line as Nacos sent it, but for the version we speak.
  size_t eol = raw_head.find("\r\n");
  out.append("HTTP/1.1").append(raw_head.substr(8, eol - 8)).append("\r\n");
  for (const auto& [name, value] : r.headers) {
    if (Dropped(r.headers, name)) continue;
    if (dechunk && HeaderNameIs(name, "Transfer-Encoding")) continue;
    out.append(name).append(": ").append(value).append("\r\n");
  }
  if (!keep_alive) out.append("Connection: close\r\n");
  out.append("\r\n");
  return out;
}

std::string ProxyErrorResponse(int status, std::string_view reason, bool keep_alive,
                               bool head_only) {
  std::string body = "nacos-tokend proxy: " + std::string(reason) + "\n";
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + StatusText(status) + "\r\n";
  out += "Content-Type: text/plain; charset=utf-8\r\n";
  out += "X-Nacos-Tokend-Error: 1\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  if (!keep_alive) out += "Connection: close\r\n";
  out += "\r\n";
  if (!head_only) out += body;
  return out;
}

}  // namespace tokend
