#include "runtime/operators/window_join_operator.h"

#include <fmt/format.h>

#include <limits>
#include <unordered_map>

#include "runtime/operators/join_output.h"
#include "runtime/scheduler/key_group.h"

namespace sluice::runtime::operators {

namespace {

using Wide = __int128;

constexpr Wide kMinTime = std::numeric_limits<int64_t>::min();
constexpr Wide kMaxTime = std::numeric_limits<int64_t>::max();

Wide FloorMod(Wide value, Wide divisor) {
  Wide remainder = value % divisor;
  return remainder < 0 ? remainder + divisor : remainder;
}

base::Status Malformed(const plan::PlanNode& node, const std::string& problem) {
  return base::Status::Error(base::ErrorCode::kData,
                             "window join '" + node.uid + "' is malformed: " + problem);
}

std::string WindowNamespace(int64_t window_end) {
  std::string ns;
  auto bits = static_cast<uint64_t>(window_end);
  for (int shift = 56; shift >= 0; shift -= 8) ns.push_back(static_cast<char>(bits >> shift));
  return ns;
}

void AppendRow(std::string_view row, std::string* out) {
  auto length = static_cast<uint32_t>(row.size());
  for (int shift = 0; shift < 32; shift += 8) out->push_back(static_cast<char>(length >> shift));
  out->append(row);
}

/// Splits a stored row list into its rows.
base::Status SplitRows(std::string_view bytes, std::vector<std::string_view>* rows) {
  rows->clear();
  while (!bytes.empty()) {
    uint32_t length = 0;
    if (bytes.size() >= 4) {
      for (int i = 0; i < 4; ++i) length |= uint32_t{static_cast<uint8_t>(bytes[i])} << (8 * i);
    }
    if (bytes.size() < 4 || bytes.size() - 4 < length) {
      return base::Status::Error(base::ErrorCode::kData, "a window join's row list is truncated");
    }
    rows->push_back(bytes.substr(4, length));
    bytes.remove_prefix(4 + length);
  }
  return base::Status::Ok();
}

}  // namespace

/// One side of the join: its columns in the joined row, its key, time and state.
struct WindowJoinOperator::Side {
  std::vector<int32_t> key_slots;
  int32_t time_slot = -1;
  std::vector<types::LogicalType> types;
  size_t offset = 0;         // of its first column in the joined row
  size_t window_offset = 0;  // of its window_start column in the joined row
  std::unique_ptr<state::RowCodec> key_codec;
  std::unique_ptr<state::FullRowCodec> row_codec;
  state::StateTable* table = nullptr;
  BatchPtr key_scratch;  // one row: stored keys decoded to see their NULLs (per window)

