#include "runtime/connectors/kafka/kafka_sink.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include "catalog/base/crash_point.h"
#include "runtime/expr/collection_value.h"

namespace sluice::runtime::connectors::kafka {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view kSpoolMagic = "SLUICE-KAFKA-SPOOL 1\n";
constexpr std::string_view kSpoolEnd = "SLUICE-END\n";
/// Records a spool file may hold at most (a sanity bound for reading a damaged count).
constexpr uint64_t kMaxSpoolRecords = uint64_t{1} << 40;

void PutU32(uint32_t value, std::string* out) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>(value >> (8 * i)));
}
void PutU64(uint64_t value, std::string* out) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(value >> (8 * i)));
}
void PutBytes(const std::optional<std::string>& bytes, std::string* out) {
  if (!bytes) {
    PutU32(UINT32_MAX, out);
    return;
  }
  PutU32(static_cast<uint32_t>(bytes->size()), out);
  out->append(*bytes);
}

/// Reads the spool's little-endian fields, failing once past the end.
class SpoolReader {
 public:
  explicit SpoolReader(std::string_view data) : data_(data) {}
  bool U32(uint32_t* value) {
    if (data_.size() - position_ < 4) return false;
    *value = 0;
    for (int i = 0; i < 4; ++i) {
      *value |= static_cast<uint32_t>(static_cast<unsigned char>(data_[position_ + i])) << (8 * i);
    }
    position_ += 4;
    return true;
  }
  bool U64(uint64_t* value) {
    if (data_.size() - position_ < 8) return false;
    *value = 0;
    for (int i = 0; i < 8; ++i) {
      *value |= static_cast<uint64_t>(static_cast<unsigned char>(data_[position_ + i])) << (8 * i);
    }
    position_ += 8;
    return true;
  }
  bool Bytes(std::optional<std::string>* bytes) {
    uint32_t length = 0;
    if (!U32(&length)) return false;
    if (length == UINT32_MAX) {
      bytes->reset();
      return true;
    }
    if (data_.size() - position_ < length) return false;
    *bytes = std::string(data_.substr(position_, length));
    position_ += length;
    return true;
  }
  size_t position() const { return position_; }

 private:
  std::string_view data_;
  size_t position_ = 0;
};

base::Status IoError(const std::string& what, const std::string& path) {
  return base::Status::Error(base::ErrorCode::kIo,
                             what + " '" + path + "': " + std::strerror(errno));
}

/// Parses `kafka-epoch checkpoint=<n> txn=<id> records=<n> spool=<path>`.
struct EpochTransaction {
  int64_t checkpoint = 0;
  std::string transactional_id;
  int64_t records = 0;
  std::string spool_path;
};

std::string FormatTransaction(const EpochTransaction& transaction) {
  return "kafka-epoch checkpoint=" + std::to_string(transaction.checkpoint) +
         " txn=" + transaction.transactional_id +
         " records=" + std::to_string(transaction.records) + " spool=" + transaction.spool_path;
}

std::optional<EpochTransaction> ParseTransaction(const std::string& text) {
  std::istringstream in(text);
  std::string head;
  in >> head;
  if (head != "kafka-epoch") return std::nullopt;
  EpochTransaction transaction;
  std::string field;
  int found = 0;
  while (in >> field) {
    size_t equals = field.find('=');
    if (equals == std::string::npos) return std::nullopt;
    std::string key = field.substr(0, equals);
    std::string value = field.substr(equals + 1);
    try {
      if (key == "checkpoint") {
        transaction.checkpoint = std::stoll(value);
      } else if (key == "records") {
        transaction.records = std::stoll(value);
      } else if (key == "txn") {
        transaction.transactional_id = value;
      } else if (key == "spool") {
        // The path is the rest of the line (it may hold spaces).
        std::string rest;
        std::getline(in, rest);
        transaction.spool_path = value + rest;
      } else {
        return std::nullopt;
      }
    } catch (const std::exception&) {
      return std::nullopt;
    }
    ++found;
  }
  if (found != 4 || transaction.transactional_id.empty() || transaction.spool_path.empty()) {
    return std::nullopt;
  }
  return transaction;
}

}  // namespace

