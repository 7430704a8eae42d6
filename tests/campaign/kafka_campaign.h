#pragma once

// The Kafka side of the crash campaign: the source topic the `kafka` jobs read (filled once per
// test on the sluice-kafka-mock the test starts), what a Kafka sink committed, and how much a
// run has written to its topics (to notice its first output).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/campaign/campaign_job.h"
#include "tests/campaign/committed_output.h"

namespace sluice::runtime::connectors::kafka {
class Consumer;
}

namespace sluice::campaign {

/// The topic the `kafka` jobs read, and its partitions.
inline constexpr const char* kKafkaSourceTopic = "campaign-events";
inline constexpr int kKafkaSourcePartitions = 4;
/// Records in it: enough for about three seconds of reading (at parallelism 1, on one core),
/// like the other jobs' rate-limited sources.
inline constexpr int64_t kKafkaSourceRecords = 1'500'000;

/// Fills the source topic on `bootstrap_servers` (the topic exists, empty) with `records`
/// records `{"id":<id>,"k":<key>,"amount":<amount>}` for ids 1…records: key `id * 7 mod 16`
/// (also the record's key), partition `key mod kKafkaSourcePartitions`, amount a function of
/// the id, timestamp a fixed instant plus `id` ms, so that each partition's timestamps rise.
/// zstd-compressed: the mock keeps only about 5 MB per partition. Checks that every partition
/// holds all its records from offset 0 afterwards. Returns what went wrong, nullopt when
/// nothing did.
std::optional<std::string> FillKafkaSource(const std::string& bootstrap_servers,
                                           int64_t records = kKafkaSourceRecords);

/// Reads what the Kafka sink `sink` of a run writing to `places` committed into `output`:
/// the records whose transaction's epoch marker is there, and records written outside a
/// transaction (a run without checkpoints writes directly). A topic not created yet reads as
/// empty. Returns what went wrong, nullopt when nothing did.
std::optional<std::string> ReadKafkaSink(const CampaignSink& sink, const JobPlaces& places,
                                         CommittedOutput* output);

/// Counts the records (committed or not) of some topics: a run's first output is an increase.
class KafkaOutputProbe {
 public:
  KafkaOutputProbe(const std::string& bootstrap_servers, std::vector<std::string> topics);
  ~KafkaOutputProbe();
  /// The sum of the topics' high watermarks; 0 for a topic that does not exist yet, -1 when
  /// the cluster cannot be asked.
  int64_t Records();

 private:
  std::vector<std::string> topics_;
  std::unique_ptr<runtime::connectors::kafka::Consumer> consumer_;
};

}  // namespace sluice::campaign
