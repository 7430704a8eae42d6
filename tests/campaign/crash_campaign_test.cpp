// The randomized crash campaign (DESIGN §7, §8): every job of a family run with checkpoints
// and savepoints, killed with SIGKILL, crashed by the engine's test hooks
// (SLUICE_TEST_CRASH_AT) and stopped with savepoints at random moments, resumed or restored at
// another parallelism or backend until a last run finishes; its committed output must equal
// an uninterrupted run's: nothing lost, nothing twice. One test per family of jobs, so that
// ctest -j runs them side by side; scripts/crash-soak runs the same tests for longer.
//
// Replay one scenario: SLUICE_CAMPAIGN_SEED=<seed> SLUICE_CAMPAIGN_JOBS=<job>
// build/test_crash_campaign --gtest_filter=<test> (printed with every failure); the other
// variables are listed in crash_campaign.h.

#include "tests/campaign/crash_campaign.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

namespace sluice::campaign {
namespace {

void RunFamily(const std::string& family) {
  CampaignSettings settings = CampaignSettings::FromEnvironment(SLUICE_BINARY);
  std::vector<const CampaignJob*> jobs;
  for (const CampaignJob* job : JobsOfFamily(family)) {
    if (settings.jobs.empty() ||
        std::find(settings.jobs.begin(), settings.jobs.end(), job->name) != settings.jobs.end()) {
      jobs.push_back(job);
    }
  }
  if (jobs.empty()) GTEST_SKIP() << "SLUICE_CAMPAIGN_JOBS selects no job of family " << family;
  const testing::TestInfo* test = testing::UnitTest::GetInstance()->current_test_info();
  std::string test_name = std::string(test->test_suite_name()) + "." + test->name();
  CrashCampaign campaign(test_name, jobs, settings);
  CampaignReport report = campaign.Run();
  std::printf("%s", report.Summary(test_name, settings.master_seed).c_str());
  std::fflush(stdout);
  for (const CampaignFailure& failure : report.failures) ADD_FAILURE() << failure.message;
  // A campaign that killed nothing has tested nothing (a replayed scenario may finish first).
  if (!settings.replay_seed) {
    EXPECT_GT(report.kills, 0) << "no run was killed";
  }
}

TEST(CrashCampaign, Windows) {
  RunFamily("windows");
}
TEST(CrashCampaign, Aggregates) {
  RunFamily("aggregates");
}
TEST(CrashCampaign, Joins) {
  RunFamily("joins");
}
TEST(CrashCampaign, SeveralSources) {
  RunFamily("several_sources");
}

}  // namespace
}  // namespace sluice::campaign
