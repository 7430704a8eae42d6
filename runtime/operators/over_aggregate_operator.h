#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "runtime/operators/aggregate/accumulator_migration.h"
#include "runtime/operators/aggregate/aggregator.h"
#include "runtime/operators/operator.h"
#include "runtime/operators/operator_state.h"
#include "runtime/operators/record_migration.h"
#include "runtime/operators/row_migration.h"
#include "runtime/operators/row_writer.h"
#include "runtime/state/full_row_codec.h"
#include "runtime/state/row_codec.h"

namespace sluice::runtime::operators {

/// Computes aggregate calls OVER (PARTITION BY … ORDER BY … frame): one output row per input
/// row, the input columns followed by one column per call (NULL-skipping as GROUP BY's calls;
/// see aggregate/aggregator.h). Two modes:
///
/// **Event time** (Flink's event-time OVER; the input is insert-only and ordered by a time
/// attribute): a row whose timestamp is at or behind the current watermark (or NULL) is
/// dropped and counted in `late_records_dropped`. Other rows wait in state until the
/// watermark reaches their timestamp; then each partition's rows are processed in timestamp
/// order. ROWS frames take one row at a time (rows of equal timestamp in arrival order, each
/// seeing the ones before it); RANGE frames take all rows of one timestamp together (peers:
/// they get the same result). A bounded frame retracts rows as they leave it, and rows that
/// no future frame can hold are freed at once: ROWS n keeps the last n rows, RANGE p keeps
/// the rows of timestamps > t - p after processing timestamp t; unbounded frames keep only
/// the accumulator. Output is insert-only and emitted before the watermark that released it.
///
/// **Processing time** (`processing_time`, ordered by a PROCTIME() attribute): as event time,
/// but every row is processed as it arrives (no row is late, nothing waits for a watermark;
/// rows of one batch share their time, so they are processed in arrival order) and nothing is
/// pending at a checkpoint.
///
/// **Changelog** (`changelog`, an updating input, ROWS BETWEEN n PRECEDING AND CURRENT ROW;
/// Flink rejects this, FLINK-19059): each partition's rows are kept sorted by the order key
/// (ties in arrival order). An added row emits +I with its result and -U/+U for each of the
/// n rows after it (their frames changed); a retracted row (-U/-D, matched on every column;
/// an unknown one is ignored) emits -D with its old result and -U/+U for the n rows after
/// it. Materialized, the output equals the batch answer over the current input. Every row is
/// kept (any row may be retracted later).
///
/// State (all keyed by the RowCodec-encoded partition slots):
/// * "pending" (event time): namespace = the timestamp (8 bytes, big-endian, sign-flipped),
///   value = the rows of that timestamp in arrival order (varint length + FullRowCodec row).
/// * "frame" (event time): format byte, the accumulator (varint length + bytes), then the
///   rows still in the frame in order (8-byte timestamp + varint length + row).
/// * "sorted" (changelog): format byte, then per row varint-length sort key and row.
/// * "watermark" (event time): the watermark, see WatermarkState.
/// Restore (what is state, what is rebuilt at Open): all of the above is state; `Open`
/// rebuilds the timers (which partitions have pending rows of which timestamp) from the
/// "pending" entries of the owned key groups. Changelog mode keeps nothing in memory.
class OverAggregateOperator : public Operator {
 public:
  OverAggregateOperator();
  ~OverAggregateOperator() override;
  base::Status Open(const OperatorContext& context) override;
  base::Status ProcessBatch(int32_t input, BatchPtr batch, Output* out) override;
  base::Status ProcessWatermark(int64_t watermark, Output* out) override;

 private:
  struct FrameRow;
  struct Frame;
  struct SortedRow;
  struct SortedPartition;

  // Event-time mode
  base::Status BufferRows(const Batch& batch);
  /// Processes the pending rows of every timestamp <= `time`, partition by partition.
  base::Status FireDue(int64_t time, RowWriter* writer);
  base::Status FirePartition(int32_t key_group, const std::string& key,
                             const std::vector<int64_t>& timestamps, RowWriter* writer);
  base::Status ProcessTimestamp(Frame* frame, int64_t timestamp,
                                const std::vector<std::string>& rows, RowWriter* writer);
  base::Status Retract(Frame* frame, const std::string& row);
  base::Status LoadFrame(int32_t key_group, const std::string& key, Frame* frame) const;
  void StoreFrame(int32_t key_group, const std::string& key, const Frame& frame);

  // Changelog mode
  base::Status ProcessChangelog(const Batch& batch, Output* out);
  base::Status ApplyChange(SortedPartition* partition, SortedRow row, bool retract,
                           RowWriter* writer);
  /// The accumulators of the frames of rows [first, last] of a sorted partition.
  base::Result<std::vector<std::string>> FrameResults(const std::vector<SortedRow>& rows,
                                                      size_t first, size_t last);
  base::Status LoadSorted(SortedPartition* partition) const;
  void StoreSorted(const SortedPartition& partition);

  /// Decodes `row` into the scratch batch's row 0 and folds it into (or out of) `accumulator`.
  base::Status Fold(std::string* accumulator, std::string_view row, bool retract);
  base::Status Write(RowWriter* writer, RowKind kind, std::string_view row,
                     std::string_view accumulator);

  const plan::PlanNode* node_ = nullptr;
  plan::OverAggregateSpec spec_;
  int32_t max_parallelism_ = 128;
  OperatorMetrics* metrics_ = nullptr;
  size_t input_width_ = 0;
  std::vector<types::LogicalType> input_types_;
  std::vector<types::LogicalType> output_types_;
  std::unique_ptr<aggregate::Aggregator> aggregator_;
  std::unique_ptr<state::RowCodec> partition_codec_;
  std::unique_ptr<state::FullRowCodec> row_codec_;
  std::unique_ptr<Batch> scratch_;
  state::StateTable* pending_ = nullptr;
  state::StateTable* frames_ = nullptr;
  state::StateTable* sorted_ = nullptr;
  int64_t watermark_ = kMinWatermark;
  /// (timestamp, key group, partition key) of every pending timestamp of every partition.
  std::set<std::tuple<int64_t, int32_t, std::string>> timers_;
  WatermarkState watermark_state_;
};

/// The state migration of an OVER aggregation's table `state_name` ("pending", "frame",
/// "sorted") whose calls or kept rows changed: every kept row is converted by `rows` (into
/// `spec`'s input row). A bounded frame's accumulator is what its kept rows fold to, so it is
/// folded again from the converted rows with `spec`'s calls: an added call covers the rows
/// still in the frame at once. An unbounded frame keeps no rows: its accumulator is converted
/// by `accumulators` (an added call starts at the restore). Changelog mode ("sorted") keeps
/// no accumulator.
base::Result<std::unique_ptr<RecordMigration>> MigrateOverAggregateState(
    const std::string& state_name, const plan::OverAggregateSpec& spec,
    std::vector<types::LogicalType> row_types, std::unique_ptr<RowMigration> rows,
    std::unique_ptr<aggregate::AccumulatorMigration> accumulators);

}  // namespace sluice::runtime::operators
