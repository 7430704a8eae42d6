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

/// One side of the join: its columns in the output, its key, time and state.
struct WindowJoinOperator::Side {
  std::vector<int32_t> key_slots;
  int32_t time_slot = -1;
  std::vector<types::LogicalType> types;
  size_t offset = 0;         // of its first column in the output
  size_t window_offset = 0;  // of its window_start column in the output
  std::unique_ptr<state::RowCodec> key_codec;
  std::unique_ptr<state::FullRowCodec> row_codec;
  state::StateTable* table = nullptr;
};

WindowJoinOperator::WindowJoinOperator() = default;
WindowJoinOperator::~WindowJoinOperator() = default;

base::Status WindowJoinOperator::Open(const OperatorContext& context) {
  node_ = context.node;
  if (!node_->join || !node_->window_join) return Malformed(*node_, "no window join spec");
  spec_ = *node_->join;
  window_ = node_->window_join->window;
  clock_ = WindowClock(window_.time_zone);
  left_outer_ = spec_.type == plan::JoinType::kLeft;
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
  SLUICE_ASSIGN_OR_RETURN(JoinLayout layout, ReadJoinLayout(*node_, spec_, 6));
  output_types_ = std::move(layout.output_types);
  const size_t left_width = layout.left_width;
  const std::vector<int32_t>* key_slots[] = {&spec_.left_key_slots, &spec_.right_key_slots};
  const int32_t time_slots[] = {node_->window_join->left_time_slot,
                                node_->window_join->right_time_slot};
  const char* names[] = {"left", "right"};
  for (int index = 0; index < 2; ++index) {
    auto side = std::make_unique<Side>();
    side->offset = index == 0 ? 0 : left_width + 3;
    size_t end = index == 0 ? left_width : output_types_.size() - 3;
    side->window_offset = end;
    side->types.assign(output_types_.begin() + side->offset, output_types_.begin() + end);
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
                           spec_.residual, output_types_, context.chain_compiler));
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
    bool null_key = false;
    for (int32_t slot : own.key_slots) null_key = null_key || batch->column(slot).IsNull(row);
    // A right row with a NULL key matches nothing; a left one is kept only to be NULL-padded.
    if (null_key && (input == 1 || !left_outer_)) continue;
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
  JoinOutput output(output_types_, residual_.get());
  while (!pending_window_ends_.empty() && *pending_window_ends_.begin() - 1 <= wall) {
    int64_t window_end = *pending_window_ends_.begin();
    pending_window_ends_.erase(pending_window_ends_.begin());
    SLUICE_RETURN_IF_ERROR(FireWindow(window_end, &output, out));
  }
  return out->EmitWatermark(watermark);
}

base::Status WindowJoinOperator::FireWindow(int64_t window_end, JoinOutput* output, Output* out) {
  const std::string ns = WindowNamespace(window_end);
  const int64_t window_start = WindowStartOf(window_end);
  Side& left = *sides_[0];
  Side& right = *sides_[1];
  std::unordered_map<std::string, std::string> right_rows;
  right.table->ForEachInNamespace(
      ns, [&](int32_t, std::string_view key, std::string_view, std::string_view value) {
        right_rows.emplace(key, value);
      });
  std::vector<std::pair<std::string, std::string>> left_rows;
  left.table->ForEachInNamespace(
      ns, [&](int32_t, std::string_view key, std::string_view, std::string_view value) {
        left_rows.emplace_back(key, value);
      });
  auto write_window = [&](Batch* batch, int32_t row, size_t column) {
    JoinOutput::SetInt64(batch, column, row, window_start);
    JoinOutput::SetInt64(batch, column + 1, row, window_end);
    JoinOutput::SetInt64(batch, column + 2, row, clock_.ToInstant(window_end) - 1);
  };
  // Tags are indexes into all_lefts (views into left_rows, stable for the window).
  std::vector<std::string_view> all_lefts, lefts, rights;
  std::vector<uint8_t> matched;
  auto mark = [&](int64_t tag) { matched[tag] = 1; };
  for (const auto& [key, value] : left_rows) {
    SLUICE_RETURN_IF_ERROR(SplitRows(value, &lefts));
    size_t first = all_lefts.size();
    all_lefts.insert(all_lefts.end(), lefts.begin(), lefts.end());
    matched.resize(all_lefts.size(), 0);
    auto found = right_rows.find(key);
    if (found == right_rows.end()) continue;
    SLUICE_RETURN_IF_ERROR(SplitRows(found->second, &rights));
    for (size_t l = 0; l < lefts.size(); ++l) {
      for (std::string_view right_row : rights) {
        auto [batch, row] = output->AddCandidate(static_cast<int64_t>(first + l));
        SLUICE_RETURN_IF_ERROR(left.row_codec->Decode(lefts[l], batch, row, left.offset));
        write_window(batch, row, left.window_offset);
        SLUICE_RETURN_IF_ERROR(right.row_codec->Decode(right_row, batch, row, right.offset));
        write_window(batch, row, right.window_offset);
      }
      if (output->pending_rows() >= kBatchCapacity)
        SLUICE_RETURN_IF_ERROR(output->Flush(out, mark));
    }
  }
  SLUICE_RETURN_IF_ERROR(output->Flush(out, mark));
  if (left_outer_) {
    for (size_t l = 0; l < all_lefts.size(); ++l) {
      if (matched[l]) continue;
      auto [batch, row] = output->AddRow();
      SLUICE_RETURN_IF_ERROR(left.row_codec->Decode(all_lefts[l], batch, row, left.offset));
      write_window(batch, row, left.window_offset);
      if (output->pending_rows() >= kBatchCapacity)
        SLUICE_RETURN_IF_ERROR(output->Flush(out, nullptr));
    }
    SLUICE_RETURN_IF_ERROR(output->Flush(out, nullptr));
  }
  left.table->DeleteNamespace(ns);
  right.table->DeleteNamespace(ns);
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
