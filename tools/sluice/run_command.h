#pragma once

#include <string>

#include "runtime/plan/plan_graph.h"
#include "runtime/scheduler/job.h"
#include "tools/sluice/restore.h"

namespace sluice::cli {

/// `sluice run`'s flags beyond the plan and the job options.
struct RunJobFlags {
  RestoreFlags restore;
  std::string savepoint_at_end;  // hidden debugging flag: a savepoint of the final state
  std::string savepoint_format = "canonical";
};

/// Runs `plan` as `sluice run` does and returns the exit code: restores what `flags.restore`
/// asks for (after the compatibility check), takes savepoints on SIGUSR1 and stops on
/// SIGINT/SIGTERM (with a savepoint when `state.savepoints.dir` is set), and after a failure
/// restarts from the latest completed checkpoint as `restart-strategy.*` allows.
int RunJob(const runtime::plan::PlanGraph& plan, runtime::scheduler::JobOptions options,
           const RunJobFlags& flags);

}  // namespace sluice::cli
