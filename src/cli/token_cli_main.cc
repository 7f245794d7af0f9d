// nacos-token: prints the current Nacos token for scripts and cron jobs.
// It runs inside every cron job, so it does no work it does not need: plain
// system calls, no framework, no threads. The command line is fixed by
// shared/interface.md.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "base/version.h"

namespace {

enum Exit { kOk = 0, kUsage = 64, kUnavailable = 69, kTempFail = 75 };
enum class Format { kRaw, kHeader, kEnv, kJson };

constexpr const char* kHelp =
    R"HELP(Usage: nacos-token [--socket PATH] [--file PATH] [--header | --json | --env]
                   [--wait SECONDS] [--refresh]

Prints the current Nacos access token, as served by nacos-tokend.

  --socket PATH   the daemon's socket (default /run/nacos-tokend/tokend.sock)
  --file PATH     token file to read when the socket cannot be reached
                  (default /run/nacos-tokend/token)
  --header        print "Authorization: Bearer <token>"
  --env           print "NACOS_ACCESS_TOKEN=<token>"
  --json          print the metadata object (expiresAt, generation, ...)
  --wait SECONDS  wait up to SECONDS for a valid token instead of failing at once
  --refresh       ask the daemon to log in again first
  -h, --help      show this help;  -V, --version  show the version

The token file may be in any of nacos-tokend's formats (raw, env, json); an
expired json file is not used. Access needs membership in the daemon's reader
group (nacos-token under systemd) or a place in socket.allow_users/allow_groups.

Exit codes: 0 printed a valid token; 75 the daemon answers but has no valid
token (yet); 69 neither the socket nor the file could be used; 64 bad command line.

Example: curl -H "$(nacos-token --header)" http://nacos:8848/nacos/v1/cs/configs?...
)HELP";

struct Options {
  std::string socket = "/run/nacos-tokend/tokend.sock";
  std::string file = "/run/nacos-tokend/token";
  Format format = Format::kRaw;
  double wait = 0;
  bool refresh = false;
};

struct Answer {
  int status = 0;  // 0: could not talk to the daemon
  std::string body;
  std::string error;  // when status == 0
};

double Now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

void Sleep(double seconds) {
  timespec ts{
      static_cast<time_t>(seconds),
      static_cast<long>((seconds - static_cast<double>(static_cast<time_t>(seconds))) * 1e9)};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

// One request on a fresh connection; the daemon closes after answering.
Answer Ask(const std::string& path, const char* method, const char* target, int timeout_s) {
  Answer a;
  if (path.size() >= sizeof(sockaddr_un::sun_path)) {
    a.error = "socket path too long";
    return a;
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    a.error = strerror(errno);
    return a;
  }
  timeval tv{timeout_s, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    a.error = strerror(errno);
    close(fd);
    return a;
  }
  std::string request = std::string(method) + " " + target +
                        " HTTP/1.1\r\nHost: localhost\r\nUser-Agent: nacos-token/" +
                        tokend::kVersion + "\r\nConnection: close\r\n";
  request += std::string(method) == "POST" ? "Content-Length: 0\r\n\r\n" : "\r\n";
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    a.error = strerror(errno);
    close(fd);
    return a;
  }
  std::string response;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      response.append(buf, static_cast<size_t>(n));
      if (response.size() > 256 * 1024) break;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      a.error = errno == EAGAIN ? "no answer in time" : strerror(errno);
      close(fd);
      return a;
    }
    break;
  }
  close(fd);
  size_t head_end = response.find("\r\n\r\n");
  if (response.compare(0, 9, "HTTP/1.1 ") != 0 || head_end == std::string::npos ||
      response.size() < 12) {
    a.error = "not an HTTP answer";
    return a;
  }
  a.status = atoi(response.c_str() + 9);
  a.body = response.substr(head_end + 4);
  return a;
}

// Minimal reader for the one flat JSON object we produce: "key":"value".
std::string JsonField(const std::string& json, const std::string& key) {
  std::string needle = "\"" + key + "\":\"";
  size_t at = json.find(needle);
  if (at == std::string::npos) return "";
  at += needle.size();
  size_t end = json.find('"', at);
  return end == std::string::npos ? "" : json.substr(at, end - at);
}

bool PlausibleToken(std::string_view t) {
  if (t.empty() || t.size() > 8192) return false;
  for (char c : t) {
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f)
      return false;
  }
  return true;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// Reads the token file in any of its formats. Returns false with a reason.
