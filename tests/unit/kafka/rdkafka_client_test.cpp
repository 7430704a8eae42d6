// The librdkafka client against a mock cluster in a child process (sluice-kafka-mock).

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <thread>

#include "runtime/connectors/kafka/kafka_client.h"
#include "tests/kafka/mock_cluster.h"
#include "tests/unit/kafka/kafka_test_util.h"

namespace sluice::runtime::connectors::kafka {
namespace {

using sluice::testing_support::MockCluster;
using testing::Config;
using testing::Offsets;
using testing::PollUntil;
using testing::Record;
using testing::Values;

class RdKafkaClientTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(cluster_.ok()) << cluster_.error(); }

  std::unique_ptr<Consumer> NewConsumer(
      std::vector<std::pair<std::string, std::string>> properties = {}) {
    auto consumer = RdKafkaClients().NewConsumer(Config(cluster_.bootstrap_servers(), properties));
    EXPECT_TRUE(consumer.ok()) << consumer.status().ToString();
    return consumer.ok() ? std::move(consumer).value() : nullptr;
  }
  std::unique_ptr<Producer> NewProducer(
      const std::string& transactional_id = "",
      std::vector<std::pair<std::string, std::string>> properties = {}) {
    auto producer = RdKafkaClients().NewProducer(Config(cluster_.bootstrap_servers(), properties),
                                                 transactional_id);
    EXPECT_TRUE(producer.ok()) << producer.status().ToString();
    return producer.ok() ? std::move(producer).value() : nullptr;
  }

  MockCluster cluster_{{.brokers = 2, .topics = {{"orders", 4}, {"audit", 1}}}};
};