base::Status WriteSpool(const std::string& path, const std::vector<ProducedRecord>& records) {
  std::string data(kSpoolMagic);
  PutU64(records.size(), &data);
  for (const ProducedRecord& record : records) {
    PutU32(static_cast<uint32_t>(record.topic.size()), &data);
    data.append(record.topic);
    PutU32(static_cast<uint32_t>(record.partition), &data);
    PutU64(static_cast<uint64_t>(record.timestamp), &data);
    PutBytes(record.key, &data);
    PutBytes(record.value, &data);
    PutU32(static_cast<uint32_t>(record.headers.size()), &data);
    for (const Header& header : record.headers) {
      PutBytes(header.key, &data);
      PutBytes(header.value, &data);
    }
  }
  PutU64(XXH3_64bits(data.data(), data.size()), &data);
  data.append(kSpoolEnd);

  std::error_code error;
  fs::create_directories(fs::path(path).parent_path(), error);
  if (error) {
    return base::Status::Error(base::ErrorCode::kIo, "cannot create the spool directory of '" +
                                                         path + "': " + error.message());
  }
  const std::string temporary = path + ".tmp";
  int descriptor = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (descriptor < 0) return IoError("cannot create", temporary);
  size_t written = 0;
  while (written < data.size()) {
    ssize_t count = ::write(descriptor, data.data() + written, data.size() - written);
    if (count < 0) {
      if (errno == EINTR) continue;
      ::close(descriptor);
      return IoError("cannot write", temporary);
    }
    written += static_cast<size_t>(count);
  }
  if (::fsync(descriptor) != 0) {
    ::close(descriptor);
    return IoError("cannot fsync", temporary);
  }
  ::close(descriptor);
  if (::rename(temporary.c_str(), path.c_str()) != 0) return IoError("cannot rename", temporary);
  int directory = ::open(fs::path(path).parent_path().c_str(), O_RDONLY | O_CLOEXEC);
  if (directory >= 0) {
    ::fsync(directory);
    ::close(directory);
  }
  return base::Status::Ok();
}

base::Result<std::vector<ProducedRecord>> ReadSpool(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError("cannot open the spool file", path);
  const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto damaged = [&path](const std::string& why) {
    return base::Status::Error(base::ErrorCode::kData,
                               "the spool file '" + path + "' is damaged or foreign: " + why);
  };
  if (data.compare(0, kSpoolMagic.size(), kSpoolMagic) != 0) return damaged("no spool header");
  const size_t trailer = 8 + kSpoolEnd.size();
  if (data.size() < kSpoolMagic.size() + 8 + trailer ||
      data.compare(data.size() - kSpoolEnd.size(), kSpoolEnd.size(), kSpoolEnd) != 0) {
    return damaged("truncated");
  }
  const size_t body = data.size() - trailer;
  SpoolReader checksum_reader(std::string_view(data).substr(body, 8));
  uint64_t checksum = 0;
  checksum_reader.U64(&checksum);
  if (checksum != XXH3_64bits(data.data(), body)) return damaged("checksum mismatch");
  SpoolReader reader(std::string_view(data).substr(kSpoolMagic.size(), body - kSpoolMagic.size()));
  uint64_t count = 0;
  if (!reader.U64(&count) || count > kMaxSpoolRecords) return damaged("bad record count");
  std::vector<ProducedRecord> records;
  for (uint64_t i = 0; i < count; ++i) {
    ProducedRecord record;
    std::optional<std::string> topic;
    uint32_t partition = 0;
    uint64_t timestamp = 0;
    uint32_t headers = 0;
    if (!reader.Bytes(&topic) || !topic || !reader.U32(&partition) || !reader.U64(&timestamp) ||
        !reader.Bytes(&record.key) || !reader.Bytes(&record.value) || !reader.U32(&headers)) {
      return damaged("truncated record");
    }
    for (uint32_t h = 0; h < headers; ++h) {
      std::optional<std::string> key;
      Header header;
      if (!reader.Bytes(&key) || !key || !reader.Bytes(&header.value)) {
        return damaged("truncated header");
      }
      header.key = *key;
      record.headers.push_back(std::move(header));
    }
    record.topic = *topic;
    record.partition = static_cast<int32_t>(partition);
    record.timestamp = static_cast<int64_t>(timestamp);
    records.push_back(std::move(record));
  }
  return records;
}

