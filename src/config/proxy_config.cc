#include "config/proxy_config.h"

#include <arpa/inet.h>
#include <grp.h>

#include <map>

#include "config/config.h"

namespace tokend {
namespace {

bool LookupGroupName(const std::string& name, gid_t* gid) {
  if (!name.empty() && name.find_first_not_of("0123456789") == std::string::npos &&
      name.size() <= 10) {
    *gid = static_cast<gid_t>(std::stoul(name));
    return true;
  }
  struct group grp, *found = nullptr;
  char buf[16384];
  if (getgrnam_r(name.c_str(), &grp, buf, sizeof buf, &found) != 0 || !found) return false;
  *gid = found->gr_gid;
  return true;
}

}  // namespace

const std::set<std::string>& ProxyKeys() {
  static const std::set<std::string> keys = {"path",        "mode",         "group",  "listen",
                                             "allow_users", "allow_groups", "timeout"};
  return keys;
}

std::string LoopbackAddress::Display() const {
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<LoopbackAddress> ParseLoopbackAddress(std::string_view text) {
  LoopbackAddress a;
  std::string_view port;
  if (text.starts_with("[")) {
    size_t close = text.find(']');
    if (close == std::string_view::npos || text.substr(close + 1, 1) != ":")
      return Error{"'" + std::string(text) + "' is not [ADDRESS]:PORT"};
    a.host = std::string(text.substr(1, close - 1));
    a.ipv6 = true;
    port = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos)
      return Error{"'" + std::string(text) + "' is not ADDRESS:PORT"};
    a.host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
  }
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos)
    return Error{"'" + std::string(text) + "': the port must be a number"};
  unsigned long p = std::stoul(std::string(port));
  if (p == 0 || p > 65535) return Error{"'" + std::string(text) + "': port out of range"};
  a.port = static_cast<uint16_t>(p);
  if (a.ipv6) {
    in6_addr addr6;
    if (inet_pton(AF_INET6, a.host.c_str(), &addr6) != 1 || !IN6_IS_ADDR_LOOPBACK(&addr6))
      return Error{"'" + std::string(text) + "' is not a loopback address (only ::1 is)"};
  } else {
    in_addr addr4;
    if (inet_pton(AF_INET, a.host.c_str(), &addr4) != 1 || (ntohl(addr4.s_addr) >> 24) != 127)
      return Error{"'" + std::string(text) +
                   "' is not a loopback address (127.0.0.0/8 or [::1]; host names are not "
                   "accepted)"};
  }
  return a;
}

std::vector<ProxyConfig> ParseProxies(const IniValues& values,
                                      const std::vector<std::string>& identities,
                                      std::vector<std::string>* problems) {
  // The sections present, each with the identity it serves.
  std::map<std::string, std::string> sections;  // "proxy:NAME" -> NAME
  std::set<std::string> reported;
  for (const auto& [full, v] : values) {
    std::string section = full.substr(0, full.find('.'));
    std::string kind = section.substr(0, section.find(':'));
    if (kind != "proxy") continue;
    std::string key = full.find('.') == std::string::npos ? "" : full.substr(full.find('.') + 1);
    std::string name = section == "proxy" ? kDefaultIdentity
                       : section.find(':') == std::string::npos
                           ? ""
                           : section.substr(section.find(':') + 1);
    bool known = false;
    for (const auto& id : identities) known = known || id == name;
    if (!known) {
      if (reported.insert(section).second)
        problems->push_back(v.origin + ": [" + section + "]: there is no identity '" + name +
                            "' for this proxy");
      continue;
    }
    if (!ProxyKeys().count(key)) {
      problems->push_back(v.origin + ": " + full + ": unknown key");
      continue;
    }
    sections[section] = name;
  }

  std::vector<ProxyConfig> out;
  for (const auto& entry : sections) {
    const std::string& section = entry.first;
    const std::string& name = entry.second;
    auto find = [&](const std::string& key) -> const IniValue* {
      auto it = values.find(section + "." + key);
      return it == values.end() ? nullptr : &it->second;
    };
    auto problem = [&](const std::string& key, const std::string& reason) {
      const IniValue* v = find(key);
      problems->push_back((v ? v->origin + ": " : std::string()) + section + "." + key + ": " +
                          reason);
    };
    ProxyConfig c;
    c.identity = name;
    c.section = section;
    if (const IniValue* v = find("path")) c.path = v->value;
    if (!c.path.empty() && c.path.front() != '/') {
      problem("path", "'" + c.path + "' must be an absolute path");
    } else if (c.path.size() > kMaxSocketPath) {
      problem("path", "is " + std::to_string(c.path.size()) +
                          " bytes long; Unix socket paths are limited to " +
                          std::to_string(kMaxSocketPath));
    }
    if (const IniValue* v = find("mode")) {
      const std::string& s = v->value;
      bool ok = !s.empty() && s.size() <= 4 && s.find_first_not_of("01234567") == std::string::npos;
      mode_t m = ok ? static_cast<mode_t>(std::stoul(s, nullptr, 8)) : 0;
      if (!ok || m > 0777)
        problem("mode", "'" + s + "' is not an octal mode such as 0660");
      else if ((m & 0600) != 0600)
        problem("mode", "must let the daemon read and write (0600)");
      else
        c.mode = m;
    }
    if (const IniValue* v = find("group")) c.group = v->value;
    if (!c.group.empty() && !LookupGroupName(c.group, &c.gid))
      problem("group", "no such group '" + c.group + "'");
    if (const IniValue* v = find("listen")) c.listen_text = v->value;
    if (!c.listen_text.empty()) {
      auto a = ParseLoopbackAddress(c.listen_text);
      if (a)
        c.listen = *a;
      else
        problem("listen", a.error());
    }
    if (const IniValue* v = find("timeout")) {
      auto d = ParseDuration(v->value);
      if (!d)
        problem("timeout", d.error());
      else if (d->count() <= 0)
        problem("timeout", "must be longer than 0");
      else
        c.timeout = *d;
    }
    c.access = ParseAccessLists(values, section, problems);
    if (c.path.empty() && c.listen_text.empty()) continue;  // a section that serves nothing
    for (const auto& other : out) {
      if (!c.path.empty() && other.path == c.path)
        problem("path", "'" + c.path + "' is also the path of [" + other.section + "]");
      if (!c.listen_text.empty() && other.listen == c.listen)
        problem("listen", c.listen.Display() + " is also the address of [" + other.section + "]");
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace tokend
