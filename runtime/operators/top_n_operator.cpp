#include "runtime/operators/top_n_operator.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <map>
#include <tuple>
#include <unordered_map>

#include "runtime/operators/sort_key.h"
#include "runtime/scheduler/key_group.h"
#include "runtime/state/varint.h"

namespace sluice::runtime::operators {

using state::AppendVarint;
using state::ReadVarint;

namespace {

// The first byte of a stored partition, so the layout can change without guessing.
constexpr char kStateFormat = 1;

base::Status Malformed(const plan::PlanNode& node, const std::string& problem) {
  return base::Status::Error(base::ErrorCode::kData,
                             "top-n '" + node.uid + "' is malformed: " + problem);
}

base::Status CorruptState(const plan::PlanNode& node) {
  return base::Status::Error(base::ErrorCode::kData,
                             "top-n '" + node.uid + "' has a truncated or corrupt partition state");
}

bool IsRetraction(RowKind kind) {
  return kind == RowKind::kUpdateBefore || kind == RowKind::kDelete;
}

bool ReadBytes(std::string_view bytes, size_t* position, std::string* out) {
  uint64_t size = 0;
  if (!ReadVarint(bytes, position, &size) || size > bytes.size() - *position) return false;
  out->assign(bytes.substr(*position, size));
  *position += size;
  return true;
}

}  // namespace

/// One run of identical adjacent rows of a partition, in rank order.
struct TopNOperator::Entry {
  std::string sort_key;  // memcmp-ordered; equal bytes = a tie
  std::string row;       // FullRowCodec bytes; equal bytes = equal in every column
  int64_t count = 1;
};

/// A partition touched by the current batch: its rows, decoded once.
struct TopNOperator::Partition {
  int32_t key_group = 0;
  std::string key;
  std::vector<Entry> entries;
  int64_t total = 0;  // sum of the entries' counts
  bool changed = false;
};

TopNOperator::TopNOperator() = default;
TopNOperator::~TopNOperator() = default;

base::Status TopNOperator::Open(const OperatorContext& context) {
  node_ = context.node;
  max_parallelism_ = context.max_parallelism;
  if (!node_->top_n) return Malformed(*node_, "no top-n spec");
  spec_ = *node_->top_n;
  if (spec_.limit < 1) return Malformed(*node_, fmt::format("limit {}", spec_.limit));
  if (spec_.keep_first_only && spec_.function != plan::RankFunction::kRowNumber) {
    return Malformed(*node_, "keep-first under RANK or DENSE_RANK");
  }
  for (const auto& slot : types::FlattenSchema(node_->output_schema)) {
    output_types_.push_back(slot.type);
  }
  size_t extra = spec_.emit_row_number ? 1 : 0;
  if (output_types_.size() <= extra) return Malformed(*node_, "no input columns");
  input_width_ = output_types_.size() - extra;
  if (spec_.emit_row_number && output_types_.back().id() != types::TypeId::kBigint) {
    return Malformed(*node_, "the row number column is not BIGINT");
  }
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
  for (const plan::SortKey& key : spec_.sort) SLUICE_RETURN_IF_ERROR(check_slot(key.slot, "sort"));
  partition_codec_ = std::make_unique<state::RowCodec>(std::move(partition_types));
  row_codec_ = std::make_unique<state::FullRowCodec>(input_types_);
  if (context.state_backend == nullptr) return Malformed(*node_, "no state backend");
  SLUICE_ASSIGN_OR_RETURN(table_, context.state_backend->GetTable(node_->uid, "ranks"));
  return base::Status::Ok();
}

base::Status TopNOperator::ProcessBatch(int32_t input, BatchPtr batch, Output* out) {
  if (spec_.keep_first_only) return ProcessKeepFirst(*batch, out);
  return ProcessRanked(*batch, out);
}

base::Status TopNOperator::ProcessKeepFirst(const Batch& batch, Output* out) {
  RowWriter writer(&output_types_, /*row_kinds=*/false, out);
  std::string key;
  std::string value;
  for (int32_t row = 0; row < batch.row_count(); ++row) {
    if (IsRetraction(batch.row_kind(row))) continue;
    key.clear();
    partition_codec_->Encode(batch, spec_.partition_slots, row, &key);
    int32_t key_group =
        scheduler::KeyGroupOfRow(batch, spec_.partition_slots, row, max_parallelism_);
    // The value counts the partition's rows so far: empty for one (so a keep-first-row
    // dedup's state is an empty marker), else the count's 8 bytes.
    int64_t count = 0;
    if (table_->Get(key_group, key, {}, &value)) {
      if (value.empty()) {
        count = 1;
      } else if (value.size() == sizeof(count)) {
        std::memcpy(&count, value.data(), sizeof(count));
      } else {
        return Malformed(*node_, fmt::format("a kept-rows count of {} bytes", value.size()));
      }
    }
    if (count >= spec_.limit) continue;
    ++count;
    value.clear();
    if (count > 1) value.assign(reinterpret_cast<const char*>(&count), sizeof(count));
    table_->Put(key_group, key, {}, value);
    SLUICE_ASSIGN_OR_RETURN(auto target, writer.NextRow(RowKind::kInsert));
    auto [target_batch, target_row] = target;
    // Strings keep pointing into the input's arenas.
    if (target_row == 0) target_batch->RetainArenasOf(batch);
    for (size_t column = 0; column < input_width_; ++column) {
      CopyCell(batch.column(column), row, &target_batch->column(column), target_row);
    }
    if (spec_.emit_row_number) {
      Column& rank = target_batch->column(input_width_);
      rank.validity()[target_row] = 1;
      rank.values<int64_t>()[target_row] = count;
    }
  }
  return writer.Flush();
}

base::Status TopNOperator::ProcessRanked(const Batch& batch, Output* out) {
  if (batch.has_row_kinds()) seen_row_kinds_ = true;
  bool drop_beyond_limit = !seen_row_kinds_;
  std::vector<Partition> touched;  // in order of each partition's first row
  std::unordered_map<std::string, size_t> index;
  RowWriter writer(&output_types_, /*row_kinds=*/true, out);
  std::string key;
  for (int32_t row = 0; row < batch.row_count(); ++row) {
    key.clear();
    partition_codec_->Encode(batch, spec_.partition_slots, row, &key);
    auto [found, inserted] = index.try_emplace(key, touched.size());
    if (inserted) {
      Partition partition;
      partition.key_group =
          scheduler::KeyGroupOfRow(batch, spec_.partition_slots, row, max_parallelism_);
      partition.key = key;
      SLUICE_RETURN_IF_ERROR(LoadPartition(&partition));
      touched.push_back(std::move(partition));
    }
    Partition* partition = &touched[found->second];
    Entry entry;
    EncodeSortKey(batch, row, &entry.sort_key);
    row_codec_->Encode(batch, row, &entry.row);
    if (spec_.function != plan::RankFunction::kRowNumber) {
      SLUICE_RETURN_IF_ERROR(ApplyRanked(partition, std::move(entry),
                                         IsRetraction(batch.row_kind(row)), drop_beyond_limit,
                                         &writer));
    } else if (IsRetraction(batch.row_kind(row))) {
      SLUICE_RETURN_IF_ERROR(Retract(partition, entry, &writer));
    } else {
      SLUICE_RETURN_IF_ERROR(Insert(partition, std::move(entry), drop_beyond_limit, &writer));
    }
  }
  for (const Partition& partition : touched) {
    if (partition.changed) StorePartition(partition);
  }
  return writer.Flush();
}

void TopNOperator::EncodeSortKey(const Batch& batch, int32_t row, std::string* out) const {
  AppendSortKey(batch, row, spec_.sort, out);
}

namespace {

/// Returns the rank (0-based) of the first row of entry `index`, capped at `limit`.
template <typename Entries>
int64_t RankOf(const Entries& entries, size_t index, int64_t limit) {
  int64_t rank = 0;
  for (size_t i = 0; i < index && rank < limit; ++i) rank += entries[i].count;
  return std::min(rank, limit);
}

/// Collects the rows at ranks [from, to), one pointer per copy.
template <typename Entries>
std::vector<const std::string*> RowsAt(const Entries& entries, int64_t from, int64_t to) {
  std::vector<const std::string*> rows;
  int64_t rank = 0;
  for (const auto& entry : entries) {
    if (rank >= to) break;
    int64_t first = std::max(rank, from);
    int64_t end = std::min(rank + entry.count, to);
    for (int64_t copy = first; copy < end; ++copy) rows.push_back(&entry.row);
    rank += entry.count;
  }
  return rows;
}

}  // namespace

base::Status TopNOperator::Insert(Partition* partition, Entry entry, bool drop_beyond_limit,
                                  RowWriter* writer) {
  std::vector<Entry>& entries = partition->entries;
  const int64_t limit = spec_.limit;
  // After every row with a lower or equal key: ties rank by arrival (newest first when
  // ordered by a processing time descending: before the equal ones).
  auto place = spec_.newest_first_on_ties
                   ? std::lower_bound(entries.begin(), entries.end(), entry.sort_key,
                                      [](const Entry& other, const std::string& sort_key) {
                                        return other.sort_key < sort_key;
                                      })
                   : std::upper_bound(entries.begin(), entries.end(), entry.sort_key,
                                      [](const std::string& sort_key, const Entry& other) {
                                        return sort_key < other.sort_key;
                                      });
  auto index = static_cast<size_t>(place - entries.begin());
  int64_t rank = RankOf(entries, index, limit);
  if (rank < limit) {
    // From the old order, bottom-up: the row pushed out, the rows shifted down, the new row.
    std::vector<const std::string*> shifted =
        RowsAt(entries, rank, std::min(partition->total, limit));
    if (partition->total >= limit) {
      SLUICE_RETURN_IF_ERROR(Write(writer, RowKind::kDelete, *shifted.back(), limit));
      shifted.pop_back();
    }
    if (spec_.emit_row_number) {
      for (size_t i = shifted.size(); i-- > 0;) {
        int64_t old_number = rank + static_cast<int64_t>(i) + 1;
        SLUICE_RETURN_IF_ERROR(Write(writer, RowKind::kUpdateBefore, *shifted[i], old_number));
        SLUICE_RETURN_IF_ERROR(Write(writer, RowKind::kUpdateAfter, *shifted[i], old_number + 1));
      }
    }
    SLUICE_RETURN_IF_ERROR(Write(writer, RowKind::kInsert, entry.row, rank + 1));
  } else if (drop_beyond_limit) {
    return base::Status::Ok();  // an insert-only input never brings it back
  }
  partition->changed = true;
  ++partition->total;
  if (index > 0 && entries[index - 1].sort_key == entry.sort_key &&
      entries[index - 1].row == entry.row) {
    ++entries[index - 1].count;
  } else if (index < entries.size() && entries[index].sort_key == entry.sort_key &&
             entries[index].row == entry.row) {
    ++entries[index].count;
  } else {
    entries.insert(entries.begin() + index, std::move(entry));
  }
  if (drop_beyond_limit) {
    int64_t excess = partition->total - limit;
    while (excess > 0) {
      Entry& last = entries.back();
      int64_t removed = std::min(excess, last.count);
      last.count -= removed;
      excess -= removed;
      partition->total -= removed;
      if (last.count == 0) entries.pop_back();
    }
  }
  return base::Status::Ok();
}

base::Status TopNOperator::Retract(Partition* partition, const Entry& entry, RowWriter* writer) {
  std::vector<Entry>& entries = partition->entries;
  const int64_t limit = spec_.limit;
  auto less = [](const Entry& left, const Entry& right) { return left.sort_key < right.sort_key; };
  auto [first, last] = std::equal_range(entries.begin(), entries.end(), entry, less);
  auto match =
      std::find_if(first, last, [&](const Entry& other) { return other.row == entry.row; });
  if (match == last) return base::Status::Ok();  // not stored: ignored, as in Flink
  auto index = static_cast<size_t>(match - entries.begin());
  // Identical adjacent rows are interchangeable: remove the last copy, which shifts fewest rows.
  int64_t rank = RankOf(entries, index, limit);
  if (rank < limit) rank = std::min(rank + match->count - 1, limit);
  if (rank < limit) {
    // From the old order, top-down: the removed row, the rows shifted up, the promoted row.
    std::vector<const std::string*> moved =
        RowsAt(entries, rank, std::min(partition->total, limit + 1));
    bool promoted = partition->total > limit;
    SLUICE_RETURN_IF_ERROR(Write(writer, RowKind::kDelete, *moved.front(), rank + 1));
    if (spec_.emit_row_number) {
      size_t end = promoted ? moved.size() - 1 : moved.size();
      for (size_t i = 1; i < end; ++i) {
        int64_t old_number = rank + static_cast<int64_t>(i) + 1;
        SLUICE_RETURN_IF_ERROR(Write(writer, RowKind::kUpdateBefore, *moved[i], old_number));
        SLUICE_RETURN_IF_ERROR(Write(writer, RowKind::kUpdateAfter, *moved[i], old_number - 1));
      }
    }
    if (promoted) SLUICE_RETURN_IF_ERROR(Write(writer, RowKind::kInsert, *moved.back(), limit));
  }
  partition->changed = true;
  --partition->total;
  if (--match->count == 0) entries.erase(match);
  return base::Status::Ok();
}

namespace {

/// (row, rank) → copies of the rows ranked within `limit` under RANK or DENSE_RANK; the rank
/// is 0 for every row when it is not emitted.
template <typename Entries>
std::map<std::pair<std::string, int64_t>, int64_t> VisibleRows(const Entries& entries,
                                                               plan::RankFunction function,
                                                               int64_t limit, bool with_rank,
                                                               size_t* visible_entries) {
  std::map<std::pair<std::string, int64_t>, int64_t> visible;
  int64_t rank = 0;
  int64_t rows_before = 0;
  *visible_entries = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i == 0 || entries[i].sort_key != entries[i - 1].sort_key) {
      rank = function == plan::RankFunction::kRank ? rows_before + 1 : rank + 1;
    }
    if (rank > limit) break;
    visible[{entries[i].row, with_rank ? rank : 0}] += entries[i].count;
    rows_before += entries[i].count;
    *visible_entries = i + 1;
  }
  return visible;
}

}  // namespace

