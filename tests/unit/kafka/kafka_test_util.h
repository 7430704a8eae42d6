#pragma once

// Helpers shared by the Kafka client tests.

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "runtime/connectors/kafka/kafka_client.h"

namespace sluice::runtime::connectors::kafka::testing {

inline ClientConfig Config(const std::string& bootstrap_servers,
                           std::vector<std::pair<std::string, std::string>> properties = {},
                           int64_t timeout_ms = 10000) {
  ClientConfig config;
  config.properties["bootstrap.servers"] = bootstrap_servers;
  for (auto& [key, value] : properties) config.properties[key] = value;
  config.timeout_ms = timeout_ms;
  return config;
}

inline ProducedRecord Record(const std::string& topic, int32_t partition, std::string value) {
  ProducedRecord record;
  record.topic = topic;
  record.partition = partition;
  record.value = std::move(value);
  return record;
}

/// Polls until `count` records arrived or `timeout_ms` passed; fails the test on a Poll error.
inline std::vector<ConsumedRecord> PollUntil(Consumer& consumer, size_t count,
                                             int64_t timeout_ms = 10000) {
  std::vector<ConsumedRecord> records;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (records.size() < count && std::chrono::steady_clock::now() < deadline) {
    base::Status status =
        consumer.Poll(static_cast<int32_t>(count - records.size()), 200, &records);
    if (!status.ok()) {
      ADD_FAILURE() << "Poll: " << status.ToString();
      break;
    }
  }
  return records;
}

inline std::vector<std::string> Values(const std::vector<ConsumedRecord>& records) {
  std::vector<std::string> values;
  for (const ConsumedRecord& record : records) values.push_back(record.value.value_or("<null>"));
  return values;
}

inline std::vector<int64_t> Offsets(const std::vector<ConsumedRecord>& records) {
  std::vector<int64_t> offsets;
  for (const ConsumedRecord& record : records) offsets.push_back(record.offset);
  return offsets;
}

}  // namespace sluice::runtime::connectors::kafka::testing
