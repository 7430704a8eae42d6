#pragma once

#include <tbb/task_arena.h>
#include <tbb/task_group.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "catalog/base/result.h"
#include "runtime/expr/chain_compiler.h"
#include "runtime/operators/aggregate/accumulator_compiler.h"
#include "runtime/operators/operator.h"
#include "runtime/plan/plan_graph.h"
#include "runtime/scheduler/checkpoint_coordinator.h"
#include "runtime/scheduler/engine_services.h"
#include "runtime/scheduler/job_events.h"
#include "runtime/scheduler/timer_service.h"
#include "runtime/state/snapshot.h"

namespace sluice::runtime::scheduler {

class SubtaskRunner;

/// How to run a job.
struct JobOptions {
  /// What the jobs of the process share (threads, timers, JIT); null: this job makes its own
  /// timer thread and sizes its arena by `threads`. Must outlive the job.
  EngineServices* services = nullptr;
  /// The JIT; null runs every chain in the interpreter (`--jit=off`), unless `services` has
  /// one (used when both compilers here are null).
  expr::ChainCompiler* chain_compiler = nullptr;
  /// The JIT's aggregate kernels; null interprets aggregations (`--jit=off`).
  operators::aggregate::AccumulatorCompiler* accumulator_compiler = nullptr;
  /// Adaptive execution (`--jit=adaptive`): chains start on the interpreter and switch to
  /// their compiled kernels once a background thread has compiled them, so the first rows
  /// never wait for LLVM. False: every chain is compiled before the job runs (`--jit=on`),
  /// unless the services' compiler is used and they say to (EngineServices::Options).
  bool compile_in_background = false;
  /// Worker threads of this job's arena; 0 = the services' budget, else one per core.
  int32_t threads = 0;
  /// Receives the job's checkpoint events and warnings (the runtime prints nothing).
  JobListener listener;
  /// Creates each source subtask's operator; empty = operators::CreateSourceOperator (tests
  /// inject sources whose timing they control).
  std::function<base::Result<std::unique_ptr<operators::SourceOperator>>(const plan::PlanNode&)>
      source_factory;
  /// Restore from this snapshot (verified, of this job; the caller checked compatibility):
  /// every operator's state is loaded before it opens — so before any source emits — sources
  /// continue from its offsets and sinks recover its transactions.
  const state::Snapshot* restore_from = nullptr;
  /// Backfill (scheduler/backfill.h): the operators `backfill_uids` load their state from
  /// `backfill_from` (what a replay of the sources' history computed, written by this plan's
  /// replay) instead of `restore_from`; sources, sinks and every other operator restore from
  /// `restore_from`. Ignored without `restore_from`.
  const state::Snapshot* backfill_from = nullptr;
  std::set<std::string> backfill_uids;
  /// Runs the job in shadow beside the running version of itself (`sluice upgrade`,
  /// operators/shadow_control.h): sources follow its holds, sinks write nothing and no periodic
  /// checkpoint is taken until TakeHandoverCheckpoint. Shared by every attempt of the job.
  std::shared_ptr<operators::ShadowControl> shadow;
  /// Where checkpoints go (`--checkpoint-dir`): overrides `state.checkpoints.dir`.
  std::string checkpoint_directory;
  /// A restart in the same process: the previous run's local copies of the checkpoint
  /// `restore_from` names (Job::TakeLocalState). Each subtask whose copy is there and intact
  /// adopts it as its state instead of reading the checkpoint's files; the others restore
  /// from `restore_from`.
  std::shared_ptr<LocalState> local_state;
  /// This run's job id (DESIGN §12): a resumed or restarted run passes the `job_id` of the
  /// checkpoint it continues, so that its sinks clear what the crashed run left behind; empty:
  /// a new id. Sinks scope their part files to it.
  std::string job_id;
};

/// A new job id: 8 random hex digits.
std::string NewJobId();
/// Whether `text` has the form of a job id: 1 to 32 lower-case hex digits.
bool IsJobId(const std::string& text);

/// A snapshot of a running job's counters.
struct JobProgress {
  int64_t rows_in = 0;                           // rows read by all sources
  int64_t rows_out = 0;                          // rows written by all sinks
  int64_t watermark = operators::kMinWatermark;  // the lowest watermark any sink has seen
  int64_t late_records_dropped = 0;              // by all window operators
  int64_t last_checkpoint = 0;                   // n of the latest completed chk-<n>, or 0
};

/// One operator's counters (OperatorMetrics: sources count rows in, sinks rows out, windows
/// late rows).
struct OperatorMetricsValues {
  std::string uid;
  plan::OperatorKind kind = plan::OperatorKind::kSource;
  int32_t parallelism = 1;
  int64_t rows_in = 0;
  int64_t rows_out = 0;
  int64_t watermark = operators::kMinWatermark;
  int64_t late_records_dropped = 0;
};

/// One vertex (a chain of operators) and its subtasks' counters.
struct VertexMetrics {
  std::vector<std::string> uids;  // the chain's operators, in order
  int32_t parallelism = 1;
  std::vector<SubtaskMetrics> subtasks;
};

/// Everything a running job counts, for the server's API, its page and `/metrics`.
struct JobMetrics {
  std::vector<OperatorMetricsValues> operators;
  std::vector<VertexMetrics> vertices;
  std::vector<CheckpointStats> checkpoints;  // the latest ones, oldest first
  int64_t completed_checkpoints = 0;
  int64_t failed_checkpoints = 0;
};

/// Runs a PlanGraph on a oneTBB task arena: one SubtaskRunner per vertex subtask, where a
/// vertex is a chain of operators connected by forward edges at equal parallelism.
class Job {
 public:
  /// Builds and opens every operator (connectors are opened and chains compiled here, so
  /// configuration errors surface before any record flows).
  static base::Result<std::unique_ptr<Job>> Create(const plan::PlanGraph& plan,
                                                   const JobOptions& options);
  ~Job();

