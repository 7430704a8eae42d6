// The in-memory fake: what librdkafka's mock cluster cannot show (read_committed visibility,
// the last stable offset, fencing, transaction timeouts, markers' offsets) and fault injection.

#include "runtime/connectors/kafka/fake_kafka.h"

#include <gtest/gtest.h>

#include <thread>

#include "tests/unit/kafka/kafka_test_util.h"

namespace sluice::runtime::connectors::kafka {
namespace {

using testing::Config;
using testing::Offsets;
using testing::Record;
using testing::Values;

class FakeKafkaTest : public ::testing::Test {
 protected:
  FakeKafkaTest() : cluster_(clients_.AddCluster("fake-1")) { cluster_.CreateTopic("t", 2); }

  std::unique_ptr<Consumer> NewConsumer(
      std::vector<std::pair<std::string, std::string>> properties = {}) {
    auto consumer = clients_.NewConsumer(Config("fake-1", std::move(properties)));
    EXPECT_TRUE(consumer.ok()) << consumer.status().ToString();
    return std::move(consumer).value();
  }
  std::unique_ptr<Producer> NewProducer(
      const std::string& transactional_id = "",
      std::vector<std::pair<std::string, std::string>> properties = {}) {
    auto producer = clients_.NewProducer(Config("fake-1", std::move(properties)), transactional_id);
    EXPECT_TRUE(producer.ok()) << producer.status().ToString();
    return std::move(producer).value();
  }
  /// A transactional producer, initialised.
  std::unique_ptr<Producer> NewTransactional(
      const std::string& transactional_id,
      std::vector<std::pair<std::string, std::string>> properties = {}) {
    auto producer = NewProducer(transactional_id, std::move(properties));
    base::Status init = producer->InitTransactions();
    EXPECT_TRUE(init.ok()) << init.ToString();
    return producer;
  }
  /// Everything a consumer reads from the start of `partition` now, and the end it reports.
  std::pair<std::vector<ConsumedRecord>, int64_t> ReadAll(Consumer& consumer,
                                                          const TopicPartition& partition) {
    EXPECT_TRUE(consumer.Assign({{partition, kOffsetBeginning}}).ok());
    std::vector<ConsumedRecord> records;
    std::vector<std::pair<TopicPartition, int64_t>> ends;
    EXPECT_TRUE(consumer.Poll(1000, 0, &records, &ends).ok());
    EXPECT_EQ(ends.size(), 1u);
    return {records, ends.empty() ? -1 : ends[0].second};
  }
  static std::vector<FakeRecordState> States(const std::vector<FakeLogEntry>& log) {
    std::vector<FakeRecordState> states;
    for (const FakeLogEntry& entry : log) states.push_back(entry.state);
    return states;
  }

