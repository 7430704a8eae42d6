#pragma once

#include <cstdint>

#include "catalog/base/status.h"
#include "runtime/plan/plan_graph.h"
#include "runtime/state/snapshot.h"
#include "runtime/state/state_backend.h"

namespace sluice::runtime::operators {

/// Loads the state of `node` (every StateSpec it declares) for key groups [first, last] from
/// `snapshot` into `backend`, before the operator is opened: the operator with the same UID in
/// the snapshot's plan wrote it. Where that operator's state layout differs in a way
/// `sluice check` calls `migrated` (an accumulator added or removed, a widened type, a
/// nullable value column added), the records are converted while they are loaded; state the
/// snapshot does not have starts empty.
base::Status RestoreOperatorState(const state::Snapshot& snapshot, const plan::PlanNode& node,
                                  state::StateBackend* backend, int32_t first, int32_t last);

}  // namespace sluice::runtime::operators
