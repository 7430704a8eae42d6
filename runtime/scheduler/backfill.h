#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "catalog/base/result.h"
#include "runtime/plan/plan_graph.h"
#include "runtime/scheduler/job.h"
#include "runtime/state/snapshot.h"

namespace sluice::runtime::scheduler {

// Backfill (`sluice run NEW.pipe --from SNAPSHOT --backfill UID,…`): the state of the named
// operators is computed from the sources' history instead of starting empty (or migrated) at
// the restore point. A replay runs the operators upstream of them, from the beginning of
// their sources up to exactly the snapshot's source positions (SourceReader::StopAt), with no
// sink at all; a stop-with-savepoint at that cut captures their state (and the watermarks and
// open windows that go with it) in a canonical savepoint; the real run then restores those
// operators from it and everything else — sources, sinks, other operators — from SNAPSHOT,
// so nothing the replay computed reaches a sink and the sources continue where SNAPSHOT left.

/// The source nodes upstream of operator `uid` in `plan` when it can be backfilled: a
/// stateful operator (not a source or sink) whose every upstream source's connector can
/// replay its history (Connector::CanReplay). Errors (kOption) name the UID and why not: no
/// such operator, no state, or the source that cannot replay and its connector.
base::Result<std::vector<const plan::PlanNode*>> BackfillSources(const plan::PlanGraph& plan,
                                                                 const std::string& uid);

/// The plan a replay runs, checked against `snapshot` before anything runs: the operators
/// `uids` and everything upstream of them (nothing downstream: no sink), every node at the
/// parallelism of the snapshot's source splits, each source reading its table through the
/// replay connector up to the snapshot's position of each split, without idleness.
/// Errors (kOption): those of BackfillSources, a source the snapshot has no positions for
/// (it was added since), splits at several parallelisms.
base::Result<plan::PlanGraph> ReplayPlan(const plan::PlanGraph& plan,
                                         const state::Snapshot& snapshot,
                                         const std::vector<std::string>& uids);

/// What a replay did.
struct ReplayResult {
  state::Snapshot snapshot;  // the replayed state of the operators, as a canonical savepoint
  /// Per backfilled UID, the rows its upstream sources replayed.
  std::vector<std::pair<std::string, int64_t>> rows;
};

/// Runs `replay` (from ReplayPlan) until every source split is at the snapshot's position,
/// then stops it with a savepoint under `directory` and checks that its sources stopped at
/// exactly `snapshot`'s positions (watermarks included). `options` gives the engine (services,
/// compilers, threads); its restore and checkpoint settings are ignored. `cancelled` is asked
/// every few milliseconds; when it says yes the replay stops with an error.
base::Result<ReplayResult> RunReplay(const plan::PlanGraph& replay, const state::Snapshot& snapshot,
                                     const std::vector<std::string>& uids, JobOptions options,
                                     const std::string& directory,
                                     const std::function<bool()>& cancelled);

/// Splits `--backfill a,b` into UIDs (blanks trimmed, empty items dropped).
std::vector<std::string> SplitBackfillUids(const std::string& text);

}  // namespace sluice::runtime::scheduler
