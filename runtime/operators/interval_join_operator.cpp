#include "runtime/operators/interval_join_operator.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "runtime/operators/join_output.h"
#include "runtime/scheduler/key_group.h"

namespace sluice::runtime::operators {

namespace {

base::Status Malformed(const plan::PlanNode& node, const std::string& problem) {
  return base::Status::Error(base::ErrorCode::kData,
                             "interval join '" + node.uid + "' is malformed: " + problem);
}

int64_t Saturate(__int128 value) {
  if (value > std::numeric_limits<int64_t>::max()) return std::numeric_limits<int64_t>::max();
  if (value < std::numeric_limits<int64_t>::min()) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(value);
}

void AppendBigEndian(int64_t value, std::string* out) {
  auto bits = static_cast<uint64_t>(value);
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(bits >> shift));
}

int64_t ReadBigEndian(std::string_view bytes) {
  uint64_t bits = 0;
  for (size_t i = 0; i < 8; ++i) bits = (bits << 8) | static_cast<uint8_t>(bytes[i]);
  return static_cast<int64_t>(bits);
}

}  // namespace

/// One side of the join: its columns in the output, its key, time and state.
struct IntervalJoinOperator::Side {
  std::vector<int32_t> key_slots;
  int32_t time_slot = -1;
  std::vector<types::LogicalType> types;
  size_t offset = 0;  // of its first column in the output
  std::unique_ptr<state::RowCodec> key_codec;
  std::unique_ptr<state::FullRowCodec> row_codec;
  state::StateTable* table = nullptr;
  /// Expiry time → the (key group, key) holding rows that expire then.
  std::map<int64_t, std::set<std::pair<int32_t, std::string>>> expiry;
};

IntervalJoinOperator::IntervalJoinOperator() = default;
IntervalJoinOperator::~IntervalJoinOperator() = default;

base::Status IntervalJoinOperator::Open(const OperatorContext& context) {
  node_ = context.node;
  if (!node_->join || !node_->interval_join) return Malformed(*node_, "no interval join spec");
  spec_ = *node_->join;
  bounds_ = *node_->interval_join;
  if (spec_.type != plan::JoinType::kInner && spec_.type != plan::JoinType::kLeft) {
    return Malformed(*node_, std::string("an interval join is INNER or LEFT, not ") +
                                 plan::JoinTypeName(spec_.type));
  }
  left_outer_ = spec_.type == plan::JoinType::kLeft;
  max_parallelism_ = context.max_parallelism;
  metrics_ = context.metrics;
  if (context.state_backend == nullptr) return Malformed(*node_, "no state backend");
  SLUICE_ASSIGN_OR_RETURN(JoinLayout layout, ReadJoinLayout(*node_, spec_, 0));
  output_types_ = std::move(layout.output_types);
  const size_t left_width = layout.left_width;
  const std::vector<int32_t>* key_slots[] = {&spec_.left_key_slots, &spec_.right_key_slots};
  const int32_t time_slots[] = {bounds_.left_time_slot, bounds_.right_time_slot};
  const char* names[] = {"left", "right"};
  for (int index = 0; index < 2; ++index) {
    auto side = std::make_unique<Side>();
    side->offset = index == 0 ? 0 : left_width;
    size_t end = index == 0 ? left_width : output_types_.size();
    side->types.assign(output_types_.begin() + side->offset, output_types_.begin() + end);
    side->key_slots = *key_slots[index];
    side->time_slot = time_slots[index];
    SLUICE_ASSIGN_OR_RETURN(
        auto key_types,
        TimedJoinSideKeyTypes(*node_, names[index], side->types, side->key_slots, side->time_slot));
    side->key_codec = std::make_unique<state::RowCodec>(std::move(key_types));
    side->row_codec = std::make_unique<state::FullRowCodec>(side->types);
    SLUICE_ASSIGN_OR_RETURN(side->table, context.state_backend->GetTable(node_->uid, names[index]));
    // Restore: every stored (key, time) expires at the time's expiry.
    ForEachOwnedEntry(
        context, *side->table,
        [&](int32_t key_group, std::string_view key, std::string_view ns, std::string_view) {
          if (ns.size() != 8) return;
          side->expiry[ExpiryOf(index, ReadBigEndian(ns))].emplace(key_group, key);
        });
    sides_.push_back(std::move(side));
  }
  SLUICE_ASSIGN_OR_RETURN(watermark_, watermark_state_.Open(context));
  emitted_watermark_ = ForwardedWatermark(watermark_);
  SLUICE_ASSIGN_OR_RETURN(
      residual_,
      CompileJoinCondition(*node_, sides_[0]->key_codec->types(), sides_[1]->key_codec->types(),
                           spec_.residual, output_types_, context.chain_compiler));
  return base::Status::Ok();
}

int64_t IntervalJoinOperator::ExpiryOf(int32_t side, int64_t time) const {
  return side == 0 ? Saturate(__int128{time} + bounds_.upper)
                   : Saturate(__int128{time} - bounds_.lower);
}

