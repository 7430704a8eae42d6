#include "runtime/operators/over_aggregate_operator.h"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <limits>
#include <map>
#include <unordered_map>

#include "runtime/operators/operator_state.h"
#include "runtime/operators/sort_key.h"
#include "runtime/scheduler/key_group.h"
#include "runtime/state/varint.h"

namespace sluice::runtime::operators {

using state::AppendVarint;
using state::ReadVarint;

namespace {

// The first byte of a stored frame or sorted partition, so the layout can change later.
constexpr char kStateFormat = 1;
// The scratch batch that rows are decoded into is replaced once its arena holds this much.
constexpr size_t kScratchArenaLimit = size_t{1} << 20;

base::Status Malformed(const plan::PlanNode& node, const std::string& problem) {
  return base::Status::Error(base::ErrorCode::kData,
                             "over-aggregate '" + node.uid + "' is malformed: " + problem);
}

base::Status CorruptState(const plan::PlanNode& node) {
  return base::Status::Error(base::ErrorCode::kData,
                             "over-aggregate '" + node.uid + "' has a truncated or corrupt state");
}

bool IsRetraction(RowKind kind) {
  return kind == RowKind::kUpdateBefore || kind == RowKind::kDelete;
}

void AppendBytes(std::string_view value, std::string* out) {
  AppendVarint(value.size(), out);
  out->append(value);
}

bool ReadBytes(std::string_view bytes, size_t* position, std::string* out) {
  uint64_t size = 0;
  if (!ReadVarint(bytes, position, &size) || size > bytes.size() - *position) return false;
  out->assign(bytes.substr(*position, size));
  *position += size;
  return true;
}

/// Big-endian with the sign bit flipped: byte order is timestamp order.
void AppendTimestamp(int64_t timestamp, std::string* out) {
  auto bits = static_cast<uint64_t>(timestamp) ^ 0x8000000000000000ULL;
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(bits >> shift));
}

bool ReadTimestamp(std::string_view bytes, size_t* position, int64_t* timestamp) {
  if (bytes.size() - *position < 8) return false;
  uint64_t bits = 0;
  for (int i = 0; i < 8; ++i) bits = (bits << 8) | static_cast<uint8_t>(bytes[(*position)++]);
  *timestamp = static_cast<int64_t>(bits ^ 0x8000000000000000ULL);
  return true;
}

}  // namespace

/// A row still inside a bounded frame.
struct OverAggregateOperator::FrameRow {
  int64_t timestamp = 0;
  std::string row;
};

/// One partition's frame in event-time mode.
struct OverAggregateOperator::Frame {
  std::string accumulator;
  std::deque<FrameRow> rows;
};

/// One row of a partition in changelog mode.
struct OverAggregateOperator::SortedRow {
  std::string sort_key;  // memcmp-ordered order key
  std::string row;       // FullRowCodec bytes
};

/// A partition touched by the current batch in changelog mode, decoded once.
struct OverAggregateOperator::SortedPartition {
  int32_t key_group = 0;
  std::string key;
  std::vector<SortedRow> rows;
  bool changed = false;
};

OverAggregateOperator::OverAggregateOperator() = default;
OverAggregateOperator::~OverAggregateOperator() = default;

