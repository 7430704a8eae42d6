#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "runtime/operators/operator.h"
#include "runtime/operators/operator_state.h"
#include "runtime/operators/time_row_buffer.h"
#include "runtime/state/full_row_codec.h"

namespace sluice::runtime::operators {

/// Sorts an insert-only stream by an ascending time attribute, then the secondary ORDER BY
/// keys (TimeSortSpec), as Flink's temporal sort:
/// * event time (RowTimeSortOperator): a row waits until the watermark reaches its time; then
///   the rows of each time up to the watermark are emitted, by time, rows of one time by the
///   secondary keys, ties in arrival order, before the watermark is forwarded (the time column
///   stays an event-time attribute). A row whose time is at or behind the watermark when it
///   arrives, or NULL, is late: dropped and counted in `late_records_dropped`. (Flink drops
///   only rows at or before the last time it emitted, and emits the others behind the
///   watermark it has forwarded; here no output row is ever behind the output watermark.)
/// * processing time (ProcTimeSortOperator): rows wait for the next millisecond's tick; then
///   every waiting row is emitted, by the secondary keys, ties in arrival order. The end of
///   the input emits what still waits.
///
/// The sort has no key: every row is in one key group (that of the empty key), so one subtask
/// sorts them all (Flink runs it at parallelism 1); the others forward watermarks.
///
/// State tables:
/// * "rows": the waiting rows, a TimeRowBuffer (its layout there) under the empty key, sort
///   keys by the secondary keys. Event time: namespace = the row's time. Processing time:
///   every row under time 0, released together.
/// * "watermark" (event time only): see WatermarkState.
///
/// Restore (what is state, what is rebuilt at Open): both tables are state. `Open` rebuilds the
/// buffer's index of times from the owned key groups and, with processing time, registers a
/// timer when rows wait.
class TimeSortOperator : public Operator {
 public:
  base::Status Open(const OperatorContext& context) override;
  base::Status ProcessBatch(int32_t input, BatchPtr batch, Output* out) override;
  /// Event time: emits the rows up to `watermark` in order, then forwards it.
  base::Status ProcessWatermark(int64_t watermark, Output* out) override;
  /// Processing time: emits every waiting row in order.
  base::Status OnProcessingTime(int64_t now, Output* out) override;
  base::Status Finish(Output* out) override;

 private:
  /// Emits the waiting rows of a time <= `time`, in order.
  base::Status EmitUntil(int64_t time, Output* out);

  const plan::PlanNode* node_ = nullptr;
  plan::TimeSortSpec spec_;
  int32_t max_parallelism_ = 128;
  OperatorMetrics* metrics_ = nullptr;
  ProcessingTimeService* processing_time_ = nullptr;
  std::vector<types::LogicalType> input_types_;
  std::unique_ptr<state::FullRowCodec> row_codec_;
  TimeRowBuffer rows_;
  int64_t watermark_ = kMinWatermark;
  WatermarkState watermark_state_;
};

}  // namespace sluice::runtime::operators
