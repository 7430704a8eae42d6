#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "runtime/operators/chain_evaluator.h"
#include "runtime/operators/operator.h"

namespace sluice::runtime::operators {

/// The slot types of a two-sided join's output and how many of them belong to its left side
/// (read from its "left" state's value schema); `extra_columns` are output columns besides
/// both sides' rows (a window join's six window columns). `keyless` allows a join without
/// keys (a window SEMI or ANTI join). kData when the spec and the schemas do not fit together.
struct JoinLayout {
  std::vector<types::LogicalType> output_types;
  size_t left_width = 0;
};
base::Result<JoinLayout> ReadJoinLayout(const plan::PlanNode& node, const plan::JoinSpec& spec,
                                        size_t extra_columns, bool keyless = false);

/// Checks that both sides' key columns have equal types and compiles the residual condition
/// (BOOLEAN over `output_types`; null when the join has none, and then so is the result).
base::Result<std::unique_ptr<ChainEvaluator>> CompileJoinCondition(
    const plan::PlanNode& node, const std::vector<types::LogicalType>& left_keys,
    const std::vector<types::LogicalType>& right_keys, const plan::ExprPtr& residual,
    const std::vector<types::LogicalType>& output_types, expr::ChainCompiler* compiler);

/// Checks one side of a timed join (interval or window join) over that side's column `types`:
/// its time slot is a TIMESTAMP column and its key slots are non-ROW columns. Returns the key
/// columns' types, or a kData error naming the node and the side.
base::Result<std::vector<types::LogicalType>> TimedJoinSideKeyTypes(
    const plan::PlanNode& node, const char* side, const std::vector<types::LogicalType>& types,
    const std::vector<int32_t>& key_slots, int32_t time_slot);

/// Collects the rows a join builds (left columns, then right columns), keeps the candidates
/// that pass its residual condition and emits them in batches of up to kBatchCapacity rows.
/// Cells a caller does not write stay NULL (new columns start zeroed).
class JoinOutput {
 public:
  /// `residual` (BOOLEAN over the output slots) may be null: every candidate passes.
  JoinOutput(std::vector<types::LogicalType> output_types, const ChainEvaluator* residual)
      : output_types_(std::move(output_types)), residual_(residual) {}

  /// Starts a candidate row, which reports `tag` to Flush's callback when it passes; returns the
  /// batch and row to write it to.
  std::pair<Batch*, int32_t> AddCandidate(int64_t tag);
  /// Starts a row that is emitted as it is (a NULL-padded row of an outer join).
  std::pair<Batch*, int32_t> AddRow();
  /// Rows waiting for Flush.
  int64_t pending_rows() const { return pending_rows_; }
  /// Evaluates the residual over the candidates, emits the passing ones and the plain rows,
  /// and calls `matched(tag)` for each passing candidate (may be null). With a null `out`
  /// nothing is emitted: the candidates are only checked (a semi or anti join's).
  base::Status Flush(Output* out, const std::function<void(int64_t tag)>& matched);

  /// Writes a non-NULL BIGINT/TIMESTAMP cell.
  static void SetInt64(Batch* batch, size_t column, int32_t row, int64_t value) {
    batch->column(column).values<int64_t>()[row] = value;
    batch->column(column).validity()[row] = 1;
  }

 private:
  static std::pair<Batch*, int32_t> NextRow(const std::vector<types::LogicalType>& types,
                                            std::vector<BatchPtr>* batches);

  std::vector<types::LogicalType> output_types_;
  const ChainEvaluator* residual_;
  std::vector<BatchPtr> candidates_;
  std::vector<int64_t> tags_;  // one per candidate row, in order
  std::vector<BatchPtr> rows_;
  int64_t pending_rows_ = 0;
};

}  // namespace sluice::runtime::operators