base::Status OverAggregateOperator::Open(const OperatorContext& context) {
  node_ = context.node;
  max_parallelism_ = context.max_parallelism;
  metrics_ = context.metrics;
  if (!node_->over_aggregate) return Malformed(*node_, "no over-aggregate spec");
  spec_ = *node_->over_aggregate;
  if (spec_.changelog && (spec_.unit != plan::OverFrameUnit::kRows || spec_.preceding < 0)) {
    return Malformed(*node_, "a changelog OVER needs a bounded ROWS frame");
  }
  for (const auto& slot : types::FlattenSchema(node_->output_schema)) {
    output_types_.push_back(slot.type);
  }
  if (output_types_.size() <= spec_.calls.size()) return Malformed(*node_, "no input columns");
  input_width_ = output_types_.size() - spec_.calls.size();
  input_types_.assign(output_types_.begin(), output_types_.begin() + input_width_);
  auto check_slot = [&](int32_t slot, const char* what) -> base::Status {
    if (slot < 0 || static_cast<size_t>(slot) >= input_width_ ||
        input_types_[slot].id() == types::TypeId::kRow) {
      return Malformed(*node_, fmt::format("{} slot {} is not a scalar input slot", what, slot));
    }
    return base::Status::Ok();
  };
  std::vector<types::LogicalType> partition_types;
  for (int32_t slot : spec_.partition_slots) {
    SLUICE_RETURN_IF_ERROR(check_slot(slot, "partition"));
    partition_types.push_back(input_types_[slot]);
  }
  SLUICE_RETURN_IF_ERROR(check_slot(spec_.order_slot, "order"));
  if (!spec_.changelog && input_types_[spec_.order_slot].id() != types::TypeId::kTimestamp) {
    return Malformed(*node_, "the order slot is not a TIMESTAMP");
  }
  for (const plan::AggregateCall& call : spec_.calls) {
    if (call.argument_slot >= 0) SLUICE_RETURN_IF_ERROR(check_slot(call.argument_slot, "argument"));
    if (call.kind == plan::AggregateKind::kLag && call.default_slot >= 0) {
      // The default is written as a value of the argument's type.
      SLUICE_RETURN_IF_ERROR(check_slot(call.default_slot, "LAG default"));
      if (call.argument_slot < 0 ||
          input_types_[call.default_slot].id() != input_types_[call.argument_slot].id()) {
        return Malformed(*node_,
                         fmt::format("LAG default slot {} does not have the argument's type",
                                     call.default_slot));
      }
    }
  }
  aggregator_ = std::make_unique<aggregate::Aggregator>(spec_.calls);
  partition_codec_ = std::make_unique<state::RowCodec>(std::move(partition_types));
  row_codec_ = std::make_unique<state::FullRowCodec>(input_types_);
  scratch_ = std::make_unique<Batch>(input_types_);
  scratch_->set_row_count(1);
  if (context.state_backend == nullptr) return Malformed(*node_, "no state backend");
  if (spec_.changelog) {
    SLUICE_ASSIGN_OR_RETURN(sorted_, context.state_backend->GetTable(node_->uid, "sorted"));
  } else {
    SLUICE_ASSIGN_OR_RETURN(pending_, context.state_backend->GetTable(node_->uid, "pending"));
    SLUICE_ASSIGN_OR_RETURN(frames_, context.state_backend->GetTable(node_->uid, "frame"));
    SLUICE_ASSIGN_OR_RETURN(watermark_, watermark_state_.Open(context));
    // Restore: every pending (partition, timestamp) is a timer.
    ForEachOwnedEntry(
        context, *pending_,
        [&](int32_t key_group, std::string_view key, std::string_view ns, std::string_view) {
          size_t position = 0;
          int64_t timestamp = 0;
          if (ReadTimestamp(ns, &position, &timestamp)) {
            timers_.emplace(timestamp, key_group, std::string(key));
          }
        });
  }
  return base::Status::Ok();
}

base::Status OverAggregateOperator::ProcessBatch(int32_t input, BatchPtr batch, Output* out) {
  if (spec_.changelog) return ProcessChangelog(*batch, out);
  SLUICE_RETURN_IF_ERROR(BufferRows(*batch));
  if (!spec_.processing_time) return base::Status::Ok();
  // Processing time: every row is due as it arrives (the rows of one time in arrival order).
  RowWriter writer(&output_types_, /*row_kinds=*/false, out);
  SLUICE_RETURN_IF_ERROR(FireDue(std::numeric_limits<int64_t>::max(), &writer));
  return writer.Flush();
}

base::Status OverAggregateOperator::Fold(std::string* accumulator, std::string_view row,
                                         bool retract) {
  if (scratch_->arena().bytes_allocated() > kScratchArenaLimit) {
    scratch_ = std::make_unique<Batch>(input_types_);
    scratch_->set_row_count(1);
  }
  SLUICE_RETURN_IF_ERROR(row_codec_->Decode(row, scratch_.get(), 0, 0));
  return aggregator_->Accumulate(accumulator, *scratch_, 0, retract);
}

