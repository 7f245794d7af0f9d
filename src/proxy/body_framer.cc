#include "proxy/body_framer.h"

#include <algorithm>

namespace tokend {
namespace {

constexpr size_t kMaxChunkLine = 4096;  // size line with extensions, or one trailer field

// "1a3f;ext=x" -> 0x1a3f; false when malformed or too big.
bool ParseChunkSize(std::string_view line, uint64_t* size) {
  size_t end = line.find_first_of("; \t");
  std::string_view hex = line.substr(0, end);
  if (hex.empty() || hex.size() > 15) return false;
  uint64_t n = 0;
  for (char c : hex) {
    int d = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                   : -1;
    if (d < 0) return false;
    n = n * 16 + static_cast<uint64_t>(d);
  }
  *size = n;
  return true;
}

}  // namespace

BodyFramer::BodyFramer(BodyFraming framing, uint64_t content_length) {
  switch (framing) {
    case BodyFraming::kNone:
      state_ = State::kDone;
      break;
    case BodyFraming::kLength:
      state_ = content_length ? State::kLength : State::kDone;
      remaining_ = content_length;
      break;
    case BodyFraming::kChunked:
      state_ = State::kSizeLine;
      break;
    case BodyFraming::kUntilClose:
      state_ = State::kUntilClose;
      break;
  }
}

void BodyFramer::OnEof() {
  if (state_ == State::kUntilClose)
    state_ = State::kDone;
  else if (state_ != State::kDone)
    state_ = State::kError;
}

size_t BodyFramer::Consume(std::string_view data, std::string* payload) {
  size_t used = 0;
  auto take_payload = [&](size_t n) {
    if (payload) payload->append(data.substr(used, n));
    payload_size_ += n;
    used += n;
  };
  while (used < data.size()) {
    switch (state_) {
      case State::kDone:
      case State::kError:
        return used;
      case State::kUntilClose:
        take_payload(data.size() - used);
        break;
      case State::kLength:
      case State::kData: {
        size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, data.size() - used));
        take_payload(n);
        remaining_ -= n;
        if (remaining_ == 0) {
          state_ = state_ == State::kLength ? State::kDone : State::kDataEnd;
          data_end_seen_ = 0;
        }
        break;
      }
      case State::kDataEnd: {
        char want = data_end_seen_ == 0 ? '\r' : '\n';
        if (data[used] != want) {
          state_ = State::kError;
          return used;
        }
        ++used;
        if (++data_end_seen_ == 2) state_ = State::kSizeLine;
        break;
      }
      case State::kSizeLine:
      case State::kTrailer: {
        size_t nl = data.find('\n', used);
        size_t stop = nl == std::string_view::npos ? data.size() : nl + 1;
        line_.append(data.substr(used, stop - used));
        used = stop;
        if (line_.size() > kMaxChunkLine) {
          state_ = State::kError;
          return used;
        }
        if (nl == std::string_view::npos) break;
        if (line_.size() < 2 || line_[line_.size() - 2] != '\r') {
          state_ = State::kError;
          return used;
        }
        std::string_view line(line_.data(), line_.size() - 2);
        if (state_ == State::kTrailer) {
          if (line.empty()) state_ = State::kDone;  // else one trailer field, relayed as is
        } else {
          uint64_t size;
          if (!ParseChunkSize(line, &size)) {
            state_ = State::kError;
            return used;
          }
          if (size == 0) {
            state_ = State::kTrailer;
          } else {
            state_ = State::kData;
            remaining_ = size;
          }
        }
        line_.clear();
        break;
      }
    }
  }
  return used;
}

}  // namespace tokend
