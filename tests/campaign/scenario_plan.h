#pragma once

// The plan of a crash scenario: which runs are interrupted, how and when, at which
// parallelism and on which backend; drawn from a seed so that a failure can be replayed.

#include <cstdint>
#include <string>
#include <vector>

#include "tests/campaign/campaign_job.h"

namespace sluice::campaign {

/// What the driver does to one run that it interrupts.
enum class RunAction {
  kKill,               // SIGKILL after a delay
  kCrashHook,          // SLUICE_TEST_CRASH_AT=<point>:<n>; SIGKILL after a longer delay if the
                       // hook has not fired by then
  kStopWithSavepoint,  // SIGTERM after a delay: stop with a savepoint
};

/// How a scenario interrupts its runs.
enum class ScenarioMode {
  kKills,                         // periodic checkpoints, SIGKILL, --resume
  kKillsAndHooks,                 // periodic checkpoints, SIGKILL and crash hooks, --resume
  kSavepointsAndKills,            // periodic checkpoints, stops with savepoints, kills, hooks
  kSavepointsWithoutCheckpoints,  // no periodic checkpoints: stops with savepoints only, each
                                  // run restored from the last savepoint
};

/// One interrupted run as planned.
struct PlannedRun {
  RunAction action = RunAction::kKill;
  /// When the signal comes, as a fraction of the reference run's wall time.
  double delay_fraction = 0;
  /// kCrashHook: `<point>:<n>`.
  std::string crash_at;
  int parallelism = 1;
  /// memory or rocksdb. A run restoring native RocksDB state (an incremental checkpoint, a
  /// native savepoint) stays on rocksdb unless `native_into_memory`: the README has `--from`
  /// load any snapshot into either backend, but the native fast path needs RocksDB.
  std::string backend = "memory";
  bool native_into_memory = false;
  /// kStopWithSavepoint on rocksdb: `state.savepoints.format=native`.
  bool native_savepoint = false;
  /// kStopWithSavepoint: the delay counts from the first new file in the output (the job is
  /// running), not from the start of the process (a signal during job setup stops the job
  /// without a savepoint).
  bool after_progress = false;
};

/// Everything random about a scenario: a pure function of its job and seed, so that
/// `SLUICE_CAMPAIGN_SEED=<seed>` replays the plan (the moments the kills land at still vary
/// with the machine's speed).
struct ScenarioPlan {
  const CampaignJob* job = nullptr;
  uint64_t seed = 0;
  ScenarioMode mode = ScenarioMode::kKills;
  /// 0: no periodic checkpoints.
  int checkpoint_interval_ms = 0;
  std::vector<PlannedRun> interrupted_runs;
  /// The run that finishes the job.
  int final_parallelism = 1;
  std::string final_backend = "memory";
  bool final_native_into_memory = false;
  /// After the job finished, `--resume` once more: it must add nothing.
  bool resume_after_finish = false;

  static ScenarioPlan Make(const CampaignJob& job, uint64_t seed);
  /// "kills and hooks, checkpoints every 250 ms, 6 interrupted runs".
  std::string Describe() const;
};

}  // namespace sluice::campaign
