#pragma once

#include <memory>

#include "runtime/operators/chain_evaluator.h"
#include "runtime/operators/operator.h"

namespace sluice::runtime::operators {

/// Runs a fused stateless chain (filter + projections) over every batch.
class CalcOperator : public Operator {
 public:
  base::Status Open(const OperatorContext& context) override;
  base::Status ProcessBatch(int32_t input, BatchPtr batch, Output* out) override;

 private:
  std::unique_ptr<ChainEvaluator> chain_;
};

}  // namespace sluice::runtime::operators
