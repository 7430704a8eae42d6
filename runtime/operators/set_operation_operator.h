#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "runtime/operators/operator.h"
#include "runtime/state/row_codec.h"

namespace sluice::runtime::operators {

/// `left INTERSECT [ALL] right` and `left EXCEPT [ALL] right` over (insert-only or updating)
/// streams, as a changelog of the result's rows (plan::SetOperationSpec). Both inputs are
/// hashed by the whole row; input 0 is the left side.
///
/// State table "counts": key = the RowCodec-encoded row (every slot; NULLs compare equal, as
/// set operations require), empty namespace, value = two little-endian int64s: the copies of
/// the row the left input holds, then the right input's. An entry is deleted when both are 0.
///
/// +I/+U add a copy to its side, -U/-D remove one (ignored when the side holds none, as a
/// retraction of a row that expired). After each input row the row's multiplicity in the
/// result is recomputed from the counts; an increase emits that many +I, a decrease that many
/// -D. So INTERSECT [ALL] over insert-only inputs only ever emits +I. Watermarks are forwarded.
///
/// Restore: everything is state ("counts"); nothing is kept in memory between rows, so a
/// restore at another parallelism needs nothing at Open.
class SetOperationOperator : public Operator {
 public:
  base::Status Open(const OperatorContext& context) override;
  base::Status ProcessBatch(int32_t input, BatchPtr batch, Output* out) override;

 private:
  /// How many times the result holds a row that each side holds `left` and `right` times.
  int64_t Multiplicity(int64_t left, int64_t right) const;

  const plan::PlanNode* node_ = nullptr;
  plan::SetOperationSpec spec_;
  std::vector<types::LogicalType> types_;
  std::vector<int32_t> slots_;
  std::unique_ptr<state::RowCodec> codec_;
  state::StateTable* table_ = nullptr;
  int32_t max_parallelism_ = 128;
  bool row_kinds_ = false;
};

}  // namespace sluice::runtime::operators
