#include "http_response.h"

#include <Poco/Net/HTTPResponse.h>

namespace fake_nacos {

HttpResponse HttpResponse::Text(int status, std::string content_type, std::string body) {
  HttpResponse response;
  response.status = status;
  response.AddHeader("Content-Type", std::move(content_type));
  response.body = std::move(body);
  return response;
}

HttpResponse HttpResponse::Json(int status, std::string body) {
  return Text(status, "application/json", std::move(body));
}

HttpResponse& HttpResponse::AddHeader(std::string name, std::string value) {
  headers.emplace_back(std::move(name), std::move(value));
  return *this;
}

std::string HttpResponse::Serialize(bool keep_alive) const {
  std::string wire = "HTTP/1.1 " + std::to_string(status) + " " +
                     Poco::Net::HTTPResponse::getReasonForStatus(
                         static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status)) +
                     "\r\n";
  for (const auto& [name, value] : headers) wire += name + ": " + value + "\r\n";
  wire += "Content-Length: " + std::to_string(declared_length.value_or(body.size())) + "\r\n";
  if (!keep_alive) wire += "Connection: close\r\n";
  wire += "\r\n";
  wire += body;
  return wire;
}

}  // namespace fake_nacos