base::Status TopNOperator::ApplyRanked(Partition* partition, Entry entry, bool retract,
                                       bool drop_beyond_limit, RowWriter* writer) {
  std::vector<Entry>& entries = partition->entries;
  size_t visible_entries = 0;
  auto before =
      VisibleRows(entries, spec_.function, spec_.limit, spec_.emit_row_number, &visible_entries);
  auto less = [](const Entry& left, const Entry& right) { return left.sort_key < right.sort_key; };
  if (retract) {
    auto [first, last] = std::equal_range(entries.begin(), entries.end(), entry, less);
    auto match =
        std::find_if(first, last, [&](const Entry& other) { return other.row == entry.row; });
    if (match == last) return base::Status::Ok();  // not stored: ignored, as in Flink
    if (--match->count == 0) entries.erase(match);
    --partition->total;
  } else {
    auto place = std::upper_bound(entries.begin(), entries.end(), entry, less);
    auto previous = place == entries.begin() ? entries.end() : place - 1;
    if (previous != entries.end() && previous->sort_key == entry.sort_key &&
        previous->row == entry.row) {
      ++previous->count;
    } else {
      entries.insert(place, std::move(entry));
    }
    ++partition->total;
  }
  partition->changed = true;
  auto after =
      VisibleRows(entries, spec_.function, spec_.limit, spec_.emit_row_number, &visible_entries);
  if (drop_beyond_limit) {
    // On an insert-only input ranks only grow: rows beyond the limit never come back.
    while (entries.size() > visible_entries) {
      partition->total -= entries.back().count;
      entries.pop_back();
    }
  }
  // The difference, as -D, -U/+U pairs (same row, new rank), then +I.
  std::vector<std::pair<std::string, int64_t>> removed;
  std::vector<std::pair<std::string, int64_t>> added;
  for (const auto& [row_rank, count] : before) {
    auto found = after.find(row_rank);
    int64_t now = found == after.end() ? 0 : found->second;
    for (int64_t i = now; i < count; ++i) removed.push_back(row_rank);
  }
  for (const auto& [row_rank, count] : after) {
    auto found = before.find(row_rank);
    int64_t was = found == before.end() ? 0 : found->second;
    for (int64_t i = was; i < count; ++i) added.push_back(row_rank);
  }
  std::vector<bool> paired(added.size(), false);
  std::vector<std::pair<size_t, size_t>> updates;
  for (size_t r = 0; r < removed.size(); ++r) {
    bool found = false;
    for (size_t a = 0; a < added.size() && !found; ++a) {
      if (!paired[a] && added[a].first == removed[r].first) {
        paired[a] = true;
        updates.emplace_back(r, a);
        found = true;
      }
    }
    if (!found) {
      SLUICE_RETURN_IF_ERROR(Write(writer, RowKind::kDelete, removed[r].first, removed[r].second));
    }
  }
  for (const auto& [r, a] : updates) {
    SLUICE_RETURN_IF_ERROR(
        Write(writer, RowKind::kUpdateBefore, removed[r].first, removed[r].second));
    SLUICE_RETURN_IF_ERROR(Write(writer, RowKind::kUpdateAfter, added[a].first, added[a].second));
  }
  for (size_t a = 0; a < added.size(); ++a) {
    if (!paired[a]) {
      SLUICE_RETURN_IF_ERROR(Write(writer, RowKind::kInsert, added[a].first, added[a].second));
    }
  }
  return base::Status::Ok();
}