int64_t IntervalJoinOperator::ForwardedWatermark(int64_t watermark) const {
  if (watermark == kMinWatermark || watermark == kMaxWatermark) return watermark;
  // Rows still to come may join with rows up to max(upper, -lower) older than the watermark.
  int64_t hold_back = std::max<int64_t>({0, bounds_.upper, -bounds_.lower});
  return Saturate(__int128{watermark} - hold_back);
}

base::Status IntervalJoinOperator::EmitUnmatched(std::string_view row_bytes, JoinOutput* output) {
  auto [batch, row] = output->AddRow();
  return sides_[0]->row_codec->Decode(row_bytes, batch, row, 0);
}

namespace {

/// One stored row of a value: its matched flag, then the row. A value lists the rows of one
/// key and one event time: per row a flag byte, a 4-byte little-endian length and the row.
struct StoredRow {
  size_t flag_offset;
  std::string_view row;
};

bool NextStoredRow(std::string_view value, size_t* position, StoredRow* out) {
  if (*position + 5 > value.size()) return false;
  uint32_t length = 0;
  for (size_t i = 0; i < 4; ++i) {
    length |= uint32_t{static_cast<uint8_t>(value[*position + 1 + i])} << (8 * i);
  }
  if (value.size() - *position - 5 < length) return false;
  out->flag_offset = *position;
  out->row = value.substr(*position + 5, length);
  *position += 5 + length;
  return true;
}

void AppendStoredRow(std::string_view row, std::string* value) {
  value->push_back(0);
  auto length = static_cast<uint32_t>(row.size());
  for (int shift = 0; shift < 32; shift += 8) value->push_back(static_cast<char>(length >> shift));
  value->append(row);
}

std::string TimeNamespace(int64_t time) {
  std::string ns;
  AppendBigEndian(time, &ns);
  return ns;
}

}  // namespace

base::Status IntervalJoinOperator::ProcessBatch(int32_t input, BatchPtr batch, Output* out) {
  if (input != 0 && input != 1) return Malformed(*node_, fmt::format("no input {}", input));
  Side& own = *sides_[input];
  Side& other = *sides_[1 - input];
  if (batch->column_count() != own.types.size()) {
    return Malformed(*node_, fmt::format("input {} has {} columns, not {}", input,
                                         batch->column_count(), own.types.size()));
  }
  if (batch->row_count() == 0) return base::Status::Ok();
  JoinOutput output(output_types_, residual_.get());
  // Stored left rows of a LEFT join that candidates belong to, to flag them matched; a
  // candidate's tag is the index here.
  struct LeftRow {
    int32_t key_group;
    std::string key;
    int64_t time;
    size_t flag_offset;
  };
  std::vector<LeftRow> left_rows;
  auto mark_matched = [&](int64_t tag) {
    const LeftRow& left = left_rows[tag];
    sides_[0]->table->Update(left.key_group, left.key, TimeNamespace(left.time),
                             [&](std::string* value) { (*value)[left.flag_offset] = 1; });
  };
  auto flush = [&]() -> base::Status {
    SLUICE_RETURN_IF_ERROR(
        output.Flush(out, left_outer_ ? std::function<void(int64_t)>(mark_matched) : nullptr));
    left_rows.clear();
    return base::Status::Ok();
  };

  const Column& times = batch->column(own.time_slot);
  int64_t late = 0;
  std::string key, row_bytes, value;
  for (int32_t row = 0; row < batch->row_count(); ++row) {
    bool null_key = false;
    for (int32_t slot : own.key_slots) null_key = null_key || batch->column(slot).IsNull(row);
    if (null_key || times.IsNull(row)) {
      if (input == 0 && left_outer_) {
        row_bytes.clear();
        own.row_codec->Encode(*batch, row, &row_bytes);
        SLUICE_RETURN_IF_ERROR(EmitUnmatched(row_bytes, &output));
      }
      continue;
    }
    int64_t time = times.values<int64_t>()[row];
    int32_t key_group = scheduler::KeyGroupOfRow(*batch, own.key_slots, row, max_parallelism_);
    if (time <= watermark_state_.KeyGroupWatermark(key_group, watermark_)) {
      ++late;
      continue;
    }
    key.clear();
    own.key_codec->Encode(*batch, own.key_slots, row, &key);
    row_bytes.clear();
    own.row_codec->Encode(*batch, row, &row_bytes);
    const std::string ns = TimeNamespace(time);
    // Store the row first: its flag's offset is the tag of its candidates.
    size_t flag_offset = 0;
    bool appended = own.table->Update(key_group, key, ns, [&](std::string* stored) {
      flag_offset = stored->size();
      AppendStoredRow(row_bytes, stored);
    });
    if (!appended) {
      value.clear();
      AppendStoredRow(row_bytes, &value);
      own.table->Put(key_group, key, ns, value);
      own.expiry[ExpiryOf(input, time)].emplace(key_group, key);
    }
    int64_t own_tag = -1;
    if (input == 0 && left_outer_) {
      own_tag = static_cast<int64_t>(left_rows.size());
      left_rows.push_back({key_group, key, time, flag_offset});
    }
    // The other side's times this row matches.
    int64_t low = input == 0 ? Saturate(__int128{time} + bounds_.lower)
                             : Saturate(__int128{time} - bounds_.upper);
    int64_t high = input == 0 ? Saturate(__int128{time} + bounds_.upper)
                              : Saturate(__int128{time} - bounds_.lower);
    base::Status status = base::Status::Ok();
    other.table->ForEachOfKey(
        key_group, key,
        [&](int32_t, std::string_view, std::string_view other_ns, std::string_view other_value) {
          if (!status.ok() || other_ns.size() != 8) return;
          int64_t other_time = ReadBigEndian(other_ns);
          if (other_time < low || other_time > high) return;
          size_t position = 0;
          StoredRow stored;
          while (status.ok() && NextStoredRow(other_value, &position, &stored)) {
            int64_t tag = own_tag;
            if (input == 1 && left_outer_) {
              tag = static_cast<int64_t>(left_rows.size());
              left_rows.push_back({key_group, key, other_time, stored.flag_offset});
            }
            auto [target, target_row] = output.AddCandidate(tag);
            status = own.row_codec->Decode(row_bytes, target, target_row, own.offset);
            if (status.ok()) {
              status = other.row_codec->Decode(stored.row, target, target_row, other.offset);
            }
          }
        });
    SLUICE_RETURN_IF_ERROR(status);
    if (output.pending_rows() >= kBatchCapacity) SLUICE_RETURN_IF_ERROR(flush());
  }
  SLUICE_RETURN_IF_ERROR(flush());
  if (late > 0 && metrics_ != nullptr) {
    metrics_->late_records_dropped.fetch_add(late, std::memory_order_relaxed);
  }
  return base::Status::Ok();
}

