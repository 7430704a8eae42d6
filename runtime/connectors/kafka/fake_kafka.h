#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/connectors/kafka/kafka_client.h"

// An in-memory Kafka for tests, behind the same interface as librdkafka (kafka_client.h). It
// models what librdkafka's mock cluster does not (reference/kafka.md §0):
//   * transaction markers: each commit or abort writes one marker per partition of the
//     transaction, which takes an offset as in Kafka, so offsets are not contiguous;
//   * `isolation.level` (default read_committed, as librdkafka's): a read_committed consumer
//     sees committed records only, never aborted ones, and nothing at or past the first offset
//     of a still-open transaction (the partition's last stable offset); read_uncommitted sees
//     every record;
//   * fencing: InitTransactions with a transactional id aborts that id's open transaction and
//     fences every earlier producer of the id (their later calls fail with "fenced");
//   * `transaction.timeout.ms` (default 60000): a transaction open longer than that on the
//     cluster's clock is aborted by the "broker", which fences its producer;
//   * a producer destroyed without committing leaves its transaction open, as a killed
//     process does;
//   * committed group offsets, OffsetForTimestamp by record timestamps, topics created on
//     demand only when the cluster is told to.
// As librdkafka's, a read_committed consumer's high watermark (WatermarkOffsets, kOffsetEnd,
// the ends Poll reports) is the last stable offset. Records are written when Produce is called
// (delivery is immediate), unless a fault says otherwise; a record without a partition goes
// to murmur2(key) % partitions, as Java's and librdkafka's `murmur2_random` partitioners put
// it, or round-robin without a key. Clients name their cluster by `bootstrap.servers`; a name
// no cluster has fails every call like an unreachable broker.
//
//   FakeKafkaClients clients;
//   FakeKafka& cluster = clients.AddCluster("fake-1");
//   cluster.CreateTopic("orders", 2);
//   ScopedKafkaClients installed(&clients);  // KafkaClients() is the fake until destroyed
//   ... run the connector with 'properties.bootstrap.servers' = 'fake-1' ...
//   EXPECT_EQ(cluster.ReadCommitted({"orders", 0}).size(), 3);

namespace sluice::runtime::connectors::kafka {

/// The calls the fake can be told to fail.
enum class FakeOperation {
  kMetadata,  // ListTopics, Partitions, PartitionCount
  kOffsets,   // WatermarkOffsets, OffsetForTimestamp, CommittedOffset
  kAssign,
  kPoll,
  kCommitOffsets,  // the offsets are not stored; the call still succeeds (it is asynchronous)
  kProduce,        // the call itself fails, nothing is written
  kDelivery,       // Produce succeeds, the record is not written, the next Flush says so
  kFlush,
  kInitTransactions,
  kBeginTransaction,
  kCommitTransaction,
  kAbortTransaction,
};

/// When an injected fault strikes.
enum class FaultTiming {
  kBefore,  // the call fails and has no effect
  kAfter,   // the call takes effect, then reports the failure (a lost response)
};

/// Fails the next `count` calls of `operation` with a kRuntime error carrying `message`.
struct FakeFault {
  FakeOperation operation = FakeOperation::kProduce;
  int32_t count = 1;
  std::string message = "injected fault";
  FaultTiming timing = FaultTiming::kBefore;
  /// Only calls of the producer with this transactional id (empty: any client).
  std::string transactional_id;
};

/// Where a record stands in its transaction.
enum class FakeRecordState {
  kCommitted,  // written outside a transaction, or its transaction committed
  kAborted,
  kOpen,  // its transaction is still open
};

/// One entry of a partition's log: a record or a transaction marker.
struct FakeLogEntry {
  ConsumedRecord record;  // for a marker: its partition and offset only
  bool marker = false;    // a commit or abort marker (a control record)
  FakeRecordState state = FakeRecordState::kCommitted;  // a marker: the outcome it records
  std::string transactional_id;                         // empty outside transactions
};

/// How a fake cluster behaves where brokers may be configured differently.
struct FakeKafkaOptions {
  /// Producers create a missing topic (PartitionCount, Produce) with `default_partitions`, as
  /// a broker with `auto.create.topics.enable` does. Consumers never create topics.
  bool auto_create_topics = false;
  int32_t default_partitions = 1;
  /// The brokers' `transaction.max.timeout.ms` (Kafka's default: 15 min): InitTransactions of
  /// a producer whose `transaction.timeout.ms` is larger fails (INVALID_TRANSACTION_TIMEOUT).
  int64_t max_transaction_timeout_ms = 900000;
  /// false: consumers read every record whatever their `isolation.level` — the records of
  /// aborted and of still-open transactions too — as on librdkafka's mock cluster, which has
  /// no read_committed visibility (what the tests over the mock must live with).
  bool read_committed = true;
};

struct FakeKafkaState;

/// One fake cluster: topics, logs, transactions, group offsets, a clock and injected faults.
/// Thread-safe: clients of several threads may share it.
class FakeKafka {
 public:
  explicit FakeKafka(FakeKafkaOptions options = {});
  ~FakeKafka();
  FakeKafka(const FakeKafka&) = delete;
  FakeKafka& operator=(const FakeKafka&) = delete;

