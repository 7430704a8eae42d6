#include "runtime/operators/calc_operator.h"

namespace sluice::runtime::operators {

base::Status CalcOperator::Open(const OperatorContext& context) {
  SLUICE_ASSIGN_OR_RETURN(chain_,
                          ChainEvaluator::Create(*context.node->chain, context.chain_compiler));
  return base::Status::Ok();
}

base::Status CalcOperator::ProcessBatch(int32_t input, BatchPtr batch, Output* out) {
  SLUICE_ASSIGN_OR_RETURN(BatchPtr result, chain_->Evaluate(*batch));
  if (result->row_count() == 0) return base::Status::Ok();
  return out->EmitBatch(std::move(result));
}

}  // namespace sluice::runtime::operators
