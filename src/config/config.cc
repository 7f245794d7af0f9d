#include "config/config.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <set>

#include "base/read_to_end.h"
#include "config/oidc_config.h"

namespace tokend {
namespace {

// Keys each kind of section takes ([nacos] and [nacos:NAME] alike).
const std::set<std::string>& NacosKeys() {
  static const std::set<std::string> keys = {
      "servers",         "context_path",    "api",     "username",  "password_file", "password_env",
      "connect_timeout", "request_timeout", "ca_file", "tls_verify"};
  static const std::set<std::string> with_login = [] {
    std::set<std::string> all = keys;
    all.insert(LoginKeys().begin(), LoginKeys().end());
    return all;
  }();
  return with_login;
}
const std::set<std::string>& FileKeys() {
  static const std::set<std::string> keys = {"path", "mode", "group", "format"};
  return keys;
}
const std::set<std::string>& SocketKeys() {
  static const std::set<std::string> keys = {"path", "mode", "group", "allow_users",
                                             "allow_groups"};
  return keys;
}
const std::set<std::string>& AccessKeys() {
  static const std::set<std::string> keys = {"allow_users", "allow_groups"};
  return keys;
}
const std::set<std::string>& HookKeys() {
  static const std::set<std::string> keys = {"on_change", "timeout"};
  return keys;
}
const std::set<std::string>& RefreshKeys() {
  static const std::set<std::string> keys = {"at", "jitter", "retry_min", "retry_max"};
  return keys;
}

// "nacos:staging.username" -> {"nacos", "staging", "username"}; no name: "".
struct KeyParts {
  std::string kind, name, key;
};
KeyParts SplitKey(const std::string& full) {
  size_t dot = full.find('.');
  std::string section = full.substr(0, dot);
  KeyParts p;
  p.key = dot == std::string::npos ? "" : full.substr(dot + 1);
  size_t colon = section.find(':');
  p.kind = section.substr(0, colon);
  if (colon != std::string::npos) p.name = section.substr(colon + 1);
  return p;
}

// Splits on any of `separators`, dropping empty items.
std::vector<std::string> Split(std::string_view text, std::string_view separators) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : text) {
    if (separators.find(c) != std::string_view::npos) {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}
std::vector<std::string> SplitList(std::string_view text) { return Split(text, ", \t"); }

bool ParseUnsigned(std::string_view s, unsigned long* out) {
  if (s.empty() || s.size() > 10) return false;
  unsigned long v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned long>(c - '0');
  }
  *out = v;
  return true;
}

// Collects problems as "ORIGIN: KEY: reason" and hands out typed values.
class Reader {
 public:
  Reader(const IniValues& values, std::vector<std::string>* problems)
      : values_(values), problems_(problems) {}

  const IniValues& values() const { return values_; }
  std::vector<std::string>* problems() const { return problems_; }
  const IniValue* Find(const std::string& key) const {
    auto it = values_.find(key);
    return it == values_.end() ? nullptr : &it->second;
  }
  void Problem(const std::string& key, const std::string& reason) {
    const IniValue* v = Find(key);
    problems_->push_back((v ? v->origin + ": " : std::string()) + key + ": " + reason);
  }
  void String(const std::string& key, std::string* out) {
    if (const IniValue* v = Find(key)) *out = v->value;
  }
  void Duration(const std::string& key, Millis* out) {
    const IniValue* v = Find(key);
    if (!v) return;
    auto d = ParseDuration(v->value);
    if (!d) return Problem(key, d.error());
    *out = *d;
  }
  void Fraction(const std::string& key, double* out) {
    const IniValue* v = Find(key);
    if (!v) return;
    char* end = nullptr;
    errno = 0;
    double d = std::strtod(v->value.c_str(), &end);
    if (v->value.empty() || *end != '\0' || errno != 0 || !std::isfinite(d) || d < 0 || d >= 1) {
      return Problem(key, "'" + v->value + "' is not a number in [0, 1)");
    }
    *out = d;
  }
  void Bool(const std::string& key, bool* out) {
    const IniValue* v = Find(key);
    if (!v) return;
    const std::string& s = v->value;
    if (s == "true" || s == "yes" || s == "on" || s == "1")
      *out = true;
    else if (s == "false" || s == "no" || s == "off" || s == "0")
      *out = false;
    else
      Problem(key, "'" + s + "' is not a boolean (true or false)");
  }
  void Mode(const std::string& key, mode_t* out) {
    const IniValue* v = Find(key);
    if (!v) return;
    const std::string& s = v->value;
    bool ok = !s.empty() && s.size() <= 4;
    mode_t m = 0;
    for (char c : s) {
      if (c < '0' || c > '7') ok = false;
      m = m * 8 + static_cast<mode_t>(c - '0');
    }
    if (!ok || m > 0777) return Problem(key, "'" + s + "' is not an octal mode such as 0640");
    *out = m;
  }