  /// Creates `topic` with `partitions` partitions; an existing topic keeps its partitions.
  void CreateTopic(const std::string& topic, int32_t partitions);

  /// Stops the wall clock at `now_ms` (epoch milliseconds): time then moves by AdvanceClock
  /// only. Record timestamps (when the producer gives none) and transaction timeouts use it.
  void SetClock(int64_t now_ms);
  /// Moves the clock forward (stopping it first at the current wall time if it runs).
  void AdvanceClock(int64_t milliseconds);
  int64_t NowMs() const;

  /// Makes every call of every client fail as with an unreachable broker (`down`), or work
  /// again.
  void SetDown(bool down);
  /// Adds a fault; faults of one operation strike in the order they were added.
  void InjectFault(const FakeFault& fault);
  /// Removes every fault not yet spent.
  void ClearFaults();

  /// Every entry of a partition's log, markers included, in offset order.
  std::vector<FakeLogEntry> Log(const TopicPartition& partition) const;
  /// What a read_committed consumer reads from the start of the partition now.
  std::vector<ConsumedRecord> ReadCommitted(const TopicPartition& partition) const;
  /// The first offset of the partition's oldest open transaction, or its end offset.
  int64_t LastStableOffset(const TopicPartition& partition) const;
  /// Whether `transactional_id` has a transaction open on the cluster.
  bool HasOpenTransaction(const std::string& transactional_id) const;
  /// The offset `group` committed for `partition`; nullopt when none.
  std::optional<int64_t> GroupOffset(const std::string& group,
                                     const TopicPartition& partition) const;

 private:
  friend class FakeKafkaClients;

  std::shared_ptr<FakeKafkaState> state_;  // shared with the clients, which may outlive this
};

/// A ClientFactory over fake clusters, each reachable by its `bootstrap.servers` name.
class FakeKafkaClients final : public ClientFactory {
 public:
  /// Adds a cluster named `bootstrap_servers` (a client naming several servers, comma
  /// separated, reaches the first that names a cluster). The name must be new. Add clusters
  /// before clients are made: the factory itself is not locked.
  FakeKafka& AddCluster(const std::string& bootstrap_servers, FakeKafkaOptions options = {});
  /// The cluster of that name; null when there is none.
  FakeKafka* Cluster(const std::string& bootstrap_servers) const;

  base::Result<std::unique_ptr<Consumer>> NewConsumer(const ClientConfig& config) override;
  base::Result<std::unique_ptr<Producer>> NewProducer(const ClientConfig& config,
                                                      const std::string& transactional_id) override;

 private:
  std::shared_ptr<FakeKafkaState> Find(const ClientConfig& config) const;

  std::map<std::string, std::unique_ptr<FakeKafka>> clusters_;
};

/// Installs a factory as KafkaClients() (SetKafkaClientsForTesting) for its lifetime.
class ScopedKafkaClients {
 public:
  explicit ScopedKafkaClients(ClientFactory* factory) { SetKafkaClientsForTesting(factory); }
  ~ScopedKafkaClients() { SetKafkaClientsForTesting(nullptr); }
  ScopedKafkaClients(const ScopedKafkaClients&) = delete;
  ScopedKafkaClients& operator=(const ScopedKafkaClients&) = delete;
};

}  // namespace sluice::runtime::connectors::kafka
