#pragma once

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "runtime/connectors/connector.h"
#include "runtime/connectors/formats/format.h"
#include "runtime/connectors/kafka/kafka_client.h"
#include "runtime/connectors/kafka/kafka_options.h"

namespace sluice::runtime::connectors::kafka {

/// Reads the topic-partitions dealt to one subtask (PartitionOwner) through one consumer: each
/// partition is a split with its own position (`kafka <topic>/<partition>`, the next offset
/// to read, and the offset it stops at when the table is bounded), watermark and idleness.
///
/// Where a partition starts: a restored one at its checkpointed offset; at the first start,
/// every partition by `scan.startup.mode`; a partition found later (discovery every
/// `scan.topic-partition-discovery.interval`, or one no checkpoint named) at its earliest
/// offset, as Flink's. A bounded table (`scan.bounded.mode`) fixes each partition's end when it
/// is first seen, keeps it in the position, and ends when every partition reached it.
class KafkaSourceReader : public SourceReader {
 public:
  /// Connects (so an unreachable cluster or a missing topic fails the job's setup) and finds
  /// the partitions; assigns them at the first Next, once a restore had its say.
  static base::Result<std::unique_ptr<KafkaSourceReader>> Create(const TableDescriptor& table,
                                                                 const SubtaskInfo& subtask,
                                                                 KafkaSettings settings);

  base::Result<bool> Next(Batch* batch) override;
  bool IsBounded() const override { return settings_.bounded_mode != BoundedMode::kUnbounded; }
  bool SupportsPosition() const override { return true; }

  bool ReadsSeveralSplits() const override { return true; }
  std::string LastSplit() const override { return last_split_; }
  std::vector<std::string> LiveSplits() const override;
  int64_t splits_version() const override { return splits_version_; }
  std::vector<std::string> SplitPositions() const override;
  base::Status RestoreSplits(const std::vector<std::string>& positions) override;
  base::Status OnCheckpointComplete(const std::vector<std::string>& positions) override;
  /// Holds: a record at or past its partition's hold waits in `held_` (the consumer is not
  /// re-seeked, so no record is fetched twice or skipped) until the hold moves.
  base::Status StopSplitsAt(const std::vector<std::string>& positions) override;
  bool AtStop() const override;
  void ClearStop() override;

  /// The name of a partition's split: `kafka <topic>/<partition>`.
  static std::string SplitName(const TopicPartition& partition);
  /// The partition a split name names; nullopt when it is not one.
  static std::optional<TopicPartition> ParseSplitName(const std::string& name);

 private:
  struct PartitionState {
    int64_t next_offset = 0;
    int64_t stop_offset = -1;  // bounded: read up to (not including) it; -1: unbounded
    int64_t hold_offset = -1;  // StopSplitsAt: read up to (not including) it until it moves
    bool finished = false;
  };

  KafkaSourceReader(const TableDescriptor& table, const SubtaskInfo& subtask,
                    KafkaSettings settings);
  base::Status Open();
  /// The topics the table reads now (its list, or those matching its pattern).
  base::Result<std::vector<std::string>> CurrentTopics();
  /// Finds partitions this subtask owns and does not read yet, and starts them: by the startup
  /// mode on the first round of a fresh start, else at their earliest offset.
  base::Status Discover(bool initial);
  base::Result<int64_t> StartOffset(const TopicPartition& partition, bool initial);
  base::Result<int64_t> StopOffset(const TopicPartition& partition, int64_t start);
  base::Status AssignAll();
  /// Decodes one record into rows appended to `batch`.
  base::Status AppendRecord(const ConsumedRecord& record, Batch* batch);
  void MarkFinished(PartitionState* state);
  /// Moves each partition that the consumer found at its end, once its records were taken,
  /// to that end (past transaction markers), finishing it when it reached its stop offset.
  void ApplyEnds();
  base::Status RecordError(const ConsumedRecord& record, const base::Status& status) const;

  TableDescriptor table_;
  SubtaskInfo subtask_;
  KafkaSettings settings_;
  std::unique_ptr<Consumer> consumer_;
  std::unique_ptr<formats::Format> value_format_;
  std::unique_ptr<formats::Format> key_format_;
  std::vector<size_t> first_slots_;  // the first flattened slot of each top-level column
  std::vector<types::LogicalType> slot_types_;
  std::vector<size_t> key_only_columns_;  // key columns the value does not also carry

  std::map<TopicPartition, PartitionState> partitions_;
  bool started_ = false;
  bool restored_ = false;
  bool assignment_changed_ = false;
  int64_t next_discovery_millis_ = 0;
  std::deque<ConsumedRecord> pending_;
  std::map<TopicPartition, int64_t> ends_;  // partitions found at their end, not yet applied
  std::string last_split_;
  int64_t splits_version_ = 0;
  // StopSplitsAt: holding (partitions found meanwhile are held at their start), and the
  // records fetched at or past a hold, per partition, in offset order.
  bool holding_ = false;
  std::map<TopicPartition, int64_t> holds_;  // as asked, for partitions not found yet
  std::map<TopicPartition, std::deque<ConsumedRecord>> held_;
  /// Puts the held records back in front of the pending ones (before any later record of
  /// their partitions).
  void ReleaseHeldRecords();
};

}  // namespace sluice::runtime::connectors::kafka
