#include "base/background_lookups.h"

#include <atomic>
#include <chrono>
#include <thread>

#include "test_util.h"

using namespace tokend;
using namespace tokend::testing;
using namespace std::chrono_literals;

namespace {

constexpr LookupTiming kTiming{30s, 1s, 10min};
using Lookups = BackgroundLookups<int, std::string>;

// A scripted source: what it answers now (empty: fails), and how often it was asked.
struct Source {
  std::string answer = "first";
  int calls = 0;
  Lookups::LookupFunction Function() {
    return [this](const int&) -> Result<std::string> {
      ++calls;
      if (answer.empty()) return Error{"unavailable"};
      return answer;
    };
  }
};

}  // namespace

TEST_CASE("background lookups: pending until the first call, then the answer, one call") {
  FakeClock clock;
  Source source;
  Lookups l(&clock, kTiming, source.Function(), nullptr);
  CHECK(l.Get(1).state == Lookups::State::kPending);
  CHECK(l.Get(1).state == Lookups::State::kPending);
  CHECK(l.RunDue());
  CHECK(source.calls == 1);
  auto a = l.Get(1);
  CHECK(a.state == Lookups::State::kReady);
  CHECK(a.value == "first");
  CHECK_FALSE(l.RunDue());
}

TEST_CASE("background lookups: refreshed when old, the last good answer kept through failures") {
  FakeClock clock;
  Source source;
  Lookups l(&clock, kTiming, source.Function(), nullptr);
  l.Get(1);
  l.RunDue();
  clock.Advance(30s);
  source.answer = "second";
  CHECK(l.Get(1).value == "first");  // served while the refresh is under way
  CHECK(l.RunDue());
  CHECK(l.Get(1).value == "second");
  clock.Advance(30s);
  source.answer.clear();
  l.Get(1);
  l.RunDue();
  CHECK(l.Get(1).state == Lookups::State::kReady);
  CHECK(l.Get(1).value == "second");
}

TEST_CASE("background lookups: a failing key is retried at most every `retry`; Stale likewise") {
  FakeClock clock;
  Source source;
  source.answer.clear();
  Lookups l(&clock, kTiming, source.Function(), nullptr);
  l.Get(7);
  l.RunDue();
  auto failed = l.Get(7);
  CHECK(failed.state == Lookups::State::kFailed);
  CHECK(failed.error == "unavailable");
  CHECK_FALSE(l.RunDue());
  clock.Advance(1s);
  source.answer = "back";
  CHECK(l.Get(7).state == Lookups::State::kPending);
  l.RunDue();
  CHECK(l.Get(7).value == "back");
  int calls = source.calls;
  l.Stale(7);
  CHECK_FALSE(l.RunDue());  // just answered
  clock.Advance(1s);
  l.Stale(7);
  CHECK(l.RunDue());
  CHECK(source.calls == calls + 1);
}

TEST_CASE("background lookups: keys not asked for are forgotten") {
  FakeClock clock;
  Source source;
  Lookups l(&clock, kTiming, source.Function(), nullptr);
  l.Get(1);
  l.RunDue();
  clock.Advance(10min);
  l.RunDue();
  CHECK(l.Get(1).state == Lookups::State::kPending);
}

TEST_CASE("background lookups: the thread starts when first needed, calls, tells; Stop joins it") {
  RealClock clock;
  Source source;
  std::atomic<int> told{0};
  Lookups l(&clock, kTiming, source.Function(), [&] { ++told; });
  l.Start();
  CHECK_FALSE(l.thread_started());  // nothing asked for yet: no thread
  CHECK(l.Get(1).state == Lookups::State::kPending);
  CHECK(l.thread_started());
  for (int i = 0; i < 2000 && told.load() == 0; ++i) std::this_thread::sleep_for(1ms);
  CHECK(told.load() == 1);
  CHECK(l.Get(1).state == Lookups::State::kReady);
  l.Stop();
}
