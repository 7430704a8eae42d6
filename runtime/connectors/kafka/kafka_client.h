#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "catalog/base/result.h"

namespace sluice::runtime::connectors::kafka {

// A thin client interface over Kafka: what the `kafka` and `upsert-kafka` connectors need and
// nothing more. Two implementations: librdkafka (rdkafka_client.cpp, the only file that
// includes librdkafka's headers besides the mock-cluster tool) and an in-memory fake
// (fake_kafka.h) that models what librdkafka's mock cluster does not: read_committed
// visibility, aborted transactions, fencing of a producer by a newer one with the same
// transactional id, and transaction timeouts. The connectors' state machines are tested on
// the fake crash point by crash point, and end to end on the mock cluster.
//
// Every call that talks to a broker takes or is bounded by the client's `timeout_ms` and
// returns a kRuntime error naming what failed (the broker list, the topic) rather than hang.

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  auto operator<=>(const TopicPartition&) const = default;
  /// `topic/partition`, as positions and messages name it (a topic name has no '/').
  std::string ToString() const { return topic + "/" + std::to_string(partition); }
};

/// Offsets Consumer::Assign takes besides real ones (librdkafka's RD_KAFKA_OFFSET_BEGINNING and
/// RD_KAFKA_OFFSET_END): the first offset still stored, and the high watermark at assignment.
inline constexpr int64_t kOffsetBeginning = -2;
inline constexpr int64_t kOffsetEnd = -1;

enum class TimestampType { kNone, kCreateTime, kLogAppendTime };

struct Header {
  std::string key;
  std::optional<std::string> value;  // nullopt: a null header value
};

/// A record as read from a partition.
struct ConsumedRecord {
  TopicPartition partition;
  int64_t offset = 0;
  std::optional<std::string> key;    // nullopt: a null key
  std::optional<std::string> value;  // nullopt: a null value (a tombstone)
  int64_t timestamp = -1;            // epoch milliseconds; -1 when the record has none
  TimestampType timestamp_type = TimestampType::kNone;
  std::vector<Header> headers;
};

/// A record to write. `partition` < 0 lets the producer's partitioner choose (librdkafka's
/// `partitioner` property; the connector sets `murmur2_random`, Java's default).
struct ProducedRecord {
  std::string topic;
  int32_t partition = -1;
  std::optional<std::string> key;
  std::optional<std::string> value;
  int64_t timestamp = 0;  // epoch milliseconds; 0: the producer's current time
  std::vector<Header> headers;
};

/// Client properties as librdkafka names them (`bootstrap.servers`, `group.id`, …): the
/// table's `properties.*` options with the prefix stripped, plus what the connector sets.
struct ClientConfig {
  std::map<std::string, std::string> properties;
  /// Bound on every blocking call (metadata, offsets, flush, transactions), milliseconds.
  int64_t timeout_ms = 30000;
};