  /// Whether a stored key has a NULL column (such a key matches nothing).
  base::Result<bool> KeyHasNull(std::string_view key) {
    if (key_slots.empty()) return false;
    SLUICE_RETURN_IF_ERROR(key_codec->Decode(key, key_scratch.get(), 0, 0));
    for (size_t column = 0; column < key_slots.size(); ++column) {
      if (key_scratch->column(column).IsNull(0)) return true;
    }
    return false;
  }
};

WindowJoinOperator::WindowJoinOperator() = default;
WindowJoinOperator::~WindowJoinOperator() = default;

base::Status WindowJoinOperator::Open(const OperatorContext& context) {
  node_ = context.node;
  if (!node_->join || !node_->window_join) return Malformed(*node_, "no window join spec");
  spec_ = *node_->join;
  window_ = node_->window_join->window;
  clock_ = WindowClock(window_.time_zone);
  left_outer_ = spec_.type == plan::JoinType::kLeft || spec_.type == plan::JoinType::kFull;
  right_outer_ = spec_.type == plan::JoinType::kRight || spec_.type == plan::JoinType::kFull;
  left_only_ = spec_.type == plan::JoinType::kSemi || spec_.type == plan::JoinType::kAnti;
  max_parallelism_ = context.max_parallelism;
  metrics_ = context.metrics;
  if (context.state_backend == nullptr) return Malformed(*node_, "no state backend");
  switch (window_.kind) {
    case plan::WindowKind::kTumble:
      if (window_.size <= 0) return Malformed(*node_, "the window size must be positive");
      window_.step = window_.size;
      break;
    case plan::WindowKind::kHop:
    case plan::WindowKind::kCumulate:
      if (window_.size <= 0 || window_.step <= 0 || window_.size % window_.step != 0) {
        return Malformed(*node_, "the window size must be a positive multiple of the step");
      }
      break;
    case plan::WindowKind::kSession: return Malformed(*node_, "SESSION windows are not supported");
  }
  SLUICE_ASSIGN_OR_RETURN(JoinLayout layout,
                          ReadJoinLayout(*node_, spec_, left_only_ ? 3 : 6, left_only_));
  output_types_ = std::move(layout.output_types);
  const size_t left_width = layout.left_width;
  joined_types_ = output_types_;
  if (left_only_) {
    // The output is the left rows and their windows; the joined row the residual reads also
    // holds the right row (whose slots only the "right" state spec tells) and its windows.
    if (output_types_.size() != left_width + 3) {
      return Malformed(*node_, "a SEMI or ANTI join outputs the left rows and their windows");
    }
    const plan::StateSpec* right_state = nullptr;
    for (const plan::StateSpec& state : node_->state) {
      if (state.name == "right") right_state = &state;
    }
    if (right_state == nullptr) return Malformed(*node_, "no \"right\" state");
    for (const auto& slot : types::FlattenSchema(right_state->value_schema)) {
      joined_types_.push_back(slot.type);
    }
    for (size_t column = left_width; column < left_width + 3; ++column) {
      joined_types_.push_back(output_types_[column]);
    }
  }
  const std::vector<int32_t>* key_slots[] = {&spec_.left_key_slots, &spec_.right_key_slots};
  const int32_t time_slots[] = {node_->window_join->left_time_slot,
                                node_->window_join->right_time_slot};
  const char* names[] = {"left", "right"};
  for (int index = 0; index < 2; ++index) {
    auto side = std::make_unique<Side>();
    side->offset = index == 0 ? 0 : left_width + 3;
    size_t end = index == 0 ? left_width : joined_types_.size() - 3;
    side->window_offset = end;
    side->types.assign(joined_types_.begin() + side->offset, joined_types_.begin() + end);
    side->key_slots = *key_slots[index];
    side->time_slot = time_slots[index];
    SLUICE_ASSIGN_OR_RETURN(
        auto key_types,
        TimedJoinSideKeyTypes(*node_, names[index], side->types, side->key_slots, side->time_slot));
    side->key_codec = std::make_unique<state::RowCodec>(std::move(key_types));
    side->row_codec = std::make_unique<state::FullRowCodec>(side->types);
    SLUICE_ASSIGN_OR_RETURN(side->table, context.state_backend->GetTable(node_->uid, names[index]));
    // Restore: every window still in state is pending (a fired window's rows are deleted).
    ForEachOwnedEntry(context, *side->table,
                      [&](int32_t, std::string_view, std::string_view ns, std::string_view) {
                        if (ns.size() != 8) return;
                        uint64_t bits = 0;
                        for (char byte : ns) bits = (bits << 8) | static_cast<uint8_t>(byte);
                        pending_window_ends_.insert(static_cast<int64_t>(bits));
                      });
    sides_.push_back(std::move(side));
  }
  SLUICE_ASSIGN_OR_RETURN(watermark_, watermark_state_.Open(context));
  SLUICE_ASSIGN_OR_RETURN(
      residual_,
      CompileJoinCondition(*node_, sides_[0]->key_codec->types(), sides_[1]->key_codec->types(),
                           spec_.residual, joined_types_, context.chain_compiler));
  return base::Status::Ok();
}

bool WindowJoinOperator::WindowEndsOf(int64_t time, std::vector<int64_t>* ends) const {
  ends->clear();
  if (Wide{time} - window_.size < kMinTime || Wide{time} + 2 * Wide{window_.size} > kMaxTime) {
    return false;
  }
  if (window_.kind == plan::WindowKind::kCumulate) {
    // Every window of the cycle holding `time` that ends after it.
    Wide cycle_start = time - FloorMod(Wide{time} - window_.offset, window_.size);
    for (Wide end = cycle_start + window_.step; end <= cycle_start + window_.size;
         end += window_.step) {
      if (end > time) ends->push_back(static_cast<int64_t>(end));
    }
    return true;
  }
  // TUMBLE (step = size) and HOP: windows starting in (time - size, time], aligned to the step.
  Wide last_start = time - FloorMod(Wide{time} - window_.offset, window_.step);
  for (Wide start = last_start; start > Wide{time} - window_.size; start -= window_.step) {
    ends->push_back(static_cast<int64_t>(start + window_.size));
  }
  return true;
}

int64_t WindowJoinOperator::WindowStartOf(int64_t window_end) const {
  if (window_.kind == plan::WindowKind::kCumulate) {
    Wide last = Wide{window_end} - 1;
    return static_cast<int64_t>(last - FloorMod(last - window_.offset, window_.size));
  }
  return window_end - window_.size;
}

base::Status WindowJoinOperator::ProcessBatch(int32_t input, BatchPtr batch, Output* out) {
  if (input != 0 && input != 1) return Malformed(*node_, fmt::format("no input {}", input));
  Side& own = *sides_[input];
  if (batch->column_count() != own.types.size()) {
    return Malformed(*node_, fmt::format("input {} has {} columns, not {}", input,
                                         batch->column_count(), own.types.size()));
  }
  const Column& times = batch->column(own.time_slot);
  int64_t late = 0;
  std::string key, row_bytes;
  std::vector<int64_t> ends;
  for (int32_t row = 0; row < batch->row_count(); ++row) {
    if (times.IsNull(row)) continue;
    int64_t time = clock_.ToWall(times.values<int64_t>()[row]);
    if (!WindowEndsOf(time, &ends)) {
      return base::Status::Error(
          base::ErrorCode::kData,
          fmt::format("window join '{}': event time {} is out of range", node_->uid, time));
    }
    // A row with a NULL key matches nothing but is kept all the same (see the class comment).
    key.clear();
    own.key_codec->Encode(*batch, own.key_slots, row, &key);
    int32_t key_group = scheduler::KeyGroupOfRow(*batch, own.key_slots, row, max_parallelism_);
    row_bytes.clear();
    own.row_codec->Encode(*batch, row, &row_bytes);
    for (int64_t end : ends) {
      if (end - 1 <= watermark_state_.KeyGroupWatermark(key_group, watermark_)) {
        ++late;
        continue;
      }
      std::string ns = WindowNamespace(end);
      bool appended = own.table->Update(key_group, key, ns,
                                        [&](std::string* value) { AppendRow(row_bytes, value); });
      if (!appended) {
        std::string value;
        AppendRow(row_bytes, &value);
        own.table->Put(key_group, key, ns, value);
      }
      pending_window_ends_.insert(end);
    }
  }
  if (late > 0 && metrics_ != nullptr) {
    metrics_->late_records_dropped.fetch_add(late, std::memory_order_relaxed);
  }
  return base::Status::Ok();
}

base::Status WindowJoinOperator::ProcessWatermark(int64_t watermark, Output* out) {
  // Windows work on their clock's wall times; the watermark passed on stays an instant.
  const int64_t wall = clock_.WatermarkToWall(watermark);
  if (wall <= watermark_) {
    return clock_.identity() ? base::Status::Ok() : out->EmitWatermark(watermark);
  }
  watermark_ = wall;
  watermark_state_.Store(wall);
  while (!pending_window_ends_.empty() && *pending_window_ends_.begin() - 1 <= wall) {
    int64_t window_end = *pending_window_ends_.begin();
    pending_window_ends_.erase(pending_window_ends_.begin());
    SLUICE_RETURN_IF_ERROR(FireWindow(window_end, out));
  }
  return out->EmitWatermark(watermark);
}

namespace {

/// One key's rows of a window on one side.
struct KeyedRows {
  std::string key;
  std::string value;  // the stored row list
  bool null_key = false;
  size_t first = 0;  // index of its first row among the side's rows of the window
  std::vector<std::string_view> rows;
};

}  // namespace

base::Status WindowJoinOperator::FireWindow(int64_t window_end, Output* out) {
  const std::string ns = WindowNamespace(window_end);
  const int64_t window_start = WindowStartOf(window_end);
  Side* sides[] = {sides_[0].get(), sides_[1].get()};
  // Each side's rows of the window by key, numbered across the side: row i of a side is
  // rows[first + i] of its key.
  std::vector<KeyedRows> keyed[2];
  size_t totals[2] = {0, 0};
  for (int index = 0; index < 2; ++index) {
    // A fresh scratch row per window: decoded strings stay in its arena until then.
    sides[index]->key_scratch = std::make_shared<Batch>(sides[index]->key_codec->types());
    sides[index]->key_scratch->set_row_count(1);
    sides[index]->table->ForEachInNamespace(
        ns, [&](int32_t, std::string_view key, std::string_view, std::string_view value) {
          KeyedRows group;
          group.key = key;
          group.value = value;
          keyed[index].push_back(std::move(group));
        });
    for (KeyedRows& group : keyed[index]) {
      SLUICE_RETURN_IF_ERROR(SplitRows(group.value, &group.rows));
      SLUICE_ASSIGN_OR_RETURN(group.null_key, sides[index]->KeyHasNull(group.key));
      group.first = totals[index];
      totals[index] += group.rows.size();
    }
  }
  std::unordered_map<std::string_view, const KeyedRows*> right_by_key;
  for (const KeyedRows& group : keyed[1]) {
    if (!group.null_key) right_by_key.emplace(group.key, &group);
  }
  auto write_window = [&](Batch* batch, int32_t row, size_t column) {
    JoinOutput::SetInt64(batch, column, row, window_start);
    JoinOutput::SetInt64(batch, column + 1, row, window_end);
    JoinOutput::SetInt64(batch, column + 2, row, clock_.ToInstant(window_end) - 1);
  };
  auto write_side = [&](int index, std::string_view row_bytes, Batch* batch,
                        int32_t row) -> base::Status {
    const Side& side = *sides[index];
    SLUICE_RETURN_IF_ERROR(side.row_codec->Decode(row_bytes, batch, row, side.offset));
    write_window(batch, row, side.window_offset);
    return base::Status::Ok();
  };

  // Pairs of equal keys become candidates (the residual decides); a candidate's tag is its
  // left row's number times the right side's row count plus its right row's number.
  std::vector<uint8_t> matched[2] = {std::vector<uint8_t>(totals[0], 0),
                                     std::vector<uint8_t>(totals[1], 0)};
  const auto right_total = static_cast<int64_t>(totals[1]);
  auto mark = [&](int64_t tag) {
    matched[0][tag / right_total] = 1;
    matched[1][tag % right_total] = 1;
  };
  // A SEMI or ANTI join only checks its candidates; its output is the left rows below.
  Output* candidates_out = left_only_ ? nullptr : out;
  JoinOutput candidates(joined_types_, residual_.get());
  for (const KeyedRows& left : keyed[0]) {
    if (left.null_key) continue;
    auto found = right_by_key.find(left.key);
    if (found == right_by_key.end()) continue;
    const KeyedRows& right = *found->second;
    if (left_only_ && residual_ == nullptr) {
      // Without a residual every key match counts: no candidate rows needed.
      for (size_t l = 0; l < left.rows.size(); ++l) matched[0][left.first + l] = 1;
      continue;
    }
    for (size_t l = 0; l < left.rows.size(); ++l) {
      for (size_t r = 0; r < right.rows.size(); ++r) {
        auto [batch, row] =
            candidates.AddCandidate(static_cast<int64_t>(left.first + l) * right_total +
                                    static_cast<int64_t>(right.first + r));
        SLUICE_RETURN_IF_ERROR(write_side(0, left.rows[l], batch, row));
        SLUICE_RETURN_IF_ERROR(write_side(1, right.rows[r], batch, row));
      }
      if (candidates.pending_rows() >= kBatchCapacity) {
        SLUICE_RETURN_IF_ERROR(candidates.Flush(candidates_out, mark));
      }
    }
  }
  SLUICE_RETURN_IF_ERROR(candidates.Flush(candidates_out, mark));

  // The rows a side emits alone: SEMI's matched and ANTI's unmatched left rows, and the
  // unmatched rows of an outer side (the other side's columns NULL).
  JoinOutput alone(output_types_, nullptr);
  for (int index = 0; index < 2; ++index) {
    const bool wanted_match = spec_.type == plan::JoinType::kSemi;
    const bool emits = index == 0 ? left_outer_ || left_only_ : right_outer_;
    if (!emits) continue;
    for (const KeyedRows& group : keyed[index]) {
      for (size_t i = 0; i < group.rows.size(); ++i) {
        const bool is_matched = matched[index][group.first + i] != 0;
        if (left_only_ ? is_matched != wanted_match : is_matched) continue;
        auto [batch, row] = alone.AddRow();
        SLUICE_RETURN_IF_ERROR(write_side(index, group.rows[i], batch, row));
        if (alone.pending_rows() >= kBatchCapacity) {
          SLUICE_RETURN_IF_ERROR(alone.Flush(out, nullptr));
        }
      }
    }
  }
  SLUICE_RETURN_IF_ERROR(alone.Flush(out, nullptr));
  sides[0]->table->DeleteNamespace(ns);
  sides[1]->table->DeleteNamespace(ns);
  return base::Status::Ok();
}

namespace {

class WindowJoinRows : public RecordMigration {
 public:
  explicit WindowJoinRows(std::unique_ptr<RowMigration> rows) : rows_(std::move(rows)) {}
  base::Status Convert(std::string_view ns, std::string_view value, std::string* new_ns,
                       std::string* new_value) override {
    new_ns->assign(ns);
    new_value->clear();
    std::vector<std::string_view> rows;
    SLUICE_RETURN_IF_ERROR(SplitRows(value, &rows));
    for (std::string_view row : rows) {
      converted_.clear();
      SLUICE_RETURN_IF_ERROR(rows_->Convert(row, &converted_));
      AppendRow(converted_, new_value);
    }
    return base::Status::Ok();
  }

 private:
  std::unique_ptr<RowMigration> rows_;
  std::string converted_;
};

}  // namespace

std::unique_ptr<RecordMigration> MigrateWindowJoinRows(std::unique_ptr<RowMigration> rows) {
  return std::make_unique<WindowJoinRows>(std::move(rows));
}

}  // namespace sluice::runtime::operators
