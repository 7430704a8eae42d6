#pragma once

#include <optional>
#include <string>

#include "runtime/plan/plan_graph.h"
#include "runtime/state/snapshot.h"

namespace sluice::cli {

/// `sluice run`'s restore flags (DESIGN §8, §10).
struct RestoreFlags {
  std::string from;                  // --from SNAPSHOT: a savepoint or checkpoint directory
  bool resume = false;               // --resume: the latest completed checkpoint of the job
  bool allow_dropped_state = false;  // --allow-dropped-state
  std::string checkpoint_directory;  // --checkpoint-dir
};

/// The newest completed checkpoint of `plan`'s job (under `checkpoint_directory`, see
/// scheduler::CheckpointJobDirectory) that verifies, skipping corrupt ones with a warning;
/// nullopt when there is none.
std::optional<runtime::state::Snapshot> LatestVerifiedCheckpoint(
    const runtime::plan::PlanGraph& plan, const std::string& checkpoint_directory);

/// What to restore `plan` from. Reads and verifies the snapshot (`--from`, of any job: a note
/// says when it is of another, and operators are matched by UID; or for `--resume` the newest
/// completed checkpoint of this job that verifies, skipping corrupt ones with a warning), runs
/// the compatibility check of `sluice check` against it and prints what it decided to stderr.
/// Returns nullopt with `*exit_code` 0 to start afresh (nothing asked, or `--resume` found no
/// checkpoint), or with the exit code when it refuses: 2 for a bad or unreadable snapshot, 1
/// when state that holds something would be dropped (without --allow-dropped-state) or is
/// incompatible.
std::optional<runtime::state::Snapshot> ChooseSnapshot(const runtime::plan::PlanGraph& plan,
                                                       const RestoreFlags& flags, int* exit_code);

}  // namespace sluice::cli
