// Spring Boot's rendering of response.sendError(status, message) (nacos-auth.md §3.1).
#ifndef TESTS_FAKE_NACOS_SPRING_ERROR_H_
#define TESTS_FAKE_NACOS_SPRING_ERROR_H_

#include <optional>
#include <string>
#include <string_view>

#include "clock.h"
#include "flavor.h"
#include "http_request.h"
#include "http_response.h"

namespace fake_nacos {

// JSON {"timestamp":"<ISO>","status":N,"error":"<reason>"[,"message":"<msg>"],"path":"<path>"};
// the Whitelabel HTML page instead when the client's Accept includes text/html.
HttpResponse SpringError(const HttpRequest& request, int status,
                         const std::optional<std::string>& message, const Clock& clock,
                         Flavor flavor);

// ApiCompatibilityFilter's refusal of a v1 path on a 3.x server with compatibility off:
// sendError(410, <Result JSON naming the v3 alternative>) (nacos-auth.md §1.3).
HttpResponse CompatibilityGone(const HttpRequest& request, std::string_view alternative,
                               const Clock& clock, Flavor flavor);

}  // namespace fake_nacos

#endif  // TESTS_FAKE_NACOS_SPRING_ERROR_H_
