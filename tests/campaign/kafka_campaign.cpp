#include "tests/campaign/kafka_campaign.h"

#include <algorithm>

#include "runtime/connectors/kafka/kafka_client.h"
#include "tests/kafka/committed_topic.h"

namespace sluice::campaign {

namespace {

namespace kafka = runtime::connectors::kafka;

/// 2024-01-01T00:00:00Z: record `id` has the timestamp this plus `id` milliseconds.
constexpr int64_t kFirstTimestamp = 1'704'067'200'000;
constexpr int kKeys = 16;

}  // namespace

std::optional<std::string> FillKafkaSource(const std::string& bootstrap_servers, int64_t records) {
  kafka::ClientConfig config;
  config.properties = {{"bootstrap.servers", bootstrap_servers},
                       {"compression.type", "zstd"},
                       {"enable.idempotence", "true"},  // in order within a partition
                       {"linger.ms", "50"},
                       {"batch.num.messages", "50000"},
                       {"batch.size", "1000000"}};
  config.timeout_ms = 60000;
  auto producer = kafka::RdKafkaClients().NewProducer(config, "");
  if (!producer.ok()) return "cannot create a producer: " + producer.status().message();
  kafka::ProducedRecord record;
  record.topic = kKafkaSourceTopic;
  std::vector<int64_t> per_partition(kKafkaSourcePartitions, 0);
  for (int64_t id = 1; id <= records; ++id) {
    const int64_t key = id * 7 % kKeys;
    const int64_t amount = id * 7919 % 1000 + 1;
    record.partition = static_cast<int32_t>(key % kKafkaSourcePartitions);
    record.key = std::to_string(key);
    record.value = "{\"id\":" + std::to_string(id) + ",\"k\":" + std::to_string(key) +
                   ",\"amount\":" + std::to_string(amount) + "}";
    record.timestamp = kFirstTimestamp + id;
    base::Status produced = (*producer)->Produce(record);
    if (!produced.ok()) {
      return "cannot produce record " + std::to_string(id) + ": " + produced.message();
    }
    ++per_partition[record.partition];
  }
  base::Status flushed = (*producer)->Flush();
  if (!flushed.ok()) return "cannot flush the source records: " + flushed.message();

  // The mock drops a partition's oldest batches past about 5 MB: every record must still be
  // there, from offset 0.
  auto consumer = kafka::RdKafkaClients().NewConsumer(
      kafka::ClientConfig{{{"bootstrap.servers", bootstrap_servers}}, 10000});
  if (!consumer.ok()) return "cannot create a consumer: " + consumer.status().message();
  for (int32_t partition = 0; partition < kKafkaSourcePartitions; ++partition) {
    auto watermarks = (*consumer)->WatermarkOffsets({kKafkaSourceTopic, partition});
    if (!watermarks.ok()) return watermarks.status().message();
    if (watermarks->first != 0 || watermarks->second != per_partition[partition]) {
      return "partition " + std::to_string(partition) + " of '" + kKafkaSourceTopic +
             "' holds offsets " + std::to_string(watermarks->first) + " to " +
             std::to_string(watermarks->second) + ", not 0 to " +
             std::to_string(per_partition[partition]) +
             " (the mock cluster dropped old records: fewer or smaller ones)";
    }
  }
  return std::nullopt;
}

std::optional<std::string> ReadKafkaSink(const CampaignSink& sink, const JobPlaces& places,
                                         CommittedOutput* output) {
  const std::string topic = places.TopicOf(sink);
  auto committed = testing_support::ReadCommittedTopic(places.bootstrap_servers, topic,
                                                       /*missing_is_empty=*/true);
  if (!committed.ok()) {
    return "cannot read topic '" + topic + "': " + committed.status().message();
  }
  std::vector<std::string> records = std::move(committed->values);
  records.insert(records.end(), committed->untagged.begin(), committed->untagged.end());
  *output = CommittedOutput::FromRecords(records, sink.format, committed->uncommitted);
  return std::nullopt;
}

KafkaOutputProbe::KafkaOutputProbe(const std::string& bootstrap_servers,
                                   std::vector<std::string> topics)
    : topics_(std::move(topics)) {
  auto consumer = kafka::RdKafkaClients().NewConsumer(
      kafka::ClientConfig{{{"bootstrap.servers", bootstrap_servers}}, 5000});
  if (consumer.ok()) consumer_ = std::move(*consumer);
}

KafkaOutputProbe::~KafkaOutputProbe() = default;

int64_t KafkaOutputProbe::Records() {
  if (consumer_ == nullptr) return -1;
  auto existing = consumer_->ListTopics();
  if (!existing.ok()) return -1;
  int64_t total = 0;
  for (const std::string& topic : topics_) {
    if (std::find(existing->begin(), existing->end(), topic) == existing->end()) continue;
    auto partitions = consumer_->Partitions(topic);
    if (!partitions.ok()) return -1;
    for (int32_t partition : *partitions) {
      auto watermarks = consumer_->WatermarkOffsets({topic, partition});
      if (!watermarks.ok()) return -1;
      total += watermarks->second;
    }
  }
  return total;
}

}  // namespace sluice::campaign
