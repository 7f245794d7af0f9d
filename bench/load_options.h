// What one uxload run does; filled from the command line by uxload.cc.
#pragma once

#include <chrono>
#include <string>

namespace uxload {

struct LoadOptions {
  std::string socket_path;
  std::string target = "/v1/token";
  int clients = 1;
  int threads = 1;
  std::chrono::nanoseconds duration = std::chrono::seconds(5);
  /// A request without a full answer after this long counts as an error.
  std::chrono::nanoseconds timeout = std::chrono::seconds(5);
  bool keepalive = false;
  long expect_bytes = -1;  // -1: any body length is fine
};

}  // namespace uxload
