#pragma once

#include <cstddef>
#include <vector>

#include "runtime/operators/operator.h"

namespace sluice::runtime::operators {

/// GROUPING SETS, ROLLUP and CUBE (PlanNode::expand, Flink's Expand): emits each input row
/// once per grouping set, with its row kind: the input columns unchanged, then a copy of each
/// grouping column (NULL in the sets that aggregate it away), then the set's id (BIGINT). The
/// aggregation after it groups by those copies and the id, so each set has groups of its own
/// (and a NULL value of a column stays apart from the NULL of a set without it). A batch's rows
/// come out set by set, in input order within a set, so a key's changes keep their order.
/// Watermarks are forwarded unchanged.
///
/// Restore: no state.
class ExpandOperator : public Operator {
 public:
  base::Status Open(const OperatorContext& context) override;
  base::Status ProcessBatch(int32_t input, BatchPtr batch, Output* out) override;

 private:
  const plan::PlanNode* node_ = nullptr;
  std::vector<types::LogicalType> output_types_;
  size_t input_columns_ = 0;
  std::vector<int32_t> grouping_slots_;
  /// Per set: whether it holds each grouping column; and its id.
  std::vector<std::vector<bool>> present_;
  std::vector<int64_t> ids_;
};

}  // namespace sluice::runtime::operators
