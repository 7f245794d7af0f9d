#include "config/config.h"

#include "config_test_util.h"
#include "test_util.h"

using namespace tokend;
using namespace tokend::testing;
using namespace std::chrono_literals;

namespace {

const char* kMinimal = "[nacos]\nservers = 127.0.0.1:8848\nusername = tokend\n";

}  // namespace

TEST_CASE("config: defaults of the contract") {
  std::vector<std::string> problems;
  Config c = ParseTestConfig(kMinimal, &problems);
  REQUIRE(problems.empty());
  CHECK(c.identities.at(0).nacos.context_path == "/nacos");
  CHECK(c.identities.at(0).nacos.api == ApiMode::kAuto);
  CHECK(c.identities.at(0).nacos.connect_timeout == 3s);
  CHECK(c.identities.at(0).nacos.request_timeout == 10s);
  CHECK(c.identities.at(0).nacos.tls_verify);
  CHECK(c.refresh.at == doctest::Approx(0.8));
  CHECK(c.refresh.jitter == doctest::Approx(0.1));
  CHECK(c.refresh.retry_min == 1s);
  CHECK(c.refresh.retry_max == 60s);
  CHECK(c.identities.at(0).file.path == "/run/nacos-tokend/token");
  CHECK(c.identities.at(0).file.mode == 0640);
  CHECK(c.identities.at(0).file.format == TokenFormat::kRaw);
  CHECK(c.socket.path == "/run/nacos-tokend/tokend.sock");
  CHECK(c.socket.mode == 0660);
  CHECK(c.log_level == LogLevel::kInfo);
}

TEST_CASE("config: the documented example parses, inline comments and all") {
  std::vector<std::string> problems;
  Config c = ParseTestConfig(R"([nacos]
servers = 10.0.0.1:8848, https://10.0.0.2:9443   ; tried in turn
context_path = /nacos
api = v3
username = tokend
password_file = /etc/nacos-tokend/password
connect_timeout = 500ms
request_timeout = 1m
[refresh]
at = 0.7
jitter = 0.05
retry_min = 2s
retry_max = 5m
[file]
path = /run/x/token
mode = 0600
format = json
[socket]
path =
[log]
level = debug
)",
                             &problems);
  REQUIRE(problems.empty());
  REQUIRE(c.identities.at(0).nacos.servers.size() == 2);
  CHECK(c.identities.at(0).nacos.servers[0].Display() == "http://10.0.0.1:8848");
  CHECK(c.identities.at(0).nacos.servers[1].Display() == "https://10.0.0.2:9443");
  CHECK(c.identities.at(0).nacos.api == ApiMode::kV3);
  CHECK(c.identities.at(0).nacos.connect_timeout == 500ms);
  CHECK(c.identities.at(0).nacos.request_timeout == 60s);
  CHECK(c.refresh.retry_max == 5min);
  CHECK(c.identities.at(0).file.format == TokenFormat::kJson);
  CHECK(c.socket.path.empty());
  CHECK(c.log_level == LogLevel::kDebug);
}

TEST_CASE("config: every problem is listed, each naming the key and line") {
  std::vector<std::string> problems;
  ParseTestConfig(R"([nacos]
servers = nacos://x
usernme = typo
connect_timeout = 3 parsecs
tls_verify = maybe
[refresh]
at = 1.5
retry_min = 10s
retry_max = 1s
[file]
mode = 0644
format = yaml
[socket]
path = /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sock
group = no-such-group-xyz
[log]
level = loud
)",
                  &problems);
  CHECK(Mentions(problems, "test.ini:2: nacos.servers"));
  CHECK(Mentions(problems, "test.ini:3: nacos.usernme: unknown key"));
  CHECK(Mentions(problems, "nacos.username: missing"));
  CHECK(Mentions(problems, "test.ini:4: nacos.connect_timeout"));
  CHECK(Mentions(problems, "test.ini:5: nacos.tls_verify"));
  CHECK(Mentions(problems, "test.ini:7: refresh.at"));
  CHECK(Mentions(problems, "refresh.retry_max: must not be below retry_min"));
  CHECK(Mentions(problems, "test.ini:11: file.mode: grants access to every user"));
  CHECK(Mentions(problems, "test.ini:12: file.format"));
  CHECK(Mentions(problems, "bytes long; Unix socket paths are limited to 107"));
  CHECK(Mentions(problems, "socket.group: no such group 'no-such-group-xyz'"));
  CHECK(Mentions(problems, "test.ini:17: log.level"));
  CHECK(problems.size() >= 12);
}