base::Status OverAggregateOperator::Write(RowWriter* writer, RowKind kind, std::string_view row,
                                          std::string_view accumulator) {
  SLUICE_ASSIGN_OR_RETURN(auto target, writer->NextRow(kind));
  auto [batch, target_row] = target;
  SLUICE_RETURN_IF_ERROR(row_codec_->Decode(row, batch, target_row, 0));
  return aggregator_->WriteResults(accumulator, batch, target_row, input_width_);
}

// ---- event time ----------------------------------------------------------------------------

base::Status OverAggregateOperator::BufferRows(const Batch& batch) {
  const Column& order = batch.column(static_cast<size_t>(spec_.order_slot));
  std::string key;
  std::string ns;
  std::string entry;
  std::string row_bytes;
  for (int32_t row = 0; row < batch.row_count(); ++row) {
    if (IsRetraction(batch.row_kind(row))) {
      return base::Status::Error(base::ErrorCode::kInternal,
                                 "over-aggregate '" + node_->uid + "' got a retraction");
    }
    int64_t timestamp = order.values<int64_t>()[row];
    if (order.IsNull(row) || (!spec_.processing_time && timestamp <= watermark_) ||
        (!spec_.processing_time && watermark_state_.AnyAhead(watermark_) &&
         timestamp <=
             watermark_state_.KeyGroupWatermark(
                 scheduler::KeyGroupOfRow(batch, spec_.partition_slots, row, max_parallelism_),
                 watermark_))) {
      if (metrics_ != nullptr) {
        metrics_->late_records_dropped.fetch_add(1, std::memory_order_relaxed);
      }
      continue;
    }
    key.clear();
    partition_codec_->Encode(batch, spec_.partition_slots, row, &key);
    int32_t key_group =
        scheduler::KeyGroupOfRow(batch, spec_.partition_slots, row, max_parallelism_);
    ns.clear();
    AppendTimestamp(timestamp, &ns);
    row_bytes.clear();
    row_codec_->Encode(batch, row, &row_bytes);
    entry.clear();
    AppendBytes(row_bytes, &entry);
    if (!pending_->Update(key_group, key, ns, [&](std::string* value) { value->append(entry); })) {
      pending_->Put(key_group, key, ns, entry);
      timers_.emplace(timestamp, key_group, key);
    }
  }
  return base::Status::Ok();
}

base::Status OverAggregateOperator::ProcessWatermark(int64_t watermark, Output* out) {
  // Processing time: the rows were processed as they came; event-time watermarks pass by.
  if (spec_.processing_time || watermark <= watermark_) return out->EmitWatermark(watermark);
  watermark_ = watermark;
  watermark_state_.Store(watermark);
  RowWriter writer(&output_types_, /*row_kinds=*/false, out);
  SLUICE_RETURN_IF_ERROR(FireDue(watermark, &writer));
  SLUICE_RETURN_IF_ERROR(writer.Flush());
  return out->EmitWatermark(watermark);
}

base::Status OverAggregateOperator::FireDue(int64_t time, RowWriter* writer) {
  // Partitions in key order, each with its due timestamps in ascending order.
  std::map<std::pair<int32_t, std::string>, std::vector<int64_t>> due;
  while (!timers_.empty() && std::get<0>(*timers_.begin()) <= time) {
    auto timer = timers_.extract(timers_.begin());
    auto& [timestamp, key_group, key] = timer.value();
    due[{key_group, std::move(key)}].push_back(timestamp);
  }
  for (const auto& [partition, timestamps] : due) {
    SLUICE_RETURN_IF_ERROR(FirePartition(partition.first, partition.second, timestamps, writer));
  }
  return base::Status::Ok();
}