base::Status TopNOperator::Write(RowWriter* writer, RowKind kind, std::string_view row,
                                 int64_t row_number) {
  SLUICE_ASSIGN_OR_RETURN(auto target, writer->NextRow(kind));
  auto [batch, target_row] = target;
  SLUICE_RETURN_IF_ERROR(row_codec_->Decode(row, batch, target_row, 0));
  if (spec_.emit_row_number) {
    Column& rank = batch->column(input_width_);
    rank.validity()[target_row] = 1;
    rank.values<int64_t>()[target_row] = row_number;
  }
  return base::Status::Ok();
}

base::Status TopNOperator::LoadPartition(Partition* partition) const {
  std::string bytes;
  if (!table_->Get(partition->key_group, partition->key, {}, &bytes)) return base::Status::Ok();
  if (bytes.empty() || bytes[0] != kStateFormat) return CorruptState(*node_);
  size_t position = 1;
  while (position < bytes.size()) {
    Entry entry;
    uint64_t count = 0;
    if (!ReadBytes(bytes, &position, &entry.sort_key) || !ReadBytes(bytes, &position, &entry.row) ||
        !ReadVarint(bytes, &position, &count) || count == 0 || count > INT64_MAX / 2) {
      return CorruptState(*node_);
    }
    entry.count = static_cast<int64_t>(count);
    partition->total += entry.count;
    partition->entries.push_back(std::move(entry));
  }
  return base::Status::Ok();
}

