// The heads of HTTP/1.x messages: a caller's request (the token socket's and
// the proxy's) and Nacos's answer (relayed by the proxy). Pure and bounded:
// never reads past the input, and says "incomplete" only while the input is
// shorter than the limit allows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tokend {

/// How the body after a head is delimited.
enum class BodyFraming {
  kNone,        // no body (no Content-Length on a request; 1xx/204/304 or HEAD answers)
  kLength,      // Content-Length bytes
  kChunked,     // Transfer-Encoding: chunked
  kUntilClose,  // an answer without length: the body ends when the server closes
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HeadCommon {
  int minor_version = 1;
  HeaderList headers;  // in order, names as sent
  BodyFraming framing = BodyFraming::kNone;
  uint64_t content_length = 0;  // kLength
  bool keep_alive = true;       // after this message (version and Connection)
  size_t size = 0;              // bytes of the head, the blank line included
};

struct RequestHead : HeadCommon {
  std::string method;
  std::string target;  // path and query as sent
  std::string path;
  std::string query;  // after '?', without a fragment
};

struct ResponseHead : HeadCommon {
  int status = 0;
};

enum class HeadStatus { kIncomplete, kComplete, kError };

struct HeadOutcome {
  HeadStatus status = HeadStatus::kIncomplete;
  int error_status = 400;  // kError, for requests: 400, 431, 501, 505
  const char* error_reason = "";
};

/// Parses the request head at the start of `data` (at most `max_head` bytes).
HeadOutcome ParseRequestHead(std::string_view data, size_t max_head, RequestHead* head);

/// Parses an answer's head. `request_method` decides whether a body follows
/// (none after HEAD). 1xx interim answers are reported as they are.
HeadOutcome ParseResponseHead(std::string_view data, size_t max_head,
                              std::string_view request_method, ResponseHead* head);

bool HeaderNameIs(std::string_view name, std::string_view wanted);
/// The value of the first header `name`, or null.
const std::string* FindHeader(const HeaderList& headers, std::string_view name);
/// Whether a comma-separated header value lists `token` (case-insensitive).
bool ListHasToken(std::string_view list, std::string_view token);

}  // namespace tokend
