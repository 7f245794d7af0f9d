// One parsed HTTP/1.x request as the fake servers see it.
#ifndef TESTS_FAKE_NACOS_HTTP_REQUEST_H_
#define TESTS_FAKE_NACOS_HTTP_REQUEST_H_

#include <Poco/Net/NameValueCollection.h>

#include <optional>
#include <string>
#include <string_view>

#include "url_encoding.h"

namespace fake_nacos {

struct HttpRequest {
  std::string method;
  std::string target;                      // As sent: path plus optional "?query".
  std::string path;                        // Raw (not percent-decoded), without the query.
  std::string query;                       // Raw, without '?'.
  Poco::Net::NameValueCollection headers;  // Case-insensitive names.
  std::string body;
  bool keep_alive = true;

  std::string Header(const std::string& name) const { return headers.get(name, ""); }
  bool HasHeader(const std::string& name) const { return headers.has(name); }

  // True for an application/x-www-form-urlencoded body (any parameters after ';').
  bool HasFormBody() const;

  // Servlet parameter set: query pairs first, then form-body pairs (Servlet spec 3.1 §3.1).
  ParamList Params() const;

  // request.getParameter(name): the first value in Params(), so the query string wins.
  std::optional<std::string> Param(std::string_view name) const;
};

// Parses the request line and headers; `head` ends with the blank line. Throws
// Poco::Exception on malformed input.
HttpRequest ParseRequestHead(const std::string& head);

}  // namespace fake_nacos

#endif  // TESTS_FAKE_NACOS_HTTP_REQUEST_H_
