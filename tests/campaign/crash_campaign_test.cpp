// The randomized crash campaign (DESIGN §7, §8): every job of a family run with checkpoints
// and savepoints, killed with SIGKILL, crashed by the engine's test hooks
// (SLUICE_TEST_CRASH_AT) and stopped with savepoints at random moments, resumed or restored at
// another parallelism or backend until a last run finishes; its committed output must equal
// an uninterrupted run's: nothing lost, nothing twice. One test per family of jobs, so that
// ctest -j runs them side by side; scripts/crash-soak runs the same tests for longer.
//
// The `kafka` jobs read a topic of a librdkafka mock cluster (sluice-kafka-mock) the test starts
// on 127.0.0.1 and fills first; it stops with the test (and with the test process, should that
// die).
//
// Replay one scenario: SLUICE_CAMPAIGN_SEED=<seed> SLUICE_CAMPAIGN_JOBS=<job>
// build/test_crash_campaign --gtest_filter=<test> (printed with every failure); the other
// variables are listed in crash_campaign.h.

#include "tests/campaign/crash_campaign.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/campaign/kafka_campaign.h"
#include "tests/kafka/mock_cluster.h"

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
  // Kafka jobs: a mock cluster of this test's own, its source topic filled before any run.
  std::unique_ptr<testing_support::MockCluster> cluster;
  std::string bootstrap_servers;
  if (std::any_of(jobs.begin(), jobs.end(), [](const CampaignJob* job) { return job->kafka; })) {
    cluster = std::make_unique<testing_support::MockCluster>(
        testing_support::MockClusterOptions{1, {{kKafkaSourceTopic, kKafkaSourcePartitions}}});
    ASSERT_TRUE(cluster->ok()) << cluster->error();
    bootstrap_servers = cluster->bootstrap_servers();
    auto started = std::chrono::steady_clock::now();
    std::optional<std::string> error = FillKafkaSource(bootstrap_servers);
    ASSERT_FALSE(error) << "filling the Kafka source topic: " << *error;
    std::printf(
        "[campaign %s] Kafka mock cluster %s: %lld records in topic %s (%d partitions) "
        "in %.1f s\n",
        test_name.c_str(), bootstrap_servers.c_str(), static_cast<long long>(kKafkaSourceRecords),
        kKafkaSourceTopic, kKafkaSourcePartitions,
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    std::fflush(stdout);
  }
  CrashCampaign campaign(test_name, jobs, settings, bootstrap_servers);
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
TEST(CrashCampaign, Kafka) {
  RunFamily("kafka");
}

}  // namespace
}  // namespace sluice::campaign
