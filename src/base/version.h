#pragma once
namespace tokend {
inline constexpr const char* kVersion = "0.2.0";
}  // namespace tokend
