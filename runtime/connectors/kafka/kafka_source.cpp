#include "runtime/connectors/kafka/kafka_source.h"

#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <set>

#include "runtime/expr/collection_value.h"

namespace sluice::runtime::connectors::kafka {

namespace {

/// How many records one poll asks the consumer for.
constexpr int32_t kPollRecords = 2048;

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// A record's headers as a MAP<STRING, BYTES> (runtime/expr/collection_value.h): one entry per
/// key in the order first seen, the last value winning, as Flink's map of them.
std::string HeadersMap(const std::vector<Header>& headers) {
  std::vector<const Header*> entries;
  for (const Header& header : headers) {
    auto same = std::find_if(entries.begin(), entries.end(),
                             [&](const Header* entry) { return entry->key == header.key; });
    if (same == entries.end()) {
      entries.push_back(&header);
    } else {
      *same = &header;
    }
  }
  expr::CollectionWriter writer;
  for (const Header* header : entries) {
    expr::Item key;
    key.tag = expr::ItemTag::kBytes;
    key.bytes = header->key;
    writer.Add(key);
    expr::Item value;  // NULL for a null header value
    if (header->value) {
      value.tag = expr::ItemTag::kBytes;
      value.bytes = *header->value;
    }
    writer.Add(value);
  }
  return writer.Finish(static_cast<uint32_t>(entries.size()));
}

const char* TimestampTypeName(TimestampType type) {
  // As Flink's `timestamp-type` metadata: the Java enum's names.
  switch (type) {
    case TimestampType::kCreateTime: return "CreateTime";
    case TimestampType::kLogAppendTime: return "LogAppendTime";
    case TimestampType::kNone: break;
  }
  return "NoTimestampType";
}

bool ParseInt64(std::string_view text, int64_t* value) {
  auto [last, error] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return error == std::errc() && last == text.data() + text.size();
}

}  // namespace

std::string KafkaSourceReader::SplitName(const TopicPartition& partition) {
  return "kafka " + partition.ToString();
}

std::optional<TopicPartition> KafkaSourceReader::ParseSplitName(const std::string& name) {
  constexpr std::string_view kPrefix = "kafka ";
  if (name.compare(0, kPrefix.size(), kPrefix) != 0) return std::nullopt;
  size_t slash = name.rfind('/');
  if (slash == std::string::npos || slash <= kPrefix.size()) return std::nullopt;
  int64_t partition = 0;
  if (!ParseInt64(std::string_view(name).substr(slash + 1), &partition) || partition < 0 ||
      partition > INT32_MAX) {
    return std::nullopt;
  }
  return TopicPartition{name.substr(kPrefix.size(), slash - kPrefix.size()),
                        static_cast<int32_t>(partition)};
}

KafkaSourceReader::KafkaSourceReader(const TableDescriptor& table, const SubtaskInfo& subtask,
                                     KafkaSettings settings)
    : table_(table), subtask_(subtask), settings_(std::move(settings)) {}

base::Result<std::unique_ptr<KafkaSourceReader>> KafkaSourceReader::Create(
    const TableDescriptor& table, const SubtaskInfo& subtask, KafkaSettings settings) {
  std::unique_ptr<KafkaSourceReader> reader(
      new KafkaSourceReader(table, subtask, std::move(settings)));
  SLUICE_RETURN_IF_ERROR(reader->Open());
  return reader;
}

base::Status KafkaSourceReader::Open() {
  first_slots_ = types::FirstSlots(table_.schema);
  slot_types_ = types::SlotTypes(table_.schema);
  SLUICE_ASSIGN_OR_RETURN(value_format_, CreateSideFormat(table_, settings_.value));
  if (!settings_.key.format.empty()) {
    SLUICE_ASSIGN_OR_RETURN(key_format_, CreateSideFormat(table_, settings_.key));
    for (size_t column : settings_.key.columns) {
      if (std::find(settings_.value.columns.begin(), settings_.value.columns.end(), column) ==
          settings_.value.columns.end()) {
        key_only_columns_.push_back(column);
      }
    }
  }
  SLUICE_ASSIGN_OR_RETURN(consumer_, KafkaClients().NewConsumer(ConsumerConfig(settings_)));
  // Fail the setup now on an unreachable cluster or a missing topic.
  SLUICE_ASSIGN_OR_RETURN(std::vector<std::string> topics, CurrentTopics());
  if (!settings_.topic_pattern) {
    for (const std::string& topic : topics) {
      auto partitions = consumer_->Partitions(topic);
      if (!partitions.ok()) {
        return base::Status::Error(partitions.status().code(),
                                   "table '" + table_.name + "': " + partitions.status().message());
      }
    }
  }
  return base::Status::Ok();
}

base::Result<std::vector<std::string>> KafkaSourceReader::CurrentTopics() {
  if (!settings_.topic_pattern) return settings_.topics;
  RE2 pattern(*settings_.topic_pattern);
  if (!pattern.ok()) {
    return base::Status::Error(base::ErrorCode::kOption, "table '" + table_.name +
                                                             "': 'topic-pattern' is not a valid "
                                                             "regular expression: " +
                                                             pattern.error());
  }
  SLUICE_ASSIGN_OR_RETURN(std::vector<std::string> all, consumer_->ListTopics());
  std::vector<std::string> topics;
  for (const std::string& topic : all) {
    if (RE2::FullMatch(topic, pattern)) topics.push_back(topic);
  }
  return topics;
}

base::Result<int64_t> KafkaSourceReader::StartOffset(const TopicPartition& partition,
                                                     bool initial) {
  SLUICE_ASSIGN_OR_RETURN(auto watermarks, consumer_->WatermarkOffsets(partition));
  const auto [low, high] = watermarks;
  if (!initial) return low;  // found later: from its beginning, as Flink's
  switch (settings_.startup_mode) {
    case StartupMode::kEarliest: return low;
    case StartupMode::kLatest: return high;
    case StartupMode::kTimestamp:
      return consumer_->OffsetForTimestamp(partition, settings_.startup_timestamp);
    case StartupMode::kSpecificOffsets: {
      auto found = settings_.startup_offsets.find(partition.partition);
      if (found != settings_.startup_offsets.end()) return std::clamp(found->second, low, high);
      [[fallthrough]];  // an unlisted partition: the group's offset, else the earliest
    }
    case StartupMode::kGroupOffsets: {
      std::optional<int64_t> committed;
      if (settings_.group_id) {
        SLUICE_ASSIGN_OR_RETURN(committed, consumer_->CommittedOffset(partition));
      }
      if (committed) return std::clamp(*committed, low, high);
      if (settings_.startup_mode == StartupMode::kSpecificOffsets) return low;
      auto reset = settings_.client_properties.find("auto.offset.reset");
      std::string strategy = reset == settings_.client_properties.end() ? "" : reset->second;
      if (strategy == "earliest" || strategy == "smallest" || strategy == "beginning") return low;
      if (strategy == "latest" || strategy == "largest" || strategy == "end") return high;
      return base::Status::Error(
          base::ErrorCode::kRuntime,
          "table '" + table_.name + "': the consumer group '" + settings_.group_id.value_or("") +
              "' has no committed offset for " + partition.ToString() +
              " ('scan.startup.mode' = 'group-offsets'); set 'properties.auto.offset.reset' to "
              "'earliest' or 'latest', or choose another 'scan.startup.mode'");
    }
  }
  return low;
}

base::Result<int64_t> KafkaSourceReader::StopOffset(const TopicPartition& partition,
                                                    int64_t start) {
  switch (settings_.bounded_mode) {
    case BoundedMode::kUnbounded: return -1;
    case BoundedMode::kLatest: {
      SLUICE_ASSIGN_OR_RETURN(auto watermarks, consumer_->WatermarkOffsets(partition));
      return watermarks.second;
    }
    case BoundedMode::kTimestamp:
      return consumer_->OffsetForTimestamp(partition, settings_.bounded_timestamp);
    case BoundedMode::kGroupOffsets: {
      SLUICE_ASSIGN_OR_RETURN(std::optional<int64_t> committed,
                              consumer_->CommittedOffset(partition));
      if (!committed) {
        return base::Status::Error(base::ErrorCode::kRuntime,
                                   "table '" + table_.name + "': the consumer group '" +
                                       settings_.group_id.value_or("") +
                                       "' has no committed offset for " + partition.ToString() +
                                       " to stop at ('scan.bounded.mode' = 'group-offsets')");
      }
      return *committed;
    }
    case BoundedMode::kSpecificOffsets: {
      auto found = settings_.bounded_offsets.find(partition.partition);
      // A partition with no offset listed is not read.
      return found == settings_.bounded_offsets.end() ? start : found->second;
    }
  }
  return -1;
}

void KafkaSourceReader::MarkFinished(PartitionState* state) {
  if (state->finished) return;
  state->finished = true;
  ++splits_version_;
  // Still assigned: its late records are dropped as they come (a new assignment here would
  // race with records and end events already fetched for the others).
}

void KafkaSourceReader::ApplyEnds() {
  for (auto end = ends_.begin(); end != ends_.end();) {
    bool waiting = false;  // records of the partition not yet taken come first
    for (const ConsumedRecord& record : pending_)
      waiting = waiting || record.partition == end->first;
    if (waiting) {
      ++end;
      continue;
    }
    auto found = partitions_.find(end->first);
    if (found != partitions_.end() && !found->second.finished) {
      PartitionState& state = found->second;
      // Every record before `end` was delivered; offsets up to it that were not are
      // transaction markers (or aborted records): the split's position moves past them.
      int64_t next = end->second;
      if (state.stop_offset >= 0) next = std::min(next, state.stop_offset);
      if (state.hold_offset >= 0) next = std::min(next, state.hold_offset);
      state.next_offset = std::max(state.next_offset, next);
      if (state.stop_offset >= 0 && state.next_offset >= state.stop_offset) MarkFinished(&state);
    }
    end = ends_.erase(end);
  }
}

base::Status KafkaSourceReader::Discover(bool initial) {
  SLUICE_ASSIGN_OR_RETURN(std::vector<std::string> topics, CurrentTopics());
  bool added = false;
  for (const std::string& topic : topics) {
    auto ids = consumer_->Partitions(topic);
    if (!ids.ok()) {
      // A topic of the pattern deleted meanwhile is no error; a named topic is.
      if (settings_.topic_pattern) continue;
      return base::Status::Error(ids.status().code(),
                                 "table '" + table_.name + "': " + ids.status().message());
    }
    for (int32_t id : *ids) {
      TopicPartition partition{topic, id};
      if (partitions_.count(partition) > 0) continue;
      if (PartitionOwner(partition, subtask_.parallelism) != subtask_.index) continue;
      PartitionState state;
      SLUICE_ASSIGN_OR_RETURN(state.next_offset, StartOffset(partition, initial));
      SLUICE_ASSIGN_OR_RETURN(state.stop_offset, StopOffset(partition, state.next_offset));
      if (holding_) {
        // Held where the hold asked, else where it starts.
        auto hold = holds_.find(partition);
        state.hold_offset =
            hold == holds_.end() ? state.next_offset : std::max(hold->second, state.next_offset);
      }
      state.finished = state.stop_offset >= 0 && state.next_offset >= state.stop_offset;
      partitions_.emplace(partition, state);
      added = true;
    }
  }
  if (added) {
    ++splits_version_;
    assignment_changed_ = true;
  }
  return base::Status::Ok();
}

base::Status KafkaSourceReader::AssignAll() {
  std::vector<std::pair<TopicPartition, int64_t>> assignment;
  for (const auto& [partition, state] : partitions_) {
    if (!state.finished) assignment.emplace_back(partition, state.next_offset);
  }
  // Records already fetched stay pending: the consumer fetches them again from the offsets,
  // and the copies are dropped as read already (their offsets are below the next offset).
  assignment_changed_ = false;
  return consumer_->Assign(assignment);
}

base::Status KafkaSourceReader::RestoreSplits(const std::vector<std::string>& positions) {
  partitions_.clear();
  for (const std::string& position : positions) {
    // `kafka <topic>/<partition>\noffset=<n>\nstop=<n>`
    size_t first = position.find('\n');
    std::optional<TopicPartition> partition =
        ParseSplitName(position.substr(0, first == std::string::npos ? position.size() : first));
    PartitionState state;
    bool valid = partition.has_value() && first != std::string::npos;
    if (valid) {
      std::string_view rest = std::string_view(position).substr(first + 1);
      size_t second = rest.find('\n');
      valid = second != std::string_view::npos && rest.substr(0, 7) == "offset=" &&
              ParseInt64(rest.substr(7, second - 7), &state.next_offset) &&
              rest.substr(second + 1, 5) == "stop=" &&
              ParseInt64(rest.substr(second + 6), &state.stop_offset);
    }
    if (!valid) {
      return base::Status::Error(base::ErrorCode::kData, "table '" + table_.name +
                                                             "': a malformed Kafka position '" +
                                                             position.substr(0, 80) + "'");
    }
    state.finished = state.stop_offset >= 0 && state.next_offset >= state.stop_offset;
    partitions_[*partition] = state;
  }
  restored_ = true;
  ++splits_version_;
  return base::Status::Ok();
}

base::Status KafkaSourceReader::StopSplitsAt(const std::vector<std::string>& positions) {
  std::map<TopicPartition, int64_t> holds;
  for (const std::string& position : positions) {
    // `kafka <topic>/<partition>\noffset=<n>\nstop=<n>`
    size_t first = position.find('\n');
    std::optional<TopicPartition> partition =
        ParseSplitName(position.substr(0, first == std::string::npos ? position.size() : first));
    int64_t offset = 0;
    std::string_view rest = first == std::string::npos
                                ? std::string_view()
                                : std::string_view(position).substr(first + 1);
    size_t second = rest.find('\n');
    if (!partition || rest.substr(0, 7) != "offset=" ||
        !ParseInt64(rest.substr(7, second == std::string_view::npos ? rest.size() - 7 : second - 7),
                    &offset)) {
      return base::Status::Error(base::ErrorCode::kData, "table '" + table_.name +
                                                             "': a malformed Kafka position '" +
                                                             position.substr(0, 80) + "'");
    }
    holds[*partition] = offset;
  }
  for (auto& [partition, state] : partitions_) {
    auto hold = holds.find(partition);
    const int64_t offset = hold == holds.end() ? state.next_offset : hold->second;
    if (!state.finished && offset < state.next_offset) {
      return base::Status::Error(
          base::ErrorCode::kData,
          fmt::format("table '{}': partition {} is at offset {}, past the hold at {}", table_.name,
                      SplitName(partition), state.next_offset, offset));
    }
    state.hold_offset = offset;
  }
  holds_ = std::move(holds);
  holding_ = true;
  ReleaseHeldRecords();  // each is held again if it is still past its partition's hold
  return base::Status::Ok();
}

bool KafkaSourceReader::AtStop() const {
  if (!holding_) return false;
  for (const auto& [partition, state] : partitions_) {
    if (!state.finished && state.next_offset < state.hold_offset) return false;
  }
  return true;
}

void KafkaSourceReader::ClearStop() {
  holding_ = false;
  holds_.clear();
  for (auto& [partition, state] : partitions_) state.hold_offset = -1;
  ReleaseHeldRecords();
}

void KafkaSourceReader::ReleaseHeldRecords() {
  for (auto& [partition, records] : held_) {
    for (auto record = records.rbegin(); record != records.rend(); ++record) {
      pending_.push_front(std::move(*record));
    }
  }
  held_.clear();
}

std::vector<std::string> KafkaSourceReader::LiveSplits() const {
  std::vector<std::string> names;
  for (const auto& [partition, state] : partitions_) {
    if (!state.finished) names.push_back(SplitName(partition));
  }
  return names;
}

std::vector<std::string> KafkaSourceReader::SplitPositions() const {
  std::vector<std::string> positions;
  for (const auto& [partition, state] : partitions_) {
    positions.push_back(SplitName(partition) + "\noffset=" + std::to_string(state.next_offset) +
                        "\nstop=" + std::to_string(state.stop_offset));
  }
  return positions;
}

base::Status KafkaSourceReader::OnCheckpointComplete(const std::vector<std::string>& positions) {
  // For monitoring only (lag per consumer group), as Flink's commit.offsets.on.checkpoint.
  if (!settings_.group_id) return base::Status::Ok();
  std::vector<std::pair<TopicPartition, int64_t>> offsets;
  for (const std::string& position : positions) {
    size_t first = position.find('\n');
    auto partition = ParseSplitName(position.substr(0, first));
    int64_t offset = 0;
    if (!partition || first == std::string::npos) continue;
    std::string_view rest = std::string_view(position).substr(first + 1);
    if (rest.substr(0, 7) != "offset=") continue;
    if (!ParseInt64(rest.substr(7, rest.find('\n') - 7), &offset)) continue;
    offsets.emplace_back(*partition, offset);
  }
  if (offsets.empty()) return base::Status::Ok();
  return consumer_->CommitOffsets(offsets);
}

base::Status KafkaSourceReader::RecordError(const ConsumedRecord& record,
                                            const base::Status& status) const {
  return base::Status::Error(
      status.code(), "table '" + table_.name + "': the record at topic '" + record.partition.topic +
                         "' partition " + std::to_string(record.partition.partition) + " offset " +
                         std::to_string(record.offset) + ": " + status.message());
}

base::Status KafkaSourceReader::AppendRecord(const ConsumedRecord& record, Batch* batch) {
  const int32_t first_row = batch->row_count();
  // upsert-kafka: a tombstone (no value) deletes its key; the row has the key's columns and
  // NULL elsewhere, and the planner's normalization emits the row it deletes.
  const bool tombstone = settings_.upsert && !record.value;
  if (tombstone) {
    for (size_t slot = 0; slot < slot_types_.size(); ++slot) {
      batch->column(slot).validity()[first_row] = 0;
    }
    batch->EnableRowKinds()[first_row] = static_cast<uint8_t>(RowKind::kDelete);
    batch->set_row_count(first_row + 1);
  } else {
    std::optional<std::string_view> value;
    if (record.value) value = *record.value;
    base::Status decoded = value_format_->Decode(value, batch);
    // "Decode it again into an empty batch" goes back to Next as it is.
    if (!decoded.ok())
      return formats::NeedsEmptyBatch(decoded) ? decoded : RecordError(record, decoded);
  }
  const int32_t end_row = batch->row_count();
  if (end_row == first_row) return base::Status::Ok();

  const std::vector<size_t>& from_key = tombstone ? settings_.key.columns : key_only_columns_;
  if (key_format_ && !from_key.empty()) {
    Batch key_batch(slot_types_);
    std::optional<std::string_view> key;
    if (record.key) key = *record.key;
    base::Status key_decoded = key_format_->Decode(key, &key_batch);
    if (!key_decoded.ok()) return RecordError(record, key_decoded);
    batch->RetainArenasOf(key_batch);
    for (size_t column : from_key) {
      const size_t first = first_slots_[column];
      const size_t end =
          column + 1 < first_slots_.size() ? first_slots_[column + 1] : slot_types_.size();
      for (size_t slot = first; slot < end; ++slot) {
        for (int32_t row = first_row; row < end_row; ++row) {
          if (key_batch.row_count() > 0) {
            CopyCell(key_batch.column(slot), 0, &batch->column(slot), row);
          }
        }
      }
    }
  }

  for (size_t index = 0; index < table_.metadata_columns.size(); ++index) {
    const MetadataColumn& meta = table_.metadata_columns[index];
    auto column_index = table_.schema.Find(meta.column);
    if (!column_index) continue;
    Column& column = batch->column(first_slots_[*column_index]);
    for (int32_t row = first_row; row < end_row; ++row) {
      bool valid = true;
      if (meta.key == "topic") {
        column.values<StringRef>()[row] = batch->arena().Copy(record.partition.topic);
      } else if (meta.key == "partition") {
        column.values<int32_t>()[row] = record.partition.partition;
      } else if (meta.key == "offset") {
        column.values<int64_t>()[row] = record.offset;
      } else if (meta.key == "timestamp") {
        valid = record.timestamp >= 0;
        column.values<int64_t>()[row] = valid ? record.timestamp : 0;
      } else if (meta.key == "headers") {
        column.values<StringRef>()[row] = batch->arena().Copy(HeadersMap(record.headers));
      } else if (meta.key == "timestamp-type") {
        column.values<StringRef>()[row] =
            batch->arena().Copy(TimestampTypeName(record.timestamp_type));
      } else {
        valid = false;
      }
      column.validity()[row] = valid ? 1 : 0;
    }
  }
  return base::Status::Ok();
}

base::Result<bool> KafkaSourceReader::Next(Batch* batch) {
  const int64_t now = NowMillis();
  if (!started_) {
    started_ = true;
    if (restored_) {
      // Restored splits of topics the table no longer reads are dropped (`sluice check` says
      // "restored offsets belong to other topics").
      SLUICE_ASSIGN_OR_RETURN(std::vector<std::string> topics, CurrentTopics());
      std::set<std::string> reading(topics.begin(), topics.end());
      for (auto split = partitions_.begin(); split != partitions_.end();) {
        split = reading.count(split->first.topic) > 0 ? std::next(split) : partitions_.erase(split);
      }
    }
    // A restored reader continues its splits; partitions no checkpoint named are new ones.
    SLUICE_RETURN_IF_ERROR(Discover(/*initial=*/!restored_));
    assignment_changed_ = true;
    next_discovery_millis_ = now + settings_.discovery_interval_ms;
  } else if (settings_.discovery_interval_ms > 0 && now >= next_discovery_millis_) {
    next_discovery_millis_ = now + settings_.discovery_interval_ms;
    SLUICE_RETURN_IF_ERROR(Discover(/*initial=*/false));
  }
  if (assignment_changed_) SLUICE_RETURN_IF_ERROR(AssignAll());

  if (pending_.empty()) {
    std::vector<ConsumedRecord> records;
    std::vector<std::pair<TopicPartition, int64_t>> ends;
    base::Status polled = consumer_->Poll(kPollRecords, 0, &records, &ends);
    if (!polled.ok()) {
      return base::Status::Error(polled.code(), "table '" + table_.name + "': " + polled.message());
    }
    for (ConsumedRecord& record : records) pending_.push_back(std::move(record));
    for (const auto& [partition, end] : ends) ends_[partition] = std::max(ends_[partition], end);
  }
  ApplyEnds();

  // Fill the batch from the partition of the first pending record only (one split per batch).
  // A format whose records may hold a whole batch of rows (canal-json) packs records while
  // any room is left and says when one does not fit (formats::NeedsEmptyBatch).
  const int32_t max_rows = std::max<int32_t>(value_format_->MaxRowsPerRecord(), 1);
  const bool packs = max_rows >= kBatchCapacity;
  const int32_t room = packs ? kBatchCapacity - 1 : kBatchCapacity - max_rows;
  last_split_.clear();
  TopicPartition current;
  while (!pending_.empty() && batch->row_count() <= room) {
    ConsumedRecord& record = pending_.front();
    if (auto held = partitions_.find(record.partition);
        held != partitions_.end() && !held->second.finished && held->second.hold_offset >= 0 &&
        record.offset >= held->second.hold_offset && record.offset >= held->second.next_offset) {
      // Past its partition's hold: every offset before it was delivered, so those up to the
      // hold that came as no record (transaction markers) are behind the split too.
      held->second.next_offset = std::max(held->second.next_offset, held->second.hold_offset);
      held_[record.partition].push_back(std::move(record));
      pending_.pop_front();
      continue;
    }
    if (last_split_.empty()) {
      current = record.partition;
      last_split_ = SplitName(current);
    } else if (record.partition != current) {
      break;
    }
    auto found = partitions_.find(record.partition);
    if (found == partitions_.end() || found->second.finished ||
        record.offset < found->second.next_offset) {
      pending_.pop_front();  // not ours (any more), or read already
      continue;
    }
    PartitionState& state = found->second;
    if (state.stop_offset >= 0 && record.offset >= state.stop_offset) {
      MarkFinished(&state);
      pending_.pop_front();
      continue;
    }
    base::Status appended = AppendRecord(record, batch);
    if (packs && formats::NeedsEmptyBatch(appended) && batch->row_count() > 0) {
      break;  // the record starts the next batch
    }
    if (!appended.ok()) {
      return formats::NeedsEmptyBatch(appended) ? RecordError(record, appended) : appended;
    }
    state.next_offset = record.offset + 1;
    if (state.stop_offset >= 0 && state.next_offset >= state.stop_offset) MarkFinished(&state);
    pending_.pop_front();
  }
  ApplyEnds();
  if (IsBounded()) {
    bool all_finished = true;
    for (const auto& [partition, state] : partitions_)
      all_finished = all_finished && state.finished;
    if (all_finished && pending_.empty() && batch->row_count() == 0) return false;
  }
  return true;
}

}  // namespace sluice::runtime::connectors::kafka
