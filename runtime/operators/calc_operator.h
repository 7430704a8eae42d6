#pragma once

#include <memory>

#include "runtime/operators/chain_evaluator.h"
#include "runtime/operators/operator.h"

namespace sluice::runtime::operators {

/// Runs a fused stateless chain (filter + projections) over every batch. Over an updating
/// stream the filter is the chain's last projection and is applied afterwards, so each kept
/// row keeps its row kind (+I, -U, +U, -D).
class CalcOperator : public Operator {
 public:
  base::Status Open(const OperatorContext& context) override;
  base::Status ProcessBatch(int32_t input, BatchPtr batch, Output* out) override;

 private:
  /// Keeps the rows of `evaluated` whose last column is TRUE, without that column, with the
  /// row kinds of `input`.
  BatchPtr ApplyFilterColumn(const Batch& input, const Batch& evaluated) const;

  std::unique_ptr<ChainEvaluator> chain_;
  bool filter_as_last_projection_ = false;
  std::vector<types::LogicalType> output_types_;
};

}  // namespace sluice::runtime::operators