  FakeKafkaClients clients_;
  FakeKafka& cluster_;
};

constexpr TopicPartition kP0{"t", 0};

FakeFault Fault(FakeOperation operation, std::string message, int32_t count = 1,
                FaultTiming timing = FaultTiming::kBefore, std::string transactional_id = "") {
  FakeFault fault;
  fault.operation = operation;
  fault.message = std::move(message);
  fault.count = count;
  fault.timing = timing;
  fault.transactional_id = std::move(transactional_id);
  return fault;
}
using State = FakeRecordState;

TEST_F(FakeKafkaTest, ReadCommittedSeesCommittedRecordsOnlyAndMarkersTakeOffsets) {
  auto producer = NewTransactional("tx");
  ASSERT_TRUE(producer->BeginTransaction().ok());
  ASSERT_TRUE(producer->Produce(Record("t", 0, "a")).ok());
  ASSERT_TRUE(producer->Produce(Record("t", 0, "b")).ok());
  ASSERT_TRUE(producer->CommitTransaction().ok());
  ASSERT_TRUE(producer->BeginTransaction().ok());
  ASSERT_TRUE(producer->Produce(Record("t", 0, "c")).ok());
  ASSERT_TRUE(producer->AbortTransaction().ok());
  ASSERT_TRUE(producer->BeginTransaction().ok());
  ASSERT_TRUE(producer->Produce(Record("t", 0, "d")).ok());  // left open

  // a@0 b@1 commit@2 c@3 abort@4 d@5
  std::vector<FakeLogEntry> log = cluster_.Log(kP0);
  ASSERT_EQ(log.size(), 6u);
  EXPECT_TRUE(log[2].marker);
  EXPECT_TRUE(log[4].marker);
  EXPECT_EQ(States(log),
            (std::vector<State>{State::kCommitted, State::kCommitted, State::kCommitted,
                                State::kAborted, State::kAborted, State::kOpen}));
  EXPECT_EQ(cluster_.LastStableOffset(kP0), 5);

  auto committed = NewConsumer();  // read_committed by default, as librdkafka
  auto [records, end] = ReadAll(*committed, kP0);
  EXPECT_EQ(Values(records), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(end, 5);  // the last stable offset
  EXPECT_EQ(*committed->WatermarkOffsets(kP0), std::make_pair(int64_t{0}, int64_t{5}));
  EXPECT_EQ(Values(cluster_.ReadCommitted(kP0)), (std::vector<std::string>{"a", "b"}));

  auto uncommitted = NewConsumer({{"isolation.level", "read_uncommitted"}});
  std::tie(records, end) = ReadAll(*uncommitted, kP0);
  EXPECT_EQ(Values(records), (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_EQ(Offsets(records), (std::vector<int64_t>{0, 1, 3, 5}));
  EXPECT_EQ(end, 6);
  EXPECT_EQ(*uncommitted->WatermarkOffsets(kP0), std::make_pair(int64_t{0}, int64_t{6}));

  ASSERT_TRUE(producer->CommitTransaction().ok());
  std::tie(records, end) = ReadAll(*committed, kP0);
  EXPECT_EQ(Values(records), (std::vector<std::string>{"a", "b", "d"}));
  EXPECT_EQ(Offsets(records), (std::vector<int64_t>{0, 1, 5}));
  EXPECT_EQ(end, 7);  // past d's commit marker
}

TEST_F(FakeKafkaTest, AnOpenTransactionHoldsBackLaterCommittedRecords) {
  auto transactional = NewTransactional("tx");
  ASSERT_TRUE(transactional->BeginTransaction().ok());
  ASSERT_TRUE(transactional->Produce(Record("t", 0, "in-transaction")).ok());
  auto plain = NewProducer();
  ASSERT_TRUE(plain->Produce(Record("t", 0, "plain")).ok());
  ASSERT_TRUE(plain->Flush().ok());

  auto consumer = NewConsumer();
  ASSERT_TRUE(consumer->Assign({{kP0, 0}}).ok());
  std::vector<ConsumedRecord> records;
  ASSERT_TRUE(consumer->Poll(100, 0, &records).ok());
  EXPECT_TRUE(records.empty());  // "plain" is committed but past the last stable offset 0
  EXPECT_EQ(cluster_.LastStableOffset(kP0), 0);

  ASSERT_TRUE(transactional->CommitTransaction().ok());
  ASSERT_TRUE(consumer->Poll(100, 0, &records).ok());
  EXPECT_EQ(Values(records), (std::vector<std::string>{"in-transaction", "plain"}));
}

TEST_F(FakeKafkaTest, PollWaitsForRecordsWrittenMeanwhile) {
  auto consumer = NewConsumer();
  ASSERT_TRUE(consumer->Assign({{kP0, 0}}).ok());
  std::vector<ConsumedRecord> records;
  std::vector<std::pair<TopicPartition, int64_t>> ends;
  ASSERT_TRUE(consumer->Poll(10, 0, &records, &ends).ok());  // nothing yet: the end at 0
  EXPECT_EQ(ends, (std::vector<std::pair<TopicPartition, int64_t>>{{kP0, 0}}));
  ends.clear();
  auto producer = NewProducer();
  std::thread writer([&producer] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_TRUE(producer->Produce(Record("t", 0, "late")).ok());
  });
  ASSERT_TRUE(consumer->Poll(10, 5000, &records, &ends).ok());
  writer.join();
  EXPECT_EQ(Values(records), (std::vector<std::string>{"late"}));
  EXPECT_EQ(ends, (std::vector<std::pair<TopicPartition, int64_t>>{{kP0, 1}}));
  ends.clear();
  ASSERT_TRUE(consumer->Poll(10, 0, &records, &ends).ok());
  EXPECT_TRUE(ends.empty());  // an end is reported once
}

TEST_F(FakeKafkaTest, InitTransactionsAbortsTheOpenTransactionAndFencesTheOlderProducer) {
  auto zombie = NewTransactional("sink-0-1");
  ASSERT_TRUE(zombie->BeginTransaction().ok());
  ASSERT_TRUE(zombie->Produce(Record("t", 0, "zombie")).ok());

  auto successor = NewTransactional("sink-0-1");
  EXPECT_EQ(States(cluster_.Log(kP0)), (std::vector<State>{State::kAborted, State::kAborted}));
  EXPECT_FALSE(cluster_.HasOpenTransaction("sink-0-1"));

  base::Status produce = zombie->Produce(Record("t", 0, "more"));
  ASSERT_FALSE(produce.ok());
  EXPECT_EQ(produce.code(), base::ErrorCode::kRuntime);
  EXPECT_NE(produce.message().find("fenced"), std::string::npos) << produce.message();
  base::Status commit = zombie->CommitTransaction();
  EXPECT_NE(commit.message().find("fenced"), std::string::npos) << commit.message();
  EXPECT_NE(zombie->Flush().message().find("fenced"), std::string::npos);

  ASSERT_TRUE(successor->BeginTransaction().ok());
  ASSERT_TRUE(successor->Produce(Record("t", 0, "successor")).ok());
  ASSERT_TRUE(successor->CommitTransaction().ok());
  EXPECT_EQ(Values(cluster_.ReadCommitted(kP0)), (std::vector<std::string>{"successor"}));
}

TEST_F(FakeKafkaTest, ADestroyedProducerLeavesItsTransactionOpenUntilTheNextInit) {
  {
    auto crashed = NewTransactional("sink-0-0");
    ASSERT_TRUE(crashed->BeginTransaction().ok());
    ASSERT_TRUE(crashed->Produce(Record("t", 1, "pending")).ok());
  }
  EXPECT_TRUE(cluster_.HasOpenTransaction("sink-0-0"));
  EXPECT_EQ(cluster_.LastStableOffset({"t", 1}), 0);

  auto restored = NewTransactional("sink-0-0");
  EXPECT_FALSE(cluster_.HasOpenTransaction("sink-0-0"));
  EXPECT_TRUE(cluster_.ReadCommitted({"t", 1}).empty());
  EXPECT_EQ(cluster_.LastStableOffset({"t", 1}), 2);  // the record and its abort marker
}

TEST_F(FakeKafkaTest, ATransactionOpenPastItsTimeoutIsAbortedAndItsProducerFenced) {
  cluster_.SetClock(1'000'000);
  auto producer = NewTransactional("slow", {{"transaction.timeout.ms", "5000"}});
  ASSERT_TRUE(producer->BeginTransaction().ok());
  ASSERT_TRUE(producer->Produce(Record("t", 0, "late")).ok());
  cluster_.AdvanceClock(5000);
  EXPECT_TRUE(cluster_.HasOpenTransaction("slow"));  // not longer than the timeout yet
  cluster_.AdvanceClock(1);
  EXPECT_FALSE(cluster_.HasOpenTransaction("slow"));
  EXPECT_EQ(States(cluster_.Log(kP0)), (std::vector<State>{State::kAborted, State::kAborted}));

  base::Status commit = producer->CommitTransaction();
  ASSERT_FALSE(commit.ok());
  EXPECT_NE(commit.message().find("fenced"), std::string::npos) << commit.message();
  EXPECT_NE(commit.message().find("transaction.timeout.ms (5000 ms)"), std::string::npos)
      << commit.message();
  EXPECT_TRUE(cluster_.ReadCommitted(kP0).empty());
}

TEST_F(FakeKafkaTest, ATransactionTimeoutAboveTheBrokersMaximumIsRefused) {
  auto producer = NewProducer("tx", {{"transaction.timeout.ms", "3600000"}});
  base::Status init = producer->InitTransactions();
  ASSERT_FALSE(init.ok());
  EXPECT_NE(init.message().find("INVALID_TRANSACTION_TIMEOUT"), std::string::npos);
  EXPECT_FALSE(producer->BeginTransaction().ok());  // the producer is unusable
}

TEST_F(FakeKafkaTest, TransactionCallsOutOfOrderAreErrors) {
  auto producer = NewProducer("tx");
  EXPECT_FALSE(producer->BeginTransaction().ok());  // before InitTransactions
  ASSERT_TRUE(producer->InitTransactions().ok());
  EXPECT_FALSE(producer->Produce(Record("t", 0, "x")).ok());  // outside a transaction
  EXPECT_FALSE(producer->CommitTransaction().ok());
  ASSERT_TRUE(producer->BeginTransaction().ok());
  EXPECT_FALSE(producer->BeginTransaction().ok());
  EXPECT_FALSE(NewProducer()->InitTransactions().ok());  // no transactional id
}

TEST_F(FakeKafkaTest, InjectedFaultsStrikeTheNamedCallsAndNoOthers) {
  auto producer = NewTransactional("sink-1");
  auto other = NewTransactional("sink-2");
  cluster_.InjectFault(
      Fault(FakeOperation::kCommitTransaction, "commit lost", 2, FaultTiming::kBefore, "sink-1"));
  ASSERT_TRUE(producer->BeginTransaction().ok());
  ASSERT_TRUE(producer->Produce(Record("t", 0, "x")).ok());
  EXPECT_EQ(producer->CommitTransaction().message(), "commit lost");
  EXPECT_EQ(producer->CommitTransaction().message(), "commit lost");
  EXPECT_TRUE(cluster_.HasOpenTransaction("sink-1"));  // before: no effect
  ASSERT_TRUE(other->BeginTransaction().ok());
  ASSERT_TRUE(other->Produce(Record("t", 1, "y")).ok());
  EXPECT_TRUE(other->CommitTransaction().ok());     // another id: not struck
  EXPECT_TRUE(producer->CommitTransaction().ok());  // spent
  EXPECT_EQ(Values(cluster_.ReadCommitted(kP0)), (std::vector<std::string>{"x"}));
}

TEST_F(FakeKafkaTest, AFaultAfterTheEffectIsALostResponse) {
  auto producer = NewTransactional("sink");
  cluster_.InjectFault(
      Fault(FakeOperation::kCommitTransaction, "timed out", 1, FaultTiming::kAfter));
  ASSERT_TRUE(producer->BeginTransaction().ok());
  ASSERT_TRUE(producer->Produce(Record("t", 0, "x")).ok());
  EXPECT_EQ(producer->CommitTransaction().message(), "timed out");
  EXPECT_EQ(Values(cluster_.ReadCommitted(kP0)), (std::vector<std::string>{"x"}));
  EXPECT_TRUE(producer->CommitTransaction().ok());  // the retry finds it committed
  EXPECT_EQ(cluster_.Log(kP0).size(), 2u);          // one marker
}

TEST_F(FakeKafkaTest, DeliveryAndCallFaults) {
  auto producer = NewProducer();
  cluster_.InjectFault(Fault(FakeOperation::kDelivery, "disk full"));
  ASSERT_TRUE(producer->Produce(Record("t", 0, "lost")).ok());
  ASSERT_TRUE(producer->Produce(Record("t", 0, "kept")).ok());
  EXPECT_EQ(producer->Flush().message(), "disk full");
  EXPECT_TRUE(producer->Flush().ok());  // reported once
  EXPECT_EQ(Values(cluster_.ReadCommitted(kP0)), (std::vector<std::string>{"kept"}));

  cluster_.InjectFault(Fault(FakeOperation::kProduce, "queue full"));
  EXPECT_EQ(producer->Produce(Record("t", 0, "refused")).message(), "queue full");

  auto consumer = NewConsumer();
  ASSERT_TRUE(consumer->Assign({{kP0, 0}}).ok());
  cluster_.InjectFault(Fault(FakeOperation::kPoll, "fetch failed"));
  std::vector<ConsumedRecord> records;
  EXPECT_EQ(consumer->Poll(10, 0, &records).message(), "fetch failed");
  EXPECT_TRUE(consumer->Poll(10, 0, &records).ok());
  EXPECT_EQ(Values(records), (std::vector<std::string>{"kept"}));

  cluster_.InjectFault(Fault(FakeOperation::kMetadata, "metadata refused", 5));
  EXPECT_FALSE(consumer->Partitions("t").ok());
  cluster_.ClearFaults();
  EXPECT_TRUE(consumer->Partitions("t").ok());
}

TEST_F(FakeKafkaTest, UnknownOrDownClustersAreUnreachable) {
  auto nowhere = clients_.NewConsumer(Config("fake-2"));
  ASSERT_TRUE(nowhere.ok());
  auto topics = (*nowhere)->ListTopics();
  ASSERT_FALSE(topics.ok());
  EXPECT_EQ(topics.status().code(), base::ErrorCode::kRuntime);
  EXPECT_NE(topics.status().message().find("fake-2 unreachable"), std::string::npos);
  auto producer = clients_.NewProducer(Config("fake-2"), "");
  ASSERT_TRUE((*producer)->Produce(Record("t", 0, "x")).ok());  // queued, as librdkafka
  EXPECT_NE((*producer)->Flush().message().find("unreachable"), std::string::npos);

  // A list of servers reaches the first that names a cluster.
  auto listed = clients_.NewConsumer(Config("fake-2,fake-1"));
  EXPECT_TRUE((*listed)->ListTopics().ok());

  auto consumer = NewConsumer();
  ASSERT_TRUE(consumer->Assign({{kP0, 0}}).ok());
  cluster_.SetDown(true);
  EXPECT_FALSE(consumer->Partitions("t").ok());
  EXPECT_FALSE(consumer->Assign({{kP0, 0}}).ok());
  std::vector<ConsumedRecord> records;
  EXPECT_FALSE(consumer->Poll(10, 0, &records).ok());
  cluster_.SetDown(false);
  EXPECT_TRUE(consumer->Poll(10, 0, &records).ok());
}

TEST_F(FakeKafkaTest, MissingTopicsAreErrorsUnlessProducersMayCreateThem) {
  auto consumer = NewConsumer();
  auto partitions = consumer->Partitions("nope");
  ASSERT_FALSE(partitions.ok());
  EXPECT_EQ(partitions.status().message(), "Kafka topic 'nope' does not exist on fake-1");
  auto producer = NewProducer();
  EXPECT_FALSE(producer->PartitionCount("nope").ok());
  ASSERT_TRUE(producer->Produce(Record("nope", 0, "x")).ok());
  EXPECT_NE(producer->Flush().message().find("'nope' does not exist"), std::string::npos);
  EXPECT_EQ(*consumer->ListTopics(), (std::vector<std::string>{"t"}));

  FakeKafka& creating = clients_.AddCluster(
      "fake-auto",
      {.auto_create_topics = true, .default_partitions = 3, .max_transaction_timeout_ms = 900000});
  auto writer = clients_.NewProducer(Config("fake-auto"), "");
  EXPECT_EQ(*(*writer)->PartitionCount("new"), 3);
  ASSERT_TRUE((*writer)->Produce(Record("other", 0, "x")).ok());
  ASSERT_TRUE((*writer)->Flush().ok());
  EXPECT_EQ(creating.Log({"other", 0}).size(), 1u);
}

TEST_F(FakeKafkaTest, GroupOffsetsAndOffsetsForTimestamps) {
  auto consumer = NewConsumer({{"group.id", "g"}});
  EXPECT_EQ(*consumer->CommittedOffset(kP0), std::nullopt);
  ASSERT_TRUE(consumer->CommitOffsets({{kP0, 4}}).ok());
  EXPECT_EQ(*NewConsumer({{"group.id", "g"}})->CommittedOffset(kP0), 4);
  EXPECT_EQ(cluster_.GroupOffset("g", kP0), 4);
  EXPECT_EQ(NewConsumer()->CommittedOffset(kP0).status().code(), base::ErrorCode::kOption);

  auto producer = NewProducer();
  for (int64_t timestamp : {100, 200, 300}) {
    ProducedRecord record = Record("t", 0, std::to_string(timestamp));
    record.timestamp = timestamp;
    ASSERT_TRUE(producer->Produce(record).ok());
  }
  EXPECT_EQ(*consumer->OffsetForTimestamp(kP0, 150), 1);
  EXPECT_EQ(*consumer->OffsetForTimestamp(kP0, 300), 2);
  EXPECT_EQ(*consumer->OffsetForTimestamp(kP0, 301), 3);  // none: the high watermark
}

TEST_F(FakeKafkaTest, AssignResolvesLogicalAndOutOfRangeOffsets) {
  auto producer = NewProducer();
  for (const char* value : {"a", "b", "c"})
    ASSERT_TRUE(producer->Produce(Record("t", 0, value)).ok());

  auto consumer = NewConsumer();
  std::vector<ConsumedRecord> records;
  ASSERT_TRUE(consumer->Assign({{kP0, kOffsetEnd}}).ok());
  ASSERT_TRUE(consumer->Poll(10, 0, &records).ok());
  EXPECT_TRUE(records.empty());
  ASSERT_TRUE(consumer->Assign({{kP0, 1}}).ok());
  ASSERT_TRUE(consumer->Poll(10, 0, &records).ok());
  EXPECT_EQ(Values(records), (std::vector<std::string>{"b", "c"}));

  auto earliest = NewConsumer({{"auto.offset.reset", "earliest"}});
  ASSERT_TRUE(earliest->Assign({{kP0, 99}}).ok());
  records.clear();
  ASSERT_TRUE(earliest->Poll(10, 0, &records).ok());
  EXPECT_EQ(records.size(), 3u);
  auto strict = NewConsumer({{"auto.offset.reset", "error"}});
  ASSERT_TRUE(strict->Assign({{kP0, 99}}).ok());
  EXPECT_FALSE(strict->Poll(10, 0, &records).ok());

  EXPECT_EQ(consumer->Assign({{{"t", 7}, 0}}).message(),
            "Kafka partition t/7 does not exist on fake-1");
  EXPECT_EQ(consumer->Assign({{{"nope", 0}, 0}}).message(),
            "Kafka topic 'nope' does not exist on fake-1");
  EXPECT_EQ(
      clients_.NewConsumer(Config("fake-1", {{"isolation.level", "dirty"}})).status().subject(),
      "isolation.level");
}

TEST_F(FakeKafkaTest, KeyedRecordsGoWhereJavasDefaultPartitionerPutsThem) {
  cluster_.CreateTopic("wide", 5);
  auto producer = NewProducer();
  // Java's Utils.murmur2 test vectors; partition = (hash & 0x7fffffff) % partitions.
  std::vector<std::pair<std::string, int32_t>> vectors = {
      {"21", -973932308}, {"foobar", -790332482}, {"abc", 479470107}};
  for (const auto& [key, hash] : vectors) {
    ProducedRecord record = Record("wide", -1, key);
    record.key = key;
    ASSERT_TRUE(producer->Produce(record).ok());
    auto partition = static_cast<int32_t>((static_cast<uint32_t>(hash) & 0x7fffffff) % 5);
    std::vector<FakeLogEntry> log = cluster_.Log({"wide", partition});
    ASSERT_FALSE(log.empty()) << key;
    EXPECT_EQ(log.back().record.key, key);
  }
}

}  // namespace
}  // namespace sluice::runtime::connectors::kafka
