#include "runtime/operators/temporal_join_operator.h"

#include <fmt/format.h>

#include "runtime/operators/join_output.h"
#include "runtime/operators/time_row_buffer.h"
#include "runtime/scheduler/key_group.h"

namespace sluice::runtime::operators {

namespace {

base::Status Malformed(const plan::PlanNode& node, const std::string& problem) {
  return base::Status::Error(base::ErrorCode::kData,
                             "temporal join '" + node.uid + "' is malformed: " + problem);
}

// A value's rows: per row a flag byte, a 4-byte little-endian length and the row (the interval
// join's layout, see the header).
constexpr size_t kRowHeaderBytes = 5;
constexpr char kDeletedFlag = 1;

struct StoredRow {
  char flag = 0;
  std::string_view row;
};

bool NextStoredRow(std::string_view value, size_t* position, StoredRow* out) {
  if (*position + kRowHeaderBytes > value.size()) return false;
  uint32_t length = 0;
  for (size_t i = 0; i < 4; ++i) {
    length |= uint32_t{static_cast<uint8_t>(value[*position + 1 + i])} << (8 * i);
  }
  if (value.size() - *position - kRowHeaderBytes < length) return false;
  out->flag = value[*position];
  out->row = value.substr(*position + kRowHeaderBytes, length);
  *position += kRowHeaderBytes + length;
  return true;
}

void AppendStoredRow(char flag, std::string_view row, std::string* value) {
  value->push_back(flag);
  auto length = static_cast<uint32_t>(row.size());
  for (int shift = 0; shift < 32; shift += 8) value->push_back(static_cast<char>(length >> shift));
  value->append(row);
}

}  // namespace

/// One side of the join: its columns in the output, its key, time and state.
struct TemporalJoinOperator::Side {
  std::vector<int32_t> key_slots;
  int32_t time_slot = -1;
  std::vector<types::LogicalType> types;
  size_t offset = 0;  // of its first column in the output
  std::unique_ptr<state::RowCodec> key_codec;
  std::unique_ptr<state::FullRowCodec> row_codec;
  state::StateTable* table = nullptr;
};

TemporalJoinOperator::TemporalJoinOperator() = default;
TemporalJoinOperator::~TemporalJoinOperator() = default;

base::Status TemporalJoinOperator::Open(const OperatorContext& context) {
  node_ = context.node;
  if (!node_->join || !node_->temporal_join) return Malformed(*node_, "no temporal join spec");
  spec_ = *node_->join;
  times_ = *node_->temporal_join;
  if (spec_.type != plan::JoinType::kInner && spec_.type != plan::JoinType::kLeft) {
    return Malformed(*node_, "a temporal join is INNER or LEFT");
  }
  left_outer_ = spec_.type == plan::JoinType::kLeft;
  max_parallelism_ = context.max_parallelism;
  metrics_ = context.metrics;
  if (context.state_backend == nullptr) return Malformed(*node_, "no state backend");
  SLUICE_ASSIGN_OR_RETURN(JoinLayout layout, ReadJoinLayout(*node_, spec_, 0));
  output_types_ = std::move(layout.output_types);
  const size_t left_width = layout.left_width;
  const std::vector<int32_t>* key_slots[] = {&spec_.left_key_slots, &spec_.right_key_slots};
  const int32_t time_slots[] = {times_.left_time_slot, times_.right_time_slot};
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
    // Restore: which keys have rows (versions) of which time.
    auto& by_time = index == 0 ? due_ : versions_;
    ForEachOwnedEntry(
        context, *side->table,
        [&](int32_t key_group, std::string_view key, std::string_view ns, std::string_view) {
          if (ns.size() != 8) return;
          by_time[ReadTimeNamespace(ns)].emplace(key_group, std::string(key));
        });
    sides_.push_back(std::move(side));
  }
  SLUICE_ASSIGN_OR_RETURN(watermark_, watermark_state_.Open(context));
  SLUICE_ASSIGN_OR_RETURN(
      residual_,
      CompileJoinCondition(*node_, sides_[0]->key_codec->types(), sides_[1]->key_codec->types(),
                           spec_.residual, output_types_, context.chain_compiler));
  return base::Status::Ok();
}

