#include "runtime/operators/window_rank_operator.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <numeric>

#include "runtime/operators/row_writer.h"
#include "runtime/operators/sort_key.h"
#include "runtime/scheduler/key_group.h"

namespace sluice::runtime::operators {

namespace {

base::Status Malformed(const plan::PlanNode& node, const std::string& problem) {
  return base::Status::Error(base::ErrorCode::kData,
                             "window rank '" + node.uid + "' is malformed: " + problem);
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

/// Splits a "rows" value into its encoded rows; false when it is damaged.
bool SplitRows(std::string_view value, std::vector<std::string_view>* rows) {
  rows->clear();
  size_t position = 0;
  while (position < value.size()) {
    if (value.size() - position < 4) return false;
    uint32_t length = 0;
    for (int i = 0; i < 4; ++i) {
      length |= static_cast<uint32_t>(static_cast<uint8_t>(value[position + i])) << (8 * i);
    }
    position += 4;
    if (value.size() - position < length) return false;
    rows->push_back(value.substr(position, length));
    position += length;
  }
  return true;
}

}  // namespace

base::Status WindowRankOperator::Open(const OperatorContext& context) {
  node_ = context.node;
  if (!node_->top_n || node_->top_n->window_end_slot < 0) {
    return Malformed(*node_, "no window Top-N specification");
  }
  spec_ = *node_->top_n;
  clock_ = WindowClock(spec_.window_time_zone);
  max_parallelism_ = context.max_parallelism;
  metrics_ = context.metrics;
  if (spec_.limit < 1) return Malformed(*node_, "a limit below 1");
  for (const auto& slot : types::FlattenSchema(node_->output_schema)) {
    output_types_.push_back(slot.type);
  }
  input_types_ = output_types_;
  if (spec_.emit_row_number) {
    if (input_types_.empty() || input_types_.back().id() != types::TypeId::kBigint) {
      return Malformed(*node_, "no BIGINT rank column");
    }
    input_types_.pop_back();
  }
  auto in_range = [&](int32_t slot) {
    return slot >= 0 && static_cast<size_t>(slot) < input_types_.size() &&
           input_types_[slot].id() != types::TypeId::kRow;
  };
  if (!in_range(spec_.window_end_slot) ||
      input_types_[spec_.window_end_slot].id() != types::TypeId::kTimestamp) {
    return Malformed(*node_, "the window_end slot is not a TIMESTAMP column");
  }
  std::vector<types::LogicalType> key_types;
  for (int32_t slot : spec_.partition_slots) {
    if (!in_range(slot)) return Malformed(*node_, fmt::format("partition slot {}", slot));
    key_types.push_back(input_types_[slot]);
  }
  for (const plan::SortKey& key : spec_.sort) {
    if (!in_range(key.slot)) return Malformed(*node_, fmt::format("sort slot {}", key.slot));
  }
  key_codec_ = std::make_unique<state::RowCodec>(std::move(key_types));
  row_codec_ = std::make_unique<state::FullRowCodec>(input_types_);
  if (context.state_backend == nullptr) return Malformed(*node_, "no state backend");
  SLUICE_ASSIGN_OR_RETURN(table_, context.state_backend->GetTable(node_->uid, "rows"));
  // Restore: every window still in state is pending (a fired window's rows are deleted).
  ForEachOwnedEntry(context, *table_,
                    [&](int32_t, std::string_view, std::string_view ns, std::string_view) {
                      if (ns.size() != 8) return;
                      uint64_t bits = 0;
                      for (char byte : ns) bits = (bits << 8) | static_cast<uint8_t>(byte);
                      pending_window_ends_.insert(static_cast<int64_t>(bits));
                    });
  SLUICE_ASSIGN_OR_RETURN(watermark_, watermark_state_.Open(context));
  return base::Status::Ok();
}

base::Status WindowRankOperator::ProcessBatch(int32_t, BatchPtr batch, Output*) {
  if (batch->column_count() != input_types_.size()) {
    return Malformed(*node_, fmt::format("an input of {} columns, not {}", batch->column_count(),
                                         input_types_.size()));
  }
  const Column& ends = batch->column(spec_.window_end_slot);
  int64_t late = 0;
  std::string key, row_bytes;
  for (int32_t row = 0; row < batch->row_count(); ++row) {
    if (ends.IsNull(row)) continue;
    const int64_t end = ends.values<int64_t>()[row];
    int32_t key_group =
        scheduler::KeyGroupOfRow(*batch, spec_.partition_slots, row, max_parallelism_);
    if (end - 1 <= watermark_state_.KeyGroupWatermark(key_group, watermark_)) {
      ++late;
      continue;
    }
    key.clear();
    key_codec_->Encode(*batch, spec_.partition_slots, row, &key);
    row_bytes.clear();
    row_codec_->Encode(*batch, row, &row_bytes);
    std::string ns = WindowNamespace(end);
    bool appended = table_->Update(key_group, key, ns,
                                   [&](std::string* value) { AppendRow(row_bytes, value); });
    if (!appended) {
      std::string value;
      AppendRow(row_bytes, &value);
      table_->Put(key_group, key, ns, value);
    }
    pending_window_ends_.insert(end);
  }
  if (late > 0 && metrics_ != nullptr) {
    metrics_->late_records_dropped.fetch_add(late, std::memory_order_relaxed);
  }
  return base::Status::Ok();
}

base::Status WindowRankOperator::ProcessWatermark(int64_t watermark, Output* out) {
  // window_end is a wall time of the window's clock; the watermark passed on stays an instant.
  const int64_t wall = clock_.WatermarkToWall(watermark);
  if (wall <= watermark_) {
    return clock_.identity() ? base::Status::Ok() : out->EmitWatermark(watermark);
  }
  watermark_ = wall;
  watermark_state_.Store(wall);
  RowWriter writer(&output_types_, /*row_kinds=*/false, out);
  while (!pending_window_ends_.empty() && *pending_window_ends_.begin() - 1 <= wall) {
    int64_t window_end = *pending_window_ends_.begin();
    pending_window_ends_.erase(pending_window_ends_.begin());
    SLUICE_RETURN_IF_ERROR(FireWindow(window_end, &writer));
  }
  SLUICE_RETURN_IF_ERROR(writer.Flush());
  return out->EmitWatermark(watermark);
}

base::Status WindowRankOperator::FireWindow(int64_t window_end, RowWriter* writer) {
  const std::string ns = WindowNamespace(window_end);
  // Partitions in key order, so the output does not depend on the backend's iteration order.
  std::map<std::string, std::string> partitions;
  table_->ForEachInNamespace(ns, [&](int32_t, std::string_view key, std::string_view,
                                     std::string_view value) { partitions.emplace(key, value); });
  table_->DeleteNamespace(ns);
  // One row at a time through a scratch batch: a window may hold more than a batch of rows.
  Batch scratch(input_types_);
  scratch.set_row_count(1);
  std::vector<std::string_view> rows;
  std::vector<std::string> sort_keys;
  std::vector<size_t> order;
  for (const auto& [key, value] : partitions) {
    if (!SplitRows(value, &rows)) {
      return base::Status::Error(
          base::ErrorCode::kData,
          fmt::format("window rank '{}': stored rows are damaged", node_->uid));
    }
    sort_keys.assign(rows.size(), std::string());
    for (size_t i = 0; i < rows.size(); ++i) {
      SLUICE_RETURN_IF_ERROR(row_codec_->Decode(rows[i], &scratch, 0, 0));
      AppendSortKey(scratch, 0, spec_.sort, &sort_keys[i]);
    }
    order.resize(rows.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return sort_keys[a] < sort_keys[b]; });
    int64_t rank = 0, dense_rank = 0;
    for (size_t position = 0; position < order.size(); ++position) {
      const size_t index = order[position];
      const bool tie = position > 0 && sort_keys[order[position - 1]] == sort_keys[index];
      if (!tie) {
        rank = static_cast<int64_t>(position) + 1;
        ++dense_rank;
      }
      int64_t shown = spec_.function == plan::RankFunction::kRowNumber
                          ? static_cast<int64_t>(position) + 1
                      : spec_.function == plan::RankFunction::kRank ? rank
                                                                    : dense_rank;
      if (shown > spec_.limit) break;  // ranks only grow along the order
      SLUICE_ASSIGN_OR_RETURN(auto target, writer->NextRow());
      SLUICE_RETURN_IF_ERROR(row_codec_->Decode(rows[index], target.first, target.second, 0));
      if (spec_.emit_row_number) {
        Column& column = target.first->column(input_types_.size());
        column.values<int64_t>()[target.second] = shown;
        column.validity()[target.second] = 1;
      }
    }
  }
  return base::Status::Ok();
}

}  // namespace sluice::runtime::operators
