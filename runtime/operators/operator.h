#pragma once

#include <atomic>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "catalog/base/status.h"
#include "runtime/batch/batch.h"
#include "runtime/connectors/connector.h"
#include "runtime/expr/chain_compiler.h"
#include "runtime/operators/shadow_control.h"
#include "runtime/plan/plan_graph.h"
#include "runtime/state/state_backend.h"

namespace sluice::runtime::operators {

namespace aggregate {
class AccumulatorCompiler;
}  // namespace aggregate

using BatchPtr = std::shared_ptr<Batch>;

inline constexpr int64_t kMinWatermark = std::numeric_limits<int64_t>::min();
/// The final watermark of a bounded input: every window fires.
inline constexpr int64_t kMaxWatermark = std::numeric_limits<int64_t>::max();

/// Receives what an operator emits: the next operator of its chain, or the exchange.
class Output {
 public:
  virtual ~Output() = default;
  virtual base::Status EmitBatch(BatchPtr batch) = 0;
  virtual base::Status EmitWatermark(int64_t watermark) = 0;
};

/// Counters a running job exposes for progress lines and tests; updated with relaxed atomics.
struct OperatorMetrics {
  std::atomic<int64_t> rows_in{0};
  std::atomic<int64_t> rows_out{0};
  std::atomic<int64_t> watermark{kMinWatermark};
  /// Records that arrived behind the watermark, after their window had fired, and were dropped.
  std::atomic<int64_t> late_records_dropped{0};
};

/// The wall clock and processing-time timers of one operator instance. The scheduler gives
/// each operator its own (SubtaskRunner); tests may pass a controllable one.
class ProcessingTimeService {
 public:
  virtual ~ProcessingTimeService() = default;
  /// Milliseconds since the epoch, UTC (the clock `PROCTIME()` reads).
  virtual int64_t CurrentTimeMillis() const = 0;
  /// Asks for `Operator::OnProcessingTime` to be called once the clock has reached `time`, on
  /// the operator's own task (never concurrently with its other calls). Registering a time
  /// that is already registered is a no-op; timers pending when the job ends never fire.
  virtual void RegisterTimer(int64_t time) = 0;
};

/// What an operator instance knows about where it runs.
struct OperatorContext {
  const plan::PlanNode* node = nullptr;
  connectors::SubtaskInfo subtask;
  int32_t max_parallelism = 128;
  /// The JIT, or null to run chains in the interpreter (`--jit=off`).
  expr::ChainCompiler* chain_compiler = nullptr;
  /// The JIT's aggregate update/merge kernels, or null to interpret them (`--jit=off`).
  aggregate::AccumulatorCompiler* accumulator_compiler = nullptr;
  OperatorMetrics* metrics = nullptr;
  /// This subtask's keyed state (never null for operators that declare state).
  state::StateBackend* state_backend = nullptr;
  /// The wall clock and timers of this operator (set by the scheduler; may be null in tests of
  /// operators that do not use processing time).
  ProcessingTimeService* processing_time = nullptr;
  /// The job takes checkpoints (`execution.checkpointing.interval`): sinks that can switch to
  /// exactly-once delivery (connectors::SinkWriter::EnableTransactions).
  bool checkpointing = false;
  /// Restoring from a snapshot: its state is already in `state_backend` when Open is called,
  /// and these are the sink transactions it recorded for this operator's UID (every old
  /// subtask's), to pass to connectors::SinkWriter::Recover.
  bool restoring = false;
  std::vector<std::string> restored_transactions;
  /// The job runs in shadow beside the running version of itself (`sluice upgrade`): until
  /// the handover barrier sinks write nothing and recover nothing (the old version owns the
  /// output and its transactions). Null for an ordinary job.
  ShadowControl* shadow = nullptr;
};

/// What a barrier asks of the job (DESIGN §12). A checkpoint's sinks commit once it is
/// complete; a savepoint taken while the job goes on commits nothing by itself (what its sinks
/// pre-committed is committed by the next checkpoint); at a stop-with-savepoint barrier the
/// sources stop, every operator snapshots, the sinks commit once it is complete and the job
/// ends without emitting anything after it. A handover is a checkpoint in every respect, taken
/// by a job in shadow at the cut of an upgrade (ShadowControl): at its barrier the sinks start
/// owning their output.
enum class BarrierKind { kCheckpoint, kSavepoint, kStopWithSavepoint, kHandover };

/// Whether a barrier of `kind` makes a checkpoint (`chk-<n>`, retained, committed by the sinks).
inline bool IsCheckpointKind(BarrierKind kind) {
  return kind == BarrierKind::kCheckpoint || kind == BarrierKind::kHandover;
}

/// A barrier as an operator sees it at PrepareSnapshot.
struct Barrier {
  int64_t id = 0;
  BarrierKind kind = BarrierKind::kCheckpoint;
};

/// One subtask's instance of a non-source physical operator.
class Operator {
 public:
  virtual ~Operator() = default;
  virtual base::Status Open(const OperatorContext& context) { return base::Status::Ok(); }
  virtual base::Status ProcessBatch(int32_t input, BatchPtr batch, Output* out) = 0;
  /// Receives the combined (minimum) watermark of all inputs whenever it advances.
  virtual base::Status ProcessWatermark(int64_t watermark, Output* out) {
    return out->EmitWatermark(watermark);
  }
  /// Called on the operator's task once the wall clock has reached a time registered through
  /// `OperatorContext::processing_time` (`now` >= that time; one call may cover several).
  virtual base::Status OnProcessingTime(int64_t now, Output* out) { return base::Status::Ok(); }
  /// Called once after every input has ended; flush what is buffered.
  virtual base::Status Finish(Output* out) { return base::Status::Ok(); }
  /// At `barrier`, on the operator's task, after every record before the barrier and before
  /// any after it. Keyed state needs nothing here (the runtime captures the backend); a sink
  /// pre-commits and returns its transaction (see connectors::SinkWriter::PreCommit), to keep
  /// in `_metadata`. Empty: nothing to keep.
  virtual base::Result<std::string> PrepareSnapshot(const Barrier& barrier) {
    return std::string();
  }
  /// Checkpoint (or stop-with-savepoint) `checkpoint_id` is complete (its `_metadata` is
  /// written): a sink commits. Never called for a savepoint taken while the job goes on.
  virtual base::Status NotifyCheckpointComplete(int64_t checkpoint_id) {
    return base::Status::Ok();
  }
};

/// One subtask's instance of a source: produces batches until its split is exhausted.
class SourceOperator {
 public:
  virtual ~SourceOperator() = default;
  virtual base::Status Open(const OperatorContext& context) = 0;
  /// Emits at most one batch (and the watermark after it). Returns false once exhausted,
  /// after emitting the final watermark of a bounded source.
  virtual base::Result<bool> Poll(Output* out) = 0;
  /// The split's position between two polls, to snapshot (opaque; empty when the source
  /// cannot tell, see connectors::SourceReader::Position), when it reads exactly one split.
  virtual std::string Position() const { return {}; }
  /// Moves a freshly opened source to a `Position` of the same subtask, before its first poll.
  virtual base::Status Seek(const std::string& position) {
    return base::Status::Error(base::ErrorCode::kPlan, "this source cannot seek to a position");
  }
  /// The positions of every split this subtask reads (one per split, each naming its split),
  /// between two polls: what a checkpoint keeps. Empty when the source cannot tell (it then
  /// starts from the beginning after a restore).
  virtual std::vector<std::string> Positions() const {
    std::string position = Position();
    if (position.empty()) return {};
    return {position};
  }
  /// Replaces the splits of a freshly opened source, before its first poll, with the splits at
  /// `positions` (from Positions of any subtask at any parallelism: the share a restore deals
  /// this subtask, possibly none). The default takes exactly one position of its own split.
  /// The positions a checkpoint `checkpoint` records (Positions, remembered for
  /// NotifyCheckpointComplete).
  virtual std::vector<std::string> SnapshotPositions(int64_t checkpoint) { return Positions(); }
  /// Checkpoint `checkpoint` is complete (see connectors::SourceReader::OnCheckpointComplete).
  virtual base::Status NotifyCheckpointComplete(int64_t checkpoint) { return base::Status::Ok(); }
  /// Whether the source reads no split that could hold time back (a subtask that was dealt no
  /// partition): its subtask declares itself idle at once rather than after the idle timeout.
  virtual bool ReadsNothing() const { return false; }
  /// Holds every split at its position among `positions` (as a checkpoint records them; a
  /// split they do not name is held where it is): the source reads up to there and no further
  /// (connectors::SourceReader::StopAt), without pacing. Called again with positions further
  /// on, it reads on to those. An error when a split is already past its position or cannot
  /// be held.
  virtual base::Status HoldAt(const std::vector<std::string>& positions) {
    return base::Status::Error(base::ErrorCode::kPlan, "this source cannot be held at a position");
  }
  /// Lifts HoldAt: the source reads on as if never held.
  virtual void ReleaseHold() {}
  /// Whether every split has read up to its hold (a split held at its end has ended).
  virtual bool AtHold() const { return false; }
  virtual base::Status Restore(const std::vector<std::string>& positions) {
    if (positions.size() != 1) {
      return base::Status::Error(base::ErrorCode::kPlan,
                                 "this source restores exactly one split of its own");
    }
    return Seek(positions.front());
  }
};

}  // namespace sluice::runtime::operators
