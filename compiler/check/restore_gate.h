#pragma once

#include "runtime/scheduler/restore_planner.h"

namespace sluice::compiler::check {

/// The compatibility check of `sluice check` as the runtime's restore gate: restoring is
/// refused when some state is incompatible, or when state that holds something has no owner
/// in the new job (unless `allow_dropped_state`).
runtime::scheduler::RestoreGate MakeRestoreGate();

}  // namespace sluice::compiler::check
