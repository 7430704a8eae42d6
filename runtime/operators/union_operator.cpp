#include "runtime/operators/union_operator.h"

namespace sluice::runtime::operators {

base::Status UnionOperator::ProcessBatch(int32_t input, BatchPtr batch, Output* out) {
  if (batch->row_count() == 0) return base::Status::Ok();
  return out->EmitBatch(std::move(batch));
}

}  // namespace sluice::runtime::operators
