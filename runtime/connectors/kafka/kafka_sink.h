#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/connectors/connector.h"
#include "runtime/connectors/formats/format.h"
#include "runtime/connectors/kafka/kafka_client.h"
#include "runtime/connectors/kafka/kafka_options.h"

namespace sluice::runtime::connectors::kafka {

/// Writes one subtask's share of a `kafka` or `upsert-kafka` table.
///
/// `none` produces and flushes only at the end; `at-least-once` also flushes at every
/// checkpoint barrier, and a failed delivery fails that checkpoint (so the job restarts from
/// the previous one and writes those rows again).
///
/// `exactly-once` (DESIGN §11, README "Kafka"): the rows of an epoch (between two barriers)
/// are kept, and at the barrier written to a spool file under the job's checkpoint directory
/// (SubtaskInfo::spool_directory, fsynced before the checkpoint can complete), named by the
/// transaction string the checkpoint records. When the checkpoint completes (Commit), they are
/// published in one Kafka transaction together with an epoch marker — a record keyed by the
/// transactional id whose value is the checkpoint id, in the marker topic
/// `<topic>.sluice-epochs` — and the spool file is deleted once Kafka committed. A crash
/// anywhere in between is recovered from the checkpoint (Recover): the transactional id is
/// initialised again (which aborts a transaction the dead process left open and fences a
/// zombie), the marker topic is read with read_committed, and an epoch without its marker is
/// published again from its spool. An epoch with neither a marker nor a spool file cannot be
/// recovered: the job fails saying which checkpoint's rows were not committed. Transactional
/// ids are `<sink.transactional-id-prefix>-<job id>-<subtask>`: a bounded pool per job run, so
/// that two versions of a job never fence each other.
class KafkaSinkWriter : public SinkWriter {
 public:
  static base::Result<std::unique_ptr<KafkaSinkWriter>> Create(const TableDescriptor& table,
                                                               const SubtaskInfo& subtask,
                                                               KafkaSettings settings);

  base::Status Write(const Batch& batch) override;
  base::Status Finish() override;
  base::Status Flush() override;
  bool SupportsTransactions() const override {
    return settings_.delivery == DeliveryGuarantee::kExactlyOnce;
  }
  base::Status EnableTransactions() override;
  base::Result<std::string> PreCommit(int64_t checkpoint_id) override;
  base::Status Commit(int64_t checkpoint_id) override;
  base::Status Recover(const std::vector<std::string>& transactions) override;

  /// The topic the epoch markers of a sink writing `topic` go to.
  static std::string MarkerTopic(const std::string& topic);

 private:
  struct Epoch {
    int64_t checkpoint = 0;
    std::string spool_path;
    std::vector<ProducedRecord> records;
  };

  KafkaSinkWriter(const TableDescriptor& table, const SubtaskInfo& subtask, KafkaSettings settings);
  base::Status Open();
  /// Encodes row `row` into `record`; false when the row writes nothing (an upsert's -U
  /// followed by the +U of its key).
  base::Result<bool> EncodeRow(const Batch& batch, int32_t row, ProducedRecord* record);
  /// Writes the open epoch's rows to their fsynced spool file and queues them for Commit.
  base::Status SpoolOpenEpoch(int64_t checkpoint_id);
  /// The record key of row `row` (any row kind) in the key format.
  base::Status EncodeKey(const Batch& batch, int32_t row, std::string* key);
  std::string TransactionalId(int32_t subtask) const;
  /// Publishes `records` and the marker of (`transactional_id`, `checkpoint`) in one
  /// transaction of `producer`.
  base::Status Publish(Producer* producer, const std::string& transactional_id, int64_t checkpoint,
                       const std::vector<ProducedRecord>& records) const;
  /// Calls `visit` on every record of `topic` (read_committed, each partition from its first
  /// offset to its end when the read starts) until it returns false.
  base::Status ReadToEnd(const std::string& topic,
                         const std::function<bool(const ConsumedRecord&)>& visit) const;
  /// Whether the marker of (`transactional_id`, `checkpoint`) is committed in the marker topic
  /// (with tagged records: with all of its attempt's records, AttemptComplete).
  base::Result<bool> MarkerCommitted(const std::string& transactional_id, int64_t checkpoint) const;
  base::Status TableError(const std::string& why) const;

  TableDescriptor table_;
  SubtaskInfo subtask_;
  KafkaSettings settings_;
  std::unique_ptr<formats::Format> value_format_;
  std::unique_ptr<formats::Format> key_format_;
  std::vector<size_t> first_slots_;
  std::vector<types::LogicalType> slot_types_;
  std::optional<size_t> timestamp_slot_;  // a writable `timestamp` metadata column
  std::optional<size_t> headers_slot_;    // a writable `headers` metadata column
  std::unique_ptr<Producer> producer_;    // plain, or this subtask's transactional one
  int32_t partition_count_ = 1;
  int64_t round_robin_ = 0;
  bool transactional_ = false;
  bool transactions_initialised_ = false;
  std::vector<ProducedRecord> open_epoch_;  // rows since the last barrier
  std::vector<Epoch> pending_;              // pre-committed epochs, oldest first
};

/// An epoch marker: the record of `<topic>.sluice-epochs` keyed by the transactional id that
/// one attempt at publishing a checkpoint's epoch writes in the same transaction as the
/// epoch's records. Its value is `<checkpoint> <attempt> <records>` (`records` is the number
/// of records the attempt wrote to the data topic; markers of older versions lack it).
struct EpochMarker {
  int64_t checkpoint = 0;
  std::string attempt;
  std::optional<int64_t> records;

  std::string Value() const;
  /// The tag `sink.exactly-once.tag-records` puts on each record of the attempt (header
  /// `sluice-epoch`): `<transactional id>/<checkpoint>/<attempt>`.
  std::string Tag(const std::string& transactional_id) const;
};
/// The marker a value holds; nullopt for a value no sink wrote.
std::optional<EpochMarker> ParseEpochMarker(const std::string& value);

/// Whether an attempt whose marker is visible committed, on a cluster whose consumers may
/// see the records of aborted transactions (librdkafka's mock cluster has no read_committed):
/// with tagged records, an attempt counts only when every record it wrote is there (a process
/// killed after the marker reached the broker but before one of its records did left a
/// marker without its rows). `tagged` is the number of records in the data topic carrying
/// the attempt's tag. On a real cluster read with read_committed a visible marker's records
/// are all there, so the rule holds for both.
inline bool AttemptComplete(const EpochMarker& marker, int64_t tagged) {
  return !marker.records || *marker.records == tagged;
}

/// Writes `records` to the spool file `path` (atomically: a temporary file, fsync, rename).
base::Status WriteSpool(const std::string& path, const std::vector<ProducedRecord>& records);
/// Reads a spool file WriteSpool wrote; a truncated or foreign file is a kData error.
base::Result<std::vector<ProducedRecord>> ReadSpool(const std::string& path);

}  // namespace sluice::runtime::connectors::kafka
