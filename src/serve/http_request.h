// One request to the token socket: the common request-head parser
// (base/http_head) with the socket's limits and its body. Pure and
// bounded: never reads past `data`, never allocates more than the input.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tokend {

/// Longest request head (request line + headers) accepted.
constexpr size_t kMaxRequestHead = 8192;
/// Longest request body accepted (only POST /v1/refresh carries one: rejected=<token>).
constexpr size_t kMaxRequestBody = 16 * 1024;

struct HttpRequest {
  std::string method;
  std::string path;   // without the query
  std::string query;  // after '?', may be empty
  int minor_version = 1;
  bool keep_alive = true;  // HTTP/1.1 default, or "Connection: keep-alive" on 1.0
  std::string body;        // Content-Length bytes after the head
};

enum class ParseStatus { kIncomplete, kComplete, kError };

struct ParseOutcome {
  ParseStatus status = ParseStatus::kIncomplete;
  size_t consumed = 0;     // kComplete: bytes of this request (head + body)
  int error_status = 400;  // kError: the HTTP status to answer (400, 413, 431, 501, 505)
  const char* error_reason = "";
};

/// Parses the request at the start of `data`. kIncomplete means "read more";
/// it is returned only while `data` is shorter than the limits allow.
ParseOutcome ParseHttpRequest(std::string_view data, HttpRequest* request);

}  // namespace tokend
