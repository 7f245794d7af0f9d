// Answers that take a blocking call to find (a DNS lookup, a user's groups
// from NSS), kept for event loops that must never block: Get only reads the
// last answer; a thread of this object makes the calls, when a key is first
// asked for, again once its answer is `refresh` old and still in use, soon
// after Stale(), and at most every `retry` while a key has never had a good
// answer. A key keeps its last good answer while later calls fail; a key not
// asked for during `forget` is dropped. The thread is started by the first
// call needed after Start, so a user that never needs one costs no thread.
// Without Start, RunDue makes the calls (tests drive it with a fake clock).
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
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
  /// loops waiting for a kPending key wake up with it).
  BackgroundLookups(const Clock* clock, LookupTiming timing, LookupFunction lookup,
                    std::function<void()> on_answer)
      : clock_(clock),
        timing_(timing),
        lookup_(std::move(lookup)),
        on_answer_(std::move(on_answer)) {}
  ~BackgroundLookups() { Stop(); }
  BackgroundLookups(const BackgroundLookups&) = delete;
  BackgroundLookups& operator=(const BackgroundLookups&) = delete;

  /// Never blocks. kPending: a call is under way and `on_answer` will run.
  Answer Get(const Key& key) {
    MonoTime now = clock_->Now();
    bool wake = false;
    Answer answer;
    {
      std::lock_guard lock(mu_);
      auto [it, added] = entries_.try_emplace(key);
      Entry& e = it->second;
      e.used = now;
      wake = added;
      if (e.answered && !e.due) {
        MonoDuration age = now - *e.answered;
        if (age >= (e.value ? timing_.refresh : timing_.retry)) e.due = wake = true;
      }
      if (e.value) {
        answer = Answer{State::kReady, *e.value, ""};
      } else if (e.answered && !e.due) {
        answer = Answer{State::kFailed, Value{}, e.error};
      }  // else kPending: the first call, or a retry of a failed one, is under way
      if (wake) SpawnIfAllowed();
    }
    if (wake) wake_.notify_one();
    return answer;
  }

  /// The answer for `key` may be out of date (a connect to that address
  /// failed): call again, unless the last call was less than `retry` ago.
  void Stale(const Key& key) {
    MonoTime now = clock_->Now();
    {
      std::lock_guard lock(mu_);
      auto it = entries_.find(key);
      if (it == entries_.end() || it->second.due || !it->second.answered ||
          now - *it->second.answered < timing_.retry)
        return;
      it->second.due = true;
      SpawnIfAllowed();
    }
    wake_.notify_one();
  }

  /// Makes the calls that are due; returns whether there were any.
  bool RunDue() {
    std::vector<Key> due;
    {
      std::lock_guard lock(mu_);
      MonoTime now = clock_->Now();
      for (auto it = entries_.begin(); it != entries_.end();) {
        if (!it->second.due && now - it->second.used >= timing_.forget) {
          it = entries_.erase(it);
          continue;
        }
        if (it->second.due) due.push_back(it->first);
        ++it;
      }
    }
    for (const Key& key : due) {
      Result<Value> found = lookup_(key);  // may block: no lock held
      std::lock_guard lock(mu_);
      auto it = entries_.find(key);
      if (it == entries_.end()) continue;
      Entry& e = it->second;
      e.due = false;
      e.answered = clock_->Now();
      if (found) {
        e.value = std::move(*found);
        e.error.clear();
      } else {
        e.error = found.error();  // a good earlier answer stays in use
      }
    }
    return !due.empty();
  }

  /// Lets the thread run from the first call needed on (at once if one is).
  void Start() {
    std::lock_guard lock(mu_);
    allowed_ = true;
    stopping_ = false;
    if (AnyDue()) SpawnIfAllowed();
  }

  /// Whether the thread was ever needed.
  bool thread_started() const {
    std::lock_guard lock(mu_);
    return thread_.joinable();
  }

  void Stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      allowed_ = false;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  struct Entry {
    std::optional<Value> value;        // the last good answer
    std::string error;                 // the last failure
    std::optional<MonoTime> answered;  // when the last call ended
    MonoTime used;                     // when Get last asked
    bool due = true;                   // to be called by the next round
  };

  void SpawnIfAllowed() {  // under mu_
    if (allowed_ && !stopping_ && !thread_.joinable()) thread_ = std::thread([this] { Loop(); });
  }

  bool AnyDue() const {
    for (const auto& [key, e] : entries_) {
      if (e.due) return true;
    }
    return false;
  }

  void Loop() {
    for (;;) {
      {
        std::unique_lock lock(mu_);
        wake_.wait(lock, [this] { return stopping_ || AnyDue(); });
        if (stopping_) return;
      }
      if (RunDue() && on_answer_) on_answer_();
    }
  }

  const Clock* clock_;
  LookupTiming timing_;
  LookupFunction lookup_;
  std::function<void()> on_answer_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::map<Key, Entry> entries_;  // guarded by mu_
  bool allowed_ = false;          // guarded by mu_: Start was called
  bool stopping_ = false;         // guarded by mu_
  std::thread thread_;            // guarded by mu_ (joined outside it, by Stop)
};

}  // namespace tokend
