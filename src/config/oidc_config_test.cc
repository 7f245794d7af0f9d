#include "config/oidc_config.h"

#include "config_test_util.h"
#include "test_util.h"

using namespace tokend;
using namespace tokend::testing;

TEST_CASE("oidc config: the contract's example, no servers, no username") {
  std::vector<std::string> problems;
  Config c = ParseTestConfig(
      "[nacos]\nlogin = oidc\noidc_issuer = https://idp.example.com/realms/nacos\n"
      "oidc_client_id = nacos-tokend\noidc_client_secret_file = /etc/nacos-tokend/oidc-secret\n"
      "oidc_scope = openid\noidc_audience = urn:nacos\n",
      &problems);
  REQUIRE(problems.empty());
  const NacosConfig& n = c.identities.at(0).nacos;
  CHECK(n.login == LoginKind::kOidc);
  CHECK(n.servers.empty());
  REQUIRE(n.oidc.issuer);
  CHECK(n.oidc.issuer->server.https);
  CHECK(n.oidc.issuer->server.host == "idp.example.com");
  CHECK(n.oidc.issuer->server.port == 443);
  CHECK(n.oidc.issuer->path == "/realms/nacos");
  CHECK(n.oidc.issuer->Display() == "https://idp.example.com/realms/nacos");
  CHECK_FALSE(n.oidc.token_endpoint);
  CHECK(n.oidc.client_id == "nacos-tokend");
  CHECK(n.oidc.client_secret_file == "/etc/nacos-tokend/oidc-secret");
  CHECK(n.oidc.scope == "openid");
  CHECK(n.oidc.audience == "urn:nacos");
  CHECK(n.oidc.credential == "nacos-oidc-secret");
}

TEST_CASE("oidc config: each login kind names the key it misses or does not take") {
  std::vector<std::string> problems;
  ParseTestConfig("[nacos]\nlogin = oidc\n", &problems);
  CHECK(Mentions(problems, "nacos.oidc_issuer: missing"));
  CHECK(Mentions(problems, "nacos.oidc_client_id: missing"));
  CHECK_FALSE(Mentions(problems, "nacos.servers"));
  CHECK_FALSE(Mentions(problems, "nacos.username"));

  problems.clear();
  ParseTestConfig(
      "[nacos]\nlogin = oidc\noidc_token_endpoint = http://127.0.0.1:9/token\n"
      "oidc_client_id = c\nusername = u\npassword_file = /p\npassword_env = P\n",
      &problems);
  CHECK_FALSE(Mentions(problems, "oidc_issuer"));
  CHECK(Mentions(problems, "test.ini:5: nacos.username: is not used with nacos.login = oidc"));
  CHECK(Mentions(problems, "nacos.password_file: is not used"));
  CHECK(Mentions(problems, "nacos.password_env: is not used"));

  problems.clear();
  ParseTestConfig("[nacos]\nservers = 127.0.0.1:8848\nusername = u\noidc_client_id = c\n",
                  &problems);
  CHECK(Mentions(problems, "nacos.oidc_client_id: is used only with nacos.login = oidc"));

  problems.clear();
  ParseTestConfig("[nacos]\nlogin = kerberos\nservers = h\nusername = u\n", &problems);
  CHECK(Mentions(problems, "nacos.login: 'kerberos' is not one of password, oidc"));

  problems.clear();
  ParseTestConfig(
      "[nacos]\nlogin = oidc\noidc_issuer = ftp://x\noidc_token_endpoint = http://a b/\n"
      "oidc_client_id = c\noidc_client_secret_file = rel\noidc_client_secret_env = E\n",
      &problems);
  CHECK(Mentions(problems, "nacos.oidc_issuer: 'ftp://x': must be an http:// or https:// URL"));
  CHECK(Mentions(problems, "nacos.oidc_token_endpoint: 'http://a b/': has a space"));
  CHECK(Mentions(problems, "nacos.oidc_client_secret_file: 'rel' must be an absolute path"));
  CHECK(Mentions(problems, "nacos.oidc_client_secret_env: set together with"));
  CHECK_FALSE(Mentions(problems, "oidc_issuer: missing"));
}

TEST_CASE("oidc config: a named identity's credential and mixed identities") {
  std::vector<std::string> problems;
  Config c = ParseTestConfig(
      "[nacos]\nservers = 127.0.0.1:8848\nusername = u\n"
      "[nacos:idp]\nlogin = oidc\noidc_token_endpoint = http://127.0.0.1:9000/oauth/token?x=1\n"
      "oidc_client_id = c\nservers = 127.0.0.1:8848\n",
      &problems);
  REQUIRE(problems.empty());
  const NacosConfig& n = c.Find("idp")->nacos;
  CHECK(n.login == LoginKind::kOidc);
  CHECK(n.oidc.credential == "nacos-oidc-secret-idp");
  CHECK(n.servers.size() == 1);  // for the proxy
  CHECK(n.oidc.token_endpoint->Display() == "http://127.0.0.1:9000/oauth/token?x=1");
  CHECK(n.oidc.token_endpoint->Target() == "/oauth/token?x=1");
  CHECK(c.Find("default")->nacos.login == LoginKind::kPassword);
}

TEST_CASE("http url: forms accepted and refused") {
  auto u = ParseHttpUrl("http://[::1]:8080");
  REQUIRE(u);
  CHECK(u->server.host == "::1");
  CHECK(u->Target() == "/");
  CHECK(u->Display() == "http://[::1]:8080");
  CHECK(ParseHttpUrl("https://h:443/")->Display() == "https://h/");
  CHECK(ParseHttpUrl("https://h?a=b")->Target() == "/?a=b");
  CHECK_FALSE(ParseHttpUrl("h:80/x"));
  CHECK_FALSE(ParseHttpUrl("https://user@h/"));
  CHECK_FALSE(ParseHttpUrl("https://h/#frag"));
  CHECK_FALSE(ParseHttpUrl("https://h:0/"));
  CHECK_FALSE(ParseHttpUrl("https:///path"));
}
