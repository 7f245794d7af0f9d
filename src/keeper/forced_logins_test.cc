#include "keeper/forced_logins.h"

#include "test_util.h"

using namespace tokend;
using namespace std::chrono_literals;

TEST_CASE("forced logins: the first starts at once, the next after the spacing") {
  ForcedLogins f;
  CHECK_FALSE(f.DueAt());
  f.Request(MonoTime{10s});
  CHECK(*f.DueAt() == MonoTime{10s});
  f.LoginStarted(MonoTime{10s});
  CHECK_FALSE(f.pending());
  f.Request(MonoTime{12s});
  CHECK(*f.DueAt() == MonoTime{15s});
  f.Request(MonoTime{13s});  // joins the waiting one
  CHECK(*f.DueAt() == MonoTime{15s});
  f.LoginStarted(MonoTime{15s});
  f.Request(MonoTime{30s});  // long after: at once
  CHECK(*f.DueAt() == MonoTime{30s});
}

TEST_CASE("forced logins: a rejected report skips the spacing once per generation") {
  ForcedLogins f;
  f.Request(MonoTime{10s});
  f.LoginStarted(MonoTime{10s});
  f.ReportRejected(MonoTime{11s}, 4);
  CHECK(*f.DueAt() == MonoTime{11s});
  f.LoginStarted(MonoTime{11s});
  f.ReportRejected(MonoTime{12s}, 4);  // the same generation again: spaced
  CHECK(*f.DueAt() == MonoTime{16s});
  f.LoginStarted(MonoTime{16s});
  f.ReportRejected(MonoTime{17s}, 5);  // a new generation: at once
  CHECK(*f.DueAt() == MonoTime{17s});
}

TEST_CASE("forced logins: a login started while nobody waits does not count") {
  ForcedLogins f;
  f.LoginStarted(MonoTime{10s});  // a scheduled one
  f.Request(MonoTime{11s});
  CHECK(*f.DueAt() == MonoTime{11s});
}
