#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "catalog/base/status.h"
#include "runtime/plan/plan_graph.h"
#include "runtime/scheduler/job_events.h"
#include "runtime/state/snapshot.h"

namespace sluice::runtime::scheduler {

/// What a run is asked to restore from (`sluice run`'s flags, a server's submit request).
struct RestoreRequest {
  std::string from;                  // a savepoint or checkpoint directory, of any job
  bool resume = false;               // the latest completed checkpoint of this job
  bool allow_dropped_state = false;  // discard state that no operator owns any more
};

/// What the compatibility check of `sluice check` says of restoring `snapshot` into a plan.
struct RestoreVerdict {
  bool refuse = false;
  std::string refusal;  // why, when refused (one line)
  /// The per-operator table, when there is something to say (migrated, new or dropped
  /// state); empty when everything is restored as it was.
  std::string table;
  std::vector<std::string> discarded;  // one line per dropped operator that held state
  int32_t restored = 0;
  int32_t migrated = 0;
  int32_t fresh = 0;
};

/// Runs that check. The compiler provides it (compiler/check/restore_gate.h): the runtime
/// does not depend on the compiler.
using RestoreGate = std::function<RestoreVerdict(
    const state::Snapshot& snapshot, const plan::PlanGraph& plan, bool allow_dropped_state)>;

/// What DecideRestore chose.
struct RestoreDecision {
  /// What to restore from; nullopt: the beginning.
  std::optional<state::Snapshot> snapshot;
  /// Notes, warnings and the check's table, in order, for the front end to show.
  std::vector<JobEvent> events;
  /// Not OK when the restore is refused: kIncompatible (the check said no), or the error that
  /// made the named snapshot unreadable. Nothing was touched either way.
  base::Status refusal;
};

/// The newest completed checkpoint of `plan`'s job under `checkpoint_directory` (see
/// CheckpointJobDirectory) that verifies; the ones skipped (corrupt, or of another job whose
/// name maps to the same directory) are added to `warnings`. Nullopt when there is none.
std::optional<state::Snapshot> LatestVerifiedCheckpoint(const plan::PlanGraph& plan,
                                                        const std::string& checkpoint_directory,
                                                        std::vector<JobEvent>* warnings);

/// Decides what a run of `plan` restores from (DESIGN §8): the snapshot `request.from` names
/// (of any job: operators are matched by UID, and a note says so), or for `request.resume`
/// the newest verified checkpoint of this job (none: from the beginning, with a note); then
/// runs `gate` against it and refuses when state would be lost or is incompatible. Prints
/// nothing.
RestoreDecision DecideRestore(const plan::PlanGraph& plan, const RestoreRequest& request,
                              const std::string& checkpoint_directory, const RestoreGate& gate);

}  // namespace sluice::runtime::scheduler
