#include "tests/campaign/scenario_plan.h"

#include <random>
#include <sstream>

namespace sluice::campaign {

namespace {

const char* ModeName(ScenarioMode mode) {
  switch (mode) {
    case ScenarioMode::kKills: return "kills";
    case ScenarioMode::kKillsAndHooks: return "kills and crash hooks";
    case ScenarioMode::kSavepointsAndKills: return "stops with savepoints, kills and hooks";
    case ScenarioMode::kSavepointsWithoutCheckpoints:
      return "stops with savepoints, no periodic checkpoints";
  }
  return "?";
}

}  // namespace

ScenarioPlan ScenarioPlan::Make(const CampaignJob& job, uint64_t seed) {
  ScenarioPlan plan;
  plan.job = &job;
  plan.seed = seed;
  std::mt19937_64 random(seed);
  auto uniform = [&](int low, int high) {
    return std::uniform_int_distribution<int>(low, high)(random);
  };
  auto fraction = [&](double low, double high) {
    return std::uniform_real_distribution<double>(low, high)(random);
  };
  auto chance = [&](double probability) { return fraction(0, 1) < probability; };

  int mode = uniform(0, 99);
  plan.mode = mode < 35   ? ScenarioMode::kKills
              : mode < 60 ? ScenarioMode::kKillsAndHooks
              : mode < 85 ? ScenarioMode::kSavepointsAndKills
                          : ScenarioMode::kSavepointsWithoutCheckpoints;
  plan.checkpoint_interval_ms =
      plan.mode == ScenarioMode::kSavepointsWithoutCheckpoints ? 0 : uniform(100, 400);
  int parallelism = uniform(1, 2);
  std::string backend = chance(0.5) ? "memory" : "rocksdb";
  int interrupted =
      plan.mode == ScenarioMode::kSavepointsWithoutCheckpoints ? uniform(3, 6) : uniform(4, 8);
  for (int index = 0; index < interrupted; ++index) {
    PlannedRun run;
    // Resumed runs have less left to do: their signals come earlier.
    run.delay_fraction = index == 0 ? fraction(0.05, 0.8) : fraction(0.02, 0.55);
    int action = uniform(0, 99);
    switch (plan.mode) {
      case ScenarioMode::kKills: run.action = RunAction::kKill; break;
      case ScenarioMode::kKillsAndHooks:
        run.action = action < 50 ? RunAction::kKill : RunAction::kCrashHook;
        break;
      case ScenarioMode::kSavepointsAndKills:
        run.action = action < 40   ? RunAction::kStopWithSavepoint
                     : action < 75 ? RunAction::kKill
                                   : RunAction::kCrashHook;
        break;
      case ScenarioMode::kSavepointsWithoutCheckpoints:
        // Without checkpoints only a stop with a savepoint promises exactly-once output
        // (README: a killed run's files become visible when its input ends).
        run.action = RunAction::kStopWithSavepoint;
        break;
    }
    if (run.action == RunAction::kCrashHook) {
      int point = uniform(0, index == 0 ? 1 : 2);
      // Half the hooks of a job with crash points of its own (a Kafka sink's, between the
      // records, the epoch marker and the commit of a transaction) are those.
      if (!job.crash_points.empty() && chance(0.5)) {
        const int count = static_cast<int>(job.crash_points.size());
        run.crash_at =
            job.crash_points[uniform(0, count - 1)] + ":" + std::to_string(uniform(1, 4));
      } else if (point == 2) {
        run.crash_at = "during-restore:1";
      } else {
        run.crash_at = std::string(point == 0 ? "before-metadata" : "after-metadata") + ":" +
                       std::to_string(uniform(1, 4));
      }
      // The fallback kill: late enough that the hook usually comes first.
      run.delay_fraction = fraction(0.6, 1.2);
    }
    if (index > 0 && chance(0.3)) parallelism = 3 - parallelism;
    if (index > 0 && chance(0.25)) backend = backend == "memory" ? "rocksdb" : "memory";
    run.parallelism = parallelism;
    run.backend = backend;
    run.native_into_memory = chance(0.3);
    run.native_savepoint = run.action == RunAction::kStopWithSavepoint && chance(0.25);
    if (run.action == RunAction::kStopWithSavepoint && chance(0.85)) {
      run.after_progress = true;
      run.delay_fraction = fraction(0, 0.6);
    }
    plan.interrupted_runs.push_back(run);
  }
  plan.final_parallelism = chance(0.3) ? 3 - parallelism : parallelism;
  plan.final_backend = chance(0.25) ? (backend == "memory" ? "rocksdb" : "memory") : backend;
  plan.final_native_into_memory = chance(0.3);
  plan.resume_after_finish = plan.checkpoint_interval_ms > 0 && chance(0.3);
  return plan;
}

std::string ScenarioPlan::Describe() const {
  std::ostringstream text;
  text << ModeName(mode) << ", ";
  if (checkpoint_interval_ms > 0) {
    text << "checkpoints every " << checkpoint_interval_ms << " ms, ";
  }
  text << interrupted_runs.size() << " interrupted runs";
  if (resume_after_finish) text << ", --resume after the end";
  return text.str();
}

}  // namespace sluice::campaign