  /// Runs until every sink has ended or a subtask fails; returns the first failure.
  base::Status Run();
  /// Asks the job to stop as soon as possible; Run then returns a kRuntime "cancelled" error.
  void Cancel();
  JobProgress progress() const;
  /// Every counter of the job, per operator, vertex and subtask, and its checkpoint history;
  /// any thread.
  JobMetrics Metrics() const;
  /// The state of every stateful operator subtask (its backend and key-group range), to
  /// snapshot once Run has returned; the backends live as long as the job.
  std::vector<state::SubtaskState> StateOfSubtasks() const;
  /// Per source UID, its splits' positions in subtask order (as a checkpoint records them in
  /// SnapshotMetadata::source_offsets), once Run has returned.
  std::map<std::string, std::vector<std::string>> SourcePositions() const;
  /// Describes the vertices for logs: "source/bid -> calc -> sink/out (x2)".
  std::string DescribeVertices() const;
  const plan::PlanGraph& plan() const { return plan_; }
  /// This run's job id (JobOptions::job_id, or the one made up for it).
  const std::string& job_id() const { return job_id_; }
  /// The directory of the latest checkpoint this run completed; empty when there is none.
  std::string LatestCheckpointDirectory() const;
  /// How this job checkpoints (from its options).
  const CheckpointSettings& checkpoint_settings() const { return checkpoint_settings_; }
  /// Takes a savepoint of the running job into a new directory under `directory` (empty:
  /// `state.savepoints.dir`) and returns its path once written; any thread. The job goes on,
  /// and the savepoint commits nothing by itself (Operator::NotifyCheckpointComplete).
  base::Result<std::string> TakeSavepoint(const std::string& directory = {},
                                          bool native_if_rocksdb = false);
  /// Takes a checkpoint now (also in shadow, where no periodic one is taken) and returns its
  /// directory once complete; any thread.
  base::Result<std::string> TakeCheckpoint();
  /// In shadow (JobOptions::shadow): takes the handover checkpoint — a checkpoint at whose
  /// barrier the sinks start owning their output — and returns its directory once complete;
  /// from then on the job is an ordinary one. Call once the sources are at their holds.
  base::Result<std::string> TakeHandoverCheckpoint();
  /// Stops the job with a savepoint, as Flink's stop-with-savepoint: the sources stop at one
  /// barrier, every operator snapshots, and once the savepoint is written every sink commits
  /// everything up to it; then Run returns Ok (stopped_with_savepoint() is true). Returns the
  /// savepoint's path once the sinks have committed; any thread. When the savepoint fails the
  /// job goes on as before and the error is returned.
  /// `native_if_rocksdb`: see CheckpointCoordinator::TakeSavepoint.
  base::Result<std::string> StopWithSavepoint(const std::string& directory = {},
                                              bool native_if_rocksdb = false);
  /// Whether Run ended because StopWithSavepoint succeeded.
  bool stopped_with_savepoint() const;
  /// Checkpoints completed by this run.
  int64_t completed_checkpoints() const { return coordinator_->completed(); }
  /// After Run: the local copies of the latest completed checkpoint (with
  /// `state.backend.local-recovery`), for a restart; null when there are none.
  std::unique_ptr<LocalState> TakeLocalState() { return coordinator_->TakeLocalState(); }
  /// Subtasks that adopted a local copy instead of reading the checkpoint directory.
  int32_t locally_recovered_subtasks() const { return locally_recovered_; }

  // Used by the checkpoint coordinator.
  /// Starts checkpoint `checkpoint`: sources are asked to emit its barrier; finished subtasks
  /// acknowledge it at once.
  void InjectBarrier(int64_t checkpoint);
  /// The entries of runner `runner`'s stateful operators in `backend` (its captured state).
  std::vector<state::SubtaskState> StateOf(int32_t runner, state::StateBackend* backend) const;
  /// Checkpoint (or stop-with-savepoint, `kind`) `checkpoint` is complete: the subtasks'
  /// operators are told on their tasks (sinks commit).
  void NotifyCheckpointComplete(int64_t checkpoint, operators::BarrierKind kind);
  /// What the barrier of the checkpoint in flight asks for.
  operators::BarrierKind BarrierKindOf(int64_t checkpoint) const {
    return coordinator_->KindOf(checkpoint);
  }

