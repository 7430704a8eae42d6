#pragma once

#include <string>

#include "runtime/plan/plan_graph.h"
#include "runtime/scheduler/job.h"
#include "runtime/scheduler/restore_planner.h"

namespace sluice::cli {

/// `sluice run`'s flags beyond the plan and the job options.
struct RunJobFlags {
  runtime::scheduler::RestoreRequest restore;  // --from, --resume, --allow-dropped-state
  std::string checkpoint_directory;            // --checkpoint-dir
  std::string backfill;          // --backfill UID,UID...: state computed from the sources' history
  std::string savepoint_at_end;  // hidden debugging flag: a savepoint of the final state
  std::string savepoint_format = "canonical";
};

/// Runs `plan` as `sluice run` does, as a front end over runtime::scheduler::JobSupervisor,
/// and returns the exit code: renders the supervisor's events on stderr (and a progress line
/// when stderr is a terminal), takes savepoints on SIGUSR1 and stops on SIGINT/SIGTERM (with
/// a savepoint when `state.savepoints.dir` is set). Exit codes: 0 finished or stopped with a
/// savepoint, 1 failed or a restore refused as incompatible, 2 a bad request (option,
/// unreadable snapshot), 130 stopped without a savepoint.
int RunJob(const runtime::plan::PlanGraph& plan, runtime::scheduler::JobOptions options,
           const RunJobFlags& flags);

}  // namespace sluice::cli
