#include "cli/token_output.h"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace tokend::cli {
namespace {

constexpr size_t kMaxFile = 64 * 1024;

size_t SkipSpace(std::string_view s, size_t i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
  return i;
}

// Parses the JSON string starting at s[i] == '"'; returns the position after it, or npos.
size_t ParseString(std::string_view s, size_t i, std::string* out) {
  for (++i; i < s.size(); ++i) {
    char c = s[i];
    if (c == '"') return i + 1;
    if (c != '\\') {
      out->push_back(c);
      continue;
    }
    if (++i >= s.size()) return std::string_view::npos;
    switch (s[i]) {
      case 'n':
        out->push_back('\n');
        break;
      case 't':
        out->push_back('\t');
        break;
      case 'r':
        out->push_back('\r');
        break;
      case 'b':
        out->push_back('\b');
        break;
      case 'f':
        out->push_back('\f');
        break;
      case 'u': {
        // Only what the daemon escapes this way: control characters.
        if (i + 4 >= s.size()) return std::string_view::npos;
        unsigned code =
            static_cast<unsigned>(strtoul(std::string(s.substr(i + 1, 4)).c_str(), nullptr, 16));
        out->push_back(code < 0x80 ? static_cast<char>(code) : '?');
        i += 4;
        break;
      }
      default:
        out->push_back(s[i]);
    }
  }
  return std::string_view::npos;
}

// Time since the epoch of an RFC 3339 UTC time as the daemon writes it; -1 if unreadable.
time_t ParseUtc(const std::string& text) {
  struct tm tm = {};
  const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (!end || *end) return -1;
  return timegm(&tm);
}

}  // namespace

bool PlausibleToken(std::string_view t) {
  if (t.empty() || t.size() > 8192) return false;
  for (char c : t) {
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f)
      return false;
  }
  return true;
}

std::optional<std::string> JsonField(std::string_view json, std::string_view key) {
  size_t i = SkipSpace(json, 0);
  if (i >= json.size() || json[i] != '{') return std::nullopt;
  ++i;
  // Walk the members, so that a key's name inside a string value never matches.
  for (;;) {
    i = SkipSpace(json, i);
    if (i >= json.size() || json[i] != '"') return std::nullopt;
    std::string name;
    i = ParseString(json, i, &name);
    if (i == std::string_view::npos) return std::nullopt;
    i = SkipSpace(json, i);
    if (i >= json.size() || json[i] != ':') return std::nullopt;
    i = SkipSpace(json, i + 1);
    if (i >= json.size()) return std::nullopt;
    std::string value;
    if (json[i] == '"') {
      i = ParseString(json, i, &value);
      if (i == std::string_view::npos) return std::nullopt;
    } else {
      size_t start = i;
      while (i < json.size() && json[i] != ',' && json[i] != '}' && json[i] != ' ') ++i;
      value = std::string(json.substr(start, i - start));
      if (value.empty() || value[0] == '{' || value[0] == '[') return std::nullopt;  // not flat
    }
    if (name == key) return value;
    i = SkipSpace(json, i);
    if (i >= json.size() || json[i] != ',') return std::nullopt;
    ++i;
  }
}

TokenInfo FromMetadata(const std::string& json) {
  TokenInfo info;
  info.json = TrimRight(json);
  info.token = JsonField(info.json, "accessToken").value_or("");
  info.expires_at = JsonField(info.json, "expiresAt").value_or("");
  if (auto in = JsonField(info.json, "expiresIn")) {
    char* end = nullptr;
    double v = strtod(in->c_str(), &end);
    if (end && !*end) info.expires_in_s = v;
  }
  info.generation = JsonField(info.json, "generation").value_or("");
  return info;
}

std::optional<double> SecondsLeft(const TokenInfo& info) {
  if (info.expires_in_s) return info.expires_in_s;
  if (info.expires_at.empty()) return std::nullopt;
  time_t at = ParseUtc(info.expires_at);
  if (at < 0) return std::nullopt;
  return static_cast<double>(at - time(nullptr));
}

bool ReadTokenFile(const std::string& path, TokenInfo* info, std::string* why) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    *why = strerror(errno);
    return false;
  }
  std::string content;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0 && content.size() < kMaxFile) {
    content.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  content = TrimRight(content);
  *info = TokenInfo{};
  if (!content.empty() && content.front() == '{') {
    *info = FromMetadata(content);
    time_t at = ParseUtc(info->expires_at);
    if (at < 0 || at <= time(nullptr)) {
      *why = "the token in it has expired";
      return false;
    }
    // expiresIn was right when the file was written; the expiry time is what holds now.
    info->expires_in_s.reset();
  } else if (content.rfind("NACOS_ACCESS_TOKEN=", 0) == 0) {
    info->token = content.substr(19);
  } else {
    info->token = content;
  }
  if (!PlausibleToken(info->token)) {
    *why = "it holds no token";
    return false;
  }
  return true;
}

std::string FormatToken(Format format, const TokenInfo& info) {
  switch (format) {
    case Format::kRaw:
      return info.token;
    case Format::kHeader:
      return "Authorization: Bearer " + info.token;
    case Format::kEnv:
      return "NACOS_ACCESS_TOKEN=" + info.token;
    case Format::kJson:
      if (!info.json.empty()) return info.json;
      return "{\"accessToken\":\"" + info.token + "\",\"tokenType\":\"Bearer\"}";
  }
  return info.token;
}

bool PrintLine(const std::string& line) {
  return fputs(line.c_str(), stdout) >= 0 && fputc('\n', stdout) != EOF && fflush(stdout) == 0;
}

std::string Redact(std::string text, const std::string& secret) {
  if (secret.empty()) return text;
  for (size_t at; (at = text.find(secret)) != std::string::npos;) {
    text.replace(at, secret.size(), "<the rejected token>");
  }
  return text;
}

std::string TrimRight(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace tokend::cli