 private:
  const IniValues& values_;
  std::vector<std::string>* problems_;
};

bool LookupGroup(const std::string& name, gid_t* gid) {
  unsigned long n;
  if (ParseUnsigned(name, &n)) {
    *gid = static_cast<gid_t>(n);
    return true;
  }
  struct group grp, *found = nullptr;
  char buf[16384];
  if (getgrnam_r(name.c_str(), &grp, buf, sizeof buf, &found) != 0 || !found) return false;
  *gid = found->gr_gid;
  return true;
}

bool LookupUser(const std::string& name, uid_t* uid) {
  unsigned long n;
  if (ParseUnsigned(name, &n)) {
    *uid = static_cast<uid_t>(n);
    return true;
  }
  struct passwd pw, *found = nullptr;
  char buf[16384];
  if (getpwnam_r(name.c_str(), &pw, buf, sizeof buf, &found) != 0 || !found) return false;
  *uid = found->pw_uid;
  return true;
}

void ParseNacos(Reader& r, const std::string& sec, NacosConfig* c) {
  // login = oidc: its own keys instead of username and password; servers only for the proxy.
  const bool oidc = ParseLoginKeys(r.values(), sec, c, r.problems());
  bool bad_entry = false;
  if (const IniValue* v = r.Find(sec + ".servers")) {
    for (const std::string& item : SplitList(v->value)) {
      auto server = ParseServer(item);
      if (server) {
        c->servers.push_back(*server);
      } else {
        r.Problem(sec + ".servers", server.error());
        bad_entry = true;
      }
    }
  }
  if (oidc) {
    // Not needed for the login; an empty list is fine.
  } else if (c->servers.empty() && !r.Find(sec + ".servers")) {
    r.Problem(sec + ".servers", "missing: name at least one Nacos server (host:port)");
  } else if (c->servers.empty() && !bad_entry) {
    r.Problem(sec + ".servers", "is empty: name at least one Nacos server (host:port)");
  }
  r.String(sec + ".context_path", &c->context_path);
  if (!c->context_path.empty() && c->context_path.back() == '/') c->context_path.pop_back();
  if (!c->context_path.empty() && c->context_path.front() != '/') {
    r.Problem(sec + ".context_path", "'" + c->context_path + "' must start with '/' (or be empty)");
  } else if (c->context_path.find_first_of("?# \t") != std::string::npos) {
    r.Problem(sec + ".context_path", "'" + c->context_path + "' is not a plain URL path");
  }
  if (const IniValue* v = r.Find(sec + ".api")) {
    if (v->value == "auto")
      c->api = ApiMode::kAuto;
    else if (v->value == "v1")
      c->api = ApiMode::kV1;
    else if (v->value == "v3")
      c->api = ApiMode::kV3;
    else
      r.Problem(sec + ".api", "'" + v->value + "' is not one of auto, v1, v3");
  }
  if (!oidc) {
    r.String(sec + ".username", &c->username);
    if (c->username.empty()) r.Problem(sec + ".username", "missing: the Nacos user to log in as");
    r.String(sec + ".password_file", &c->password_file);
    r.String(sec + ".password_env", &c->password_env);
    if (!c->password_file.empty() && !c->password_env.empty()) {
      r.Problem(sec + ".password_env", "set together with " + sec + ".password_file: choose one");
    }
    if (!c->password_file.empty() && c->password_file.front() != '/') {
      r.Problem(sec + ".password_file", "'" + c->password_file + "' must be an absolute path");
    }
  }
  r.Duration(sec + ".connect_timeout", &c->connect_timeout);
  r.Duration(sec + ".request_timeout", &c->request_timeout);
  if (c->connect_timeout.count() <= 0) r.Problem(sec + ".connect_timeout", "must be positive");
  if (c->request_timeout.count() <= 0) r.Problem(sec + ".request_timeout", "must be positive");
  r.String(sec + ".ca_file", &c->ca_file);
  if (!c->ca_file.empty() && access(c->ca_file.c_str(), R_OK) != 0) {
    r.Problem(sec + ".ca_file", "cannot read '" + c->ca_file + "': " + std::strerror(errno));
  }
  r.Bool(sec + ".tls_verify", &c->tls_verify);
}

void ParseRefresh(Reader& r, RefreshConfig* c) {
  r.Fraction("refresh.at", &c->at);
  r.Fraction("refresh.jitter", &c->jitter);
  if (c->at <= 0) r.Problem("refresh.at", "must be greater than 0 (e.g. 0.8)");
  if (c->jitter >= c->at || c->at + c->jitter >= 1) {
    r.Problem("refresh.jitter", "at +/- jitter must stay inside (0, 1) of the TTL (at " +
                                    std::to_string(c->at) + ", jitter " +
                                    std::to_string(c->jitter) + ")");
  }
  r.Duration("refresh.retry_min", &c->retry_min);
  r.Duration("refresh.retry_max", &c->retry_max);
  if (c->retry_min.count() <= 0) r.Problem("refresh.retry_min", "must be positive");
  if (c->retry_max < c->retry_min) r.Problem("refresh.retry_max", "must not be below retry_min");
}

void ParseFile(Reader& r, const std::string& sec, FileConfig* c) {
  r.String(sec + ".path", &c->path);
  if (!c->path.empty() && (c->path.front() != '/' || c->path.back() == '/')) {
    r.Problem(sec + ".path", "'" + c->path + "' must be an absolute path to a file");
  }
  r.Mode(sec + ".mode", &c->mode);
  if (c->mode & 0007) {
    r.Problem(sec + ".mode", "grants access to every user of the host; use a group (e.g. 0640)");
  }
  if ((c->mode & 0600) != 0600)
    r.Problem(sec + ".mode", "must let the daemon read and write (0600)");
  r.String(sec + ".group", &c->group);
  if (!c->group.empty() && !LookupGroup(c->group, &c->gid)) {
    r.Problem(sec + ".group", "no such group '" + c->group + "'");
  }
  if (const IniValue* v = r.Find(sec + ".format")) {
    if (v->value == "raw")
      c->format = TokenFormat::kRaw;
    else if (v->value == "env")
      c->format = TokenFormat::kEnv;
    else if (v->value == "json")
      c->format = TokenFormat::kJson;
    else
      r.Problem(sec + ".format", "'" + v->value + "' is not one of raw, env, json");
  }
}

// [hook] or [hook:NAME]: no shell, so the command is split on whitespace.
void ParseHook(Reader& r, const std::string& sec, HookConfig* c) {
  if (const IniValue* v = r.Find(sec + ".on_change")) {
    c->argv = Split(v->value, " \t");
    if (!c->argv.empty() && c->argv.front().front() != '/') {
      r.Problem(sec + ".on_change", "'" + c->argv.front() +
                                        "' must be an absolute path (the hook runs with no shell "
                                        "and no PATH lookup)");
    }
  }
  r.Duration(sec + ".timeout", &c->timeout);
  if (c->timeout.count() <= 0) r.Problem(sec + ".timeout", "must be positive");
}

// allow_users / allow_groups of [socket] or [socket:NAME].
void ParseAccess(Reader& r, const std::string& sec, AccessConfig* c) {
  if (const IniValue* v = r.Find(sec + ".allow_users")) {
    for (const std::string& name : SplitList(v->value)) {
      uid_t uid;
      if (LookupUser(name, &uid))
        c->allow_uids.push_back(uid);
      else
        r.Problem(sec + ".allow_users", "no such user '" + name + "'");
    }
  }
  if (const IniValue* v = r.Find(sec + ".allow_groups")) {
    for (const std::string& name : SplitList(v->value)) {
      gid_t gid;
      if (LookupGroup(name, &gid))
        c->allow_gids.push_back(gid);
      else
        r.Problem(sec + ".allow_groups", "no such group '" + name + "'");
    }
  }
}

void ParseSocket(Reader& r, SocketConfig* c) {
  r.String("socket.path", &c->path);
  if (!c->path.empty() && c->path.front() != '/') {
    r.Problem("socket.path", "'" + c->path + "' must be an absolute path");
  } else if (c->path.size() > kMaxSocketPath) {
    r.Problem("socket.path", "is " + std::to_string(c->path.size()) +
                                 " bytes long; Unix socket paths are limited to " +
                                 std::to_string(kMaxSocketPath));
  }
  r.Mode("socket.mode", &c->mode);
  if ((c->mode & 0600) != 0600)
    r.Problem("socket.mode", "must let the daemon read and write (0600)");
  r.String("socket.group", &c->group);
  if (!c->group.empty() && !LookupGroup(c->group, &c->gid)) {
    r.Problem("socket.group", "no such group '" + c->group + "'");
  }
  ParseAccess(r, "socket", &c->access);
}

}  // namespace

