#pragma once
namespace tokend {
inline constexpr const char* kVersion = "0.1.0";
}  // namespace tokend
