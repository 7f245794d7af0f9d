#include "cli/cli_options.h"

#include "base/identity_name.h"

#include <memory>
#include <string>
#include <vector>

#include "test_util.h"

using namespace tokend::cli;

namespace {

// Runs ParseCliArgs on "nacos-token <args>"; the strings live as long as the Args.
struct Args {
  explicit Args(const std::vector<const char*>& args) {
    words.emplace_back("nacos-token");
    for (const char* a : args) words.emplace_back(a);
    for (auto& w : words) argv.push_back(w.data());
  }
  int Parse(CliOptions* o) { return ParseCliArgs(static_cast<int>(argv.size()), argv.data(), o); }
  std::vector<std::string> words;
  std::vector<char*> argv;
};

// The parsed options point into the words (exec's command): they live until the next Parse.
int Parse(const std::vector<const char*>& args, CliOptions* o = nullptr) {
  static std::unique_ptr<Args> last;
  CliOptions scratch;
  last = std::make_unique<Args>(args);
  return last->Parse(o ? o : &scratch);
}

std::vector<std::string> Command(const CliOptions& o) {
  std::vector<std::string> out;
  for (char* w : o.command) out.emplace_back(w ? w : "<null>");
  return out;
}

}  // namespace

TEST_CASE("cli options: identity names") {
  for (const char* good :
       {"default", "a", "0", "ci-staging_2", "abcdefghijklmnopqrstuvwxyz012345"}) {
    CAPTURE(good);
    CHECK(tokend::IsIdentityName(good));
  }
  for (const char* bad :
       {"", "Staging", "_a", "-a", "a/b", "a b", "a.b", "abcdefghijklmnopqrstuvwxyz0123456"}) {
    CAPTURE(bad);
    CHECK_FALSE(tokend::IsIdentityName(bad));
    CHECK(Parse({"-i", bad}) == kUsage);
  }
}

TEST_CASE("cli options: an identity picks its own default file unless --file is given") {
  CliOptions o;
  CHECK(o.TokenFile() == "/run/nacos-tokend/token");
  CHECK(Parse({"--identity", "staging"}, &o) == -1);
  CHECK(o.identity == "staging");
  CHECK(o.TokenFile() == "/run/nacos-tokend/staging.token");
  CliOptions d;
  CHECK(Parse({"-i", "default"}, &d) == -1);
  CHECK(d.TokenFile() == "/run/nacos-tokend/token");
  CliOptions f;
  CHECK(Parse({"--identity=staging", "--file", "/x/t"}, &f) == -1);
  CHECK(f.TokenFile() == "/x/t");
}

TEST_CASE("cli options: --min-valid takes durations, bare numbers are seconds") {
  struct {
    const char* text;
    double seconds;
  } cases[] = {{"90", 90}, {"500ms", 0.5}, {"30s", 30}, {"5m", 300}, {"2h", 7200}};
  for (auto c : cases) {
    CAPTURE(c.text);
    CliOptions o;
    CHECK(Parse({"--min-valid", c.text}, &o) == -1);
    CHECK(o.min_valid_s == doctest::Approx(c.seconds));
  }
  for (const char* bad : {"", "soon", "-1", "5x"}) {
    CAPTURE(bad);
    CHECK(Parse({"--min-valid", bad}) == kUsage);
  }
  CHECK(Parse({"--min-valid"}) == kUsage);
}

TEST_CASE("cli options: exec takes options on either side and the command after --") {
  CliOptions o;
  CHECK(Parse({"--socket", "/s", "exec", "-i", "x", "--min-valid", "1m", "--", "curl", "-H", "--",
               "--json"},
              &o) == -1);
  CHECK(o.exec);
  CHECK(o.socket == "/s");
  CHECK(o.identity == "x");
  CHECK(o.min_valid_s == 60);
  CHECK(Command(o) == std::vector<std::string>{"curl", "-H", "--", "--json", "<null>"});
  CliOptions bare;
  CHECK(Parse({"exec", "--wait", "3", "sh", "-c", "exit 1"}, &bare) == -1);
  CHECK(bare.wait_s == 3);
  CHECK(Command(bare) == std::vector<std::string>{"sh", "-c", "exit 1", "<null>"});
  CliOptions named_exec;
  CHECK(Parse({"exec", "--", "exec"}, &named_exec) == -1);
  CHECK(Command(named_exec) == std::vector<std::string>{"exec", "<null>"});
}

TEST_CASE("cli options: combinations that make no sense are usage errors") {
  for (auto args : std::vector<std::vector<const char*>>{
           {"exec"},
           {"exec", "--"},
           {"--json", "exec", "--", "true"},
           {"exec", "--header", "--", "true"},
           {"--watch", "exec", "--", "true"},
           {"--watch", "--min-valid", "1s"},
           {"--watch", "--refresh"},
           {"--watch", "--wait", "1"},
           {"--watch", "--rejected", "eyJx"},
           {"--refresh", "--rejected", "eyJx"},
           {"--header", "--env"},
           {"--", "true"},
           {"true"},
           {"--rejected", ""},
           {"--rejected", "two words"},
       }) {
    CAPTURE(args.size());
    CAPTURE(args[0]);
    CHECK(Parse(args) == kUsage);
  }
}

TEST_CASE("cli options: --rejected keeps its token") {
  CliOptions o;
  CHECK(Parse({"--rejected=eyJa.b+c", "--json"}, &o) == -1);
  CHECK(o.rejected_given);
  CHECK(o.rejected == "eyJa.b+c");
  CHECK(o.format == Format::kJson);
}
