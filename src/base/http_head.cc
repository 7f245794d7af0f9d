#include "base/http_head.h"

#include <strings.h>

namespace tokend {
namespace {

HeadOutcome Fail(int status, const char* reason) {
  return HeadOutcome{HeadStatus::kError, status, reason};
}

bool IsTokenChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string_view Trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

// Finds the end of the head; returns the position after the blank line, 0 when
// incomplete. Bare LF line ends are refused later (no "\r\n" split).
size_t HeadEnd(std::string_view data) {
  size_t end = data.find("\r\n\r\n");
  return end == std::string_view::npos ? 0 : end + 4;
}

// Header fields after the start line; sets framing from Content-Length /
// Transfer-Encoding and keep-alive from Connection.
HeadOutcome ParseFields(std::string_view rest, HeadCommon* h, bool* saw_length, bool* chunked) {
  int fields = 0;
  while (!rest.empty()) {
    size_t eol = rest.find("\r\n");
    std::string_view field = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? "" : rest.substr(eol + 2);
    if (++fields > 128) return Fail(431, "too many header fields");
    size_t colon = field.find(':');
    if (colon == 0 || colon == std::string_view::npos) return Fail(400, "malformed header field");
    std::string_view name = field.substr(0, colon);
    for (char c : name) {
      if (!IsTokenChar(c)) return Fail(400, "malformed header field name");
    }
    std::string_view value = Trim(field.substr(colon + 1));
    for (char c : value) {
      unsigned char u = static_cast<unsigned char>(c);
      if ((u < 0x20 && c != '\t') || u == 0x7f) return Fail(400, "control character in a header");
    }
    if (HeaderNameIs(name, "Connection")) {
      if (ListHasToken(value, "close"))
        h->keep_alive = false;
      else if (ListHasToken(value, "keep-alive"))
        h->keep_alive = true;
    } else if (HeaderNameIs(name, "Transfer-Encoding")) {
      // Only "chunked" as the last (and, here, only) coding is relayed.
      if (!HeaderNameIs(value, "chunked") || *chunked)
        return Fail(501, "unsupported Transfer-Encoding");
      *chunked = true;
    } else if (HeaderNameIs(name, "Content-Length")) {
      if (value.empty() || value.size() > 15 ||
          value.find_first_not_of("0123456789") != std::string_view::npos)
        return Fail(400, "bad Content-Length");
      uint64_t n = 0;
      for (char c : value) n = n * 10 + static_cast<uint64_t>(c - '0');
      if (*saw_length && n != h->content_length) return Fail(400, "conflicting Content-Length");
      h->content_length = n;
      *saw_length = true;
    }
    h->headers.emplace_back(std::string(name), std::string(value));
  }
  // Both framings: a smuggling attempt (RFC 9112 6.3 lets chunked win; we refuse).
  if (*saw_length && *chunked) return Fail(400, "both Content-Length and Transfer-Encoding");
  return HeadOutcome{HeadStatus::kComplete, 0, ""};
}

bool ParseVersion(std::string_view v, int* minor) {
  if (v == "HTTP/1.1") {
    *minor = 1;
  } else if (v == "HTTP/1.0") {
    *minor = 0;
  } else {
    return false;
  }
  return true;
}

}  // namespace

bool HeaderNameIs(std::string_view name, std::string_view wanted) {
  return name.size() == wanted.size() && strncasecmp(name.data(), wanted.data(), name.size()) == 0;
}

const std::string* FindHeader(const HeaderList& headers, std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (HeaderNameIs(n, name)) return &v;
  }
  return nullptr;
}

bool ListHasToken(std::string_view list, std::string_view token) {
  while (true) {
    size_t comma = list.find(',');
    if (HeaderNameIs(Trim(list.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) return false;
    list.remove_prefix(comma + 1);
  }
}

HeadOutcome ParseRequestHead(std::string_view data, size_t max_head, RequestHead* h) {
  size_t end = HeadEnd(data.substr(0, max_head));
  if (end == 0) {
    if (data.size() >= max_head) return Fail(431, "request head too large");
    return {};
  }
  std::string_view head = data.substr(0, end - 2);
  size_t line_end = head.find("\r\n");
  std::string_view line = head.substr(0, line_end);
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos)
    return Fail(400, "malformed request line");
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
  if (!ParseVersion(version, &h->minor_version)) {
    return version.starts_with("HTTP/") ? Fail(505, "HTTP version not supported")
                                        : Fail(400, "malformed HTTP version");
  }
  h->method = std::string(method);
  h->target = std::string(target);
  size_t q = target.find('?');
  h->path = std::string(target.substr(0, q));
  h->query = q == std::string_view::npos ? "" : std::string(target.substr(q + 1));
  if (size_t hash = h->query.find('#'); hash != std::string::npos) h->query.resize(hash);
  h->keep_alive = h->minor_version == 1;
  bool saw_length = false, chunked = false;
  HeadOutcome o = ParseFields(line_end == std::string_view::npos ? "" : head.substr(line_end + 2),
                              h, &saw_length, &chunked);
  if (o.status != HeadStatus::kComplete) return o;
  if (chunked && h->minor_version == 0) return Fail(400, "chunked request on HTTP/1.0");
  h->framing = chunked      ? BodyFraming::kChunked
               : saw_length ? (h->content_length ? BodyFraming::kLength : BodyFraming::kNone)
                            : BodyFraming::kNone;
  h->size = end;
  return o;
}

HeadOutcome ParseResponseHead(std::string_view data, size_t max_head,
                              std::string_view request_method, ResponseHead* h) {
  size_t end = HeadEnd(data.substr(0, max_head));
  if (end == 0) {
    if (data.size() >= max_head) return Fail(502, "answer head too large");
    return {};
  }
  std::string_view head = data.substr(0, end - 2);
  size_t line_end = head.find("\r\n");
  std::string_view line = head.substr(0, line_end);
  // "HTTP/1.1 200 OK": version, a three-digit status, an optional reason.
  if (line.size() < 12 || line[8] != ' ' || !ParseVersion(line.substr(0, 8), &h->minor_version))
    return Fail(502, "malformed status line");
  std::string_view code = line.substr(9, 3);
  if (code.find_first_not_of("0123456789") != std::string_view::npos ||
      (line.size() > 12 && line[12] != ' '))
    return Fail(502, "malformed status line");
  h->status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
  if (h->status < 100) return Fail(502, "malformed status line");
  h->keep_alive = h->minor_version == 1;
  bool saw_length = false, chunked = false;
  HeadOutcome o = ParseFields(line_end == std::string_view::npos ? "" : head.substr(line_end + 2),
                              h, &saw_length, &chunked);
  if (o.status != HeadStatus::kComplete)
    return HeadOutcome{HeadStatus::kError, 502, o.error_reason};
  bool bodiless =
      h->status < 200 || h->status == 204 || h->status == 304 || request_method == "HEAD";
  if (bodiless)
    h->framing = BodyFraming::kNone;
  else if (chunked)
    h->framing = BodyFraming::kChunked;
  else if (saw_length)
    h->framing = h->content_length ? BodyFraming::kLength : BodyFraming::kNone;
  else
    h->framing = BodyFraming::kUntilClose;
  if (h->framing == BodyFraming::kUntilClose) h->keep_alive = false;
  h->size = end;
  return o;
}

}  // namespace tokend