base::Status OverAggregateOperator::FirePartition(int32_t key_group, const std::string& key,
                                                  const std::vector<int64_t>& timestamps,
                                                  RowWriter* writer) {
  Frame frame;
  SLUICE_RETURN_IF_ERROR(LoadFrame(key_group, key, &frame));
  std::string ns;
  std::string bytes;
  std::vector<std::string> rows;
  for (int64_t timestamp : timestamps) {
    ns.clear();
    AppendTimestamp(timestamp, &ns);
    if (!pending_->Get(key_group, key, ns, &bytes)) continue;
    pending_->Delete(key_group, key, ns);
    rows.clear();
    size_t position = 0;
    while (position < bytes.size()) {
      rows.emplace_back();
      if (!ReadBytes(bytes, &position, &rows.back())) return CorruptState(*node_);
    }
    SLUICE_RETURN_IF_ERROR(ProcessTimestamp(&frame, timestamp, rows, writer));
  }
  StoreFrame(key_group, key, frame);
  return base::Status::Ok();
}

base::Status OverAggregateOperator::ProcessTimestamp(Frame* frame, int64_t timestamp,
                                                     const std::vector<std::string>& rows,
                                                     RowWriter* writer) {
  const bool bounded = spec_.preceding >= 0;
  const int64_t preceding = spec_.preceding;
  if (spec_.unit == plan::OverFrameUnit::kRows) {
    for (const std::string& row : rows) {
      SLUICE_RETURN_IF_ERROR(Fold(&frame->accumulator, row, false));
      if (bounded) frame->rows.push_back({timestamp, row});
      SLUICE_RETURN_IF_ERROR(Write(writer, RowKind::kInsert, row, frame->accumulator));
      // The next row's frame holds `preceding` rows before it: free the rest now.
      while (bounded && static_cast<int64_t>(frame->rows.size()) > preceding) {
        SLUICE_RETURN_IF_ERROR(Retract(frame, frame->rows.front().row));
      }
    }
    return base::Status::Ok();
  }
  // RANGE: the rows of one timestamp are peers and share one result.
  for (const std::string& row : rows) {
    SLUICE_RETURN_IF_ERROR(Fold(&frame->accumulator, row, false));
    if (bounded) frame->rows.push_back({timestamp, row});
  }
  // Frame of `timestamp`: [timestamp - preceding, timestamp].
  int64_t lowest = timestamp - preceding;
  while (bounded && !frame->rows.empty() && frame->rows.front().timestamp < lowest) {
    SLUICE_RETURN_IF_ERROR(Retract(frame, frame->rows.front().row));
  }
  for (const std::string& row : rows) {
    SLUICE_RETURN_IF_ERROR(Write(writer, RowKind::kInsert, row, frame->accumulator));
  }
  // Later timestamps are > timestamp, so rows at or before `lowest` are in no later frame.
  while (bounded && !frame->rows.empty() && frame->rows.front().timestamp <= lowest) {
    SLUICE_RETURN_IF_ERROR(Retract(frame, frame->rows.front().row));
  }
  return base::Status::Ok();
}

base::Status OverAggregateOperator::Retract(Frame* frame, const std::string& row) {
  SLUICE_RETURN_IF_ERROR(Fold(&frame->accumulator, row, true));
  frame->rows.pop_front();
  return base::Status::Ok();
}

base::Status OverAggregateOperator::LoadFrame(int32_t key_group, const std::string& key,
                                              Frame* frame) const {
  std::string bytes;
  if (!frames_->Get(key_group, key, {}, &bytes)) {
    frame->accumulator = aggregator_->Initial();
    return base::Status::Ok();
  }
  if (bytes.empty() || bytes[0] != kStateFormat) return CorruptState(*node_);
  size_t position = 1;
  if (!ReadBytes(bytes, &position, &frame->accumulator)) return CorruptState(*node_);
  while (position < bytes.size()) {
    FrameRow row;
    if (!ReadTimestamp(bytes, &position, &row.timestamp) ||
        !ReadBytes(bytes, &position, &row.row)) {
      return CorruptState(*node_);
    }
    frame->rows.push_back(std::move(row));
  }
  return base::Status::Ok();
}

