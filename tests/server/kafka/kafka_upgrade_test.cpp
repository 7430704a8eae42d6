// `sluice upgrade` of a job that reads a Kafka topic while it is being written and writes two
// exactly-once sinks, a filesystem table and a Kafka topic (two INSERTs): in both, the
// committed output is the old version's up to one cut and the new version's after it, and
// the cut is the same source position in both (one handover savepoint for the whole job).

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "tests/kafka/committed_topic.h"
#include "tests/kafka/mock_cluster.h"
#include "tests/server/server_fixture.h"

namespace sluice {
namespace {

using namespace server_test;  // NOLINT: the fixture and jobs shared by the server's tests

constexpr int64_t kRows = 30001;  // the last is neither filtered by version 1 nor 2

/// Writes 1..kRows into topic `in` at `rate` rows/s (one partition: the order is the ids').
std::string FillJob(const std::string& bootstrap, int64_t rate) {
  const std::string rows = std::to_string(kRows);
  return "CREATE TABLE gen (a BIGINT) WITH ('connector' = 'datagen', 'number-of-rows' = '" + rows +
         "', 'rows-per-second' = '" + std::to_string(rate) +
         "', 'fields.a.kind' = 'sequence', 'fields.a.start' = '1', 'fields.a.end' = '" + rows +
         "');\n"
         "CREATE TABLE fill (a BIGINT) WITH ('connector' = 'kafka', 'topic' = 'in', "
         "'properties.bootstrap.servers' = '" +
         bootstrap +
         "', 'format' = 'json', 'sink.delivery-guarantee' = 'at-least-once');\n"
         "INSERT INTO fill SELECT a FROM gen;\n";
}

/// Version 1: reads `in` up to its kRows-th record, writes (a, 2a) for a not a multiple of 7
/// into files and into topic `out`; `version 2` writes (a, 3a) and also drops multiples of 5.
std::string UpgradedJob(const std::string& bootstrap, const fs::path& files, int version) {
  const std::string select = version == 1
                                 ? "SELECT a, a * 2 AS b FROM src WHERE MOD(a, 7) <> 0"
                                 : "SELECT a, a * 3 AS b FROM src WHERE MOD(a, 7) <> 0 AND "
                                   "MOD(a, 5) <> 0";
  return "CREATE TABLE src (a BIGINT) WITH ('connector' = 'kafka', 'topic' = 'in', "
         "'properties.bootstrap.servers' = '" +
         bootstrap +
         "', 'format' = 'json', 'properties.queued.min.messages' = '1000000', "
         "'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'specific-offsets', "
         "'scan.bounded.specific-offsets' = 'partition:0,offset:" +
         std::to_string(kRows) +
         "');\n"
         "CREATE TABLE files (a BIGINT, b BIGINT) WITH ('connector' = 'filesystem', 'path' = '" +
         files.string() +
         "', 'format' = 'json');\n"
         "CREATE TABLE topic_out (a BIGINT, b BIGINT) WITH ('connector' = 'kafka', "
         "'topic' = 'out', 'properties.bootstrap.servers' = '" +
         bootstrap +
         "', 'format' = 'json', 'sink.delivery-guarantee' = 'exactly-once', "
         "'sink.transactional-id-prefix' = 'upgraded', "
         "'sink.exactly-once.tag-records' = 'true');\n"
         "INSERT INTO files " +
         select + ";\nINSERT INTO topic_out " + select + ";\n";
}

// In both forms: the simple handover, and the new version catching up in shadow first (its
// reader held at the old version's offsets, job_upgrade_shadow.cpp).
class KafkaUpgradeTest : public ServerTest, public ::testing::WithParamInterface<const char*> {};

INSTANTIATE_TEST_SUITE_P(Modes, KafkaUpgradeTest, ::testing::Values("simple", "shadow"));

TEST_P(KafkaUpgradeTest, BothSinksCutOverAtTheSameSourcePosition) {
  const std::string mode = GetParam();
  testing_support::MockCluster cluster({.brokers = 1, .topics = {{"in", 1}, {"out", 1}}});
  ASSERT_TRUE(cluster.ok()) << cluster.error();
  const std::string bootstrap = cluster.bootstrap_servers();
  // The topic is written while the job reads it: about 5 s at 6,000 rows/s.
  std::string fill_log;
  int fill_exit = -1;
  std::thread fill([&] {
    fill_exit = RunProcess({SLUICE_BINARY, "run", Write("fill.pipe", FillJob(bootstrap, 6000))},
                           nullptr, &fill_log);
  });
  StartServer();
  const std::string id = Submit(UpgradedJob(bootstrap, directory_ / "files", 1), "kafka.pipe");
  ASSERT_TRUE(server_.WaitForJob(id, [](const json& job) {
    return job.value("state", "") == "RUNNING" && job["checkpoints"].value("completed", 0) >= 2 &&
           job.value("rows_out", 0) > 0;
  })) << server_.Log();
  std::string out, err;
  const int upgraded =
      Client({"upgrade", id, Write("v2.pipe", UpgradedJob(bootstrap, directory_ / "files", 2)),
              "--mode", mode},
             &out, &err);
  fill.join();
  ASSERT_EQ(fill_exit, 0) << fill_log;
  ASSERT_EQ(upgraded, 0) << err << server_.Log();
  ASSERT_TRUE(server_.WaitForJob(id, [](const json& job) {
    return job.value("state", "") == "FINISHED";
  })) << server_.Log();

  const int64_t files_cut = CheckSequenceCut(directory_ / "files", kRows);
  auto topic = testing_support::ReadCommittedTopic(bootstrap, "out");
  ASSERT_TRUE(topic.ok()) << topic.status().message();
  EXPECT_TRUE(topic->untagged.empty());
  const int64_t topic_cut = CheckSequenceCut(topic->values, kRows);
  EXPECT_LT(files_cut, kRows) << "the job ended before the upgrade: nothing was tested";
  EXPECT_EQ(files_cut, topic_cut) << "the two sinks cut over at different source positions";
  json job = Job(id);
  EXPECT_EQ(job.value("version", 0), 2);
  EXPECT_EQ(job["upgrades"].back().value("phase", ""), "done") << job.dump(2);
  EXPECT_EQ(job["upgrades"].back().value("mode", ""), mode) << job.dump(2);
  EXPECT_FALSE(job["upgrades"].back().contains("shadow_fallback")) << job.dump(2);
}

}  // namespace
}  // namespace sluice
