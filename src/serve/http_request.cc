#include "serve/http_request.h"

#include "base/http_head.h"

namespace tokend {
namespace {

ParseOutcome Fail(int status, const char* reason) {
  ParseOutcome o;
  o.status = ParseStatus::kError;
  o.error_status = status;
  o.error_reason = reason;
  return o;
}

}  // namespace

ParseOutcome ParseHttpRequest(std::string_view data, HttpRequest* request) {
  // Tolerate empty lines before the request line (RFC 9112 2.2); they count
  // against the head's limit, so that a stream of them is refused too.
  size_t skip = 0;
  while (skip + 1 < data.size() && skip < kMaxRequestHead && data[skip] == '\r' &&
         data[skip + 1] == '\n')
    skip += 2;
  if (skip >= kMaxRequestHead) return Fail(431, "request head too large");
  RequestHead head;
  HeadOutcome h = ParseRequestHead(data.substr(skip), kMaxRequestHead - skip, &head);
  if (h.status == HeadStatus::kIncomplete) return {};
  if (h.status == HeadStatus::kError) return Fail(h.error_status, h.error_reason);
  // The socket's own limits: a short body with a length, never chunked.
  if (head.framing == BodyFraming::kChunked) {
    return Fail(501, "request bodies with Transfer-Encoding are not supported");
  }
  if (head.content_length > kMaxRequestBody) return Fail(413, "request body too large");
  size_t body_at = skip + head.size;
  size_t total = body_at + static_cast<size_t>(head.content_length);
  if (data.size() < total) return {};
  request->method = std::move(head.method);
  request->path = std::move(head.path);
  request->query = std::move(head.query);
  request->minor_version = head.minor_version;
  request->keep_alive = head.keep_alive;
  request->body = std::string(data.substr(body_at, static_cast<size_t>(head.content_length)));
  ParseOutcome o;
  o.status = ParseStatus::kComplete;
  o.consumed = total;
  return o;
}

}  // namespace tokend
