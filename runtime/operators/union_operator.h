#pragma once

#include "runtime/operators/operator.h"

namespace sluice::runtime::operators {

/// Forwards every batch of every input unchanged (UNION ALL), row kinds included. The runner
/// already min-combines the inputs' watermarks, so the default ProcessWatermark suffices.
class UnionOperator : public Operator {
 public:
  base::Status ProcessBatch(int32_t input, BatchPtr batch, Output* out) override;
};

}  // namespace sluice::runtime::operators
