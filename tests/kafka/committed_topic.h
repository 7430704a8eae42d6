#pragma once

// Reading a topic back from librdkafka's mock cluster (sluice-kafka-mock) as a test sees it:
// every record, and what an exactly-once sink committed to it. Shared by the Kafka CLI tests
// and the crash campaign (tests/campaign).
//
// The mock has no read_committed visibility: it shows the records of aborted transactions too.
// A sink run with 'sink.exactly-once.tag-records' = 'true' therefore tags every record with
// the attempt that published it (header `sluice-epoch`: `<transactional id>/<checkpoint>/
// <attempt>`), and that attempt's epoch marker in `<topic>.sluice-epochs` (key: the
// transactional id, value: `<checkpoint> <attempt> <records>`) says it committed: a record
// counts only when its attempt's marker is there together with all of the attempt's records
// (kafka::AttemptComplete: a process killed between producing the marker and committing can
// leave the marker without some of its records, which a real broker would have aborted).

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "catalog/base/result.h"
#include "runtime/connectors/kafka/kafka_client.h"
#include "runtime/connectors/kafka/kafka_sink.h"

namespace sluice::testing_support {

/// Every record of `topic` as a read_uncommitted consumer sees it on the mock: each partition
/// from its first stored offset up to its high watermark when the read starts. A topic that
/// does not exist is an error, or reads as empty when `missing_is_empty`.
inline base::Result<std::vector<runtime::connectors::kafka::ConsumedRecord>> ReadWholeTopic(
    const std::string& bootstrap_servers, const std::string& topic, bool missing_is_empty = false,
    int64_t timeout_ms = 30000) {
  namespace kafka = runtime::connectors::kafka;
  kafka::ClientConfig config;
  config.properties["bootstrap.servers"] = bootstrap_servers;
  config.properties["isolation.level"] = "read_uncommitted";
  config.timeout_ms = 10000;
  SLUICE_ASSIGN_OR_RETURN(auto consumer, kafka::RdKafkaClients().NewConsumer(config));
  std::vector<kafka::ConsumedRecord> records;
  if (missing_is_empty) {
    SLUICE_ASSIGN_OR_RETURN(std::vector<std::string> topics, consumer->ListTopics());
    if (std::find(topics.begin(), topics.end(), topic) == topics.end()) return records;
  }
  SLUICE_ASSIGN_OR_RETURN(std::vector<int32_t> partitions, consumer->Partitions(topic));
  std::vector<std::pair<kafka::TopicPartition, int64_t>> assignment;
  std::map<kafka::TopicPartition, int64_t> remaining;  // partition → high watermark
  for (int32_t id : partitions) {
    kafka::TopicPartition partition{topic, id};
    SLUICE_ASSIGN_OR_RETURN(auto watermarks, consumer->WatermarkOffsets(partition));
    if (watermarks.second <= watermarks.first) continue;
    assignment.emplace_back(partition, watermarks.first);
    remaining[partition] = watermarks.second;
  }
  if (assignment.empty()) return records;
  base::Status assigned = consumer->Assign(assignment);
  if (!assigned.ok()) return assigned;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!remaining.empty()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return base::Status::Error(base::ErrorCode::kRuntime,
                                 "topic '" + topic + "' was not read to its end within " +
                                     std::to_string(timeout_ms) + " ms (" +
                                     std::to_string(records.size()) + " records read)");
    }
    std::vector<kafka::ConsumedRecord> polled;
    std::vector<std::pair<kafka::TopicPartition, int64_t>> ends;
    base::Status status = consumer->Poll(4096, 200, &polled, &ends);
    if (!status.ok()) return status;
    for (auto& record : polled) {
      auto left = remaining.find(record.partition);
      if (left == remaining.end()) continue;  // past the end this read stops at
      if (record.offset >= left->second) continue;
      if (record.offset + 1 >= left->second) remaining.erase(left);
      records.push_back(std::move(record));
    }
    for (const auto& [partition, end] : ends) {
      auto left = remaining.find(partition);
      if (left != remaining.end() && end >= left->second) remaining.erase(left);
    }
  }
  return records;
}

/// What an exactly-once sink (with 'sink.exactly-once.tag-records') committed to a topic.
struct CommittedTopic {
  /// The values of the records whose attempt has its epoch marker, sorted (a null value reads
  /// as `<null>`).
  std::vector<std::string> values;
  /// The values of records without a `sluice-epoch` header, sorted: written outside a
  /// transaction (a sink in a job without checkpoints writes directly), visible to any reader.
  std::vector<std::string> untagged;
  /// Records of attempts without a marker: aborted, or left open by a process that died.
  int64_t uncommitted = 0;
};

/// What a sink committed, from every record of its topic and of its marker topic as a
/// read_uncommitted consumer sees them.
inline CommittedTopic CommittedView(
    const std::vector<runtime::connectors::kafka::ConsumedRecord>& marker_records,
    const std::vector<runtime::connectors::kafka::ConsumedRecord>& records) {
  namespace kafka = runtime::connectors::kafka;
  std::map<std::string, kafka::EpochMarker> markers;  // `<transactional id>/<checkpoint>/<attempt>`
  for (const auto& record : marker_records) {
    if (!record.key || !record.value) continue;
    std::optional<kafka::EpochMarker> marker = kafka::ParseEpochMarker(*record.value);
    if (marker) markers.emplace(marker->Tag(*record.key), *marker);
  }
  auto tag_of = [](const kafka::ConsumedRecord& record) -> const std::string* {
    const std::string* tag = nullptr;
    for (const auto& header : record.headers) {
      if (header.key == "sluice-epoch" && header.value) tag = &*header.value;
    }
    return tag;
  };
  std::map<std::string, int64_t> tagged;  // records per attempt
  for (const auto& record : records) {
    if (const std::string* tag = tag_of(record)) ++tagged[*tag];
  }
  CommittedTopic result;
  for (const auto& record : records) {
    const std::string* tag = tag_of(record);
    std::string value = record.value.value_or("<null>");
    auto marker = tag ? markers.find(*tag) : markers.end();
    if (tag == nullptr) {
      result.untagged.push_back(std::move(value));
    } else if (marker != markers.end() && kafka::AttemptComplete(marker->second, tagged[*tag])) {
      result.values.push_back(std::move(value));
    } else {
      ++result.uncommitted;
    }
  }
  std::sort(result.values.begin(), result.values.end());
  std::sort(result.untagged.begin(), result.untagged.end());
  return result;
}

/// The committed view of `topic`: its records read against the markers in
/// `<topic>.sluice-epochs`. A topic that does not exist is an error, or reads as empty when
/// `missing_is_empty`.
inline base::Result<CommittedTopic> ReadCommittedTopic(const std::string& bootstrap_servers,
                                                       const std::string& topic,
                                                       bool missing_is_empty = false) {
  SLUICE_ASSIGN_OR_RETURN(auto markers, ReadWholeTopic(bootstrap_servers, topic + ".sluice-epochs",
                                                       /*missing_is_empty=*/true));
  SLUICE_ASSIGN_OR_RETURN(auto records, ReadWholeTopic(bootstrap_servers, topic, missing_is_empty));
  return CommittedView(markers, records);
}

}  // namespace sluice::testing_support