std::string KafkaSinkWriter::MarkerTopic(const std::string& topic) {
  return topic + ".sluice-epochs";
}

KafkaSinkWriter::KafkaSinkWriter(const TableDescriptor& table, const SubtaskInfo& subtask,
                                 KafkaSettings settings)
    : table_(table), subtask_(subtask), settings_(std::move(settings)) {}

base::Result<std::unique_ptr<KafkaSinkWriter>> KafkaSinkWriter::Create(const TableDescriptor& table,
                                                                       const SubtaskInfo& subtask,
                                                                       KafkaSettings settings) {
  std::unique_ptr<KafkaSinkWriter> writer(new KafkaSinkWriter(table, subtask, std::move(settings)));
  SLUICE_RETURN_IF_ERROR(writer->Open());
  return writer;
}

base::Status KafkaSinkWriter::TableError(const std::string& why) const {
  return base::Status::Error(base::ErrorCode::kRuntime, "table '" + table_.name + "': " + why);
}

base::Status KafkaSinkWriter::Open() {
  first_slots_ = types::FirstSlots(table_.schema);
  slot_types_ = types::SlotTypes(table_.schema);
  for (const MetadataColumn& meta : table_.metadata_columns) {
    if (meta.is_virtual) continue;
    auto column = table_.schema.Find(meta.column);
    if (!column) continue;
    if (meta.key == "timestamp") timestamp_slot_ = first_slots_[*column];
    if (meta.key == "headers") headers_slot_ = first_slots_[*column];
  }
  SLUICE_ASSIGN_OR_RETURN(value_format_, CreateSideFormat(table_, settings_.value));
  if (!settings_.key.format.empty()) {
    SLUICE_ASSIGN_OR_RETURN(key_format_, CreateSideFormat(table_, settings_.key));
  }
  // Fail the setup now on an unreachable cluster or a missing topic.
  SLUICE_ASSIGN_OR_RETURN(producer_, KafkaClients().NewProducer(ProducerConfig(settings_), ""));
  auto count = producer_->PartitionCount(settings_.topics.front());
  if (!count.ok()) return TableError(count.status().message());
  partition_count_ = std::max(*count, 1);
  return base::Status::Ok();
}

std::string KafkaSinkWriter::TransactionalId(int32_t subtask) const {
  return settings_.transactional_id_prefix + "-" + subtask_.job_id + "-" + std::to_string(subtask);
}

base::Status KafkaSinkWriter::EnableTransactions() {
  if (subtask_.spool_directory.empty()) {
    return TableError("exactly-once needs the job's checkpoint directory for its spool");
  }
  // The markers need their topic (a broker that creates topics on demand makes it here).
  const std::string markers = MarkerTopic(settings_.topics.front());
  auto partitions = producer_->PartitionCount(markers);
  if (!partitions.ok()) {
    return TableError("exactly-once needs the topic '" + markers +
                      "' for its epoch markers (one partition is enough; create it, or let the "
                      "brokers create topics on demand): " +
                      partitions.status().message());
  }
  transactional_ = true;
  // The transactional producer is made at the first commit, after every subtask's Recover.
  producer_.reset();
  return base::Status::Ok();
}

base::Status KafkaSinkWriter::EncodeKey(const Batch& batch, int32_t row, std::string* key) {
  const RowKind kind = batch.row_kind(row);
  if (kind == RowKind::kInsert || kind == RowKind::kUpdateAfter) {
    return key_format_->Encode(batch, row, key);
  }
  // A retraction: the key format holds inserts only, so it encodes a copy of the row without
  // its row kind (a key is the same whatever happens to its row).
  Batch copy(slot_types_);
  for (size_t slot = 0; slot < slot_types_.size(); ++slot) {
    CopyCell(batch.column(slot), row, &copy.column(slot), 0);
  }
  copy.set_row_count(1);
  return key_format_->Encode(copy, 0, key);
}