void OverAggregateOperator::StoreFrame(int32_t key_group, const std::string& key,
                                       const Frame& frame) {
  // A bounded frame that holds no row has nothing a later row needs (but LAG's history).
  bool keeps_history = std::any_of(spec_.calls.begin(), spec_.calls.end(), [](const auto& call) {
    return call.kind == plan::AggregateKind::kLag;
  });
  if (spec_.preceding >= 0 && frame.rows.empty() && !keeps_history) {
    frames_->Delete(key_group, key, {});
    return;
  }
  std::string bytes(1, kStateFormat);
  AppendBytes(frame.accumulator, &bytes);
  for (const FrameRow& row : frame.rows) {
    AppendTimestamp(row.timestamp, &bytes);
    AppendBytes(row.row, &bytes);
  }
  frames_->Put(key_group, key, {}, bytes);
}

// ---- changelog -----------------------------------------------------------------------------

base::Status OverAggregateOperator::ProcessChangelog(const Batch& batch, Output* out) {
  const std::vector<plan::SortKey> order = {plan::SortKey{spec_.order_slot, true, true}};
  std::vector<SortedPartition> touched;  // in order of each partition's first row
  std::unordered_map<std::string, size_t> index;
  RowWriter writer(&output_types_, /*row_kinds=*/true, out);
  std::string key;
  for (int32_t row = 0; row < batch.row_count(); ++row) {
    key.clear();
    partition_codec_->Encode(batch, spec_.partition_slots, row, &key);
    auto [found, inserted] = index.try_emplace(key, touched.size());
    if (inserted) {
      SortedPartition partition;
      partition.key_group =
          scheduler::KeyGroupOfRow(batch, spec_.partition_slots, row, max_parallelism_);
      partition.key = key;
      SLUICE_RETURN_IF_ERROR(LoadSorted(&partition));
      touched.push_back(std::move(partition));
    }
    SortedRow sorted;
    AppendSortKey(batch, row, order, &sorted.sort_key);
    row_codec_->Encode(batch, row, &sorted.row);
    SLUICE_RETURN_IF_ERROR(ApplyChange(&touched[found->second], std::move(sorted),
                                       IsRetraction(batch.row_kind(row)), &writer));
  }
  for (const SortedPartition& partition : touched) {
    if (partition.changed) StoreSorted(partition);
  }
  return writer.Flush();
}

base::Status OverAggregateOperator::ApplyChange(SortedPartition* partition, SortedRow row,
                                                bool retract, RowWriter* writer) {
  std::vector<SortedRow>& rows = partition->rows;
  const auto preceding = static_cast<size_t>(spec_.preceding);
  auto less = [](const SortedRow& left, const SortedRow& right) {
    return left.sort_key < right.sort_key;
  };
  if (!retract) {
    // After every row with an equal key: ties in arrival order.
    auto place = std::upper_bound(rows.begin(), rows.end(), row, less);
    auto position = static_cast<size_t>(place - rows.begin());
    // The `preceding` rows after it get it in their frames.
    std::vector<std::string> before;
    if (position < rows.size() && preceding > 0) {
      SLUICE_ASSIGN_OR_RETURN(
          before,
          FrameResults(rows, position, std::min(position + preceding - 1, rows.size() - 1)));
    }
    rows.insert(rows.begin() + static_cast<long>(position), std::move(row));
    SLUICE_ASSIGN_OR_RETURN(auto after, FrameResults(rows, position, position + before.size()));
    SLUICE_RETURN_IF_ERROR(Write(writer, RowKind::kInsert, rows[position].row, after[0]));
    for (size_t i = 0; i < before.size(); ++i) {
      const std::string& shifted = rows[position + 1 + i].row;
      SLUICE_RETURN_IF_ERROR(Write(writer, RowKind::kUpdateBefore, shifted, before[i]));
      SLUICE_RETURN_IF_ERROR(Write(writer, RowKind::kUpdateAfter, shifted, after[i + 1]));
    }
    partition->changed = true;
    return base::Status::Ok();
  }
  auto [first, last] = std::equal_range(rows.begin(), rows.end(), row, less);
  auto match = last;
  for (auto candidate = first; candidate != last; ++candidate) {
    if (candidate->row == row.row) match = candidate;  // the latest identical row
  }
  if (match == last) return base::Status::Ok();  // not stored: ignored, as in Flink
  auto position = static_cast<size_t>(match - rows.begin());
  SLUICE_ASSIGN_OR_RETURN(
      auto before, FrameResults(rows, position, std::min(position + preceding, rows.size() - 1)));
  SortedRow removed = std::move(rows[position]);
  rows.erase(rows.begin() + static_cast<long>(position));
  std::vector<std::string> after;
  if (before.size() > 1) {
    SLUICE_ASSIGN_OR_RETURN(after, FrameResults(rows, position, position + before.size() - 2));
  }
  SLUICE_RETURN_IF_ERROR(Write(writer, RowKind::kDelete, removed.row, before[0]));
  for (size_t i = 0; i < after.size(); ++i) {
    const std::string& shifted = rows[position + i].row;
    SLUICE_RETURN_IF_ERROR(Write(writer, RowKind::kUpdateBefore, shifted, before[i + 1]));
    SLUICE_RETURN_IF_ERROR(Write(writer, RowKind::kUpdateAfter, shifted, after[i]));
  }
  partition->changed = true;
  return base::Status::Ok();
}

