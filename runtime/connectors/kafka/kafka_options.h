#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "catalog/base/result.h"
#include "runtime/connectors/connector.h"
#include "runtime/connectors/formats/format.h"
#include "runtime/connectors/kafka/kafka_client.h"

namespace sluice::runtime::connectors::kafka {

// The `WITH` options of `'connector' = 'kafka'` and `'upsert-kafka'`, spelled and defaulted as
// Flink's Kafka SQL connector (shared/reference/kafka.md §3), parsed and checked once. Every
// rule Flink validates is an error here naming the option and the table.

enum class StartupMode { kEarliest, kLatest, kGroupOffsets, kTimestamp, kSpecificOffsets };
enum class BoundedMode { kUnbounded, kLatest, kGroupOffsets, kTimestamp, kSpecificOffsets };
enum class SinkPartitioner { kDefault, kFixed, kRoundRobin };
enum class DeliveryGuarantee { kNone, kAtLeastOnce, kExactlyOnce };

/// One side (key or value) of a record: which format, which of the table's columns.
struct RecordSide {
  std::string format;                    // empty: the side is not written or read (no key format)
  formats::FormatOptions options;        // prefix stripped: `ignore-parse-errors`
  std::string option_prefix;             // how the table spells them: `value.json.`, `json.`
  std::vector<size_t> columns;           // top-level columns of the table, in format order
  std::vector<std::string> field_names;  // the names inside the record (prefix removed)
};

struct KafkaSettings {
  bool upsert = false;              // 'upsert-kafka'
  std::vector<std::string> topics;  // `topic`, split at ';'
  std::optional<std::string> topic_pattern;
  std::string bootstrap_servers;
  std::optional<std::string> group_id;
  /// `properties.*` with the prefix stripped, checked against librdkafka's names.
  std::map<std::string, std::string> client_properties;
  int64_t timeout_ms = 60000;  // `properties.socket.timeout.ms`, librdkafka's default

  StartupMode startup_mode = StartupMode::kGroupOffsets;
  std::map<int32_t, int64_t> startup_offsets;  // scan.startup.specific-offsets
  int64_t startup_timestamp = 0;
  BoundedMode bounded_mode = BoundedMode::kUnbounded;
  std::map<int32_t, int64_t> bounded_offsets;
  int64_t bounded_timestamp = 0;
  int64_t discovery_interval_ms = 5 * 60 * 1000;  // 0: no discovery

  RecordSide key;
  RecordSide value;
  std::vector<size_t> metadata_columns;  // schema columns that are metadata (see connector.h)

  SinkPartitioner partitioner = SinkPartitioner::kDefault;
  DeliveryGuarantee delivery = DeliveryGuarantee::kAtLeastOnce;
  std::string transactional_id_prefix;
  /// `sink.exactly-once.tag-records` (Sluice's, for tests over librdkafka's mock cluster,
  /// which shows aborted transactions to every reader): every record of an exactly-once
  /// sink carries a `sluice-epoch` header naming its publishing attempt, whose marker tells
  /// whether it was committed.
  bool tag_records = false;
};

/// Parses and checks every option of a `kafka` (`upsert` false) or `upsert-kafka` table, for
/// reading (`as_source`) or writing.
base::Result<KafkaSettings> ParseKafkaSettings(const TableDescriptor& table, bool upsert,
                                               bool as_source);

/// The format of one side of a record (its fields are the side's columns of `table`).
base::Result<std::unique_ptr<formats::Format>> CreateSideFormat(const TableDescriptor& table,
                                                                const RecordSide& side);

/// Whether `format` writes and reads row kinds (a table in it is an updating one).
bool IsChangelogFormat(const std::string& format);

/// The client configuration the settings give (librdkafka names).
ClientConfig ConsumerConfig(const KafkaSettings& settings);
ClientConfig ProducerConfig(const KafkaSettings& settings);

/// The metadata keys of Kafka tables (`topic`, `partition`, `offset`, `timestamp`,
/// `timestamp-type`; `headers` waits for the MAP type).
std::vector<MetadataKey> KafkaMetadataKeys();

/// Java's String.hashCode of `text` (UTF-16 code units of its UTF-8 decoding), for Flink's
/// partition assignment rule.
int32_t JavaStringHash(const std::string& text);
/// The subtask of `parallelism` that reads `partition`: Flink's KafkaSourceEnumerator rule,
/// `(((topic.hashCode() * 31) & 0x7FFFFFFF) % parallelism + partition) % parallelism`, so that
/// a topic's partitions spread round-robin from a topic-dependent start.
int32_t PartitionOwner(const TopicPartition& partition, int32_t parallelism);

}  // namespace sluice::runtime::connectors::kafka
