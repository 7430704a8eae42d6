#pragma once

#include <set>
#include <string>

#include "runtime/scheduler/restore_planner.h"

namespace sluice::compiler::check {

/// The compatibility check of `sluice check` as the runtime's restore gate: restoring is
/// refused when some state is incompatible, or when state that holds something has no owner
/// in the new job (unless `allow_dropped_state`). Operators in `backfilled` (`--backfill`)
/// take their state from the sources' history, not from the snapshot: whatever their old
/// state, they do not refuse the restore.
runtime::scheduler::RestoreGate MakeRestoreGate(std::set<std::string> backfilled = {});

}  // namespace sluice::compiler::check
