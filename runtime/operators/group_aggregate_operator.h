#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "runtime/operators/aggregate/aggregator.h"
#include "runtime/operators/operator.h"
#include "runtime/operators/row_writer.h"
#include "runtime/state/row_codec.h"

namespace sluice::runtime::operators {

/// Aggregates an (insert-only or updating) stream per key without windows, and emits the
/// changelog of the results: +I for a new key, -U old / +U new for a changed result, -D old
/// when the key's last row is retracted. State table "groups": key = RowCodec-encoded key
/// slots, empty namespace, value = the Aggregator accumulator.
///
/// Like Flink's mini-batch aggregation, a whole input batch is folded in before anything is
/// emitted: each key touched by the batch emits at most one change, from its result before the
/// batch to its result after it (nothing when the results are equal, nothing when a key both
/// appears and disappears inside the batch). Output rows are in order of each key's first row
/// in the batch. A retraction (-U/-D) for a key that has no rows is ignored, as in Flink.
/// Watermarks are forwarded unchanged.
///
/// Restore (what is state, what is rebuilt at Open): everything is state ("groups"); nothing
/// is kept in memory between batches.
class GroupAggregateOperator : public Operator {
 public:
  base::Status Open(const OperatorContext& context) override;
  base::Status ProcessBatch(int32_t input, BatchPtr batch, Output* out) override;

 private:
  /// Encodes the results an accumulator gives (RowCodec over the result types).
  base::Result<std::string> EncodeResults(std::string_view accumulator);
  /// Emits one output row: the decoded key, then the decoded results.
  base::Status WriteRow(RowWriter* writer, RowKind kind, std::string_view key,
                        std::string_view results);

  const plan::PlanNode* node_ = nullptr;
  std::vector<int32_t> key_slots_;
  std::unique_ptr<state::RowCodec> key_codec_;
  std::unique_ptr<state::RowCodec> result_codec_;
  std::unique_ptr<aggregate::Aggregator> aggregator_;
  std::vector<types::LogicalType> output_types_;
  std::vector<types::LogicalType> result_types_;
  std::unique_ptr<Batch> scratch_;  // one row of results, for EncodeResults
  std::vector<int32_t> result_slots_;
  std::vector<int32_t> folded_rows_;  // scratch: one group's rows that ProcessBatch folds in
  state::StateTable* table_ = nullptr;
  int32_t max_parallelism_ = 128;
};

}  // namespace sluice::runtime::operators
