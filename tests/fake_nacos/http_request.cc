#include "http_request.h"

#include <Poco/Net/HTTPRequest.h>
#include <Poco/String.h>

#include <sstream>

namespace fake_nacos {

bool HttpRequest::HasFormBody() const {
  std::string type = Poco::toLower(Header("Content-Type"));
  type = Poco::trim(type.substr(0, type.find(';')));
  return type == "application/x-www-form-urlencoded";
}

ParamList HttpRequest::Params() const {
  ParamList params = ParseUrlEncoded(query);
  if (HasFormBody()) {
    for (auto& pair : ParseUrlEncoded(body)) params.push_back(std::move(pair));
  }
  return params;
}

std::optional<std::string> HttpRequest::Param(std::string_view name) const {
  for (auto& [key, value] : Params()) {
    if (key == name) return value;
  }
  return std::nullopt;
}

HttpRequest ParseRequestHead(const std::string& head) {
  std::istringstream stream(head);
  Poco::Net::HTTPRequest parsed;
  parsed.read(stream);
  HttpRequest request;
  request.method = parsed.getMethod();
  request.target = parsed.getURI();
  const size_t question = request.target.find('?');
  request.path = request.target.substr(0, question);
  if (question != std::string::npos) request.query = request.target.substr(question + 1);
  for (const auto& [name, value] : parsed) request.headers.add(name, value);
  request.keep_alive = parsed.getKeepAlive();
  return request;
}

}  // namespace fake_nacos