/// Reads partitions by explicit assignment (no group membership: the job deals partitions to
/// its subtasks itself; `group.id` only names where offsets are committed for monitoring).
class Consumer {
 public:
  virtual ~Consumer() = default;
  /// Every topic the cluster has (for `topic-pattern`), internal topics excluded.
  virtual base::Result<std::vector<std::string>> ListTopics() = 0;
  /// The partition ids of `topic`; a kRuntime error when the topic does not exist.
  virtual base::Result<std::vector<int32_t>> Partitions(const std::string& topic) = 0;
  /// The low and high watermark offsets of a partition: the first offset still stored and the
  /// offset the next record written will get.
  virtual base::Result<std::pair<int64_t, int64_t>> WatermarkOffsets(
      const TopicPartition& partition) = 0;
  /// The first offset whose record timestamp is >= `timestamp` (epoch ms), or the high
  /// watermark when there is none.
  virtual base::Result<int64_t> OffsetForTimestamp(const TopicPartition& partition,
                                                   int64_t timestamp) = 0;
  /// The offset committed for `partition` by the consumer group of the client's `group.id`;
  /// nullopt when the group committed none.
  virtual base::Result<std::optional<int64_t>> CommittedOffset(const TopicPartition& partition) = 0;
  /// Replaces the assignment: from now on Poll reads these partitions, each from its offset
  /// (the next offset to read, or kOffsetBeginning / kOffsetEnd).
  virtual base::Status Assign(
      const std::vector<std::pair<TopicPartition, int64_t>>& partitions) = 0;
  /// Appends up to `max_records` records of the assigned partitions to `records`, waiting at
  /// most `wait_ms` for the first one. Records of one partition come in offset order. Reaching
  /// the end of a partition is not an error. A consumer error (the broker is unreachable for
  /// longer than the timeout, a partition disappeared) is a kRuntime error.
  /// `ends` (optional) receives each assigned partition the consumer found at its end during
  /// this call, with the offset its next record will get (past transaction markers, which
  /// take offsets but are never returned as records): how a bounded read knows it is done
  /// when the last offsets before its end are markers. Requires librdkafka's
  /// `enable.partition.eof` events (the implementation turns them on).
  virtual base::Status Poll(int32_t max_records, int32_t wait_ms,
                            std::vector<ConsumedRecord>* records,
                            std::vector<std::pair<TopicPartition, int64_t>>* ends = nullptr) = 0;
  /// Commits `offsets` (next offset to read per partition) to the group, for monitoring;
  /// asynchronous, failures only logged by the implementation.
  virtual base::Status CommitOffsets(
      const std::vector<std::pair<TopicPartition, int64_t>>& offsets) = 0;
};

/// Writes records, optionally in transactions (when created with a transactional id).
class Producer {
 public:
  virtual ~Producer() = default;
  /// The number of partitions of `topic`; a kRuntime error when it does not exist (and the
  /// cluster does not create it on demand).
  virtual base::Result<int32_t> PartitionCount(const std::string& topic) = 0;
  /// Queues one record. Delivery errors surface at the next Flush (or CommitTransaction).
  virtual base::Status Produce(const ProducedRecord& record) = 0;
  /// Waits until every queued record is acknowledged; returns the first delivery error since
  /// the previous Flush (the records it names were not written).
  virtual base::Status Flush() = 0;

  // Transactions (only for a producer created with a transactional id). A fenced producer
  // (another one initialised the same transactional id) gets a kRuntime error whose message
  // says "fenced" from every later call.
  /// Registers the transactional id with the cluster: aborts any transaction an earlier
  /// producer with the same id left open, and fences that producer.
  virtual base::Status InitTransactions() = 0;
  virtual base::Status BeginTransaction() = 0;
  /// Flushes, then commits: everything produced since BeginTransaction becomes visible to
  /// read_committed consumers at once.
  virtual base::Status CommitTransaction() = 0;
  virtual base::Status AbortTransaction() = 0;
};

/// Creates clients; the connectors take one from KafkaClients() so that tests can swap in the
/// fake.
class ClientFactory {
 public:
  virtual ~ClientFactory() = default;
  virtual base::Result<std::unique_ptr<Consumer>> NewConsumer(const ClientConfig& config) = 0;
  /// `transactional_id` empty: a plain (non-transactional) producer.
  virtual base::Result<std::unique_ptr<Producer>> NewProducer(
      const ClientConfig& config, const std::string& transactional_id) = 0;
};

/// The factory the connectors use: librdkafka unless a test installed another.
ClientFactory& KafkaClients();
/// Installs `factory` (not owned; null restores librdkafka) for the rest of the process. Tests
/// only.
void SetKafkaClientsForTesting(ClientFactory* factory);

/// The librdkafka factory.
ClientFactory& RdKafkaClients();

/// Checks one client property as librdkafka would take it (its name and value), without
/// creating a client; the error is librdkafka's own text (rdkafka_properties.cpp).
base::Status CheckClientProperty(const std::string& key, const std::string& value);

}  // namespace sluice::runtime::connectors::kafka