base::Result<std::vector<std::string>> OverAggregateOperator::FrameResults(
    const std::vector<SortedRow>& rows, size_t first, size_t last) {
  const auto preceding = static_cast<size_t>(spec_.preceding);
  std::vector<std::string> results;
  std::string accumulator = aggregator_->Initial();
  for (size_t j = first >= preceding ? first - preceding : 0; j <= first; ++j) {
    SLUICE_RETURN_IF_ERROR(Fold(&accumulator, rows[j].row, false));
  }
  results.push_back(accumulator);
  // Slide: add the next row, take out the one that left the frame.
  for (size_t q = first + 1; q <= last; ++q) {
    SLUICE_RETURN_IF_ERROR(Fold(&accumulator, rows[q].row, false));
    if (q >= preceding + 1)
      SLUICE_RETURN_IF_ERROR(Fold(&accumulator, rows[q - preceding - 1].row, true));
    results.push_back(accumulator);
  }
  return results;
}

base::Status OverAggregateOperator::LoadSorted(SortedPartition* partition) const {
  std::string bytes;
  if (!sorted_->Get(partition->key_group, partition->key, {}, &bytes)) return base::Status::Ok();
  if (bytes.empty() || bytes[0] != kStateFormat) return CorruptState(*node_);
  size_t position = 1;
  while (position < bytes.size()) {
    SortedRow row;
    if (!ReadBytes(bytes, &position, &row.sort_key) || !ReadBytes(bytes, &position, &row.row)) {
      return CorruptState(*node_);
    }
    partition->rows.push_back(std::move(row));
  }
  return base::Status::Ok();
}

void OverAggregateOperator::StoreSorted(const SortedPartition& partition) {
  if (partition.rows.empty()) {
    sorted_->Delete(partition.key_group, partition.key, {});
    return;
  }
  std::string bytes(1, kStateFormat);
  for (const SortedRow& row : partition.rows) {
    AppendBytes(row.sort_key, &bytes);
    AppendBytes(row.row, &bytes);
  }
  sorted_->Put(partition.key_group, partition.key, {}, bytes);
}

namespace {

class OverAggregateRows : public RecordMigration {
 public:
  OverAggregateRows(std::string state_name, const plan::OverAggregateSpec& spec,
                    std::vector<types::LogicalType> row_types, std::unique_ptr<RowMigration> rows,
                    std::unique_ptr<aggregate::AccumulatorMigration> accumulators)
      : state_name_(std::move(state_name)),
        bounded_(spec.preceding >= 0),
        row_types_(std::move(row_types)),
        rows_(std::move(rows)),
        accumulators_(std::move(accumulators)),
        aggregator_(spec.calls),
        row_codec_(row_types_) {}

