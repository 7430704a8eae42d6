// The kafka connector through the sluice binary, against librdkafka's mock cluster in another
// process (sluice-kafka-mock): a topic filled by one job and read by another, exactly-once
// output that survives kill -9 at random moments (read back as committed: the mock shows
// aborted transactions, so every record carries the attempt that published it and counts only
// when that attempt's epoch marker is there), a source that resumes from its offsets after a
// crash, and the errors a user meets first.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "scratch_directory.h"
#include "sluice_process.h"
#include "tests/kafka/committed_topic.h"
#include "tests/kafka/mock_cluster.h"

namespace {

namespace fs = std::filesystem;
using sluice::testing_support::CommittedLines;
using sluice::testing_support::MockCluster;
using sluice::testing_support::Process;
using sluice::testing_support::ReadAll;

class KafkaCliTest : public sluice::testing_support::ScratchDirectoryTest {
 protected:
  KafkaCliTest() : ScratchDirectoryTest("sluice-kafka-") {}

  /// The values an exactly-once sink committed: records whose publishing attempt
  /// (`sluice-epoch` header: `<transactional id>/<checkpoint>/<attempt>`) has its marker.
  std::vector<std::string> CommittedValues(const std::string& bootstrap, const std::string& topic) {
    auto committed = sluice::testing_support::ReadCommittedTopic(bootstrap, topic);
    EXPECT_TRUE(committed.ok()) << committed.status().message();
    if (!committed.ok()) return {};
    EXPECT_TRUE(committed->untagged.empty()) << "a record without its attempt";
    return committed->values;
  }

  std::vector<std::string> AllValues(const std::string& bootstrap, const std::string& topic) {
    auto records = sluice::testing_support::ReadWholeTopic(bootstrap, topic);
    EXPECT_TRUE(records.ok()) << records.status().message();
    if (!records.ok()) return {};
    std::vector<std::string> values;
    for (const auto& record : *records) values.push_back(record.value.value_or("<null>"));
    std::sort(values.begin(), values.end());
    return values;
  }