void TopNOperator::StorePartition(const Partition& partition) {
  if (partition.entries.empty()) {
    table_->Delete(partition.key_group, partition.key, {});
    return;
  }
  std::string bytes(1, kStateFormat);
  for (const Entry& entry : partition.entries) {
    AppendVarint(entry.sort_key.size(), &bytes);
    bytes.append(entry.sort_key);
    AppendVarint(entry.row.size(), &bytes);
    bytes.append(entry.row);
    AppendVarint(static_cast<uint64_t>(entry.count), &bytes);
  }
  table_->Put(partition.key_group, partition.key, {}, bytes);
}

namespace {

class TopNRows : public RecordMigration {
 public:
  explicit TopNRows(std::unique_ptr<RowMigration> rows) : rows_(std::move(rows)) {}

  base::Status Convert(std::string_view ns, std::string_view value, std::string* new_ns,
                       std::string* new_value) override {
    new_ns->assign(ns);
    new_value->clear();
    if (value.empty()) return base::Status::Ok();  // keep-first: a marker
    auto corrupt = [] {
      return base::Status::Error(base::ErrorCode::kData,
                                 "a stored top-n partition is truncated or corrupt");
    };
    if (value[0] != kStateFormat) return corrupt();
    std::vector<std::tuple<std::string, std::string, uint64_t>> entries;
    size_t position = 1;
    while (position < value.size()) {
      std::string sort_key, row, converted;
      uint64_t count = 0;
      if (!ReadBytes(value, &position, &sort_key) || !ReadBytes(value, &position, &row) ||
          !ReadVarint(value, &position, &count) || count == 0) {
        return corrupt();
      }
      SLUICE_RETURN_IF_ERROR(rows_->Convert(row, &converted));
      if (!entries.empty() && std::get<0>(entries.back()) == sort_key &&
          std::get<1>(entries.back()) == converted) {
        std::get<2>(entries.back()) += count;
      } else {
        entries.emplace_back(std::move(sort_key), std::move(converted), count);
      }
    }
    new_value->push_back(kStateFormat);
    for (const auto& [sort_key, row, count] : entries) {
      AppendVarint(sort_key.size(), new_value);
      new_value->append(sort_key);
      AppendVarint(row.size(), new_value);
      new_value->append(row);
      AppendVarint(count, new_value);
    }
    return base::Status::Ok();
  }

 private:
  std::unique_ptr<RowMigration> rows_;
};

}  // namespace

std::unique_ptr<RecordMigration> MigrateTopNRows(std::unique_ptr<RowMigration> rows) {
  return std::make_unique<TopNRows>(std::move(rows));
}

}  // namespace sluice::runtime::operators