  base::Status Convert(std::string_view ns, std::string_view value, std::string* new_ns,
                       std::string* new_value) override {
    new_ns->assign(ns);
    new_value->clear();
    auto corrupt = [] {
      return base::Status::Error(base::ErrorCode::kData,
                                 "a stored OVER aggregation state is truncated or corrupt");
    };
    size_t position = 0;
    std::string bytes;
    if (state_name_ == "pending") {
      while (position < value.size()) {
        if (!ReadBytes(value, &position, &bytes)) return corrupt();
        SLUICE_RETURN_IF_ERROR(ConvertRow(bytes));
        AppendBytes(converted_, new_value);
      }
      return base::Status::Ok();
    }
    if (value.empty() || value[0] != kStateFormat) return corrupt();
    position = 1;
    new_value->push_back(kStateFormat);
    if (state_name_ == "sorted") {
      while (position < value.size()) {
        if (!ReadBytes(value, &position, &bytes)) return corrupt();
        AppendBytes(bytes, new_value);  // the sort key: the order cannot change
        if (!ReadBytes(value, &position, &bytes)) return corrupt();
        SLUICE_RETURN_IF_ERROR(ConvertRow(bytes));
        AppendBytes(converted_, new_value);
      }
      return base::Status::Ok();
    }
    // "frame": the accumulator, then the rows still in the frame.
    std::string accumulator;
    if (!ReadBytes(value, &position, &bytes)) return corrupt();
    if (!bounded_) SLUICE_RETURN_IF_ERROR(accumulators_->Convert(bytes, &accumulator));
    if (bounded_) accumulator = aggregator_.Initial();
    std::string frame_rows;
    while (position < value.size()) {
      int64_t timestamp = 0;
      if (!ReadTimestamp(value, &position, &timestamp) || !ReadBytes(value, &position, &bytes)) {
        return corrupt();
      }
      SLUICE_RETURN_IF_ERROR(ConvertRow(bytes));
      if (bounded_) SLUICE_RETURN_IF_ERROR(Fold(&accumulator));
      AppendTimestamp(timestamp, &frame_rows);
      AppendBytes(converted_, &frame_rows);
    }
    AppendBytes(accumulator, new_value);
    new_value->append(frame_rows);
    return base::Status::Ok();
  }

 private:
  base::Status ConvertRow(std::string_view row) {
    converted_.clear();
    return rows_->Convert(row, &converted_);
  }

  /// Folds the converted row into `accumulator` with the new calls.
  base::Status Fold(std::string* accumulator) {
    if (!scratch_ || scratch_->arena().bytes_allocated() > kScratchArenaLimit) {
      scratch_ = std::make_unique<Batch>(row_types_);
      scratch_->set_row_count(1);
    }
    SLUICE_RETURN_IF_ERROR(row_codec_.Decode(converted_, scratch_.get(), 0, 0));
    return aggregator_.Accumulate(accumulator, *scratch_, 0, /*retract=*/false);
  }

  std::string state_name_;
  bool bounded_;
  std::vector<types::LogicalType> row_types_;
  std::unique_ptr<RowMigration> rows_;
  std::unique_ptr<aggregate::AccumulatorMigration> accumulators_;
  aggregate::Aggregator aggregator_;
  state::FullRowCodec row_codec_;
  std::unique_ptr<Batch> scratch_;
  std::string converted_;
};

}  // namespace

base::Result<std::unique_ptr<RecordMigration>> MigrateOverAggregateState(
    const std::string& state_name, const plan::OverAggregateSpec& spec,
    std::vector<types::LogicalType> row_types, std::unique_ptr<RowMigration> rows,
    std::unique_ptr<aggregate::AccumulatorMigration> accumulators) {
  if (state_name != "pending" && state_name != "frame" && state_name != "sorted") {
    return base::Status::Error(base::ErrorCode::kPlan,
                               "an OVER aggregation has no state '" + state_name + "'");
  }
  return std::unique_ptr<RecordMigration>(std::make_unique<OverAggregateRows>(
      state_name, spec, std::move(row_types), std::move(rows), std::move(accumulators)));
}

}  // namespace sluice::runtime::operators
