#include "spring_error.h"

#include <Poco/DateTimeFormatter.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Timestamp.h>

#include "json_text.h"

namespace fake_nacos {
namespace {

std::string EscapeHtml(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

}  // namespace

HttpResponse SpringError(const HttpRequest& request, int status,
                         const std::optional<std::string>& message, const Clock& clock,
                         Flavor flavor) {
  const Poco::Timestamp now(clock.NowMillis() * 1000);
  const std::string reason = Poco::Net::HTTPResponse::getReasonForStatus(
      static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
  if (request.Header("Accept").find("text/html") != std::string::npos) {
    std::string html =
        "<html><body><h1>Whitelabel Error Page</h1><p>This application has no explicit mapping "
        "for /error, so you are seeing this as a fallback.</p><div id='created'>" +
        Poco::DateTimeFormatter::format(now, "%w %b %d %H:%M:%S UTC %Y") +
        "</div><div>There was an unexpected error (type=" + reason +
        ", status=" + std::to_string(status) + ").</div>";
    if (message) html += "<div>" + EscapeHtml(*message) + "</div>";
    html += "</body></html>";
    return HttpResponse::Text(status, "text/html;charset=UTF-8", std::move(html));
  }
  std::string json = "{\"timestamp\":" +
                     JsonQuote(Poco::DateTimeFormatter::format(now, "%Y-%m-%dT%H:%M:%S.%i") +
                               std::string(TimestampZoneSuffix(flavor))) +
                     ",\"status\":" + std::to_string(status) + ",\"error\":" + JsonQuote(reason);
  if (message) json += ",\"message\":" + JsonQuote(*message);
  json += ",\"path\":" + JsonQuote(request.path) + "}";
  return HttpResponse::Json(status, std::move(json));
}

HttpResponse CompatibilityGone(const HttpRequest& request, std::string_view alternative,
                               const Clock& clock, Flavor flavor) {
  const std::string result =
      "{\"code\":40000,\"message\":" +
      JsonQuote("Current API will be deprecated, please use API(s) `" + std::string(alternative) +
                "` instead, or set `nacos.core.api.compatibility.client.enabled=true` in "
                "application.properties.") +
      ",\"data\":null}";
  return SpringError(request, 410, result, clock, flavor);
}

}  // namespace fake_nacos