bool ReadTokenFile(const std::string& path, std::string* token, std::string* json,
                   std::string* why) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    *why = strerror(errno);
    return false;
  }
  std::string content;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0 && content.size() < 64 * 1024) {
    content.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  content = Trim(content);
  if (!content.empty() && content.front() == '{') {
    *token = JsonField(content, "accessToken");
    std::string expires = JsonField(content, "expiresAt");
    struct tm tm = {};
    const char* end = strptime(expires.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (!end || *end || timegm(&tm) <= time(nullptr)) {
      *why = "the token in it has expired";
      return false;
    }
    *json = content;
  } else if (content.rfind("NACOS_ACCESS_TOKEN=", 0) == 0) {
    *token = content.substr(19);
  } else {
    *token = content;
  }
  if (!PlausibleToken(*token)) {
    *why = "it holds no token";
    return false;
  }
  return true;
}

int Print(Format format, const std::string& token, const std::string& json) {
  switch (format) {
    case Format::kRaw:
      printf("%s\n", token.c_str());
      break;
    case Format::kHeader:
      printf("Authorization: Bearer %s\n", token.c_str());
      break;
    case Format::kEnv:
      printf("NACOS_ACCESS_TOKEN=%s\n", token.c_str());
      break;
    case Format::kJson:
      if (!json.empty())
        printf("%s\n", json.c_str());
      else
        printf("{\"accessToken\":\"%s\",\"tokenType\":\"Bearer\"}\n", token.c_str());
      break;
  }
  return fflush(stdout) == 0 ? kOk : kUnavailable;
}

int Usage(const std::string& message) {
  fprintf(stderr, "nacos-token: %s\nTry 'nacos-token --help'.\n", message.c_str());
  return kUsage;
}

int ParseArgs(int argc, char** argv, Options* o) {
  int formats = 0;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    auto take = [&](const char* name) -> bool {
      size_t len = strlen(name);
      if (arg.compare(0, len, name) != 0) return false;
      if (arg.size() > len && arg[len] == '=') {
        value = arg.substr(len + 1);
        return true;
      }
      if (arg.size() == len && i + 1 < argc) {
        value = argv[++i];
        return true;
      }
      if (arg.size() == len) value = "\x01";  // present without a value
      return arg.size() == len;
    };
    if (arg == "-h" || arg == "--help") {
      fputs(kHelp, stdout);
      return kOk;
    } else if (arg == "-V" || arg == "--version") {
      printf("nacos-token %s\n", tokend::kVersion);
      return kOk;
    } else if (arg == "--header") {
      o->format = Format::kHeader, ++formats;
    } else if (arg == "--json") {
      o->format = Format::kJson, ++formats;
    } else if (arg == "--env") {
      o->format = Format::kEnv, ++formats;
    } else if (arg == "--refresh") {
      o->refresh = true;
    } else if (take("--socket")) {
      if (value.empty() || value == "\x01") return Usage("--socket needs a path");
      o->socket = value;
    } else if (take("--file")) {
      if (value.empty() || value == "\x01") return Usage("--file needs a path");
      o->file = value;
    } else if (take("--wait")) {
      char* end = nullptr;
      double w = strtod(value.c_str(), &end);
      if (value == "\x01" || value.empty() || *end || !(w >= 0) || w > 86400) {
        return Usage("--wait needs a number of seconds (0 to 86400)");
      }
      o->wait = w;
    } else {
      return Usage("unknown argument '" + arg + "'");
    }
  }
  if (formats > 1) return Usage("--header, --json and --env exclude each other");
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (int rc = ParseArgs(argc, argv, &o); rc >= 0) return rc;
  const double deadline = Now() + o.wait;
  const char* target = o.format == Format::kJson ? "/v1/token?format=json" : "/v1/token";
  bool refresh_pending = o.refresh;
  std::string last;
  int last_code = kUnavailable;
  for (;;) {
    if (refresh_pending) {
      Answer r = Ask(o.socket, "POST", "/v1/refresh", 90);
      if (r.status == 200) {
        refresh_pending = false;
      } else if (r.status == 0) {
        // No daemon to ask: a refresh cannot happen; fall back as without --refresh.
        refresh_pending = false;
      } else {
        last = "the daemon could not log in again: " + Trim(r.body);
        last_code = kTempFail;
      }
    }
    if (!refresh_pending) {
      Answer a = Ask(o.socket, "GET", target, 10);
      if (a.status == 200) {
        std::string token = o.format == Format::kJson ? JsonField(a.body, "accessToken") : a.body;
        if (PlausibleToken(token))
          return Print(o.format, token, o.format == Format::kJson ? a.body : "");
        last = "the daemon sent an answer without a token";
        last_code = kTempFail;
      } else if (a.status == 503) {
        std::string reason = Trim(a.body).substr(0, 300);
        if (reason.rfind("no valid token: ", 0) == 0) reason = reason.substr(16);
        last = "the daemon has no valid token: " + reason;
        last_code = kTempFail;
      } else {
        std::string socket_error =
            a.status == 0 ? a.error : "HTTP " + std::to_string(a.status) + " " + Trim(a.body);
        std::string token, json, why;
        if (ReadTokenFile(o.file, &token, &json, &why)) return Print(o.format, token, json);
        last = "cannot use the socket " + o.socket + " (" + socket_error + ") nor the file " +
               o.file + " (" + why + ")";
        last_code = kUnavailable;
      }
    }
    if (Now() >= deadline) break;
    Sleep(std::min(0.2, deadline - Now()));
  }
  fprintf(stderr, "nacos-token: %s\n", last.c_str());
  return last_code;
}
