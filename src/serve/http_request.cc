#include "serve/http_request.h"

#include <strings.h>

namespace tokend {
namespace {

ParseOutcome Fail(int status, const char* reason) {
  ParseOutcome o;
  o.status = ParseStatus::kError;
  o.error_status = status;
  o.error_reason = reason;
  return o;
}

bool IsTokenChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

bool ContainsTokenIgnoreCase(std::string_view list, std::string_view token) {
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    std::string_view item =
        list.substr(start, comma == std::string_view::npos ? comma : comma - start);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (EqualsIgnoreCase(item, token)) return true;
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return false;
}

}  // namespace

ParseOutcome ParseHttpRequest(std::string_view data, HttpRequest* request) {
  // Tolerate empty lines before the request line (RFC 9112 2.2).
  size_t skip = 0;
  while (skip + 1 < data.size() && data[skip] == '\r' && data[skip + 1] == '\n') skip += 2;
  size_t end = data.find("\r\n\r\n", skip);
  if (end == std::string_view::npos) {
    if (data.size() - skip > kMaxRequestHead) return Fail(431, "request head too large");
    return {};
  }
  if (end + 4 - skip > kMaxRequestHead) return Fail(431, "request head too large");
  std::string_view head = data.substr(skip, end - skip);

  size_t line_end = head.find("\r\n");
  std::string_view line = head.substr(0, line_end);
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    return Fail(400, "malformed request line");
  }
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (method.empty() || method.size() > 16) return Fail(400, "malformed method");
  for (char c : method) {
    if (!IsTokenChar(c)) return Fail(400, "malformed method");
  }
  if (target.empty() || target.front() != '/') return Fail(400, "malformed request target");
  for (char c : target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return Fail(400, "malformed target");
  }
  if (version == "HTTP/1.1")
    request->minor_version = 1;
  else if (version == "HTTP/1.0")
    request->minor_version = 0;
  else if (version.starts_with("HTTP/"))
    return Fail(505, "HTTP version not supported");
  else
    return Fail(400, "malformed HTTP version");

  size_t q = target.find('?');
  request->method = std::string(method);
  request->path = std::string(target.substr(0, q));
  request->query = q == std::string_view::npos ? "" : std::string(target.substr(q + 1));
  if (size_t hash = request->query.find('#'); hash != std::string::npos)
    request->query.resize(hash);
  request->keep_alive = request->minor_version == 1;

  size_t content_length = 0;
  bool seen_length = false;
  std::string_view rest = line_end == std::string_view::npos ? "" : head.substr(line_end + 2);
  int fields = 0;
  while (!rest.empty()) {
    size_t eol = rest.find("\r\n");
    std::string_view field = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? "" : rest.substr(eol + 2);
    if (++fields > 64) return Fail(431, "too many header fields");
    size_t colon = field.find(':');
    if (colon == 0 || colon == std::string_view::npos) return Fail(400, "malformed header field");
    std::string_view name = field.substr(0, colon);
    for (char c : name) {
      if (!IsTokenChar(c)) return Fail(400, "malformed header field name");
    }
    std::string_view value = field.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    for (char c : value) {
      unsigned char u = static_cast<unsigned char>(c);
      if ((u < 0x20 && c != '\t') || u == 0x7f) return Fail(400, "control character in header");
    }
    if (EqualsIgnoreCase(name, "Connection")) {
      if (ContainsTokenIgnoreCase(value, "close"))
        request->keep_alive = false;
      else if (ContainsTokenIgnoreCase(value, "keep-alive"))
        request->keep_alive = true;
    } else if (EqualsIgnoreCase(name, "Transfer-Encoding")) {
      return Fail(501, "request bodies with Transfer-Encoding are not supported");
    } else if (EqualsIgnoreCase(name, "Content-Length")) {
      if (value.empty() || value.size() > 9 || seen_length) return Fail(400, "bad Content-Length");
      size_t n = 0;
      for (char c : value) {
        if (c < '0' || c > '9') return Fail(400, "bad Content-Length");
        n = n * 10 + static_cast<size_t>(c - '0');
      }
      content_length = n;
      seen_length = true;
    }
  }
  if (content_length > kMaxRequestBody) return Fail(413, "request body too large");
  size_t total = end + 4 + content_length;
  if (data.size() < total) return {};
  request->body = std::string(data.substr(end + 4, content_length));
  ParseOutcome o;
  o.status = ParseStatus::kComplete;
  o.consumed = total;
  return o;
}

}  // namespace tokend
