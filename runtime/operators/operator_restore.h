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
///
/// Matching: the old and new PlanNode::signature (runtime/plan/state_evolution.h, the rule
/// `sluice check` uses) say which accumulator or kept column continues which; the layouts
/// come from the operators (aggregate/accumulator_migration.h, row_migration.h and the
/// Migrate* functions next to each operator). Equal layouts load as they are (one LoadSorted
/// per table, no per-record work); others stream through a RecordMigration into LoadSorted.
/// What converts: group and window aggregates (accumulators added, removed, reordered,
/// widened), OVER aggregations (calls and kept columns), regular, interval and window joins
/// and Top-N (kept columns added as NULL, removed, reordered, widened). Anything else that
/// differs is an error (kPlan) naming the UID and what differs, never a load into a layout the
/// operator does not read: a changed key, namespace, operator kind or non-evolvable signature
/// component, a narrowed type, or (without signatures in either plan) any layout change.
///
/// `max_parallelism` is the new job's `pipeline.max-parallelism` (0: the snapshot's). When it
/// differs from the snapshot's, [first, last] are key groups under the new one, and every
/// record is dealt into its new key group from its key (each subtask reads the whole table
/// and keeps its share, in memory while it loads): `sluice check` calls that `migrated`.
base::Status RestoreOperatorState(const state::Snapshot& snapshot, const plan::PlanNode& node,
                                  state::StateBackend* backend, int32_t first, int32_t last,
                                  int32_t max_parallelism = 0);

}  // namespace sluice::runtime::operators
