#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "catalog/base/result.h"
#include "runtime/operators/operator.h"
#include "runtime/plan/plan_graph.h"
#include "runtime/scheduler/job_events.h"
#include "runtime/state/state_backend.h"

namespace sluice::runtime::scheduler {

class Job;

/// What one subtask hands to the coordinator for a checkpoint: its part of the snapshot.
struct SubtaskSnapshot {
  int32_t runner = 0;   // index of the subtask's runner in the job
  int32_t subtask = 0;  // index of the subtask in its vertex
  /// The chain's keyed state, captured at the barrier (StateBackend::Capture); null when its
  /// operators have none.
  std::unique_ptr<state::StateBackend> state;
  /// (uid, position) of the chain's source, if it has one.
  std::vector<std::pair<std::string, std::string>> source_positions;
  /// (uid, transaction) of each sink of the chain that pre-committed something.
  std::vector<std::pair<std::string, std::string>> transactions;
  /// A failed capture or pre-commit fails the checkpoint, not the job.
  base::Status status;
  /// How long the subtask held channels back to align the barriers (0 with one input).
  int64_t alignment_millis = 0;
};

/// How a job takes checkpoints and savepoints (DESIGN §7), from its options.
struct CheckpointSettings {
  /// `execution.checkpointing.interval`; 0: no periodic checkpoints (and no exactly-once sinks).
  int64_t interval_millis = 0;
  /// `<state.checkpoints.dir>/<job name>`: holds `chk-<n>/` (and `shared/`).
  std::string job_directory;
  /// `state.checkpoints.num-retained`: completed checkpoints kept.
  int32_t retained = 3;
  /// `state.savepoints.dir`: where savepoints go; empty: only to an explicit directory.
  std::string savepoint_directory;
  /// `state.savepoints.format`: canonical (portable) or native (rocksdb files).
  std::string savepoint_format = "canonical";
  /// `state.backend.local-recovery`: keep each subtask's captured state of the latest
  /// completed checkpoint, so that a restart in this process resumes from it without reading
  /// the checkpoint directory (task-local recovery).
  bool local_recovery = false;
};

/// The local copies of one completed checkpoint's state: per runner, the captured backend.
struct LocalState {
  std::string checkpoint_id;  // "chk-<n>": the _metadata id it belongs to
  std::map<int32_t, std::unique_ptr<state::StateBackend>> backends;
};

/// `job_name` as one file name: path separators and spaces become '_' ("job" when empty).
std::string JobFileName(const std::string& job_name);

/// Where the checkpoints of `plan`'s job go: `<dir>/<job name>`, where `dir` is
/// `override_directory` (`--checkpoint-dir`), else `state.checkpoints.dir`, else
/// `<tmp>/sluice/checkpoints`.
std::string CheckpointJobDirectory(const plan::PlanGraph& plan,
                                   const std::string& override_directory);
/// The completed checkpoints (`chk-<n>` with a `_metadata`) under `job_directory`, newest
/// first; not verified (ReadSnapshot does that).
std::vector<std::string> CompletedCheckpoints(const std::string& job_directory);

/// Drives the checkpoints of one job: every `interval_millis` it starts one by asking each
/// source subtask to emit a barrier (SubtaskRunner::RequestBarrier); every subtask
/// acknowledges with its SubtaskSnapshot once the barrier has passed it (after alignment at
/// multi-input subtasks) or once it has finished. When all have, the coordinator's own thread
/// writes the state files and then `_metadata` atomically under `chk-<n>` (the asynchronous
/// part), deletes checkpoints beyond `retained`, and tells every subtask that checkpoint n is
/// complete (sinks commit). One checkpoint or savepoint is in flight at a time. A failed
/// checkpoint is removed and reported; the last completed one stays and the job goes on.
class CheckpointCoordinator {
 public:
  CheckpointCoordinator(Job* job, CheckpointSettings settings, int32_t runners);
  ~CheckpointCoordinator();
  CheckpointCoordinator(const CheckpointCoordinator&) = delete;
  CheckpointCoordinator& operator=(const CheckpointCoordinator&) = delete;

  /// Removes incomplete `chk-<n>` directories left by a crashed run and numbers the next
  /// checkpoint after every existing one. Call before Start.
  base::Status Prepare();
  /// Starts the thread that triggers periodic checkpoints and finishes them.
  void Start();
  /// Stops the thread; a checkpoint in flight is abandoned (its directory removed).
  void Stop();

  /// The checkpoint in flight, or 0. A subtask that finishes while one is in flight and has
  /// not acknowledged it yet does so at once (SubtaskRunner::FinishChain).
  int64_t in_flight() const { return in_flight_.load(); }
  /// What the barrier of `checkpoint` asks for (it is the one in flight while subtasks see it).
  operators::BarrierKind KindOf(int64_t checkpoint) const {
    return in_flight_.load() == checkpoint ? in_flight_kind_.load()
                                           : operators::BarrierKind::kCheckpoint;
  }
  /// Called by subtasks, on any thread, once per checkpoint each.
  void Acknowledge(int64_t checkpoint, SubtaskSnapshot snapshot);