std::string ServerEndpoint::Display() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return std::string(https ? "https://" : "http://") + h + ":" + std::to_string(port);
}

Result<ServerEndpoint> ParseServer(std::string_view text) {
  ServerEndpoint s;
  std::string_view rest = text;
  if (rest.starts_with("https://")) {
    s.https = true;
    s.port = 443;
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    s.port = 80;
    rest.remove_prefix(7);
  } else if (rest.find("://") != std::string_view::npos) {
    return Error{"'" + std::string(text) + "': only http:// and https:// servers are supported"};
  } else {
    s.port = 8848;  // a bare host:port is a Nacos main port
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find('/') != std::string_view::npos) {
    return Error{"'" + std::string(text) +
                 "': a server is scheme://host:port; put the path in nacos.context_path"};
  }
  std::string_view port_text;
  if (!rest.empty() && rest.front() == '[') {
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return Error{"'" + std::string(text) + "': missing ']'"};
    s.host = std::string(rest.substr(1, close - 1));
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return Error{"'" + std::string(text) + "': expected ':port'"};
      port_text = after.substr(1);
    }
  } else {
    size_t colon = rest.rfind(':');
    s.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) port_text = rest.substr(colon + 1);
  }
  if (s.host.empty() || s.host.find_first_of(" \t@?#") != std::string::npos) {
    return Error{"'" + std::string(text) + "': missing or malformed host"};
  }
  if (!port_text.empty() || rest.ends_with(":")) {
    unsigned long p;
    if (!ParseUnsigned(port_text, &p) || p == 0 || p > 65535) {
      return Error{"'" + std::string(text) + "': port must be 1-65535"};
    }
    s.port = static_cast<uint16_t>(p);
  }
  return s;
}