  std::vector<std::string> RunArguments(const std::string& file, std::vector<std::string> extra) {
    std::vector<std::string> arguments = {"run",
                                          file,
                                          "--checkpoint-dir",
                                          (directory_ / "checkpoints").string(),
                                          "--set",
                                          "execution.checkpointing.interval=100 ms"};
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    return arguments;
  }
};

/// Seeded rows with a sequence id: every run (at any parallelism) makes the same, distinct rows.
std::string BidsPipe(const std::string& rows, const std::string& rate) {
  return "CREATE TABLE bids (id BIGINT, auction BIGINT, price BIGINT, ts TIMESTAMP(3)) WITH "
         "('connector' = 'datagen', 'number-of-rows' = '" +
         rows + "', 'rows-per-second' = '" + rate +
         "', 'seed' = '7', 'fields.id.kind' = 'sequence', 'fields.id.start' = '1', "
         "'fields.id.end' = '" +
         rows +
         "', 'fields.auction.min' = '1', "
         "'fields.auction.max' = '50', 'fields.price.min' = '1', 'fields.price.max' = '1000');\n";
}

TEST_F(KafkaCliTest, ExactlyOnceOutputSurvivesKillsAtRandomMoments) {
  MockCluster cluster({1, {{"bids", 4}, {"bids.sluice-epochs", 1}, {"reference", 4}}});
  ASSERT_TRUE(cluster.ok()) << cluster.error();
  const std::string bootstrap = cluster.bootstrap_servers();
  auto pipe = [&](const std::string& topic, const std::string& guarantee) {
    return BidsPipe("30000", "10000") +
           "CREATE TABLE out (id BIGINT, auction BIGINT, price BIGINT, ts TIMESTAMP(3)) WITH "
           "('connector' = 'kafka', 'topic' = '" +
           topic + "', 'properties.bootstrap.servers' = '" + bootstrap +
           "', 'format' = 'json', 'sink.delivery-guarantee' = '" + guarantee +
           "', 'sink.transactional-id-prefix' = 'bids-job', "
           "'sink.exactly-once.tag-records' = 'true');\n"
           "INSERT INTO out SELECT id, auction, price, ts FROM bids WHERE price > 100;\n";
  };
  // The reference: an uninterrupted run without checkpoints (at-least-once, nothing fails).
  std::string reference_file = Write("reference.pipe", pipe("reference", "at-least-once"));
  Process reference({"run", reference_file}, directory_ / "reference.log");
  ASSERT_EQ(reference.Wait(), 0) << ReadAll(directory_ / "reference.log");
  std::vector<std::string> expected = AllValues(bootstrap, "reference");
  ASSERT_GT(expected.size(), 20000u);  // 9 in 10 of 30,000

  std::string file = Write("bids.pipe", pipe("bids", "exactly-once"));
  fs::path log = directory_ / "run.log";
  std::mt19937 random(testing::UnitTest::GetInstance()->random_seed());
  std::uniform_int_distribution<int> moment(300, 2500);
  for (int kill = 0; kill < 4; ++kill) {
    Process run(RunArguments(file, kill == 0 ? std::vector<std::string>{"-p", "2"}
                                             : std::vector<std::string>{"-p", "2", "--resume"}),
                log);
    std::this_thread::sleep_for(std::chrono::milliseconds(moment(random)));
    run.Signal(SIGKILL);
    int code = run.Wait();
    ASSERT_TRUE(code == 128 + SIGKILL || code == 0) << ReadAll(log);
    // Between runs, never a committed row twice (a duplicate shows at the run that made it).
    std::vector<std::string> so_far = CommittedValues(bootstrap, "bids");
    std::set<std::string> distinct(so_far.begin(), so_far.end());
    ASSERT_EQ(distinct.size(), so_far.size()) << "duplicates after kill " << kill;
  }
  Process last(RunArguments(file, {"-p", "1", "--resume"}), log);
  ASSERT_EQ(last.Wait(), 0) << ReadAll(log);
  EXPECT_EQ(CommittedValues(bootstrap, "bids"), expected) << ReadAll(log);
}

TEST_F(KafkaCliTest, SourceResumesFromItsOffsetsAfterACrash) {
  MockCluster cluster({1, {{"events", 4}}});
  ASSERT_TRUE(cluster.ok()) << cluster.error();
  const std::string bootstrap = cluster.bootstrap_servers();
  const std::string kafka_options =
      "'connector' = 'kafka', 'topic' = 'events', "
      "'properties.bootstrap.servers' = '" +
      bootstrap +
      "', "
      "'format' = 'json'";
  // Fill the topic: 150,000 rows, spread over its partitions by their keys.
  std::string fill =
      Write("fill.pipe",
            "CREATE TABLE gen (id BIGINT, name STRING) WITH ('connector' = 'datagen', "
            "'number-of-rows' = '150000', 'fields.id.kind' = 'sequence', 'fields.id.start' = '1', "
            "'fields.id.end' = '150000', 'fields.name.length' = '8', 'seed' = '3');\n"
            "CREATE TABLE events (id BIGINT, name STRING) WITH (" +
                kafka_options +
                ", 'key.format' = 'json', 'key.fields' = 'id');\n"
                "INSERT INTO events SELECT * FROM gen;\n");
  Process filling({"run", fill}, directory_ / "fill.log");
  ASSERT_EQ(filling.Wait(), 0) << ReadAll(directory_ / "fill.log");

  fs::path output = directory_ / "out";
  std::string file = Write(
      "read.pipe",
      "CREATE TABLE events (id BIGINT, name STRING, part INT METADATA FROM 'partition' VIRTUAL) "
      "WITH (" +
          kafka_options +
          ", 'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset');\n"
          "CREATE TABLE out (id BIGINT, part INT) WITH ('connector' = 'filesystem', 'path' = '" +
          output.string() +
          "', 'format' = 'csv');\nINSERT INTO out SELECT id, part FROM events;\n");
  fs::path log = directory_ / "read.log";
  {
    // Killed just after the first checkpoint is recorded, before its sinks commit (the final
    // checkpoint of a run that read everything first).
    setenv("SLUICE_TEST_CRASH_AT", "after-metadata:1", 1);
    Process run(RunArguments(file, {"-p", "2"}), log);
    unsetenv("SLUICE_TEST_CRASH_AT");
    ASSERT_EQ(run.Wait(), 128 + SIGKILL) << ReadAll(log);
  }
  // Resumed at another parallelism: the partitions are dealt to three subtasks.
  Process resumed(RunArguments(file, {"-p", "3", "--resume"}), log);
  ASSERT_EQ(resumed.Wait(), 0) << ReadAll(log);
  std::vector<std::string> lines = CommittedLines(output);
  ASSERT_EQ(lines.size(), 150000u) << ReadAll(log);
  std::set<int64_t> ids;
  std::set<std::string> partitions;
  for (const std::string& line : lines) {
    ids.insert(std::stoll(line.substr(0, line.find(','))));
    partitions.insert(line.substr(line.find(',') + 1));
  }
  EXPECT_EQ(ids.size(), 150000u) << "every id exactly once";
  EXPECT_EQ(*ids.begin(), 1);
  EXPECT_EQ(*ids.rbegin(), 150000);
  EXPECT_EQ(partitions.size(), 4u) << "keyed records spread over every partition";
}

TEST_F(KafkaCliTest, ClearErrorsBeforeAnythingRuns) {
  MockCluster cluster({1, {{"events", 1}}});
  ASSERT_TRUE(cluster.ok()) << cluster.error();
  struct Case {
    std::string options;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"'topic' = 'missing', 'properties.bootstrap.servers' = '" + cluster.bootstrap_servers() +
           "', 'format' = 'json', 'scan.startup.mode' = 'earliest-offset'",
       "missing"},
      {"'topic' = 'events', 'properties.bootstrap.servers' = '127.0.0.1:1', "
       "'properties.socket.timeout.ms' = '2000', 'format' = 'json', "
       "'scan.startup.mode' = 'earliest-offset'",
       "127.0.0.1:1"},
      {"'topic' = 'events', 'properties.bootstrap.servers' = 'x', 'format' = 'json', "
       "'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest'",
       "scan.bounded.mode"},
  };
  for (const Case& error : cases) {
    SCOPED_TRACE(error.options);
    std::string file = Write("bad.pipe",
                             "CREATE TABLE events (id BIGINT) WITH ('connector' = "
                             "'kafka', " +
                                 error.options +
                                 ");\nCREATE TABLE out (id BIGINT) WITH "
                                 "('connector' = 'blackhole');\n"
                                 "INSERT INTO out SELECT id FROM events;\n");
    fs::path log = directory_ / "bad.log";
    fs::remove(log);
    auto started = std::chrono::steady_clock::now();
    Process run({"run", file}, log);
    int code = run.Wait();
    EXPECT_NE(code, 0);
    EXPECT_LT(code, 128) << "an error, not a crash: " << ReadAll(log);
    EXPECT_NE(ReadAll(log).find(error.says), std::string::npos) << ReadAll(log);
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(20));
  }
}

}  // namespace
