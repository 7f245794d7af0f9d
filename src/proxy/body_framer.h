// Finds where a message body ends in the bytes that follow its head, without
// holding it: the proxy relays the bytes as they came (chunked framing
// included) and this only counts. Optionally hands out the payload, chunk
// framing removed, for the small bodies the proxy inspects.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/http_head.h"

namespace tokend {

class BodyFramer {
 public:
  BodyFramer() = default;
  BodyFramer(BodyFraming framing, uint64_t content_length);

  /// Consumes bytes of the body from the start of `data`; returns how many
  /// belong to it (the rest is the next message). Appends the payload to
  /// `payload` when given. After an error nothing more is consumed.
  size_t Consume(std::string_view data, std::string* payload = nullptr);
  /// The connection ended: completes an until-close body.
  void OnEof();

  bool done() const { return state_ == State::kDone; }
  bool failed() const { return state_ == State::kError; }
  /// Payload bytes seen so far (without chunk framing).
  uint64_t payload_size() const { return payload_size_; }

 private:
  enum class State { kLength, kSizeLine, kData, kDataEnd, kTrailer, kUntilClose, kDone, kError };
  State state_ = State::kDone;
  uint64_t remaining_ = 0;  // kLength, kData
  std::string line_;        // kSizeLine / kTrailer: the line read so far (bounded)
  int data_end_seen_ = 0;   // kDataEnd: how much of "\r\n" was seen
  uint64_t payload_size_ = 0;
};

}  // namespace tokend