base::Status TemporalJoinOperator::ProcessBatch(int32_t input, BatchPtr batch, Output* out) {
  if (input != 0 && input != 1) return Malformed(*node_, fmt::format("no input {}", input));
  Side& own = *sides_[input];
  if (batch->column_count() != own.types.size()) {
    return Malformed(*node_, fmt::format("input {} has {} columns, not {}", input,
                                         batch->column_count(), own.types.size()));
  }
  if (batch->row_count() == 0) return base::Status::Ok();
  JoinOutput output(output_types_, nullptr);
  const Column& times = batch->column(own.time_slot);
  int64_t late = 0;
  std::string key, row_bytes, value;
  for (int32_t row = 0; row < batch->row_count(); ++row) {
    const RowKind kind = batch->row_kind(row);
    if (input == 1 && kind == RowKind::kUpdateBefore) continue;  // its +U follows
    bool null_key = false;
    for (int32_t slot : own.key_slots) null_key = null_key || batch->column(slot).IsNull(row);
    row_bytes.clear();
    own.row_codec->Encode(*batch, row, &row_bytes);
    if (null_key || times.IsNull(row)) {
      if (input == 0 && left_outer_) {
        auto [target, target_row] = output.AddRow();
        SLUICE_RETURN_IF_ERROR(own.row_codec->Decode(row_bytes, target, target_row, 0));
      }
      continue;
    }
    int64_t time = times.values<int64_t>()[row];
    int32_t key_group = scheduler::KeyGroupOfRow(*batch, own.key_slots, row, max_parallelism_);
    key.clear();
    own.key_codec->Encode(*batch, own.key_slots, row, &key);
    const std::string ns = TimeNamespace(time);
    if (input == 1) {
      // A version (or a deletion) from `time` on replaces one of the same time.
      value.clear();
      AppendStoredRow(kind == RowKind::kDelete ? kDeletedFlag : 0, row_bytes, &value);
      own.table->Put(key_group, key, ns, value);
      versions_[time].emplace(key_group, key);
      continue;
    }
    if (time <= watermark_state_.KeyGroupWatermark(key_group, watermark_)) {
      ++late;
      continue;
    }
    bool appended = own.table->Update(
        key_group, key, ns, [&](std::string* stored) { AppendStoredRow(0, row_bytes, stored); });
    if (!appended) {
      value.clear();
      AppendStoredRow(0, row_bytes, &value);
      own.table->Put(key_group, key, ns, value);
      due_[time].emplace(key_group, key);
    }
  }
  SLUICE_RETURN_IF_ERROR(output.Flush(out, nullptr));
  if (late > 0 && metrics_ != nullptr) {
    metrics_->late_records_dropped.fetch_add(late, std::memory_order_relaxed);
  }
  return base::Status::Ok();
}

bool TemporalJoinOperator::FindVersion(const KeyRef& key, int64_t time, std::string* row) const {
  int64_t best_time = 0;
  bool found = false;
  std::string best;
  sides_[1]->table->ForEachOfKey(
      key.first, key.second,
      [&](int32_t, std::string_view, std::string_view ns, std::string_view value) {
        if (ns.size() != 8) return;
        int64_t version_time = ReadTimeNamespace(ns);
        if (version_time > time || (found && version_time <= best_time)) return;
        found = true;
        best_time = version_time;
        best.assign(value);
      });
  if (!found) return false;
  size_t position = 0;
  StoredRow stored;
  if (!NextStoredRow(best, &position, &stored) || stored.flag == kDeletedFlag) return false;
  row->assign(stored.row);
  return true;
}

