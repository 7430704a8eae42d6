#pragma once

// The crash campaign: scenarios of some jobs run side by side until enough processes were
// killed, each judged against one uninterrupted reference run per job.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tests/campaign/campaign_job.h"
#include "tests/campaign/crash_scenario.h"

namespace sluice::campaign {

/// What a campaign does, read from the environment:
///   SLUICE_CAMPAIGN_KILLS        kills to reach before no new scenario starts
///   SLUICE_CAMPAIGN_SECONDS      no new scenario starts after this many seconds
///   SLUICE_CAMPAIGN_CONCURRENCY  scenarios run side by side
///   SLUICE_CAMPAIGN_SEED         replay: one scenario of this seed per selected job
///   SLUICE_CAMPAIGN_MASTER_SEED  the seed the scenario seeds are drawn from (default random)
///   SLUICE_CAMPAIGN_JOBS         comma-separated job names (default: all of the test's jobs)
///   SLUICE_CAMPAIGN_BINARY       the sluice binary (default: the one built with the test)
///   SLUICE_CAMPAIGN_KEEP         1: keep the directories of failed scenarios
///   SLUICE_CAMPAIGN_VERBOSE      1: print the timeline of every scenario, not only failed ones
struct CampaignSettings {
  int kill_target = 55;
  double seconds = 100;
  int concurrency = 3;
  std::optional<uint64_t> replay_seed;
  uint64_t master_seed = 0;
  std::vector<std::string> jobs;  // empty: all
  std::string binary;
  bool keep_failed = false;
  bool verbose = false;

  /// The settings with `default_binary` and the defaults above, overridden by the environment.
  static CampaignSettings FromEnvironment(const std::string& default_binary);
};

/// One failed scenario, with what is needed to replay it.
struct CampaignFailure {
  std::string job;
  uint64_t seed = 0;
  std::string symptom;
  /// The whole report: scenario, seed, replay command, plan, kill timeline, differences.
  std::string message;
  std::string replay_command;
};

/// What a campaign did.
struct CampaignReport {
  int scenarios = 0;
  int runs = 0;
  int kills = 0;
  int hook_kills = 0;
  int hooks_planned = 0;
  std::map<std::string, std::pair<int, int>> hooks_by_point;  // planned, fired
  int savepoints = 0;
  std::vector<uint64_t> seeds;
  std::vector<CampaignFailure> failures;
  std::map<std::string, int> notes;  // note → times seen
  double seconds = 0;
  bool stopped_by_time = false;  // the time ran out before the kill target was reached

  /// A few lines for people, then one `CAMPAIGN-SUMMARY key=value…` line and one
  /// `CAMPAIGN-FAILURE …` line per failure for scripts (scripts/crash-soak).
  std::string Summary(const std::string& test_name, uint64_t master_seed) const;
};

/// Runs scenarios of `jobs` on `settings.concurrency` threads until the kills reach the
/// target (or the time is up); a replay runs one scenario per job instead. Each job's
/// reference is an uninterrupted run without checkpoints at parallelism 1 on memory, checked
/// against a second one at parallelism 2 on RocksDB.
class CrashCampaign {
 public:
  /// `test_name` names the gtest case in replay commands. `kafka_bootstrap_servers`: the
  /// cluster the `kafka` jobs use (its source topic filled: kafka_campaign.h).
  CrashCampaign(std::string test_name, std::vector<const CampaignJob*> jobs,
                CampaignSettings settings, std::string kafka_bootstrap_servers = "");
  CampaignReport Run();

 private:
  struct JobReference;

  void Work();
  /// The reference of `job`, computed once; null (and `error` set) when it cannot be had.
  const ReferenceOutput* Reference(const CampaignJob& job, std::string* error);
  std::optional<std::string> ComputeReference(const CampaignJob& job, ReferenceOutput* reference);
  void Record(const CampaignJob& job, uint64_t seed, const ScenarioPlan& plan,
              const ScenarioOutcome& outcome, double seconds);
  std::string ReplayCommand(const CampaignJob& job, uint64_t seed) const;
  bool ShouldStop() const;

  std::string test_name_;
  std::vector<const CampaignJob*> jobs_;
  CampaignSettings settings_;
  std::string kafka_bootstrap_servers_;
  std::string directory_;
  std::chrono::steady_clock::time_point started_;

  mutable std::mutex mutex_;  // guards everything below
  int next_scenario_ = 0;
  CampaignReport report_;
  std::map<std::string, std::shared_ptr<JobReference>> references_;
};

}  // namespace sluice::campaign
