#include "proxy/identity_params.h"

#include <strings.h>

#include "base/form_encode.h"

namespace tokend {

std::optional<std::string> FindIdentityParameter(std::string_view params) {
  static constexpr std::string_view kNames[] = {"accessToken", "username", "password",
                                                "Authorization"};
  while (!params.empty()) {
    size_t amp = params.find('&');
    std::string_view item = params.substr(0, amp);
    std::string name = FormDecode(item.substr(0, item.find('=')));
    for (std::string_view wanted : kNames) {
      if (name.size() == wanted.size() &&
          strncasecmp(name.data(), wanted.data(), wanted.size()) == 0)
        return name;
    }
    if (amp == std::string_view::npos) break;
    params.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

}  // namespace tokend
