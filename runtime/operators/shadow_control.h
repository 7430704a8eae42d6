#pragma once

// A job run in shadow beside the running version of itself (`sluice upgrade`, DESIGN §12).
//
// The new version of a job starts from a savepoint of the old one while the old one goes on,
// and catches up with it: its sources are held at the old version's positions (they never
// read past what the old version has read), and its sinks write nothing. At the cut the old
// version stops with a savepoint; the new one is held at exactly that savepoint's positions,
// takes a checkpoint of kind BarrierKind::kHandover there — at whose barrier each sink starts
// owning its output — and is released. Whoever runs the upgrade drives it through this object,
// shared by every attempt of the new job (a restart re-applies the holds; after the handover
// the job is an ordinary one).

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace sluice::runtime::operators {

class ShadowControl {
 public:
  /// What a source subtask is told: hold at `positions` (every split of its source, as a
  /// checkpoint records them in SnapshotMetadata::source_offsets) or read freely (`released`).
  struct Holds {
    int64_t version = 0;
    bool released = false;
    std::vector<std::string> positions;
  };

  /// Holds every source at the positions of `offsets` (per source UID; a source it does not
  /// name is held where it is). Positions only ever move forward.
  void Hold(std::map<std::string, std::vector<std::string>> offsets) {
    std::lock_guard<std::mutex> lock(mutex_);
    offsets_ = std::move(offsets);
    released_ = false;
    held_.clear();
    version_.fetch_add(1, std::memory_order_release);
  }
  /// Lets every source read on (the cut is behind it).
  void Release() {
    std::lock_guard<std::mutex> lock(mutex_);
    released_ = true;
    held_.clear();
    version_.fetch_add(1, std::memory_order_release);
  }
  /// Changes whenever Hold or Release is called: a source subtask asks HoldsOf only then.
  int64_t version() const { return version_.load(std::memory_order_acquire); }
  Holds HoldsOf(const std::string& uid) const {
    std::lock_guard<std::mutex> lock(mutex_);
    Holds holds;
    holds.version = version_.load(std::memory_order_acquire);
    holds.released = released_;
    if (auto found = offsets_.find(uid); found != offsets_.end()) holds.positions = found->second;
    return holds;
  }

  /// A new attempt of the job is being built: what the last one reported is void.
  void NewAttempt() {
    std::lock_guard<std::mutex> lock(mutex_);
    sources_.clear();
    held_.clear();
    finished_.clear();
    attempts_.fetch_add(1, std::memory_order_relaxed);
  }
  /// Attempts built so far (more than one: the job restarted).
  int32_t attempts() const { return attempts_.load(std::memory_order_relaxed); }
  /// The job registers each source subtask once per attempt, before it runs.
  void ExpectSource(const std::string& uid, int32_t subtask) {
    std::lock_guard<std::mutex> lock(mutex_);
    sources_.insert({uid, subtask});
  }
  /// A source subtask has read everything up to the holds of `version` (or has not).
  void ReportHeld(const std::string& uid, int32_t subtask, int64_t version, bool held) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (version != version_.load(std::memory_order_acquire)) return;
    if (held) {
      held_.insert({uid, subtask});
    } else {
      held_.erase({uid, subtask});
    }
  }
  /// A source subtask has read all of its splits (it ended where the running version's had).
  void ReportFinished(const std::string& uid, int32_t subtask) {
    std::lock_guard<std::mutex> lock(mutex_);
    finished_.insert({uid, subtask});
  }
  /// Whether every source subtask has read up to the current holds.
  bool AllHeld() const {
    std::lock_guard<std::mutex> lock(mutex_);
    if (released_ || sources_.empty()) return false;
    for (const auto& source : sources_) {
      if (!held_.count(source) && !finished_.count(source)) return false;
    }
    return true;
  }

  /// Whether the handover checkpoint completed: from then on the job is an ordinary one (a
  /// restart restores its sinks as any job's, periodic checkpoints run).
  bool live() const { return live_.load(std::memory_order_acquire); }
  void SetLive() { live_.store(true, std::memory_order_release); }

  /// Rows the sinks dropped before the cut (what the old version wrote instead).
  void CountDiscarded(int64_t rows) { discarded_.fetch_add(rows, std::memory_order_relaxed); }
  int64_t discarded() const { return discarded_.load(std::memory_order_relaxed); }

 private:
  mutable std::mutex mutex_;
  std::atomic<int64_t> version_{0};
  std::map<std::string, std::vector<std::string>> offsets_;
  bool released_ = false;
  std::set<std::pair<std::string, int32_t>> sources_;
  std::set<std::pair<std::string, int32_t>> held_;
  std::set<std::pair<std::string, int32_t>> finished_;
  std::atomic<int32_t> attempts_{0};
  std::atomic<bool> live_{false};
  std::atomic<int64_t> discarded_{0};
};

}  // namespace sluice::runtime::operators
