#include "runtime/operators/operator_restore.h"

namespace sluice::runtime::operators {

base::Status RestoreOperatorState(const state::Snapshot& snapshot, const plan::PlanNode& node,
                                  state::StateBackend* backend, int32_t first, int32_t last) {
  for (const plan::StateSpec& spec : node.state) {
    SLUICE_RETURN_IF_ERROR(state::RestoreInto(snapshot, node.uid, spec.name, backend, first, last));
  }
  return base::Status::Ok();
}

}  // namespace sluice::runtime::operators
