// Answers that take a blocking call to find (a DNS lookup, a user's groups
// from NSS), kept for event loops that must never block: Get only reads the
// last answer; a thread of this object makes the calls, when a key is first
// asked for, again once its answer is `refresh` old and still in use, soon
// after Stale(), and at most every `retry` while a key has never had a good
// answer. A key keeps its last good answer while later calls fail; a key not
// asked for during `forget` is dropped. The thread is started by the first
// call needed after Start, so a user that never needs one costs no thread.
// Without Start, RunDue makes the calls (tests drive it with a fake clock).
//
// Stop never waits for a call in progress (getaddrinfo may take half a
// minute): the thread is let go and ends when its call returns, holding only
// state shared with it; `on_answer` is never run once Stop has returned.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/log.h"
#include "base/status.h"

namespace tokend {

struct LookupTiming {
  MonoDuration refresh;  // an answer in use is looked up again when this old
  MonoDuration retry;    // a key without a good answer is tried again this often
  MonoDuration forget;   // a key not asked for this long is dropped
};

template <typename Key, typename Value>
class BackgroundLookups {
 public:
  using LookupFunction = std::function<Result<Value>(const Key&)>;
  enum class State { kReady, kPending, kFailed };
  struct Answer {
    State state = State::kPending;
    Value value{};      // kReady
    std::string error;  // kFailed: the last call's error
  };

  /// `on_answer` runs on the lookup thread after each round of calls (event
  /// loops waiting for a kPending key wake up with it). `clock` must outlive
  /// any call in progress (the process's clock does).
  BackgroundLookups(const Clock* clock, LookupTiming timing, LookupFunction lookup,
                    std::function<void()> on_answer)
      : s_(std::make_shared<Shared>(clock, timing, std::move(lookup), std::move(on_answer))) {}
  ~BackgroundLookups() { Stop(); }
  BackgroundLookups(const BackgroundLookups&) = delete;
  BackgroundLookups& operator=(const BackgroundLookups&) = delete;

  /// Never blocks. kPending: a call is under way and `on_answer` will run.
  Answer Get(const Key& key) {
    Shared& s = *s_;
    MonoTime now = s.clock->Now();
    bool wake = false;
    Answer answer;
    {
      std::lock_guard lock(s.mu);
      auto [it, added] = s.entries.try_emplace(key);
      Entry& e = it->second;
      e.used = now;
      wake = added;
      if (e.answered && !e.due) {
        MonoDuration age = now - *e.answered;
        if (age >= (e.value ? s.timing.refresh : s.timing.retry)) e.due = wake = true;
      }
      if (e.value) {
        answer = Answer{State::kReady, *e.value, ""};
      } else if (e.answered && !e.due) {
        answer = Answer{State::kFailed, Value{}, e.error};
      }  // else kPending: the first call, or a retry of a failed one, is under way
      if (wake) SpawnIfAllowed();
    }
    if (wake) s.wake.notify_one();
    return answer;
  }

  /// The answer for `key` may be out of date (a connect to that address
  /// failed): call again, unless the last call was less than `retry` ago.
  void Stale(const Key& key) {
    Shared& s = *s_;
    MonoTime now = s.clock->Now();
    {
      std::lock_guard lock(s.mu);
      auto it = s.entries.find(key);
      if (it == s.entries.end() || it->second.due || !it->second.answered ||
          now - *it->second.answered < s.timing.retry)
        return;
      it->second.due = true;
      SpawnIfAllowed();
    }
    s.wake.notify_one();
  }

  /// Makes the calls that are due; returns whether there were any.
  bool RunDue() { return RunDue(*s_); }

  /// Lets the thread run from the first call needed on (at once if one is).
  void Start() {
    std::lock_guard lock(s_->mu);
    s_->allowed = true;
    if (AnyDue(*s_)) SpawnIfAllowed();
  }

  /// Whether the thread was ever needed.
  bool thread_started() const {
    std::lock_guard lock(s_->mu);
    return s_->spawned;
  }

  void Stop() {
    Shared& s = *s_;
    {
      std::lock_guard lock(s.mu);
      if (!s.allowed && !s.spawned) return;
      s.allowed = false;
      s.stopping = true;
    }
    s.wake.notify_all();
    // A callback under way ends before Stop returns; none starts after it.
    std::lock_guard callbacks(s.callback_mu);
  }

 private:
  struct Entry {
    std::optional<Value> value;        // the last good answer
    std::string error;                 // the last failure
    std::optional<MonoTime> answered;  // when the last call ended
    MonoTime used;                     // when Get last asked
    bool due = true;                   // to be called by the next round
  };

  // What the lookup thread may touch: it owns a reference, so this outlives
  // the object when a call is still in progress at Stop.
  struct Shared {
    Shared(const Clock* c, LookupTiming t, LookupFunction l, std::function<void()> a)
        : clock(c), timing(t), lookup(std::move(l)), on_answer(std::move(a)) {}
    const Clock* clock;
    LookupTiming timing;
    LookupFunction lookup;
    std::function<void()> on_answer;  // run under callback_mu, never after stopping
    std::mutex mu;
    std::condition_variable wake;
    std::map<Key, Entry> entries;  // guarded by mu
    bool allowed = false;          // guarded by mu: Start was called, Stop was not
    bool stopping = false;         // guarded by mu
    bool spawned = false;          // guarded by mu
    std::mutex callback_mu;
  };

  static bool AnyDue(const Shared& s) {  // under s.mu
    for (const auto& [key, e] : s.entries) {
      if (e.due) return true;
    }
    return false;
  }

  static bool RunDue(Shared& s) {
    std::vector<Key> due;
    {
      std::lock_guard lock(s.mu);
      MonoTime now = s.clock->Now();
      for (auto it = s.entries.begin(); it != s.entries.end();) {
        if (!it->second.due && now - it->second.used >= s.timing.forget) {
          it = s.entries.erase(it);
          continue;
        }
        if (it->second.due) due.push_back(it->first);
        ++it;
      }
    }
    for (const Key& key : due) {
      Result<Value> found = s.lookup(key);  // may block: no lock held
      std::lock_guard lock(s.mu);
      if (s.stopping) return true;
      auto it = s.entries.find(key);
      if (it == s.entries.end()) continue;
      Entry& e = it->second;
      e.due = false;
      e.answered = s.clock->Now();
      if (found) {
        e.value = std::move(*found);
        e.error.clear();
      } else {
        e.error = found.error();  // a good earlier answer stays in use
      }
    }
    return !due.empty();
  }

  static void Loop(std::shared_ptr<Shared> shared) {
    Shared& s = *shared;
    for (;;) {
      {
        std::unique_lock lock(s.mu);
        s.wake.wait(lock, [&] { return s.stopping || AnyDue(s); });
        if (s.stopping) return;
      }
      if (!RunDue(s) || !s.on_answer) continue;
      std::lock_guard callbacks(s.callback_mu);
      {
        std::lock_guard lock(s.mu);
        if (s.stopping) return;
      }
      s.on_answer();
    }
  }

  void SpawnIfAllowed() {  // under s_->mu
    Shared& s = *s_;
    if (!s.allowed || s.spawned) return;
    try {
      std::thread(Loop, s_).detach();
      s.spawned = true;
    } catch (const std::system_error& e) {
      // Tried again at the next key that needs a call; meanwhile those wait.
      LogError(std::string("cannot start a lookup thread: ") + e.what());
    }
  }

  std::shared_ptr<Shared> s_;
};

}  // namespace tokend