base::Result<bool> KafkaSinkWriter::EncodeRow(const Batch& batch, int32_t row,
                                              ProducedRecord* record) {
  RowKind kind = batch.row_kind(row);
  record->topic = settings_.topics.front();
  record->key.reset();
  record->value.reset();
  record->timestamp = 0;
  if (settings_.upsert) {
    if (kind == RowKind::kUpdateBefore) {
      // The +U of the same key that follows replaces it. Without one (a filter after an
      // aggregate dropped the new row) the key's row is gone: a tombstone, as Flink's upsert
      // sink writes every -U.
      if (row + 1 < batch.row_count() && batch.row_kind(row + 1) == RowKind::kUpdateAfter) {
        std::string key, next_key;
        SLUICE_RETURN_IF_ERROR(EncodeKey(batch, row, &key));
        SLUICE_RETURN_IF_ERROR(EncodeKey(batch, row + 1, &next_key));
        if (key == next_key) return false;
      }
      kind = RowKind::kDelete;
    }
  } else if (!value_format_->IsChangelog() &&
             (kind == RowKind::kUpdateBefore || kind == RowKind::kDelete)) {
    return TableError(std::string("format '") + value_format_->name() +
                      "' cannot write a retraction (" + RowKindName(kind) +
                      "); use 'upsert-kafka' or a changelog format such as 'debezium-json'");
  }
  if (key_format_) {
    std::string key;
    SLUICE_RETURN_IF_ERROR(EncodeKey(batch, row, &key));
    record->key = std::move(key);
  }
  if (!(settings_.upsert && kind == RowKind::kDelete)) {  // an upsert delete is a tombstone
    std::string value;
    SLUICE_RETURN_IF_ERROR(value_format_->Encode(batch, row, &value));
    record->value = std::move(value);
  }
  if (timestamp_slot_ && !batch.column(*timestamp_slot_).IsNull(row)) {
    record->timestamp = batch.column(*timestamp_slot_).values<int64_t>()[row];
  }
  if (headers_slot_ && !batch.column(*headers_slot_).IsNull(row)) {
    // The MAP<STRING, BYTES>'s entries, in its order; a NULL value is a null header value.
    std::vector<expr::Item> items;
    if (!expr::DecodeCollection(batch.column(*headers_slot_).values<StringRef>()[row].view(), 2,
                                &items)) {
      return TableError("the 'headers' metadata column holds a malformed MAP");
    }
    for (size_t i = 0; i + 1 < items.size(); i += 2) {
      if (items[i].tag != expr::ItemTag::kBytes) {
        return TableError("the 'headers' metadata column has a NULL header key");
      }
      Header header{std::string(items[i].bytes), std::nullopt};
      if (items[i + 1].tag == expr::ItemTag::kBytes) header.value = std::string(items[i + 1].bytes);
      record->headers.push_back(std::move(header));
    }
  }
  switch (settings_.partitioner) {
    case SinkPartitioner::kDefault: record->partition = -1; break;  // murmur2 of the key
    case SinkPartitioner::kFixed: record->partition = subtask_.index % partition_count_; break;
    case SinkPartitioner::kRoundRobin:
      record->partition = static_cast<int32_t>(round_robin_++ % partition_count_);
      break;
  }
  return true;
}

base::Status KafkaSinkWriter::Write(const Batch& batch) {
  for (int32_t row = 0; row < batch.row_count(); ++row) {
    ProducedRecord record;
    SLUICE_ASSIGN_OR_RETURN(bool writes, EncodeRow(batch, row, &record));
    if (!writes) continue;
    if (transactional_) {
      open_epoch_.push_back(std::move(record));
    } else {
      base::Status produced = producer_->Produce(record);
      if (!produced.ok()) return TableError(produced.message());
    }
  }
  return base::Status::Ok();
}

base::Status KafkaSinkWriter::Flush() {
  if (transactional_ || settings_.delivery == DeliveryGuarantee::kNone) return base::Status::Ok();
  base::Status flushed = producer_->Flush();
  if (!flushed.ok()) return TableError("a record was not delivered: " + flushed.message());
  return base::Status::Ok();
}