base::Status IntervalJoinOperator::ProcessWatermark(int64_t watermark, Output* out) {
  if (watermark <= watermark_) return base::Status::Ok();
  watermark_ = watermark;
  watermark_state_.Store(watermark);
  JoinOutput output(output_types_, nullptr);
  std::string value;
  for (int32_t index = 0; index < 2; ++index) {
    Side& side = *sides_[index];
    while (!side.expiry.empty() && side.expiry.begin()->first <= watermark) {
      // The rows expiring at E were stored at E - upper (left) or E + lower (right).
      int64_t expiry = side.expiry.begin()->first;
      int64_t time = index == 0 ? expiry - bounds_.upper : expiry + bounds_.lower;
      const std::string ns = TimeNamespace(time);
      for (const auto& [key_group, key] : side.expiry.begin()->second) {
        if (index == 0 && left_outer_ && side.table->Get(key_group, key, ns, &value)) {
          size_t position = 0;
          StoredRow stored;
          while (NextStoredRow(value, &position, &stored)) {
            if (value[stored.flag_offset] == 0) {
              SLUICE_RETURN_IF_ERROR(EmitUnmatched(stored.row, &output));
            }
          }
        }
        side.table->Delete(key_group, key, ns);
      }
      side.expiry.erase(side.expiry.begin());
      if (output.pending_rows() >= kBatchCapacity) {
        SLUICE_RETURN_IF_ERROR(output.Flush(out, nullptr));
      }
    }
  }
  SLUICE_RETURN_IF_ERROR(output.Flush(out, nullptr));
  int64_t forwarded = ForwardedWatermark(watermark);
  if (forwarded <= emitted_watermark_) return base::Status::Ok();
  emitted_watermark_ = forwarded;
  return out->EmitWatermark(forwarded);
}

namespace {

class IntervalJoinRows : public RecordMigration {
 public:
  explicit IntervalJoinRows(std::unique_ptr<RowMigration> rows) : rows_(std::move(rows)) {}
  base::Status Convert(std::string_view ns, std::string_view value, std::string* new_ns,
                       std::string* new_value) override {
    new_ns->assign(ns);
    new_value->clear();
    size_t position = 0;
    StoredRow stored;
    while (position < value.size()) {
      if (!NextStoredRow(value, &position, &stored)) {
        return base::Status::Error(base::ErrorCode::kData,
                                   "an interval join's row list is truncated");
      }
      converted_.clear();
      SLUICE_RETURN_IF_ERROR(rows_->Convert(stored.row, &converted_));
      AppendStoredRow(converted_, new_value);
      new_value->at(new_value->size() - converted_.size() - 5) = value[stored.flag_offset];
    }
    return base::Status::Ok();
  }

 private:
  std::unique_ptr<RowMigration> rows_;
  std::string converted_;
};

}  // namespace

std::unique_ptr<RecordMigration> MigrateIntervalJoinRows(std::unique_ptr<RowMigration> rows) {
  return std::make_unique<IntervalJoinRows>(std::move(rows));
}

}  // namespace sluice::runtime::operators