const IdentityConfig* Config::Find(const std::string& name) const {
  for (const auto& id : identities) {
    if (id.name == name) return &id;
  }
  return nullptr;
}

std::string StatePath(const IdentityConfig& identity, const SocketConfig& socket) {
  auto dir = [](const std::string& path) {
    size_t slash = path.rfind('/');
    return slash == 0 ? std::string("/") : path.substr(0, slash);
  };
  const std::string& file = identity.file.path;
  if (!file.empty()) return dir(file) + "/." + file.substr(file.rfind('/') + 1) + ".state";
  return dir(socket.path) + "/.nacos-tokend" +
         (identity.name == kDefaultIdentity ? "" : "." + identity.name) + ".state";
}

Config ParseConfig(const IniValues& values, std::vector<std::string>* problems) {
  Reader r(values, problems);
  // Which identities there are, and every key checked against its section's kind.
  std::set<std::string> named;  // identities with a [nacos:NAME] section
  bool has_default = false, has_named_section = false;
  for (const auto& [full, v] : values) {
    KeyParts p = SplitKey(full);
    if (p.kind == "nacos" && p.name.empty()) has_default = true;
    if (!p.name.empty()) has_named_section = true;
    if (p.kind == "nacos" && !p.name.empty() && p.name != kDefaultIdentity &&
        IsIdentityName(p.name)) {
      named.insert(p.name);
    }
  }
  has_default = has_default || !has_named_section;
  std::set<std::string> reported;  // one "bad section" line per section
  for (const auto& [full, v] : values) {
    KeyParts p = SplitKey(full);
    std::string section = full.substr(0, full.find('.'));
    const std::string& origin = v.origin;  // (a lambda may not capture a structured binding)
    auto section_problem = [&](const std::string& reason) {
      if (reported.insert(section).second)
        problems->push_back(origin + ": [" + section + "]: " + reason);
    };
    const std::set<std::string>* keys = nullptr;
    if (p.kind == "proxy") continue;  // checked by ParseProxies
    if (!p.name.empty()) {
      if (p.kind != "nacos" && p.kind != "file" && p.kind != "socket" && p.kind != "hook") {
        section_problem(
            "only [nacos:NAME], [file:NAME], [socket:NAME] and [hook:NAME] name an identity");
        continue;
      }
      if (p.name == kDefaultIdentity) {
        section_problem("the identity 'default' is described by [" + p.kind + "] itself");
        continue;
      }
      if (!IsIdentityName(p.name)) {
        section_problem("'" + p.name + "' is not an identity name ([a-z0-9][a-z0-9_-]{0,31})");
        continue;
      }
      if (p.kind != "nacos" && !named.count(p.name)) {
        section_problem("there is no [nacos:" + p.name + "] section for identity " + p.name);
        continue;
      }
      keys = p.kind == "nacos"  ? &NacosKeys()
             : p.kind == "file" ? &FileKeys()
             : p.kind == "hook" ? &HookKeys()
                                : &AccessKeys();
    } else if (p.kind == "nacos") {
      keys = &NacosKeys();
    } else if (p.kind == "file") {
      if (!has_default) {
        section_problem("there is no [nacos] section, so no default identity whose file this is");
        continue;
      }
      keys = &FileKeys();
    } else if (p.kind == "hook") {
      if (!has_default) {
        section_problem("there is no [nacos] section, so no default identity whose hook this is");
        continue;
      }
      keys = &HookKeys();
    } else if (p.kind == "socket") {
      keys = &SocketKeys();
    } else if (p.kind == "refresh") {
      keys = &RefreshKeys();
    } else if (p.kind == "log") {
      static const std::set<std::string> log_keys = {"level"};
      keys = &log_keys;
    }
    if (!keys || !keys->count(p.key)) problems->push_back(v.origin + ": " + full + ": unknown key");
  }

  Config c;
  ParseRefresh(r, &c.refresh);
  ParseSocket(r, &c.socket);
  if (const IniValue* v = r.Find("log.level")) {
    if (!ParseLogLevel(v->value, &c.log_level)) {
      r.Problem("log.level", "'" + v->value + "' is not one of error, warning, info, debug");
    }
  }
  std::vector<std::string> names;
  if (has_default) names.push_back(kDefaultIdentity);
  names.insert(names.end(), named.begin(), named.end());
  for (const std::string& name : names) {
    bool is_default = name == kDefaultIdentity;
    IdentityConfig id;
    id.name = name;
    std::string suffix = is_default ? "" : ":" + name;
    if (!is_default) {
      id.nacos.credential = "nacos-password-" + name;
      id.nacos.oidc.credential = "nacos-oidc-secret-" + name;
      id.nacos.section = "nacos:" + name;
      id.file.path = "/run/nacos-tokend/" + name + ".token";
    }
    ParseNacos(r, "nacos" + suffix, &id.nacos);
    ParseFile(r, "file" + suffix, &id.file);
    ParseHook(r, "hook" + suffix, &id.hook);
    if (!is_default) {
      AccessConfig access;
      ParseAccess(r, "socket" + suffix, &access);
      if (r.Find("socket" + suffix + ".allow_users") || r.Find("socket" + suffix + ".allow_groups"))
        id.access = access;
    }
    std::string file_key = "file" + suffix + ".path";
    if (id.file.path.empty() && c.socket.path.empty()) {
      problems->push_back(file_key + " and socket.path are both empty: the token of identity " +
                          name + " would go nowhere");
    }
    if (!id.file.path.empty() && id.file.path == c.socket.path) {
      problems->push_back(file_key + " and socket.path are the same path '" + id.file.path + "'");
    }
    for (const auto& other : c.identities) {
      if (!id.file.path.empty() && other.file.path == id.file.path) {
        problems->push_back(file_key + ": '" + id.file.path + "' is also the file of identity " +
                            other.name);
      }
    }
    c.identities.push_back(std::move(id));
  }
  c.proxies = ParseProxies(values, names, problems);
  for (const ProxyConfig& p : c.proxies) {
    // An OIDC identity needs no servers to log in, but its proxy needs them to forward to.
    const IdentityConfig* id = c.Find(p.identity);
    if (id && id->nacos.servers.empty() && (!p.path.empty() || !p.listen_text.empty())) {
      problems->push_back(id->nacos.section + ".servers: missing: [" + p.section +
                          "] forwards to the identity's Nacos servers");
    }
  }
  for (const ProxyConfig& p : c.proxies) {
    if (p.path.empty()) continue;
    bool clash = p.path == c.socket.path;
    for (const auto& id : c.identities) clash = clash || p.path == id.file.path;
    if (clash)
      problems->push_back(p.section + ".path: '" + p.path +
                          "' is also the token socket or a token file");
  }
  return c;
}