base::Status KafkaSinkWriter::Finish() {
  if (transactional_) return base::Status::Ok();  // the final checkpoint commits the rest
  base::Status flushed = producer_->Flush();
  if (!flushed.ok()) return TableError("a record was not delivered: " + flushed.message());
  return base::Status::Ok();
}

base::Result<std::string> KafkaSinkWriter::PreCommit(int64_t checkpoint_id) {
  if (!open_epoch_.empty()) SLUICE_RETURN_IF_ERROR(SpoolOpenEpoch(checkpoint_id));
  // The transaction names every epoch still waiting for its commit, not only this barrier's:
  // an earlier checkpoint's Commit may not have run yet (its completion comes after this
  // barrier, it never completed, or it was a savepoint, which commits nothing). Those rows
  // are before this barrier too, and a restore from this checkpoint publishes only the epochs
  // it names (and drops every other spool). One line per epoch, oldest first.
  std::string transactions;
  for (const Epoch& epoch : pending_) {
    EpochTransaction transaction{epoch.checkpoint, TransactionalId(subtask_.index),
                                 static_cast<int64_t>(epoch.records.size()), epoch.spool_path};
    transactions += (transactions.empty() ? "" : "\n") + FormatTransaction(transaction);
  }
  return transactions;
}

base::Status KafkaSinkWriter::SpoolOpenEpoch(int64_t checkpoint_id) {
  Epoch epoch;
  epoch.checkpoint = checkpoint_id;
  epoch.spool_path = (fs::path(subtask_.spool_directory) /
                      (subtask_.job_id + "-" + std::to_string(subtask_.index) + "-" +
                       std::to_string(checkpoint_id) + ".spool"))
                         .string();
  epoch.records = std::move(open_epoch_);
  open_epoch_.clear();
  SLUICE_RETURN_IF_ERROR(WriteSpool(epoch.spool_path, epoch.records));
  pending_.push_back(std::move(epoch));
  return base::Status::Ok();
}

base::Status KafkaSinkWriter::Publish(Producer* producer, const std::string& transactional_id,
                                      int64_t checkpoint,
                                      const std::vector<ProducedRecord>& records) const {
  auto failed = [&](const base::Status& status) {
    (void)producer->AbortTransaction();
    return TableError("the rows of checkpoint " + std::to_string(checkpoint) +
                      " were not committed to Kafka (" + status.message() +
                      "); they stay in the spool and are published again on recovery");
  };
  // Each attempt at publishing an epoch is told apart by a random number in its marker (and,
  // for tests over the mock cluster, which shows aborted records, in a header of every record).
  static thread_local std::mt19937_64 random(std::random_device{}());
  const EpochMarker epoch{checkpoint, fmt::format("{:016x}", random()),
                          static_cast<int64_t>(records.size())};
  const std::string tag = epoch.Tag(transactional_id);
  base::Status status = producer->BeginTransaction();
  if (!status.ok()) return failed(status);
  for (const ProducedRecord& record : records) {
    if (settings_.tag_records) {
      ProducedRecord tagged = record;
      tagged.headers.push_back(Header{"sluice-epoch", tag});
      status = producer->Produce(tagged);
    } else {
      status = producer->Produce(record);
    }
    if (!status.ok()) return failed(status);
  }
  base::CrashPoint("kafka-sink-before-marker");
  ProducedRecord marker;
  marker.topic = MarkerTopic(settings_.topics.front());
  marker.key = transactional_id;
  marker.value = epoch.Value();
  status = producer->Produce(marker);
  if (!status.ok()) return failed(status);
  base::CrashPoint("kafka-sink-before-commit");
  status = producer->CommitTransaction();
  if (!status.ok()) return failed(status);
  base::CrashPoint("kafka-sink-after-commit");
  return base::Status::Ok();
}