TEST_F(RdKafkaClientTest, ListsTopicsAndPartitionsAndReportsAMissingTopic) {
  auto consumer = NewConsumer();
  ASSERT_NE(consumer, nullptr);
  auto topics = consumer->ListTopics();
  ASSERT_TRUE(topics.ok()) << topics.status().ToString();
  EXPECT_EQ(*topics, (std::vector<std::string>{"audit", "orders"}));
  auto partitions = consumer->Partitions("orders");
  ASSERT_TRUE(partitions.ok()) << partitions.status().ToString();
  EXPECT_EQ(*partitions, (std::vector<int32_t>{0, 1, 2, 3}));

  auto missing = consumer->Partitions("nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), base::ErrorCode::kRuntime);
  EXPECT_EQ(missing.status().message(),
            "Kafka topic 'nope' does not exist on " + cluster_.bootstrap_servers());
  // Asking did not create it (the mock creates topics asked for by name).
  topics = consumer->ListTopics();
  ASSERT_TRUE(topics.ok());
  EXPECT_EQ(std::count(topics->begin(), topics->end(), "nope"), 0);

  // Neither did assigning it (the mock would have created it).
  base::Status assigned = consumer->Assign({{{"nope", 0}, 0}});
  EXPECT_EQ(assigned.message(),
            "Kafka topic 'nope' does not exist on " + cluster_.bootstrap_servers());
  assigned = consumer->Assign({{{"audit", 1}, 0}});
  EXPECT_EQ(assigned.message(),
            "Kafka partition audit/1 does not exist on " + cluster_.bootstrap_servers());

  auto producer = NewProducer();
  ASSERT_NE(producer, nullptr);
  auto count = producer->PartitionCount("orders");
  ASSERT_TRUE(count.ok()) << count.status().ToString();
  EXPECT_EQ(*count, 4);
}

TEST_F(RdKafkaClientTest, RecordsComeBackWithKeysHeadersAndTimestamps) {
  auto producer = NewProducer();
  ASSERT_NE(producer, nullptr);
  ProducedRecord full = Record("orders", 1, "v1");
  full.key = "k1";
  full.timestamp = 1700000000123;
  full.headers = {{"trace", "abc"}, {"empty", ""}, {"none", std::nullopt}};
  ASSERT_TRUE(producer->Produce(full).ok());
  ProducedRecord tombstone = Record("orders", 1, "");
  tombstone.value = std::nullopt;
  tombstone.key = "k2";
  ASSERT_TRUE(producer->Produce(tombstone).ok());
  ProducedRecord empty = Record("orders", 1, "");  // an empty value is not a null one
  ASSERT_TRUE(producer->Produce(empty).ok());
  ASSERT_TRUE(producer->Flush().ok());

  auto consumer = NewConsumer();
  ASSERT_NE(consumer, nullptr);
  ASSERT_TRUE(consumer->Assign({{{"orders", 1}, 0}}).ok());
  std::vector<ConsumedRecord> records = PollUntil(*consumer, 3);
  ASSERT_EQ(records.size(), 3u);

  const ConsumedRecord& first = records[0];
  EXPECT_EQ(first.partition, (TopicPartition{"orders", 1}));
  EXPECT_EQ(first.offset, 0);
  EXPECT_EQ(first.key, "k1");
  EXPECT_EQ(first.value, "v1");
  EXPECT_EQ(first.timestamp, 1700000000123);
  EXPECT_EQ(first.timestamp_type, TimestampType::kCreateTime);
  ASSERT_EQ(first.headers.size(), 3u);
  EXPECT_EQ(first.headers[0].key, "trace");
  EXPECT_EQ(first.headers[0].value, "abc");
  EXPECT_EQ(first.headers[1].value, "");
  EXPECT_EQ(first.headers[2].key, "none");
  EXPECT_EQ(first.headers[2].value, std::nullopt);

  EXPECT_EQ(records[1].key, "k2");
  EXPECT_EQ(records[1].value, std::nullopt);
  EXPECT_TRUE(records[1].headers.empty());
  EXPECT_EQ(records[2].key, std::nullopt);
  EXPECT_EQ(records[2].value, "");
  // No timestamp given: the producer's clock.
  int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  EXPECT_NEAR(static_cast<double>(records[2].timestamp), static_cast<double>(now), 60000.0);

  auto watermarks = consumer->WatermarkOffsets({"orders", 1});
  ASSERT_TRUE(watermarks.ok()) << watermarks.status().ToString();
  EXPECT_EQ(*watermarks, std::make_pair(int64_t{0}, int64_t{3}));
}

TEST_F(RdKafkaClientTest, AssignsAtOffsetsAndReportsPartitionEnds) {
  auto producer = NewProducer();
  ASSERT_NE(producer, nullptr);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(producer->Produce(Record("orders", 2, "r" + std::to_string(i))).ok());
  }
  ASSERT_TRUE(producer->Flush().ok());

  auto consumer = NewConsumer();
  ASSERT_NE(consumer, nullptr);
  ASSERT_TRUE(consumer->Assign({{{"orders", 2}, 6}, {{"orders", 3}, kOffsetBeginning}}).ok());
  std::vector<ConsumedRecord> records;
  std::vector<std::pair<TopicPartition, int64_t>> ends;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while ((records.size() < 4 || ends.size() < 2) && std::chrono::steady_clock::now() < deadline) {
    ASSERT_TRUE(consumer->Poll(100, 200, &records, &ends).ok());
  }
  EXPECT_EQ(Offsets(records), (std::vector<int64_t>{6, 7, 8, 9}));
  std::sort(ends.begin(), ends.end());
  EXPECT_EQ(ends, (std::vector<std::pair<TopicPartition, int64_t>>{{{"orders", 2}, 10},
                                                                   {{"orders", 3}, 0}}));

  // The end: only what is written from now on.
  ASSERT_TRUE(consumer->Assign({{{"orders", 2}, kOffsetEnd}}).ok());
  records.clear();
  ASSERT_TRUE(consumer->Poll(100, 500, &records).ok());
  EXPECT_TRUE(records.empty());
  ASSERT_TRUE(producer->Produce(Record("orders", 2, "late")).ok());
  ASSERT_TRUE(producer->Flush().ok());
  records = PollUntil(*consumer, 1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].offset, 10);
  EXPECT_EQ(records[0].value, "late");
}

// The fake puts keyed records where murmur2_random does (fake_kafka_test.cpp checks it against
// Java's vectors): the same keys, through librdkafka.
TEST_F(RdKafkaClientTest, Murmur2PartitionerPutsKeysWhereJavaDoes) {
  auto producer = NewProducer("", {{"partitioner", "murmur2_random"}});
  ASSERT_NE(producer, nullptr);
  std::map<std::string, int32_t> expected;
  for (const auto& [key, hash] : std::vector<std::pair<std::string, int32_t>>{
           {"21", -973932308}, {"foobar", -790332482}, {"abc", 479470107}}) {
    ProducedRecord record = Record("orders", -1, key);
    record.key = key;
    ASSERT_TRUE(producer->Produce(record).ok());
    expected[key] = static_cast<int32_t>((static_cast<uint32_t>(hash) & 0x7fffffff) % 4);
  }
  ASSERT_TRUE(producer->Flush().ok());
  auto consumer = NewConsumer();
  ASSERT_NE(consumer, nullptr);
  std::vector<std::pair<TopicPartition, int64_t>> all;
  for (int32_t partition = 0; partition < 4; ++partition) {
    all.push_back({{"orders", partition}, kOffsetBeginning});
  }
  ASSERT_TRUE(consumer->Assign(all).ok());
  std::vector<ConsumedRecord> records = PollUntil(*consumer, 3);
  ASSERT_EQ(records.size(), 3u);
  for (const ConsumedRecord& record : records) {
    EXPECT_EQ(record.partition.partition, expected[*record.key]) << *record.key;
  }
}

