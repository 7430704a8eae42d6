#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "catalog/base/result.h"
#include "runtime/plan/plan_graph.h"
#include "runtime/scheduler/job.h"
#include "runtime/scheduler/job_events.h"
#include "runtime/scheduler/restart_strategy.h"
#include "runtime/scheduler/restore_planner.h"

namespace sluice::runtime::scheduler {

/// How to supervise a job.
struct SupervisorOptions {
  /// For every attempt. `listener` is replaced by the supervisor's (events go to `listener`
  /// below); `restore_from`, `local_state` and `job_id` are decided by the supervisor, except
  /// that a `job_id` given here is the first attempt's (a server resuming a job keeps its id).
  JobOptions job;
  /// What the first attempt restores from; restarts continue from the run's own checkpoints.
  RestoreRequest restore;
  /// The compatibility check a restore passes (compiler::check::MakeRestoreGate).
  RestoreGate gate;
  /// Receives every event, on any thread.
  JobListener listener;
  /// Operators whose state is computed from the sources' history rather than restored
  /// (`--backfill`, scheduler/backfill.h): before the first attempt a replay runs up to the
  /// restored snapshot's source positions; every attempt that starts from that snapshot
  /// restores these operators from the replay's state. Needs a snapshot to restore from.
  std::vector<std::string> backfill;
  /// Called on the supervisor's thread when an attempt finished (not stopped or failed),
  /// before the job is released; an error fails the job (e.g. `--savepoint-at-end`).
  std::function<base::Status(Job& job)> on_finished;
};

/// How a supervised job ended.
struct JobOutcome {
  JobState state = JobState::kFinished;  // kFinished, kStopped or kFailed
  /// The failure (kFailed): the last attempt's error, a refused restore (kIncompatible, or why
  /// the named snapshot is unreadable), or why no attempt could be built.
  base::Status status;
  /// Failed before any attempt ran: a bad request (refused restore, bad option) rather than a
  /// job that failed while running.
  bool never_ran = false;
  /// The restore was refused (the named snapshot unreadable, or incompatible state).
  bool restore_refused = false;
  std::string savepoint;  // the stop's savepoint, when stopped with one
  JobProgress progress;   // the last attempt's counters
  double seconds = 0;     // from Run to the end
};

/// Owns the life of one job (DESIGN §12): decides what to restore from (RestoreRequest and the
/// gate), builds and runs attempts, restarts after failures as `restart-strategy.*` allows —
/// from the run's latest completed checkpoint, before its first from the snapshot it started
/// from — and stops it on request (at once, or with a savepoint that the sinks commit). It
/// reports every step as a JobEvent and prints nothing: `sluice run`, the REPL and `sluice
/// serve` are front ends over it.
///
///   CREATED → RESTORING → RUNNING → FINISHED
///                ↑           ├─ failure → RESTARTING → RESTORING …  (or FAILED)
///                            └─ Cancel / StopWithSavepoint → STOPPING → STOPPED
class JobSupervisor {
 public:
  /// Validates what can be checked before running (the restart strategy's options).
  static base::Result<std::unique_ptr<JobSupervisor>> Create(const plan::PlanGraph& plan,
                                                             SupervisorOptions options);
  ~JobSupervisor();
  JobSupervisor(const JobSupervisor&) = delete;
  JobSupervisor& operator=(const JobSupervisor&) = delete;

  /// Runs the job to its end on the calling thread; call once.
  JobOutcome Run();

  /// Stops the job as soon as possible, without a savepoint (also while it restores or waits
  /// to restart); Run then returns STOPPED. Any thread; idempotent.
  void Cancel();
  /// Stops the job with a savepoint (Job::StopWithSavepoint): returns its path once the sinks
  /// have committed everything up to it; Run then returns STOPPED. When the savepoint fails
  /// the job goes on and the error is returned. Any thread.
  base::Result<std::string> StopWithSavepoint(const std::string& directory = {},
                                              bool native_if_rocksdb = false);
  /// Takes a savepoint while the job goes on; returns its path. Any thread.
  /// `native_if_rocksdb`: see CheckpointCoordinator::TakeSavepoint.
  base::Result<std::string> TriggerSavepoint(const std::string& directory = {},
                                             bool native_if_rocksdb = false);
  /// Job::TakeHandoverCheckpoint of the running attempt (a job run in shadow). Any thread.
  base::Result<std::string> TakeHandoverCheckpoint();
  /// Job::TakeCheckpoint of the running attempt. Any thread.
  base::Result<std::string> TakeCheckpoint();

  JobState state() const;
  const plan::PlanGraph& plan() const { return plan_; }
  /// The run's job id: the first attempt's, kept by every restart (empty before it is built).
  std::string job_id() const;
  /// Restarts so far, and the error that caused the latest one (empty when none).
  int32_t restarts() const;
  std::string last_failure() const;
  /// The running attempt's counters, or the last attempt's once it ended; nullopt before any.
  std::optional<JobProgress> progress() const;
  std::optional<JobMetrics> metrics() const;
  /// The latest checkpoint this run completed (any attempt), or empty.
  std::string LatestCheckpointDirectory() const;
  /// `state.savepoints.dir`: where a savepoint goes when no directory is given (empty: none).
  std::string savepoint_directory() const;
  /// Whether the job takes periodic checkpoints (`execution.checkpointing.interval`).
  bool checkpointing() const;

 private:
  JobSupervisor(const plan::PlanGraph& plan, SupervisorOptions options, RestartStrategy strategy);
  void SetState(JobState state);
  void Emit(JobEvent::Kind kind, std::string text);
  /// The attempt now running, shared so that a caller on another thread keeps it alive while
  /// it uses it; null between attempts.
  std::shared_ptr<Job> CurrentJob() const;
  /// Releases the attempt once no other thread uses it (its directory lock goes with it).
  void ReleaseJob();
  /// Runs the replay of a backfill (SupervisorOptions::backfill) up to `snapshot` into a new
  /// directory under the job's checkpoint directory (`*directory`, to remove when the run
  /// ends) and returns its savepoint; reports what it replayed. Errors: a bad request
  /// (kOption: an operator that cannot be backfilled) or a failed replay.
  base::Result<state::Snapshot> Backfill(const state::Snapshot& snapshot, std::string* directory);
  /// Waits `millis` or until Cancel; false when cancelled.
  bool WaitToRestart(int64_t millis);

  plan::PlanGraph plan_;
  SupervisorOptions options_;
  RestartStrategy strategy_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  JobState state_ = JobState::kCreated;
  std::shared_ptr<Job> job_;
  std::string job_id_;
  int32_t restarts_ = 0;
  std::string last_failure_;
  std::optional<JobProgress> last_progress_;
  std::optional<JobMetrics> last_metrics_;
  std::string latest_checkpoint_;
  bool cancelled_ = false;
  std::string stop_savepoint_;  // the stop's savepoint once written
  int64_t started_millis_ = 0;  // when the current attempt started
};

}  // namespace sluice::runtime::scheduler
