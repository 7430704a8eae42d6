#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "runtime/operators/aggregate/accumulator_migration.h"
#include "runtime/operators/aggregate/aggregator.h"
#include "runtime/operators/operator.h"
#include "runtime/operators/operator_state.h"
#include "runtime/operators/record_migration.h"
#include "runtime/operators/row_writer.h"
#include "runtime/operators/window_clock.h"
#include "runtime/state/row_codec.h"

namespace sluice::runtime::operators {

/// Aggregates an insert-only stream per key and per window of a window TVF (TUMBLE, HOP,
/// CUMULATE, SESSION) and emits one +I row per key and window once the watermark passes the
/// window's end. Windows are [start, end), aligned to the epoch plus the window offset.
///
/// TUMBLE, HOP and CUMULATE use Flink's slicing: a record is accumulated into exactly one slice
/// (the window for TUMBLE, `step` wide for HOP and CUMULATE), kept in the state table "slices"
/// (key: RowCodec-encoded key slots, namespace: slice end as 8 bytes big-endian, value: the
/// Aggregator accumulator). A window's result merges its slices when it fires; a slice is
/// deleted after the last window that needs it has fired. SESSION keeps one entry per key in
/// the state table "sessions" (empty namespace; value: the key's open sessions, each its start,
/// end and accumulator), so a record reads and writes one entry whatever the backend.
///
/// A record whose slice's first window has already fired (or, for SESSION, whose merged session
/// has already ended) is dropped and counted in `late_records_dropped`: unlike Flink it is not
/// folded into the still-open later windows of a HOP or CUMULATE. Records whose time is NULL
/// are dropped without being counted.
///
/// Processing-time windows (`WindowSpec::processing_time`; not SESSION) assign each batch to
/// the windows of the wall clock at which it is processed (the time column's value is not
/// read), register a timer at each new window's end - 1 and fire when it is due. Nothing is
/// late; at the end of a bounded input (final watermark, or Finish) every open window fires.
///
/// Restore (what is state, what is rebuilt at Open): the accumulators ("slices" / "sessions")
/// and the watermark (or, for processing time, the wall-clock time fired through; table
/// "watermark", see WatermarkState) are state. `Open` rebuilds the rest from the owned key
/// groups: the open slices and their pending window ends (from the slices' namespaces; windows
/// at or behind the watermark have fired), the session timers (from the sessions' values) and,
/// for processing time, registers a timer again at each pending window's end - 1. Event time:
/// key groups merged from a subtask that had reached a later watermark keep it (see
/// WatermarkState): their late rows stay late, their fired windows do not fire again.
/// Processing time restores the earliest time fired through and nothing is ever late, so
/// after such a merge a HOP or CUMULATE window that one old subtask had fired may fire again
/// for its keys (processing-time results are not reproducible anyway).
class WindowAggregateOperator : public Operator {
 public:
  base::Status Open(const OperatorContext& context) override;
  base::Status ProcessBatch(int32_t input, BatchPtr batch, Output* out) override;
  /// Fires every window whose end - 1 <= `watermark`, in end order, then forwards it.
  base::Status ProcessWatermark(int64_t watermark, Output* out) override;
  /// Processing time: fires every window whose end - 1 <= `now`.
  base::Status OnProcessingTime(int64_t now, Output* out) override;
  base::Status Finish(Output* out) override;

 private:
  /// Rebuilds the in-memory bookkeeping from restored state (nothing on a fresh start).
  base::Status RebuildFromState(const OperatorContext& context);
  base::Status AccumulateSlices(const Batch& batch);
  base::Status AccumulateSessions(const Batch& batch);
  base::Status FireSlicedWindows(RowWriter* writer);
  base::Status FireSessions(RowWriter* writer);
  /// Processing time: fires the windows up to `time` and emits them.
  base::Status FireProcessingTime(int64_t time, Output* out);
  /// Processing time: registers a timer for each window end not registered yet.
  void RegisterWindowTimers();
  /// Computes the end of the slice holding `time`; false when the record's windows do not fit
  /// in the TIMESTAMP range.
  bool SliceEndOf(int64_t time, int64_t* slice_end) const;
  int64_t LastWindowEndOf(int64_t slice_end) const;
  int64_t WindowStartOf(int64_t window_end) const;
  /// Writes one result row: keys, window_start, window_end, window_time, then the results.
  base::Status WriteRow(RowWriter* writer, std::string_view key, int64_t window_start,
                        int64_t window_end, std::string_view accumulator);
  int32_t KeyGroup(const Batch& batch, int32_t row) const;

  const plan::PlanNode* node_ = nullptr;
  plan::WindowSpec window_;
  WindowClock clock_;  // the windows' wall clock
  std::vector<int32_t> key_slots_;
  std::unique_ptr<state::RowCodec> key_codec_;
  std::unique_ptr<aggregate::Aggregator> aggregator_;
  std::vector<types::LogicalType> output_types_;
  state::StateTable* table_ = nullptr;
  OperatorMetrics* metrics_ = nullptr;
  int32_t max_parallelism_ = 128;
  int64_t slice_size_ = 0;
  // Event time: the watermark. Processing time: the wall-clock time fired through.
  int64_t current_watermark_ = kMinWatermark;
  ProcessingTimeService* processing_time_ = nullptr;
  int64_t last_registered_window_end_ = kMinWatermark;
  WatermarkState watermark_state_;

  // TUMBLE, HOP, CUMULATE: slice end → end of the last window that reads the slice.
  std::map<int64_t, int64_t> slices_;
  std::set<int64_t> pending_window_ends_;

  // SESSION: (end, key, key group, start) of every open session, fired in end order.
  std::set<std::tuple<int64_t, std::string, int32_t, int64_t>> session_timers_;
};

/// The state migration of a SESSION window aggregate's "sessions" values: each open session's
/// accumulator is converted by `accumulators` (into the layout of `new_calls`); with another
/// gap (`gap_change` = new gap - old gap, ms) each session's end (its last row + the gap) moves
/// by it, and a key's sessions that then overlap or touch are merged into one (the
/// accumulators merged, as when a row joins them). A session is never split.
std::unique_ptr<RecordMigration> MigrateSessions(
    std::unique_ptr<aggregate::AccumulatorMigration> accumulators,
    std::vector<plan::AggregateCall> new_calls, int64_t gap_change);

}  // namespace sluice::runtime::operators