TEST_F(RdKafkaClientTest, OffsetForTimestampFallsBackToTheHighWatermark) {
  auto producer = NewProducer();
  ASSERT_NE(producer, nullptr);
  for (int64_t i = 0; i < 3; ++i) {
    ProducedRecord record = Record("audit", 0, "a");
    record.timestamp = 1000 + i;
    ASSERT_TRUE(producer->Produce(record).ok());
  }
  ASSERT_TRUE(producer->Flush().ok());
  auto consumer = NewConsumer();
  ASSERT_NE(consumer, nullptr);
  // The 2.0.2 mock answers -1 ("none") to every timestamp lookup: the high watermark.
  auto offset = consumer->OffsetForTimestamp({"audit", 0}, 1001);
  ASSERT_TRUE(offset.ok()) << offset.status().ToString();
  EXPECT_EQ(*offset, 3);
}

TEST_F(RdKafkaClientTest, CommitsAndReadsGroupOffsets) {
  auto consumer = NewConsumer({{"group.id", "monitoring"}});
  ASSERT_NE(consumer, nullptr);
  auto none = consumer->CommittedOffset({"orders", 0});
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_EQ(*none, std::nullopt);

  ASSERT_TRUE(consumer->CommitOffsets({{{"orders", 0}, 7}, {{"orders", 1}, 3}}).ok());
  auto other = NewConsumer({{"group.id", "monitoring"}});
  ASSERT_NE(other, nullptr);
  std::optional<int64_t> committed;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (committed != 7 && std::chrono::steady_clock::now() < deadline) {  // asynchronous
    auto offset = other->CommittedOffset({"orders", 0});
    ASSERT_TRUE(offset.ok()) << offset.status().ToString();
    committed = *offset;
    if (committed != 7) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(committed, 7);

  auto groupless = NewConsumer();
  ASSERT_NE(groupless, nullptr);
  auto refused = groupless->CommittedOffset({"orders", 0});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), base::ErrorCode::kOption);
  EXPECT_NE(refused.status().message().find("group.id"), std::string::npos);
  EXPECT_FALSE(groupless->CommitOffsets({{{"orders", 0}, 1}}).ok());
}

TEST_F(RdKafkaClientTest, TransactionCallsSucceed) {
  auto producer = NewProducer("sluice-test-0");
  ASSERT_NE(producer, nullptr);
  ASSERT_TRUE(producer->InitTransactions().ok());
  base::Status outside = producer->Produce(Record("audit", 0, "outside"));
  EXPECT_FALSE(outside.ok());
  ASSERT_TRUE(producer->BeginTransaction().ok());
  ASSERT_TRUE(producer->Produce(Record("audit", 0, "committed")).ok());
  base::Status commit = producer->CommitTransaction();
  ASSERT_TRUE(commit.ok()) << commit.ToString();
  ASSERT_TRUE(producer->BeginTransaction().ok());
  ASSERT_TRUE(producer->Produce(Record("audit", 0, "aborted")).ok());
  ASSERT_TRUE(producer->Flush().ok());  // else the abort purges it before it is sent
  base::Status abort = producer->AbortTransaction();
  ASSERT_TRUE(abort.ok()) << abort.ToString();

  // The mock keeps no markers and filters nothing (reference/kafka.md §2.3): both are there.
  auto consumer = NewConsumer({{"isolation.level", "read_uncommitted"}});
  ASSERT_NE(consumer, nullptr);
  ASSERT_TRUE(consumer->Assign({{{"audit", 0}, kOffsetBeginning}}).ok());
  EXPECT_EQ(Values(PollUntil(*consumer, 2)), (std::vector<std::string>{"committed", "aborted"}));
}

TEST_F(RdKafkaClientTest, RejectsBadPropertiesWithLibrdkafkasText) {
  auto unknown = RdKafkaClients().NewConsumer(
      Config(cluster_.bootstrap_servers(), {{"no.such.property", "1"}}));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), base::ErrorCode::kOption);
  EXPECT_EQ(unknown.status().subject(), "no.such.property");
  EXPECT_NE(unknown.status().message().find("\"no.such.property\""), std::string::npos)
      << unknown.status().message();

  auto invalid = RdKafkaClients().NewProducer(
      Config(cluster_.bootstrap_servers(), {{"compression.codec", "zip"}}), "");
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.status().code(), base::ErrorCode::kOption);
  EXPECT_NE(invalid.status().message().find("compression.codec"), std::string::npos)
      << invalid.status().message();

  ClientConfig nowhere;
  auto no_servers = RdKafkaClients().NewConsumer(nowhere);
  ASSERT_FALSE(no_servers.ok());
  EXPECT_EQ(no_servers.status().subject(), "bootstrap.servers");
}

