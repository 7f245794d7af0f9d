// HttpUrl (declared in config/config.h): an issuer or token endpoint URL.
#include "config/config.h"

namespace tokend {

std::string HttpUrl::Display() const {
  std::string h =
      server.host.find(':') != std::string::npos ? "[" + server.host + "]" : server.host;
  bool default_port = server.port == (server.https ? 443 : 80);
  return std::string(server.https ? "https://" : "http://") + h +
         (default_port ? "" : ":" + std::to_string(server.port)) + path;
}

Result<HttpUrl> ParseHttpUrl(std::string_view text) {
  auto bad = [&](const std::string& why) { return Error{"'" + std::string(text) + "': " + why}; };
  size_t scheme_end = text.find("://");
  if (!text.starts_with("https://") && !text.starts_with("http://")) {
    return bad("must be an http:// or https:// URL");
  }
  for (char ch : text) {
    unsigned char u = static_cast<unsigned char>(ch);
    if (u <= 0x20 || u >= 0x7f) return bad("has a space, control or non-ASCII character");
  }
  if (text.find('#') != std::string_view::npos) return bad("a URL here has no #fragment");
  size_t path_start = text.find_first_of("/?", scheme_end + 3);
  std::string_view authority = text.substr(0, path_start);
  if (authority.find('@') != std::string_view::npos) return bad("a URL here has no user@");
  auto server = ParseServer(authority);
  if (!server) return bad("missing or malformed host or port");
  HttpUrl url;
  url.server = *server;
  if (path_start != std::string_view::npos) {
    url.path = std::string(text.substr(path_start));
    if (url.path.front() == '?') url.path = "/" + url.path;
  }
  return url;
}

}  // namespace tokend
