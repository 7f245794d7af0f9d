// An incremental parser for one HTTP/1.1 response as the load generator needs
// it: the status code, the body length (Content-Length, or until the peer
// closes) and whether the server will close the connection afterwards.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace uxload {

class ResponseParser {
 public:
  enum class State { kIncomplete, kComplete, kMalformed };

  /// Forgets the previous response; keeps the buffer's capacity.
  void Reset();

  /// Appends bytes read from the connection and parses what is complete.
  /// Bytes after the end of the response are a protocol error (the client
  /// never pipelines), so they make the response kMalformed.
  State Feed(std::string_view bytes);

  /// The peer closed the connection: a response without Content-Length ends
  /// here; any other unfinished response is kMalformed.
  State FeedEof();

  State state() const { return state_; }
  int status() const { return status_; }
  size_t body_length() const { return body_length_; }
  /// True when the server announced it closes the connection after this
  /// response (Connection: close, or an HTTP/1.0 answer).
  bool server_closes() const { return server_closes_; }

 private:
  State ParseHead();
  State CheckBody();

  std::string buffer_;
  State state_ = State::kIncomplete;
  size_t head_length_ = 0;    // 0 until the head is parsed
  long content_length_ = -1;  // -1: read until EOF
  size_t body_length_ = 0;
  int status_ = 0;
  bool server_closes_ = false;
};

}  // namespace uxload
