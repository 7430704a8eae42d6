#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/base/status.h"
#include "runtime/batch/batch.h"
#include "runtime/plan/plan_graph.h"

namespace sluice::runtime::operators::aggregate {

/// Keeps the accumulators of one group (or one window slice of one group) for a list of
/// aggregate calls, as one byte string that can live in a StateTable.
///
/// Semantics (Flink's): COUNT(*) and COUNT(x) → BIGINT, counting rows / non-NULL x;
/// SUM → the argument type for INT, BIGINT, DOUBLE (DECIMAL(p, s) → DECIMAL(38, s)), NULL
/// when no non-NULL value was summed; AVG → the argument type (integer AVG truncates toward
/// zero), NULL when empty; MIN/MAX → the argument type (any comparable type, strings bytewise),
/// NULL when empty; DISTINCT counts/sums each value once; FILTER (WHERE f) skips rows where the
/// filter slot is not TRUE. With `retractable`, MIN, MAX and DISTINCT keep a count per value so
/// a retraction (-U/-D) can take a value out again.
class Aggregator {
 public:
  explicit Aggregator(std::vector<plan::AggregateCall> calls);

  /// The accumulator of an empty group.
  std::string Initial() const;
  /// Folds row `row` of `input` into `accumulator`, or takes it out when `retract` is set.
  base::Status Accumulate(std::string* accumulator, const Batch& input, int32_t row,
                          bool retract) const;
  /// Merges accumulator `other` into `accumulator` (window slices into windows). Not
  /// supported for retractable accumulators.
  base::Status Merge(std::string* accumulator, std::string_view other) const;
  /// Writes each call's result into `out` at `row`, columns [first_column, first_column + n).
  base::Status WriteResults(std::string_view accumulator, Batch* out, int32_t row,
                            size_t first_column) const;
  /// Rows accumulated minus rows retracted: a group whose count drops to 0 is gone.
  int64_t RowCount(std::string_view accumulator) const;

  const std::vector<plan::AggregateCall>& calls() const { return calls_; }

 private:
  std::vector<plan::AggregateCall> calls_;
};

}  // namespace sluice::runtime::operators::aggregate