  // Used by subtask runners.
  void Spawn(SubtaskRunner* runner);
  void Fail(const base::Status& status);
  bool failed() const { return failed_.load(std::memory_order_acquire); }
  void SubtaskFinished() { finished_subtasks_.fetch_add(1); }
  TimerService& timers() { return *timers_; }
  /// Schedules `runner` from the timer thread (outside the task arena).
  void ScheduleFromTimer(SubtaskRunner* runner);
  /// Schedules `runner` from any thread, through the timer thread so that Run notices.
  void WakeSoon(SubtaskRunner* runner);
  int64_t CheckpointInFlight() const { return coordinator_->in_flight(); }
  /// A subtask's operators were told that `checkpoint` is complete.
  void NotificationDelivered(int64_t checkpoint);
  void AcknowledgeCheckpoint(int64_t checkpoint, SubtaskSnapshot snapshot) {
    coordinator_->Acknowledge(checkpoint, std::move(snapshot));
  }
  /// Where runner `runner` may capture its state for `checkpoint` (rocksdb's scratch copy).
  std::string CaptureDirectory(int32_t runner, int64_t checkpoint) const;

 private:
  Job() = default;
  base::Status Build(const plan::PlanGraph& plan, const JobOptions& options);
  /// What a runner's backend may restore natively: its stateful nodes and key groups.
  struct NativeRestore {
    std::vector<const plan::PlanNode*> nodes;
    int32_t first = 0;
    int32_t last = 0;
    bool restored = false;  // set when the backend was started from the snapshot's files
  };
  /// The state backend of runner number `runner` (`state.backend.type`: memory | rocksdb).
  /// Restoring a native checkpoint into `rocksdb` at the same key groups starts the backend
  /// from the checkpoint's files (`restore->restored`); otherwise it starts empty.
  base::Result<std::unique_ptr<state::StateBackend>> MakeStateBackend(
      size_t runner, NativeRestore* restore = nullptr);
  /// Runner `runner`'s local copy of the checkpoint it restores from, when there is an intact
  /// one (then its state needs no reading); null otherwise.
  std::unique_ptr<state::StateBackend> AdoptLocalCopy(int32_t runner);
  /// Reads the checkpoint options into `checkpoint_settings_`.
  base::Status ReadCheckpointSettings();
  /// Locks the checkpoint job directory for this run (`<job directory>/.lock`, flock): a second
  /// run of the job gets an error naming the owner; the lock goes with the process.
  base::Status LockJobDirectory();
  /// Opens one subtask's source: created, opened and moved to the restored offset.
  base::Status OpenSource(const plan::PlanNode& node, const operators::OperatorContext& context,
                          SubtaskRunner* runner);
  /// The OperatorContext of `node`'s subtask `subtask`, restored from `options_.restore_from`.
  base::Status RestoreState(const plan::PlanNode& node, int32_t subtask,
                            state::StateBackend* backend, operators::OperatorContext* context);
  bool AllFinished() const;
  /// Whether `node` restores from JobOptions::backfill_from.
  bool IsBackfilled(const plan::PlanNode& node) const;

  plan::PlanGraph plan_;
  JobOptions options_;
  std::string job_id_;
  int lock_descriptor_ = -1;  // the job directory's lock, held while the job lives
  std::unique_ptr<expr::ChainCompiler> compiler_cache_;
  std::unique_ptr<operators::aggregate::AccumulatorCompiler> accumulator_cache_;
  std::vector<std::vector<int32_t>> vertices_;  // node ids per vertex, in chain order
  std::vector<std::unique_ptr<operators::OperatorMetrics>> metrics_;  // per node
  // Backends outlive the operators (declared first, destroyed last) that hold their tables.
  std::vector<std::unique_ptr<state::StateBackend>> state_backends_;  // one per runner
  std::string state_directory_;  // the RocksDB working directory of this run, if any
  std::vector<std::unique_ptr<SubtaskRunner>> runners_;
  std::vector<int32_t> vertex_of_runner_;
  std::vector<int32_t> subtask_of_runner_;
  CheckpointSettings checkpoint_settings_;
  std::unique_ptr<CheckpointCoordinator> coordinator_;
  int32_t locally_recovered_ = 0;
  std::unique_ptr<tbb::task_arena> arena_;
  tbb::task_group group_;
  // Stopped and joined (in ~Job and at the end of Run) before the task group is waited for.
  std::unique_ptr<TimerService> timers_;
  std::atomic<bool> failed_{false};
  std::atomic<bool> done_{false};
  std::atomic<int32_t> finished_subtasks_{0};
  std::mutex failure_mutex_;
  base::Status failure_;
  // Stop-with-savepoint: kStopping from the request until every subtask has been told that
  // its savepoint is complete (then kStopped), back to kNone when it fails.
  enum class StopState { kNone, kStopping, kStopped };
  mutable std::mutex stop_mutex_;
  std::condition_variable stop_changed_;
  StopState stop_state_ = StopState::kNone;
  int64_t stop_checkpoint_ = 0;    // the stop's savepoint id, once complete
  size_t stop_notifications_ = 0;  // subtasks still to be told it is complete
};

}  // namespace sluice::runtime::scheduler
