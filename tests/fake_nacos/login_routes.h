// Which login and probe-API paths exist, and which of them the emulated server generation serves.
#ifndef TESTS_FAKE_NACOS_LOGIN_ROUTES_H_
#define TESTS_FAKE_NACOS_LOGIN_ROUTES_H_

#include <optional>
#include <string_view>

namespace fake_nacos {

// both = 3.x default (v1 compatibility on); v1 = 2.x (no v3 paths: 404);
// v3 = 3.x with nacos.core.api.compatibility.client.enabled=false (v1 paths: 410).
enum class ApiMode { kBoth, kV1, kV3 };

std::optional<ApiMode> ParseApiMode(std::string_view text);

// Paths relative to the context path.
inline constexpr std::string_view kV1LoginPath = "/v1/auth/login";
inline constexpr std::string_view kV1UsersLoginPath = "/v1/auth/users/login";
inline constexpr std::string_view kV3LoginPath = "/v3/auth/user/login";
inline constexpr std::string_view kV3ApiPath = "/v3/admin/cs/config/list";

enum class PathGeneration { kV1, kV3 };

std::optional<PathGeneration> MatchLoginPath(std::string_view relative_path);
std::optional<PathGeneration> MatchApiPath(std::string_view relative_path);

inline bool Serves(ApiMode mode, PathGeneration generation) {
  return mode == ApiMode::kBoth || (mode == ApiMode::kV1) == (generation == PathGeneration::kV1);
}

}  // namespace fake_nacos

#endif  // TESTS_FAKE_NACOS_LOGIN_ROUTES_H_
