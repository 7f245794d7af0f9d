#include "response_parser.h"

#include <strings.h>

#include <cstdlib>

namespace uxload {
namespace {

constexpr size_t kMaxHead = 16 * 1024;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

void ResponseParser::Reset() {
  buffer_.clear();
  state_ = State::kIncomplete;
  head_length_ = 0;
  content_length_ = -1;
  body_length_ = 0;
  status_ = 0;
  server_closes_ = false;
}

ResponseParser::State ResponseParser::Feed(std::string_view bytes) {
  if (state_ != State::kIncomplete) {
    if (!bytes.empty()) state_ = State::kMalformed;
    return state_;
  }
  buffer_.append(bytes);
  if (head_length_ == 0) {
    state_ = ParseHead();
    if (state_ != State::kIncomplete || head_length_ == 0) return state_;
  }
  return state_ = CheckBody();
}

ResponseParser::State ResponseParser::FeedEof() {
  if (state_ != State::kIncomplete) return state_;
  if (head_length_ != 0 && content_length_ < 0) {
    body_length_ = buffer_.size() - head_length_;
    server_closes_ = true;
    return state_ = State::kComplete;
  }
  return state_ = State::kMalformed;
}

ResponseParser::State ResponseParser::ParseHead() {
  size_t end = buffer_.find("\r\n\r\n");
  if (end == std::string::npos) {
    return buffer_.size() > kMaxHead ? State::kMalformed : State::kIncomplete;
  }
  std::string_view head(buffer_.data(), end);
  // Status line: "HTTP/1.x NNN reason".
  if (head.size() < 12 || head.substr(0, 7) != "HTTP/1." || head[8] != ' ') {
    return State::kMalformed;
  }
  bool http10 = head[7] == '0';
  status_ = std::atoi(std::string(head.substr(9, 3)).c_str());
  if (status_ < 100 || status_ > 599) return State::kMalformed;
  server_closes_ = http10;
  size_t pos = head.find("\r\n");
  while (pos != std::string_view::npos) {
    size_t next = head.find("\r\n", pos + 2);
    std::string_view line = head.substr(
        pos + 2, next == std::string_view::npos ? std::string_view::npos : next - pos - 2);
    pos = next;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return State::kMalformed;
    std::string_view name = Trim(line.substr(0, colon));
    std::string_view value = Trim(line.substr(colon + 1));
    if (EqualsNoCase(name, "Content-Length")) {
      char* stop = nullptr;
      std::string digits(value);
      long n = std::strtol(digits.c_str(), &stop, 10);
      if (digits.empty() || *stop != '\0' || n < 0) return State::kMalformed;
      content_length_ = n;
    } else if (EqualsNoCase(name, "Connection")) {
      if (EqualsNoCase(value, "close")) server_closes_ = true;
      if (EqualsNoCase(value, "keep-alive")) server_closes_ = false;
    } else if (EqualsNoCase(name, "Transfer-Encoding")) {
      return State::kMalformed;  // neither server under test sends chunked bodies
    }
  }
  head_length_ = end + 4;
  return State::kIncomplete;
}

ResponseParser::State ResponseParser::CheckBody() {
  body_length_ = buffer_.size() - head_length_;
  if (content_length_ < 0) return State::kIncomplete;
  size_t want = static_cast<size_t>(content_length_);
  if (body_length_ < want) return State::kIncomplete;
  return body_length_ == want ? State::kComplete : State::kMalformed;
}

}  // namespace uxload
