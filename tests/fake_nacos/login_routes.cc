#include "login_routes.h"

namespace fake_nacos {

std::optional<ApiMode> ParseApiMode(std::string_view text) {
  if (text == "both") return ApiMode::kBoth;
  if (text == "v1") return ApiMode::kV1;
  if (text == "v3") return ApiMode::kV3;
  return std::nullopt;
}

std::optional<PathGeneration> MatchLoginPath(std::string_view relative_path) {
  if (relative_path == kV1LoginPath || relative_path == kV1UsersLoginPath) {
    return PathGeneration::kV1;
  }
  if (relative_path == kV3LoginPath) return PathGeneration::kV3;
  return std::nullopt;
}

std::optional<PathGeneration> MatchApiPath(std::string_view relative_path) {
  if (relative_path == kV3ApiPath) return PathGeneration::kV3;
  return std::nullopt;
}

}  // namespace fake_nacos