base::Status KafkaSinkWriter::Commit(int64_t checkpoint_id) {
  while (!pending_.empty() && pending_.front().checkpoint <= checkpoint_id) {
    Epoch& epoch = pending_.front();
    const std::string transactional_id = TransactionalId(subtask_.index);
    if (producer_ == nullptr) {
      SLUICE_ASSIGN_OR_RETURN(
          producer_, KafkaClients().NewProducer(ProducerConfig(settings_), transactional_id));
      transactions_initialised_ = false;
    }
    if (!transactions_initialised_) {
      base::Status initialised = producer_->InitTransactions();
      if (!initialised.ok()) {
        producer_.reset();
        return TableError("cannot start transactions as '" + transactional_id +
                          "': " + initialised.message());
      }
      transactions_initialised_ = true;
    }
    base::Status published =
        Publish(producer_.get(), transactional_id, epoch.checkpoint, epoch.records);
    if (!published.ok()) {
      producer_.reset();  // a fenced or failed producer is not used again
      return published;
    }
    std::error_code error;
    fs::remove(epoch.spool_path, error);  // committed: a recovery finds the marker
    pending_.erase(pending_.begin());
  }
  return base::Status::Ok();
}

base::Status KafkaSinkWriter::ReadToEnd(
    const std::string& topic, const std::function<bool(const ConsumedRecord&)>& visit) const {
  ClientConfig config = ConsumerConfig(settings_);
  config.properties["isolation.level"] = "read_committed";
  config.properties.erase("group.id");
  SLUICE_ASSIGN_OR_RETURN(auto consumer, KafkaClients().NewConsumer(config));
  auto partitions = consumer->Partitions(topic);
  if (!partitions.ok()) return base::Status::Ok();  // nothing was ever written to it
  std::vector<std::pair<TopicPartition, int64_t>> assignment;
  std::map<TopicPartition, int64_t> ends;
  for (int32_t id : *partitions) {
    TopicPartition partition{topic, id};
    SLUICE_ASSIGN_OR_RETURN(auto watermarks, consumer->WatermarkOffsets(partition));
    if (watermarks.second <= watermarks.first) continue;
    assignment.emplace_back(partition, watermarks.first);
    ends[partition] = watermarks.second;
  }
  if (assignment.empty()) return base::Status::Ok();
  SLUICE_RETURN_IF_ERROR(consumer->Assign(assignment));
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(config.timeout_ms);
  while (!ends.empty()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return TableError("reading topic '" + topic + "' to its end timed out");
    }
    std::vector<ConsumedRecord> records;
    std::vector<std::pair<TopicPartition, int64_t>> reached;
    SLUICE_RETURN_IF_ERROR(consumer->Poll(1024, 100, &records, &reached));
    for (const ConsumedRecord& record : records) {
      auto end = ends.find(record.partition);
      if (end == ends.end() || record.offset >= end->second) continue;  // past the end read
      if (!visit(record)) return base::Status::Ok();
      if (record.offset + 1 >= end->second) ends.erase(end);
    }
    for (const auto& [partition, offset] : reached) {
      auto end = ends.find(partition);
      if (end != ends.end() && offset >= end->second) ends.erase(end);
    }
  }
  return base::Status::Ok();
}

base::Result<bool> KafkaSinkWriter::MarkerCommitted(const std::string& transactional_id,
                                                    int64_t checkpoint) const {
  // The attempts at publishing `checkpoint` whose marker is visible (more than one when a
  // process died between producing a marker and committing, on a cluster that shows aborted
  // records).
  std::map<std::string, EpochMarker> attempts;  // tag → marker
  SLUICE_RETURN_IF_ERROR(
      ReadToEnd(MarkerTopic(settings_.topics.front()), [&](const ConsumedRecord& record) {
        if (record.key != transactional_id || !record.value) return true;
        std::optional<EpochMarker> marker = ParseEpochMarker(*record.value);
        if (marker && marker->checkpoint == checkpoint) {
          attempts.emplace(marker->Tag(transactional_id), *marker);
          // read_committed: one visible marker is the commit; tagged attempts are all wanted.
          return settings_.tag_records;
        }
        return true;
      }));
  if (attempts.empty()) return false;
  if (!settings_.tag_records) return true;  // read_committed: a visible marker committed
  // Tagged records (tests over librdkafka's mock cluster, which has no read_committed): an
  // attempt committed when all of its records are there.
  std::map<std::string, int64_t> tagged;
  SLUICE_RETURN_IF_ERROR(ReadToEnd(settings_.topics.front(), [&](const ConsumedRecord& record) {
    for (const Header& header : record.headers) {
      if (header.key == "sluice-epoch" && header.value && attempts.count(*header.value) > 0) {
        ++tagged[*header.value];
      }
    }
    return true;
  }));
  for (const auto& [tag, marker] : attempts) {
    if (AttemptComplete(marker, tagged[tag])) return true;
  }
  return false;
}