TEST_CASE("config: -D overrides the file and can replace it") {
  std::vector<std::string> problems;
  Config c = ParseTestConfig(kMinimal, &problems, {"nacos.username=other", "file.format=env"});
  REQUIRE(problems.empty());
  CHECK(c.identities.at(0).nacos.username == "other");
  CHECK(c.identities.at(0).file.format == TokenFormat::kEnv);

  problems.clear();
  c = ParseTestConfig("", &problems, {"nacos.servers=https://[::1]:9443", "nacos.username=u"});
  REQUIRE(problems.empty());
  CHECK(c.identities.at(0).nacos.servers[0].host == "::1");
  CHECK(c.identities.at(0).nacos.servers[0].https);

  problems.clear();
  ParseTestConfig(kMinimal, &problems, {"nacos.bogus=1", "nodot=1"});
  CHECK(Mentions(problems, "command line (-D): nacos.bogus: unknown key"));
  CHECK(Mentions(problems, "-D 'nodot': expected section.key=value"));
}

TEST_CASE("config: server entries") {
  CHECK(ParseServer("nacos.example").value().Display() == "http://nacos.example:8848");
  CHECK(ParseServer("https://n.example").value().port == 443);
  CHECK(ParseServer("http://n.example:80/").value().Display() == "http://n.example:80");
  CHECK_FALSE(ParseServer("http://n.example:8848/nacos").ok());
  CHECK_FALSE(ParseServer("ftp://n").ok());
  CHECK_FALSE(ParseServer("n:0").ok());
  CHECK_FALSE(ParseServer("n:70000").ok());
  CHECK_FALSE(ParseServer("[::1").ok());
  CHECK_FALSE(ParseServer(":8848").ok());
}

TEST_CASE("config: malformed INI lines are reported with their line") {
  std::vector<std::string> problems;
  ParseIni("[nacos\nfoo\n= x\nkey = v\n", "f.ini", &problems);
  CHECK(Mentions(problems, "f.ini:1: malformed section header"));
  CHECK(Mentions(problems, "f.ini:2: expected 'key = value'"));
  CHECK(Mentions(problems, "f.ini:3: malformed key"));
  CHECK(Mentions(problems, "f.ini:4: key 'key' is outside any [section]"));
}

TEST_CASE("config: a value keeps ';' and '#' that are not comments") {
  std::vector<std::string> problems;
  IniValues v = ParseIni("[nacos]\nusername = a;b#c ; comment\n", "f", &problems);
  CHECK(v["nacos.username"].value == "a;b#c");
}

TEST_CASE("config: LoadConfig names an unreadable file") {
  std::vector<std::string> problems;
  LoadConfig("/nonexistent/tokend.ini", {}, &problems);
  CHECK(Mentions(problems, "/nonexistent/tokend.ini: cannot read the configuration"));
}

TEST_CASE("config: a file others may change is not trusted") {
  struct stat st = {};
  st.st_mode = S_IFREG | 0644;
  st.st_uid = 0;
  st.st_gid = 0;
  const uid_t daemon_uid = 990;
  CHECK(ConfigFileOwnershipProblem("/etc/t.ini", st, daemon_uid).empty());
  st.st_mode = S_IFREG | 0664;  // root's group may write: root may anyway
  CHECK(ConfigFileOwnershipProblem("/etc/t.ini", st, daemon_uid).empty());
  st.st_mode = S_IFREG | 0644;
  st.st_uid = daemon_uid;  // the daemon's user may own it
  CHECK(ConfigFileOwnershipProblem("/etc/t.ini", st, daemon_uid).empty());

  st.st_uid = 0;
  st.st_mode = S_IFREG | 0664;
  st.st_gid = 990;  // even the daemon's own group: under the unit it is the readers' group
  CHECK(ConfigFileOwnershipProblem("/etc/t.ini", st, daemon_uid) ==
        "/etc/t.ini: writable by group 990 (mode 0664): whoever can change it can send the "
        "password to a server of their choosing; chmod g-w it");
  st.st_mode = S_IFREG | 0646;
  CHECK(ConfigFileOwnershipProblem("/etc/t.ini", st, daemon_uid)
            .starts_with("/etc/t.ini: writable by every user of the host (mode 0646)"));
  st.st_mode = S_IFREG | 0644;
  st.st_uid = 1000;
  CHECK(ConfigFileOwnershipProblem("/etc/t.ini", st, daemon_uid)
            .starts_with("/etc/t.ini: owned by uid 1000, neither root nor the daemon's user"));
}

TEST_CASE("config: [nacos:default] is refused, [nacos] describes that identity") {
  std::vector<std::string> problems;
  ParseTestConfig(
      std::string(kMinimal) + "[nacos:default]\nservers = 10.0.0.9:8848\nusername = x\n",
      &problems);
  CHECK(Mentions(problems, "[nacos:default]: the identity 'default' is described by [nacos]"));
}

TEST_CASE("config: a proxy needs its identity's servers, also with login = oidc") {
  std::vector<std::string> problems;
  ParseTestConfig(
      "[nacos]\nlogin = oidc\noidc_token_endpoint = http://127.0.0.1:9/token\n"
      "oidc_client_id = c\noidc_client_secret_env = S\n[proxy]\npath = /run/x/nacos.sock\n",
      &problems);
  CHECK(Mentions(problems,
                 "nacos.servers: missing: [proxy] forwards to the identity's Nacos servers"));
}