void TemporalJoinOperator::FreeVersions(const KeyRef& key, int64_t watermark) {
  // The latest version at or before the watermark stays valid for rows after it; older ones
  // can never be joined again.
  std::vector<int64_t> older;
  int64_t latest = 0;
  bool found = false;
  bool latest_deleted = false;
  sides_[1]->table->ForEachOfKey(
      key.first, key.second,
      [&](int32_t, std::string_view, std::string_view ns, std::string_view value) {
        if (ns.size() != 8) return;
        int64_t time = ReadTimeNamespace(ns);
        if (time > watermark) return;
        if (!found || time > latest) {
          if (found) older.push_back(latest);
          found = true;
          latest = time;
          latest_deleted = !value.empty() && value[0] == kDeletedFlag;
        } else {
          older.push_back(time);
        }
      });
  for (int64_t time : older) sides_[1]->table->Delete(key.first, key.second, TimeNamespace(time));
  if (found && latest_deleted) {
    sides_[1]->table->Delete(key.first, key.second, TimeNamespace(latest));
  }
}

base::Status TemporalJoinOperator::ProcessWatermark(int64_t watermark, Output* out) {
  if (watermark <= watermark_) return base::Status::Ok();
  watermark_ = watermark;
  watermark_state_.Store(watermark);
  JoinOutput output(output_types_, residual_.get());
  // The left rows of the candidates of a LEFT join (the tag is the index), to pad those whose
  // candidate the residual rejects.
  std::vector<std::string> left_rows;
  std::vector<bool> matched;
  auto flush = [&]() -> base::Status {
    if (!left_outer_) return output.Flush(out, nullptr);
    matched.assign(left_rows.size(), false);
    SLUICE_RETURN_IF_ERROR(output.Flush(out, [&](int64_t tag) { matched[tag] = true; }));
    for (size_t tag = 0; tag < left_rows.size(); ++tag) {
      if (matched[tag]) continue;
      auto [target, target_row] = output.AddRow();
      SLUICE_RETURN_IF_ERROR(sides_[0]->row_codec->Decode(left_rows[tag], target, target_row, 0));
    }
    left_rows.clear();
    return output.Flush(out, nullptr);
  };
  std::string value, version;
  while (!due_.empty() && due_.begin()->first <= watermark) {
    const int64_t time = due_.begin()->first;
    const std::string ns = TimeNamespace(time);
    for (const KeyRef& key : due_.begin()->second) {
      if (!sides_[0]->table->Get(key.first, key.second, ns, &value)) continue;
      sides_[0]->table->Delete(key.first, key.second, ns);
      const bool has_version = FindVersion(key, time, &version);
      size_t position = 0;
      StoredRow stored;
      while (NextStoredRow(value, &position, &stored)) {
        if (!has_version) {
          if (!left_outer_) continue;
          auto [target, target_row] = output.AddRow();
          SLUICE_RETURN_IF_ERROR(sides_[0]->row_codec->Decode(stored.row, target, target_row, 0));
          continue;
        }
        int64_t tag = -1;
        if (left_outer_) {
          tag = static_cast<int64_t>(left_rows.size());
          left_rows.emplace_back(stored.row);
        }
        auto [target, target_row] = output.AddCandidate(tag);
        SLUICE_RETURN_IF_ERROR(sides_[0]->row_codec->Decode(stored.row, target, target_row, 0));
        SLUICE_RETURN_IF_ERROR(
            sides_[1]->row_codec->Decode(version, target, target_row, sides_[1]->offset));
      }
      if (output.pending_rows() >= kBatchCapacity) SLUICE_RETURN_IF_ERROR(flush());
    }
    due_.erase(due_.begin());
  }
  SLUICE_RETURN_IF_ERROR(flush());
  // Versions now at or behind the watermark may have made older ones obsolete.
  std::set<KeyRef> touched;
  while (!versions_.empty() && versions_.begin()->first <= watermark) {
    touched.merge(versions_.begin()->second);
    versions_.erase(versions_.begin());
  }
  for (const KeyRef& key : touched) FreeVersions(key, watermark);
  return out->EmitWatermark(watermark);
}

}  // namespace sluice::runtime::operators
