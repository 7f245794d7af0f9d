#include "flavor.h"

namespace fake_nacos {

std::optional<Flavor> ParseFlavor(std::string_view text) {
  if (text == "1") return Flavor::k1;
  if (text == "2") return Flavor::k2;
  if (text == "3") return Flavor::k3;
  return std::nullopt;
}

std::string_view LoginFailureMessage(Flavor flavor) {
  switch (flavor) {
    case Flavor::k1:
      return "unknown user!";
    case Flavor::k2:
      return "user not found!";
    case Flavor::k3:
      break;
  }
  return "User not found! Please check user exist or password is right!";
}

std::string TokenErrorMessage(Flavor flavor, TokenError error) {
  if (error == TokenError::kExpired) return "token expired!";
  // jjwt-era servers mapped every other verification failure to "token invalid!".
  if (flavor == Flavor::k1) return "token invalid!";
  switch (error) {
    case TokenError::kUnsupportedAlgorithm:
      return "unsupported signature algorithm";
    case TokenError::kBadSignature:
      return "Invalid signature";
    default:
      return "token invalid!";
  }
}

std::string ApiDenialMessage(Flavor flavor, std::optional<TokenError> error) {
  const std::string raw =
      error ? TokenErrorMessage(flavor, *error) : std::string(LoginFailureMessage(flavor));
  if (flavor == Flavor::k3) return "Code: 401, Message: " + raw + ".";
  return raw;
}

std::string PermissionDenialMessage(Flavor flavor) {
  if (flavor == Flavor::k3) return "Code: 403, Message: authorization failed!.";
  return "authorization failed!";
}

std::string MissingParameterMessage(Flavor flavor, std::string_view name) {
  if (flavor == Flavor::k1) {
    return "caused: Required String parameter '" + std::string(name) + "' is not present;";
  }
  return "caused: Required request parameter '" + std::string(name) +
         "' for method parameter type String is not present;";
}

std::string_view TimestampZoneSuffix(Flavor flavor) {
  return flavor == Flavor::k1 ? "+0000" : "+00:00";
}

}  // namespace fake_nacos