base::Status KafkaSinkWriter::Recover(const std::vector<std::string>& transactions) {
  if (subtask_.index != 0) return base::Status::Ok();  // subtask 0 recovers every subtask's
  std::set<std::string> named;
  // Every epoch the checkpoint names (a subtask's transaction has one line per epoch that was
  // waiting for its commit), oldest first, each once.
  std::vector<EpochTransaction> epochs;
  for (const std::string& text : transactions) {
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
      std::optional<EpochTransaction> transaction = ParseTransaction(line);
      if (!transaction) {
        return TableError("the checkpoint holds a transaction this sink did not write: '" +
                          line.substr(0, 120) + "'");
      }
      epochs.push_back(std::move(*transaction));
    }
  }
  std::stable_sort(epochs.begin(), epochs.end(),
                   [](const auto& a, const auto& b) { return a.checkpoint < b.checkpoint; });
  for (const EpochTransaction& epoch : epochs) {
    const EpochTransaction* transaction = &epoch;
    if (named.count(fs::path(transaction->spool_path).filename().string()) > 0) continue;
    named.insert(fs::path(transaction->spool_path).filename().string());
    std::error_code error;
    const bool spooled = fs::exists(transaction->spool_path, error);
    // Initialising the id aborts what a dead run left open and fences a zombie.
    SLUICE_ASSIGN_OR_RETURN(
        auto producer,
        KafkaClients().NewProducer(ProducerConfig(settings_), transaction->transactional_id));
    base::Status initialised = producer->InitTransactions();
    if (!initialised.ok()) {
      return TableError("cannot recover the transactions of '" + transaction->transactional_id +
                        "': " + initialised.message());
    }
    SLUICE_ASSIGN_OR_RETURN(
        bool committed, MarkerCommitted(transaction->transactional_id, transaction->checkpoint));
    if (!committed) {
      if (!spooled) {
        return TableError("the " + std::to_string(transaction->records) + " rows of checkpoint " +
                          std::to_string(transaction->checkpoint) + " (transactional id '" +
                          transaction->transactional_id +
                          "') were not committed to Kafka, and their spool file '" +
                          transaction->spool_path + "' is gone: they cannot be recovered");
      }
      SLUICE_ASSIGN_OR_RETURN(std::vector<ProducedRecord> records,
                              ReadSpool(transaction->spool_path));
      SLUICE_RETURN_IF_ERROR(
          Publish(producer.get(), transaction->transactional_id, transaction->checkpoint, records));
    }
    if (spooled) fs::remove(transaction->spool_path, error);
  }
  // Spools no checkpoint names belong to checkpoints that never completed: their rows are
  // computed again from the restored positions.
  std::error_code error;
  if (!subtask_.spool_directory.empty() && fs::is_directory(subtask_.spool_directory, error)) {
    for (const auto& entry : fs::directory_iterator(subtask_.spool_directory, error)) {
      if (named.count(entry.path().filename().string()) == 0) fs::remove(entry.path(), error);
    }
  }
  return base::Status::Ok();
}

std::string EpochMarker::Value() const {
  std::string value = std::to_string(checkpoint) + " " + attempt;
  if (records) value += " " + std::to_string(*records);
  return value;
}

std::string EpochMarker::Tag(const std::string& transactional_id) const {
  return transactional_id + "/" + std::to_string(checkpoint) + "/" + attempt;
}

std::optional<EpochMarker> ParseEpochMarker(const std::string& value) {
  std::istringstream words(value);
  EpochMarker marker;
  if (!(words >> marker.checkpoint >> marker.attempt)) return std::nullopt;
  int64_t records = 0;
  if (words >> records) marker.records = records;
  return marker;
}

}  // namespace sluice::runtime::connectors::kafka
