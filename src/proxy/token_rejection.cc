#include "proxy/token_rejection.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace tokend {

bool IsTokenRejection(int status, std::string_view body) {
  if (status != 403) return false;
  std::string text(body);
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  // A permission failure: the token was accepted ("authorization failed!",
  // 3.x "Code: 403, Message: ..."). Checked first, it wins.
  if (text.find("authorization failed") != std::string::npos ||
      text.find("code: 403") != std::string::npos)
    return false;
  static constexpr std::string_view kTokenTexts[] = {
      "token expired",  "token invalid", "invalid signature", "unsupported signature algorithm",
      "user not found", "unknown user",  "code: 401",
  };
  for (std::string_view t : kTokenTexts) {
    if (text.find(t) != std::string::npos) return true;
  }
  return false;
}

}  // namespace tokend