// Nothing listens on port 1: every call fails within its timeout, naming the brokers, and the
// clients are destroyed without hanging.
TEST(RdKafkaUnreachableTest, FailsWithinTheTimeoutInsteadOfHanging) {
  auto start = std::chrono::steady_clock::now();
  auto seconds_since = [](auto from) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - from).count();
  };
  ClientConfig config = Config("127.0.0.1:1", {{"group.id", "g"}}, 2000);
  {
    auto consumer = RdKafkaClients().NewConsumer(config);
    ASSERT_TRUE(consumer.ok()) << consumer.status().ToString();
    auto topics = (*consumer)->ListTopics();
    ASSERT_FALSE(topics.ok());
    EXPECT_EQ(topics.status().code(), base::ErrorCode::kRuntime);
    EXPECT_NE(topics.status().message().find("127.0.0.1:1"), std::string::npos);
    EXPECT_LT(seconds_since(start), 5.0) << topics.status().message();

    auto assign_start = std::chrono::steady_clock::now();
    base::Status assigned = (*consumer)->Assign({{{"t", 0}, 0}});  // checks the partitions exist
    ASSERT_FALSE(assigned.ok());
    EXPECT_NE(assigned.message().find("127.0.0.1:1"), std::string::npos);
    EXPECT_LT(seconds_since(assign_start), 4.0) << assigned.message();

    auto committed = (*consumer)->CommittedOffset({"t", 0});
    ASSERT_FALSE(committed.ok());
    EXPECT_NE(committed.status().message().find("127.0.0.1:1"), std::string::npos);
    // Asynchronous: queued, never sent; closing the consumer waits for it no longer than the
    // timeout (librdkafka's own bound is session.timeout.ms, 45 s by default).
    EXPECT_TRUE((*consumer)->CommitOffsets({{{"t", 0}, 5}}).ok());
    auto close_start = std::chrono::steady_clock::now();
    consumer->reset();
    EXPECT_LT(seconds_since(close_start), 4.5);
  }
  {
    auto producer = RdKafkaClients().NewProducer(config, "");
    ASSERT_TRUE(producer.ok()) << producer.status().ToString();
    auto flush_start = std::chrono::steady_clock::now();
    ASSERT_TRUE((*producer)->Produce(Record("t", 0, "x")).ok());  // queued
    base::Status flushed = (*producer)->Flush();
    ASSERT_FALSE(flushed.ok());
    EXPECT_NE(flushed.message().find("127.0.0.1:1"), std::string::npos);
    EXPECT_LT(seconds_since(flush_start), 4.0) << flushed.message();
  }
  {
    auto producer = RdKafkaClients().NewProducer(config, "tx");
    ASSERT_TRUE(producer.ok()) << producer.status().ToString();
    auto init_start = std::chrono::steady_clock::now();
    base::Status init = (*producer)->InitTransactions();
    ASSERT_FALSE(init.ok());
    EXPECT_NE(init.message().find("127.0.0.1:1"), std::string::npos) << init.message();
    EXPECT_LT(seconds_since(init_start), 4.0) << init.message();
  }
  EXPECT_LT(seconds_since(start), 20.0);
}

// librdkafka reconnects for ever and a fetch just goes quiet: Poll notices the brokers have
// been gone longer than the timeout.
TEST(RdKafkaUnreachableTest, PollFailsWhenTheClusterGoesAway) {
  MockCluster cluster({.brokers = 1, .topics = {{"t", 1}}});
  ASSERT_TRUE(cluster.ok()) << cluster.error();
  auto consumer = RdKafkaClients().NewConsumer(Config(cluster.bootstrap_servers(), {}, 2000));
  ASSERT_TRUE(consumer.ok());
  ASSERT_TRUE((*consumer)->Assign({{{"t", 0}, 0}}).ok());
  std::vector<ConsumedRecord> records;
  ASSERT_TRUE((*consumer)->Poll(10, 300, &records).ok());
  ASSERT_EQ(cluster.Stop(), 0);

  auto stopped = std::chrono::steady_clock::now();
  base::Status polled;
  while (polled.ok() && std::chrono::steady_clock::now() - stopped < std::chrono::seconds(10)) {
    polled = (*consumer)->Poll(10, 200, &records);
  }
  ASSERT_FALSE(polled.ok());
  EXPECT_EQ(polled.code(), base::ErrorCode::kRuntime);
  EXPECT_NE(polled.message().find("Kafka brokers " + cluster.bootstrap_servers() +
                                  " unreachable for more than 2000 ms"),
            std::string::npos)
      << polled.message();
  EXPECT_LT(std::chrono::steady_clock::now() - stopped, std::chrono::seconds(5));
}

}  // namespace
}  // namespace sluice::runtime::connectors::kafka
