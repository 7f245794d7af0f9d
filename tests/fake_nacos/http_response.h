// An HTTP answer and its wire form; factories for the body shapes the fake needs.
#ifndef TESTS_FAKE_NACOS_HTTP_RESPONSE_H_
#define TESTS_FAKE_NACOS_HTTP_RESPONSE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace fake_nacos {

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Announced Content-Length when it differs from body.size() (the "huge" fault streams the
  // rest itself).
  std::optional<uint64_t> declared_length;

  static HttpResponse Text(int status, std::string content_type, std::string body);
  static HttpResponse Json(int status, std::string body);

  HttpResponse& AddHeader(std::string name, std::string value);

  // Status line, headers, Content-Length, "Connection: close" unless keep_alive, blank line,
  // body.
  std::string Serialize(bool keep_alive) const;
};

}  // namespace fake_nacos

#endif  // TESTS_FAKE_NACOS_HTTP_RESPONSE_H_