  /// Takes a savepoint into a new directory under `directory` (empty: under
  /// `state.savepoints.dir`), waiting until it is written; returns its path. With
  /// `kStopWithSavepoint` the sources stop at its barrier, the sinks are told to commit once
  /// it is written, and no checkpoint follows it (Job::StopWithSavepoint).
  /// With `kCheckpoint` it is a checkpoint taken now (`chk-<n>` in the job's directory,
  /// `directory` ignored); with `kHandover` one whose barrier hands the sinks of a job in
  /// shadow their output.
  /// `native_if_rocksdb` writes it in the native format (RocksDB checkpoints by hard links:
  /// flat in the state's size) when the state lives in RocksDB, whatever
  /// `state.savepoints.format` says: for a handover to the next version of the job on this
  /// machine, which restores from it at once.
  base::Result<std::string> TakeSavepoint(
      const std::string& directory,
      operators::BarrierKind kind = operators::BarrierKind::kSavepoint,
      bool native_if_rocksdb = false);
  /// After every subtask has finished: a last checkpoint, so that the sinks commit what they
  /// wrote since the previous one and a later `--resume` finds the job complete. Stops the
  /// thread first.
  base::Status FinalCheckpoint();

  /// Receives a kCheckpoint event per completed or failed checkpoint and savepoint, and
  /// warnings. Set before Start.
  void set_listener(JobListener listener) { listener_ = std::move(listener); }
  /// A job in shadow takes no periodic checkpoint until `shadow` is live (its handover
  /// checkpoint, TakeSavepoint with kHandover, is its first). Set before Start.
  void set_shadow(const operators::ShadowControl* shadow) { shadow_ = shadow; }
  /// The latest checkpoints and savepoints (completed or failed), oldest first.
  std::vector<CheckpointStats> History() const;

  /// The number of checkpoints completed so far (for tests and progress lines).
  int64_t completed() const { return completed_.load(); }
  /// The number of checkpoints and savepoints that failed so far.
  int64_t failed() const { return failed_.load(); }
  /// The number n of the latest completed checkpoint `chk-<n>`, or 0.
  int64_t last_completed() const { return last_completed_.load(); }
  /// The local copies of the latest completed checkpoint (with local recovery), once the
  /// coordinator has stopped; null when there are none.
  std::unique_ptr<LocalState> TakeLocalState();

 private:
  using Kind = operators::BarrierKind;
  struct Pending {
    int64_t id = 0;
    Kind kind = Kind::kCheckpoint;
    std::string directory;           // where it is written
    bool native_if_rocksdb = false;  // a savepoint in the native format if it can be
    int64_t triggered_millis = 0;
    std::vector<SubtaskSnapshot> acks;
  };
  static constexpr size_t kHistoryLength = 50;
  struct SavepointRequest {
    std::string parent;  // directory to create it under
    Kind kind = Kind::kSavepoint;
    bool native_if_rocksdb = false;
    bool triggered = false;
    int64_t id = 0;  // once triggered
    bool done = false;
    base::Result<std::string> result = std::string();
  };

  void Loop();
  /// Starts checkpoint `pending_` (mutex held by the caller is released while subtasks are
  /// asked to emit barriers).
  void Trigger(std::unique_lock<std::mutex>& lock, Kind kind, const std::string& directory,
               bool native_if_rocksdb = false);
  /// Writes the acknowledged checkpoint; returns its directory or the error.
  /// `state_bytes` gets the bytes of state per operator UID.
  base::Result<std::string> Write(Pending& pending, std::map<std::string, int64_t>* state_bytes);
  /// Writes, retains and notifies; called without the mutex once every subtask acknowledged.
  base::Result<std::string> Complete(Pending pending);
  void RemoveOldCheckpoints();
  /// Keeps `stats` in the history and tells the listener.
  void Record(const CheckpointStats& stats, std::string text);
  /// The bytes of the regular files under `directory`.
  static int64_t DirectorySize(const std::string& directory);
  /// Whether the job keeps its state in rocksdb (incremental checkpoints).
  bool RocksDbState() const;
  std::string SavepointDirectoryUnder(const std::string& parent, int64_t id) const;

  Job* job_;
  CheckpointSettings settings_;
  int32_t runners_;
  std::atomic<int64_t> in_flight_{0};
  std::atomic<Kind> in_flight_kind_{Kind::kCheckpoint};  // set before in_flight_
  std::atomic<int64_t> completed_{0};
  std::atomic<int64_t> failed_{0};
  JobListener listener_;
  const operators::ShadowControl* shadow_ = nullptr;
  mutable std::mutex history_mutex_;
  std::deque<CheckpointStats> history_;
  std::atomic<int64_t> last_completed_{0};
  int64_t next_id_ = 1;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::optional<Pending> pending_;
  SavepointRequest* savepoint_request_ = nullptr;  // waiting to be triggered or in flight
  bool stopping_ = false;
  bool stopped_with_savepoint_ = false;  // no checkpoint may follow a stop's savepoint
  std::thread thread_;
  std::unique_ptr<LocalState> local_state_;  // guarded by mutex_
};

}  // namespace sluice::runtime::scheduler
