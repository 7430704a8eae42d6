#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "runtime/operators/chain_evaluator.h"
#include "runtime/operators/operator.h"
#include "runtime/state/row_codec.h"

namespace sluice::runtime::operators {

/// Joins each row of its one input with the rows of a bounded table of equal keys, as Flink's
/// processing-time lookup join (`JOIN t FOR SYSTEM_TIME AS OF s.p_time`) does: at Open every
/// subtask reads the whole table through its connector (LookupJoinSpec::table, read as one
/// subtask of one) into memory, keyed by the join keys; then each input row is probed. An
/// output row is the input row's columns, then the table row's (LookupJoinSpec::table_output_
/// slots). Several matching table rows give several output rows; a NULL in a key never
/// matches; INNER drops an input row without a match whose residual is TRUE, LEFT emits it
/// once with NULL table columns. Each output row carries its input row's kind (+I/-U/+U/-D):
/// the table does not change while the job runs, so a retraction meets the same matches as
/// the row it retracts. Watermarks pass through.
///
/// Keeps no StateBackend state: the table is read again whenever the operator opens (also
/// after a restore), so it costs memory in every subtask — about its size on disk, per
/// subtask. A malformed record fails Open with the connector's error (file and line).
class LookupJoinOperator : public Operator {
 public:
  LookupJoinOperator();
  ~LookupJoinOperator() override;
  base::Status Open(const OperatorContext& context) override;
  base::Status ProcessBatch(int32_t input, BatchPtr batch, Output* out) override;

  /// Rows of the table held after Open (rows with a NULL key included).
  int64_t table_rows() const { return table_rows_; }

 private:
  struct TableRow {
    uint32_t batch = 0;
    int32_t row = 0;
  };
  struct Entry {
    int32_t input_row = 0;
    bool padded = false;  // a LEFT join's row with NULL table columns
  };

  base::Status LoadTable(const OperatorContext& context);
  /// Copies the rows of `rows` (the table row after the table chain) into table_, strings into
  /// strings_, and indexes them by key.
  void Store(const Batch& rows);
  /// The table rows matching `row` of `input`, or null.
  const std::vector<TableRow>* Lookup(const Batch& input, int32_t row);
  base::Status Append(const Batch& input, int32_t row, const TableRow* match, Output* out);
  /// Applies the residual to the pending rows and emits those that stay.
  base::Status Flush(Output* out);

  const plan::PlanNode* node_ = nullptr;
  plan::LookupJoinSpec spec_;
  bool left_outer_ = false;
  size_t input_width_ = 0;
  std::vector<types::LogicalType> output_types_;
  std::vector<types::LogicalType> table_types_;  // of a table row after the table chain
  std::unique_ptr<ChainEvaluator> table_chain_;
  std::unique_ptr<ChainEvaluator> residual_;
  std::unique_ptr<state::RowCodec> key_codec_;

  std::vector<std::unique_ptr<Batch>> table_;  // full batches of table rows
  std::shared_ptr<Batch> strings_;             // its arena holds the table's strings
  std::unordered_map<std::string, std::vector<TableRow>> index_;
  int64_t table_rows_ = 0;

  // While processing a batch: the output rows not yet emitted and what each is.
  BatchPtr pending_;
  std::vector<Entry> entries_;
  const Batch* retained_input_ = nullptr;
  int32_t current_input_row_ = -1;
  bool current_matched_ = false;
  std::string key_;
};

}  // namespace sluice::runtime::operators
