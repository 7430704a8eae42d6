#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "runtime/operators/chain_evaluator.h"
#include "runtime/operators/operator.h"
#include "runtime/operators/operator_state.h"
#include "runtime/operators/record_migration.h"
#include "runtime/operators/row_migration.h"
#include "runtime/operators/window_clock.h"
#include "runtime/state/full_row_codec.h"
#include "runtime/state/row_codec.h"

namespace sluice::runtime::operators {

/// Joins two insert-only streams per window of a window TVF (TUMBLE, HOP, CUMULATE) and key,
/// as Flink's window join does: both sides' rows are assigned to the windows of their time slot
/// and buffered; when the watermark passes a window's end - 1 its rows are joined, emitted
/// (insert-only) and freed. Output row: the left row, its window_start, window_end,
/// window_time, then the right row and its three window columns. Join types, all decided when
/// the window fires, when every row of the window is there:
/// * INNER: the matching pairs;
/// * LEFT / RIGHT / FULL: also each row of the outer side(s) that matched nothing in its
///   window, the other side's columns (its window columns included) NULL;
/// * SEMI / ANTI (`IN` / `EXISTS` and their negations over two window TVFs): the left row and
///   its window columns only, once per window, when some (SEMI) or no (ANTI) right row of the
///   window matches it. These may have no keys (NOT IN's condition is all residual): every row
///   then shares one key group.
///
/// State tables "left" and "right": key = the RowCodec-encoded key slots of that side,
/// namespace = the window end (8 bytes big-endian), value = the window's rows of that key,
/// each a 4-byte little-endian length and the FullRowCodec-encoded row. Whether a row matched
/// is not state: it is computed while its window fires.
///
/// Every row with a time is buffered in each of its open windows, NULL keys included and
/// whatever the join type, so that the state is the same for every join type: a restore that
/// changes it (INNER to FULL, say) finds every row of the open windows. A NULL key never
/// matches. A row whose window has already fired is dropped for that window and counted in
/// `late_records_dropped` (a HOP or CUMULATE row still joins its windows that are open). Rows
/// with a NULL time are dropped uncounted. Watermarks are forwarded unchanged after the fired
/// windows.
///
/// Restore (what is state, what is rebuilt at Open): the buffered rows ("left", "right") and
/// the watermark (table "watermark", see WatermarkState) are state. `Open` rebuilds the pending
/// window ends from the namespaces stored in the owned key groups.
class WindowJoinOperator : public Operator {
 public:
  WindowJoinOperator();
  ~WindowJoinOperator() override;
  base::Status Open(const OperatorContext& context) override;
  base::Status ProcessBatch(int32_t input, BatchPtr batch, Output* out) override;
  /// Joins and frees every window whose end - 1 <= `watermark`, in end order, then forwards it.
  base::Status ProcessWatermark(int64_t watermark, Output* out) override;

 private:
  struct Side;

  /// Appends the ends of the windows holding `time` to `ends`; false when out of range.
  bool WindowEndsOf(int64_t time, std::vector<int64_t>* ends) const;
  int64_t WindowStartOf(int64_t window_end) const;
  base::Status FireWindow(int64_t window_end, Output* out);

  const plan::PlanNode* node_ = nullptr;
  plan::JoinSpec spec_;
  plan::WindowSpec window_;
  WindowClock clock_;         // the windows' wall clock
  bool left_outer_ = false;   // LEFT, FULL: unmatched left rows are emitted
  bool right_outer_ = false;  // RIGHT, FULL: unmatched right rows are emitted
  bool left_only_ = false;    // SEMI, ANTI: the output is the left rows
  int32_t max_parallelism_ = 128;
  OperatorMetrics* metrics_ = nullptr;
  std::vector<types::LogicalType> output_types_;
  // Both sides' rows with their window columns: the output, or what a SEMI or ANTI join's
  // residual reads.
  std::vector<types::LogicalType> joined_types_;
  std::vector<std::unique_ptr<Side>> sides_;  // left, right
  std::unique_ptr<ChainEvaluator> residual_;
  int64_t watermark_ = kMinWatermark;
  std::set<int64_t> pending_window_ends_;
  WatermarkState watermark_state_;
};

/// The state migration of a window join's "left" / "right" table whose kept rows changed
/// (`rows`): each buffered row of a value is converted, the namespace (the window) kept.
std::unique_ptr<RecordMigration> MigrateWindowJoinRows(std::unique_ptr<RowMigration> rows);

}  // namespace sluice::runtime::operators