AccessConfig ParseAccessLists(const IniValues& values, const std::string& section,
                              std::vector<std::string>* problems) {
  Reader r(values, problems);
  AccessConfig access;
  ParseAccess(r, section, &access);
  return access;
}

std::string ConfigFileOwnershipProblem(const std::string& file, const struct stat& st, uid_t euid) {
  char mode[8];
  snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
  const std::string why = " (mode " + std::string(mode) +
                          "): whoever can change it can send the password to a server of "
                          "their choosing; ";
  if (st.st_mode & S_IWOTH)
    return file + ": writable by every user of the host" + why + "chmod o-w it";
  if ((st.st_mode & S_IWGRP) && st.st_gid != 0) {
    return file + ": writable by group " + std::to_string(st.st_gid) + why + "chmod g-w it";
  }
  if (st.st_uid != 0 && st.st_uid != euid) {
    return file + ": owned by uid " + std::to_string(st.st_uid) +
           ", neither root nor the daemon's user" + why + "chown it";
  }
  return "";
}

Config LoadConfig(const std::string& file, const std::vector<std::string>& defines,
                  std::vector<std::string>* problems) {
  IniValues values;
  if (!file.empty()) {
    // The status of the file read, not of whatever the path names later.
    int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st;
    std::string unsafe;
    if (fd >= 0 && fstat(fd, &st) == 0) unsafe = ConfigFileOwnershipProblem(file, st, geteuid());
    if (fd < 0) {
      problems->push_back(file + ": cannot read the configuration: " + std::strerror(errno));
    } else if (!unsafe.empty()) {
      problems->push_back(unsafe);
    } else {
      std::string text;
      if (!ReadToEnd(fd, &text))
        problems->push_back(file + ": cannot read the configuration: " + std::strerror(errno));
      values = ParseIni(text, file, problems);
    }
    if (fd >= 0) ::close(fd);
  }
  for (const std::string& d : defines) {
    Status s = ApplyDefine(d, &values);
    if (!s) problems->push_back(s.error());
  }
  return ParseConfig(values, problems);
}

}  // namespace tokend
