#include "runtime/operators/join_operator.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "runtime/operators/operator_state.h"
#include "runtime/scheduler/key_group.h"

namespace sluice::runtime::operators {

namespace {

base::Status Malformed(const plan::PlanNode& node, const std::string& problem) {
  return base::Status::Error(base::ErrorCode::kData,
                             "join '" + node.uid + "' is malformed: " + problem);
}

bool IsRetraction(RowKind kind) {
  return kind == RowKind::kUpdateBefore || kind == RowKind::kDelete;
}

void AppendInt64(int64_t value, std::string* out) {
  auto bits = static_cast<uint64_t>(value);
  for (int shift = 0; shift < 64; shift += 8) out->push_back(static_cast<char>(bits >> shift));
}

int64_t ReadInt64(std::string_view bytes, size_t position) {
  uint64_t bits = 0;
  for (size_t i = 0; i < 8; ++i) {
    bits |= static_cast<uint64_t>(static_cast<uint8_t>(bytes[position + i])) << (8 * i);
  }
  return static_cast<int64_t>(bits);
}

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

/// The value stored for one distinct row.
struct JoinOperator::StoredValue {
  int64_t count = 0;
  int64_t associations = 0;  // the left side of a LEFT join only
  int64_t written = 0;       // with a TTL only
};

/// One side of the join: where its columns go in the output, its key and its state.
struct JoinOperator::Side {
  std::vector<int32_t> key_slots;
  std::vector<types::LogicalType> types;
  size_t offset = 0;   // of its first column in the output
  bool outer = false;  // keeps association counts: the left side of a LEFT join
  std::unique_ptr<state::RowCodec> key_codec;
  std::unique_ptr<state::FullRowCodec> row_codec;
  state::StateTable* table = nullptr;
  /// With window cleanup: the slot of window_end, and the stored keys by window end.
  int32_t window_end_slot = -1;
  std::map<int64_t, std::set<std::pair<int32_t, std::string>>> keys_by_window_end;
  /// With row expiry (JoinSpec::left/right_expiry): when its rows can no longer match, and the
  /// stored rows by the watermark at which they expire: per expiry, records of a 4-byte key
  /// group, then the key and the row, each after its 4-byte length.
  std::vector<plan::RowExpiry> expiry;
  std::map<int64_t, std::string> rows_by_expiry;
  /// Rows are indexed by expiry only from the first watermark that some stored row's expiry
  /// has reached (a scan of the stored rows then); until then only the earliest expiry is
  /// kept. A run whose watermark never reaches one (all its rows within the bounds of each
  /// other) pays nothing for the index.
  bool indexing = false;
  std::optional<int64_t> earliest_unindexed;

  void NoteUnindexed(int64_t at) {
    if (!earliest_unindexed || at < *earliest_unindexed) earliest_unindexed = at;
  }

  void RememberExpiry(int64_t at, int32_t key_group, std::string_view key, std::string_view row) {
    std::string& records = rows_by_expiry[at];
    for (uint32_t number : {static_cast<uint32_t>(key_group), static_cast<uint32_t>(key.size())}) {
      records.append(reinterpret_cast<const char*>(&number), 4);
    }
    records.append(key);
    auto size = static_cast<uint32_t>(row.size());
    records.append(reinterpret_cast<const char*>(&size), 4);
    records.append(row);
  }
};

namespace {

/// The watermark at which row `row` of `batch` expires: the earliest of its expiry columns
/// plus their offsets; nullopt when every one is NULL.
std::optional<int64_t> ExpiryOfRow(const Batch& batch, int32_t row,
                                   const std::vector<plan::RowExpiry>& expiries) {
  std::optional<int64_t> earliest;
  for (const plan::RowExpiry& expiry : expiries) {
    const Column& column = batch.column(expiry.slot);
    if (column.IsNull(row)) continue;
    __int128 value = __int128{column.values<int64_t>()[row]} + expiry.offset;
    value = std::clamp<__int128>(value, std::numeric_limits<int64_t>::min(),
                                 std::numeric_limits<int64_t>::max());
    auto at = static_cast<int64_t>(value);
    if (!earliest || at < *earliest) earliest = at;
  }
  return earliest;
}

}  // namespace

/// An input row whose matches are being collected; its key and encoded row are in
/// pending_bytes_, its candidates are candidates_[first_candidate, end_candidate).
struct JoinOperator::PendingRow {
  int32_t row = 0;
  bool retract = false;
  int32_t key_group = 0;
  size_t key_offset = 0;
  size_t key_size = 0;
  size_t row_offset = 0;
  size_t row_size = 0;
  size_t first_candidate = 0;
  size_t end_candidate = 0;
  int64_t matches = 0;  // residual-passing matches, with multiplicity
};

/// A joined row before the residual: row `batch_row` of candidate_batches_[batch].
struct JoinOperator::Candidate {
  size_t batch = 0;
  int32_t batch_row = 0;
  int64_t other_count = 0;
  // The other side's encoded row, in pending_bytes_, when that side is outer.
  size_t other_row_offset = 0;
  size_t other_row_size = 0;
};

/// Fills output batches of up to kBatchCapacity rows, turning the row-kind column on only in
/// batches that hold a row other than +I.
class JoinOperator::RowWriter {
 public:
  RowWriter(const std::vector<types::LogicalType>* types, Output* out) : types_(types), out_(out) {}

  /// Appends `times` copies of columns [first, first + count) of `source`'s `row`, placed at
  /// output columns [target_first, ...); the other output columns are NULL.
  base::Status Append(const Batch& source, int32_t row, size_t first, size_t count,
                      size_t target_first, RowKind kind, int64_t times) {
    for (int64_t copy = 0; copy < times; ++copy) {
      if (batch_ && batch_->row_count() == kBatchCapacity) SLUICE_RETURN_IF_ERROR(Flush());
      if (!batch_) batch_ = std::make_shared<Batch>(*types_);
      // Strings keep pointing into the source's arenas.
      if (std::find(retained_.begin(), retained_.end(), &source) == retained_.end()) {
        batch_->RetainArenasOf(source);
        retained_.push_back(&source);
      }
      int32_t target = batch_->row_count();
      for (size_t column = 0; column < count; ++column) {
        CopyCell(source.column(first + column), row, &batch_->column(target_first + column),
                 target);
      }
      if (kind != RowKind::kInsert) {
        if (!batch_->has_row_kinds()) batch_->EnableRowKinds();
        batch_->row_kinds()[target] = static_cast<uint8_t>(kind);
      }
      batch_->set_row_count(target + 1);
    }
    return base::Status::Ok();
  }

  /// Forgets which sources the current batch retains, before those sources are freed (a new
  /// batch may be allocated at the same address).
  void ForgetSources() { retained_.clear(); }

  base::Status Flush() {
    retained_.clear();
    if (!batch_ || batch_->row_count() == 0) return base::Status::Ok();
    return out_->EmitBatch(std::move(batch_));
  }

 private:
  const std::vector<types::LogicalType>* types_;
  Output* out_;
  BatchPtr batch_;
  std::vector<const Batch*> retained_;  // sources whose arenas batch_ already retains
};

JoinOperator::JoinOperator() = default;
JoinOperator::~JoinOperator() = default;

base::Status JoinOperator::Open(const OperatorContext& context) {
  node_ = context.node;
  if (!node_->join) return Malformed(*node_, "no join specification");
  spec_ = *node_->join;
  // A RIGHT join is planned as the LEFT join of the swapped sides (window joins aside).
  if (spec_.type == plan::JoinType::kRight) return Malformed(*node_, "a regular RIGHT join");
  semi_ = spec_.type == plan::JoinType::kSemi;
  anti_ = spec_.type == plan::JoinType::kAnti;
  // A semi or anti join counts each left row's matches as a LEFT join does.
  left_outer_ = spec_.type != plan::JoinType::kInner;
  right_outer_ = spec_.type == plan::JoinType::kFull;
  max_parallelism_ = context.max_parallelism;
  chain_compiler_ = context.chain_compiler;
  state_backend_ = context.state_backend;
  if (state_backend_ == nullptr) return Malformed(*node_, "no state backend");
  owned_key_groups_ = OwnedKeyGroups(context);
  if (spec_.left_key_slots.size() != spec_.right_key_slots.size()) {
    return Malformed(*node_,
                     fmt::format("{} left keys for {} right keys", spec_.left_key_slots.size(),
                                 spec_.right_key_slots.size()));
  }
  if (spec_.state_ttl < 0) return Malformed(*node_, "a negative state TTL");
  for (const auto& slot : types::FlattenSchema(node_->output_schema)) {
    output_types_.push_back(slot.type);
  }
  joined_types_ = output_types_;
  if (semi_ || anti_) {
    // The output is the left rows; candidates (and the residual) also hold the right row,
    // whose slots only the "right" state spec tells.
    const plan::StateSpec* right = nullptr;
    for (const plan::StateSpec& state : node_->state) {
      if (state.name == "right") right = &state;
    }
    if (right == nullptr) return Malformed(*node_, "a semi or anti join without a right state");
    for (const auto& slot : types::FlattenSchema(right->value_schema)) {
      joined_types_.push_back(slot.type);
    }
    return Configure(output_types_.size());
  }
  // The planner records each side's row schema in its state spec; without one, the first
  // batch tells how many slots the left side has.
  for (const plan::StateSpec& state : node_->state) {
    if (state.name == "left") return Configure(types::FlattenSchema(state.value_schema).size());
  }
  return base::Status::Ok();
}

base::Status JoinOperator::Configure(size_t left_width) {
  if (left_width > joined_types_.size()) {
    return Malformed(*node_, fmt::format("a left side of {} slots in an output of {}", left_width,
                                         joined_types_.size()));
  }
  const std::vector<int32_t>* key_slots[] = {&spec_.left_key_slots, &spec_.right_key_slots};
  const char* names[] = {"left", "right"};
  for (int side_index = 0; side_index < 2; ++side_index) {
    auto side = std::make_unique<Side>();
    side->offset = side_index == 0 ? 0 : left_width;
    size_t end = side_index == 0 ? left_width : joined_types_.size();
    side->types.assign(joined_types_.begin() + side->offset, joined_types_.begin() + end);
    side->key_slots = *key_slots[side_index];
    side->outer = side_index == 0 ? left_outer_ : right_outer_;
    side->window_end_slot =
        side_index == 0 ? spec_.left_window_end_slot : spec_.right_window_end_slot;
    if (side->window_end_slot >= 0 &&
        (static_cast<size_t>(side->window_end_slot) >= side->types.size() ||
         side->types[side->window_end_slot].id() != types::TypeId::kTimestamp)) {
      return Malformed(*node_, fmt::format("{} window_end slot {} is not a TIMESTAMP column",
                                           names[side_index], side->window_end_slot));
    }
    side->expiry = side_index == 0 ? spec_.left_expiry : spec_.right_expiry;
    for (const plan::RowExpiry& expiry : side->expiry) {
      if (expiry.slot < 0 || static_cast<size_t>(expiry.slot) >= side->types.size() ||
          side->types[expiry.slot].id() != types::TypeId::kTimestamp) {
        return Malformed(*node_, fmt::format("{} expiry slot {} is not a TIMESTAMP column",
                                             names[side_index], expiry.slot));
      }
    }
    std::vector<types::LogicalType> key_types;
    for (int32_t slot : side->key_slots) {
      if (slot < 0 || static_cast<size_t>(slot) >= side->types.size() ||
          side->types[slot].id() == types::TypeId::kRow) {
        return Malformed(*node_, fmt::format("{} key slot {} is not a column of {} slots",
                                             names[side_index], slot, side->types.size()));
      }
      key_types.push_back(side->types[slot]);
    }
    side->key_codec = std::make_unique<state::RowCodec>(std::move(key_types));
    side->row_codec = std::make_unique<state::FullRowCodec>(side->types);
    SLUICE_ASSIGN_OR_RETURN(side->table, state_backend_->GetTable(node_->uid, names[side_index]));
    SLUICE_RETURN_IF_ERROR(ScanStoredRows(side.get(), /*windows=*/true, /*expiries=*/false));
    sides_.push_back(std::move(side));
  }
  // Equal values must give equal key bytes and equal key groups on both sides.
  for (size_t i = 0; i < spec_.left_key_slots.size(); ++i) {
    const types::LogicalType& left = sides_[0]->key_codec->types()[i];
    const types::LogicalType& right = sides_[1]->key_codec->types()[i];
    if (left.id() != right.id() || left.scale() != right.scale()) {
      return Malformed(*node_, fmt::format("key {} is {} on the left but {} on the right", i,
                                           left.ToString(), right.ToString()));
    }
  }
  if (spec_.residual) {
    if (spec_.residual->type.id() != types::TypeId::kBoolean) {
      return Malformed(*node_, "the residual condition is not BOOLEAN");
    }
    plan::ChainSpec chain{joined_types_, nullptr, {spec_.residual}};
    SLUICE_ASSIGN_OR_RETURN(residual_, ChainEvaluator::Create(chain, chain_compiler_));
  }
  configured_ = true;
  return base::Status::Ok();
}

base::Status JoinOperator::ScanStoredRows(Side* side, bool windows, bool expiries) {
  windows = windows && side->window_end_slot >= 0;
  if ((!windows && side->expiry.empty()) || owned_key_groups_.first > owned_key_groups_.last) {
    return base::Status::Ok();
  }
  // The stored rows of the owned key groups, by their window_end or their expiry, read in
  // place (no copy of the table; the visitor only reads it).
  Batch scratch(side->types);
  scratch.set_row_count(1);
  base::Status status = base::Status::Ok();
  side->table->ForEachInKeyGroups(
      owned_key_groups_.first, owned_key_groups_.last,
      [&](int32_t key_group, std::string_view key, std::string_view row, std::string_view) {
        if (!status.ok()) return;
        status = side->row_codec->Decode(row, &scratch, 0, 0);
        if (!status.ok()) return;
        if (windows) {
          const Column& ends = scratch.column(side->window_end_slot);
          if (!ends.IsNull(0)) {
            side->keys_by_window_end[ends.values<int64_t>()[0]].emplace(key_group, key);
          }
        }
        if (auto expiry = ExpiryOfRow(scratch, 0, side->expiry)) {
          if (expiries) {
            side->RememberExpiry(*expiry, key_group, key, row);
          } else {
            side->NoteUnindexed(*expiry);
          }
        }
      });
  return status;
}

base::Status JoinOperator::ExpireRows(Side* side, int64_t watermark) {
  auto& index = side->rows_by_expiry;
  if (watermark == kMaxWatermark) {
    // Every input has ended: no row will come to match the kept ones, nor need them deleted.
    index.clear();
    return base::Status::Ok();
  }
  if (!side->indexing) {
    if (!side->earliest_unindexed || *side->earliest_unindexed > watermark) {
      return base::Status::Ok();
    }
    // The first row is due: index every stored row by its expiry once, then each as it comes.
    side->indexing = true;
    side->earliest_unindexed.reset();
    SLUICE_RETURN_IF_ERROR(ScanStoredRows(side, /*windows=*/false, /*expiries=*/true));
  }
  while (!index.empty() && index.begin()->first <= watermark) {
    std::string_view records = index.begin()->second;
    auto read_number = [&](uint32_t* out) {
      if (records.size() < 4) return false;
      std::memcpy(out, records.data(), 4);
      records.remove_prefix(4);
      return true;
    };
    while (!records.empty()) {
      uint32_t key_group = 0, key_size = 0, row_size = 0;
      if (!read_number(&key_group) || !read_number(&key_size) || records.size() < key_size) {
        return Malformed(*node_, "a damaged expiry record");
      }
      std::string_view key = records.substr(0, key_size);
      records.remove_prefix(key_size);
      if (!read_number(&row_size) || records.size() < row_size) {
        return Malformed(*node_, "a damaged expiry record");
      }
      // A row retracted since (or expired with an identical one) is no longer there.
      side->table->Delete(static_cast<int32_t>(key_group), key, records.substr(0, row_size));
      records.remove_prefix(row_size);
    }
    index.erase(index.begin());
  }
  return base::Status::Ok();
}

base::Status JoinOperator::ParseValue(std::string_view bytes, bool with_associations,
                                      StoredValue* value) const {
  size_t expected = 8 * (1 + (with_associations ? 1 : 0) + (spec_.state_ttl > 0 ? 1 : 0));
  if (bytes.size() != expected) {
    return base::Status::Error(base::ErrorCode::kData,
                               fmt::format("join '{}': a stored row count has {} bytes, not {}",
                                           node_->uid, bytes.size(), expected));
  }
  size_t position = 0;
  value->count = ReadInt64(bytes, position);
  position += 8;
  value->associations = 0;
  if (with_associations) {
    value->associations = ReadInt64(bytes, position);
    position += 8;
  }
  value->written = spec_.state_ttl > 0 ? ReadInt64(bytes, position) : 0;
  return base::Status::Ok();
}

void JoinOperator::EncodeValue(const StoredValue& value, bool with_associations,
                               std::string* out) const {
  out->clear();
  AppendInt64(value.count, out);
  if (with_associations) AppendInt64(value.associations, out);
  if (spec_.state_ttl > 0) AppendInt64(value.written, out);
}

bool JoinOperator::Expired(const StoredValue& value) const {
  return spec_.state_ttl > 0 && now_ - value.written >= spec_.state_ttl;
}

base::Status JoinOperator::ProcessWatermark(int64_t watermark, Output* out) {
  // Windows that have ended can receive no more rows on either side: drop their state.
  for (auto& side : sides_) {
    auto& windows = side->keys_by_window_end;
    while (!windows.empty() && windows.begin()->first - 1 <= watermark) {
      for (const auto& [key_group, key] : windows.begin()->second) {
        std::vector<std::string> rows;
        side->table->ForEachOfKey(
            key_group, key, [&](int32_t, std::string_view, std::string_view row, std::string_view) {
              rows.emplace_back(row);
            });
        for (const std::string& row : rows) side->table->Delete(key_group, key, row);
      }
      windows.erase(windows.begin());
    }
    SLUICE_RETURN_IF_ERROR(ExpireRows(side.get(), watermark));
  }
  return out->EmitWatermark(watermark);
}

base::Status JoinOperator::ProcessBatch(int32_t input, BatchPtr batch, Output* out) {
  if (input != 0 && input != 1) return Malformed(*node_, fmt::format("no input {}", input));
  if (!configured_) {
    size_t width = batch->column_count();
    if (width > output_types_.size()) {
      return Malformed(*node_, fmt::format("input {} has {} columns, the output only {}", input,
                                           width, output_types_.size()));
    }
    SLUICE_RETURN_IF_ERROR(Configure(input == 0 ? width : output_types_.size() - width));
  }
  Side& own = *sides_[input];
  Side& other = *sides_[1 - input];
  if (batch->column_count() != own.types.size()) {
    return Malformed(*node_, fmt::format("input {} has {} columns, not {}", input,
                                         batch->column_count(), own.types.size()));
  }
  for (size_t column = 0; column < own.types.size(); ++column) {
    if (batch->column(column).type().id() != own.types[column].id()) {
      return Malformed(*node_, fmt::format("input {} column {} is {}, not {}", input, column,
                                           batch->column(column).type().ToString(),
                                           own.types[column].ToString()));
    }
  }
  if (batch->row_count() == 0) return base::Status::Ok();
  if (spec_.state_ttl > 0) now_ = NowMillis();

  RowWriter writer(&output_types_, out);
  StoredValue stored;
  for (int32_t row = 0; row < batch->row_count(); ++row) {
    bool retract = IsRetraction(batch->row_kind(row));
    bool null_key = false;
    for (int32_t slot : own.key_slots) null_key = null_key || batch->column(slot).IsNull(row);
    if (null_key) {
      // Matches nothing, ever: only an outer row (of an anti join: its left row) has something
      // to emit.
      if (own.outer && !semi_) {
        SLUICE_RETURN_IF_ERROR(writer.Append(*batch, row, 0, own.types.size(), own.offset,
                                             retract ? RowKind::kDelete : RowKind::kInsert, 1));
      }
      continue;
    }
    PendingRow pending;
    pending.row = row;
    pending.retract = retract;
    pending.key_group = scheduler::KeyGroupOfRow(*batch, own.key_slots, row, max_parallelism_);
    pending.key_offset = pending_bytes_.size();
    own.key_codec->Encode(*batch, own.key_slots, row, &pending_bytes_);
    pending.key_size = pending_bytes_.size() - pending.key_offset;
    pending.row_offset = pending_bytes_.size();
    own.row_codec->Encode(*batch, row, &pending_bytes_);
    pending.row_size = pending_bytes_.size() - pending.row_offset;
    key_.assign(pending_bytes_, pending.key_offset, pending.key_size);
    row_.assign(pending_bytes_, pending.row_offset, pending.row_size);

    // Count the row in (or out of) its own side first, so later rows of the batch see it.
    // The association count of a new outer row is set once its matches are known (Resolve).
    // One lookup: the stored count is read and rewritten (or the entry deleted) in place.
    base::Status parsed = base::Status::Ok();
    stored = StoredValue{};
    own.table->Upsert(pending.key_group, key_, row_, [&](std::string* value, bool existed) {
      if (existed) {
        parsed = ParseValue(*value, own.outer, &stored);
        if (!parsed.ok()) return true;  // left as it was
        if (Expired(stored)) stored = StoredValue{};
      }
      if (retract)
        stored.count = std::max<int64_t>(stored.count - 1, 0);
      else
        stored.count += 1;
      if (stored.count == 0) return false;
      stored.written = now_;
      EncodeValue(stored, own.outer, value);
      return true;
    });
    SLUICE_RETURN_IF_ERROR(parsed);
    if (stored.count > 0) {
      if (own.window_end_slot >= 0 && !batch->column(own.window_end_slot).IsNull(row)) {
        int64_t end = batch->column(own.window_end_slot).values<int64_t>()[row];
        own.keys_by_window_end[end].emplace(pending.key_group, key_);
      }
      // One record per stored row: its expiry deletes it whatever its count.
      if (!own.expiry.empty() && stored.count == 1) {
        if (auto expiry = ExpiryOfRow(*batch, row, own.expiry)) {
          if (own.indexing) {
            own.RememberExpiry(*expiry, pending.key_group, key_, row_);
          } else {
            own.NoteUnindexed(*expiry);
          }
        }
      }
    }

    if (input == 1 && spec_.single_right_row && !retract) {
      SLUICE_RETURN_IF_ERROR(CheckSingleRightRow(pending.key_group));
    }

    pending.first_candidate = candidates_.size();
    base::Status status = base::Status::Ok();
    other.table->ForEachOfKey(
        pending.key_group, key_,
        [&](int32_t, std::string_view, std::string_view other_row, std::string_view value) {
          if (!status.ok()) return;
          StoredValue other_value;
          status = ParseValue(value, other.outer, &other_value);
          if (!status.ok()) return;
          if (Expired(other_value)) {
            expired_.emplace_back(other_row);
            return;
          }
          status = AddCandidate(*batch, row, input, other_row, other_value);
        });
    SLUICE_RETURN_IF_ERROR(status);
    for (const std::string& expired : expired_) {
      other.table->Delete(pending.key_group, key_, expired);
    }
    expired_.clear();
    pending.end_candidate = candidates_.size();
    pending_.push_back(pending);
    if (candidates_.size() >= static_cast<size_t>(kBatchCapacity)) {
      SLUICE_RETURN_IF_ERROR(Resolve(input, *batch, &writer));
    }
  }
  SLUICE_RETURN_IF_ERROR(Resolve(input, *batch, &writer));
  return writer.Flush();
}

base::Status JoinOperator::CheckSingleRightRow(int32_t key_group) {
  int64_t rows = 0;
  base::Status status = base::Status::Ok();
  sides_[1]->table->ForEachOfKey(
      key_group, key_, [&](int32_t, std::string_view, std::string_view, std::string_view value) {
        if (!status.ok()) return;
        StoredValue stored;
        status = ParseValue(value, false, &stored);
        if (status.ok() && !Expired(stored)) rows += stored.count;
      });
  SLUICE_RETURN_IF_ERROR(status);
  if (rows <= 1) return base::Status::Ok();
  // Flink fails the job the same way: "SingleValueAggFunction received more than one element."
  return base::Status::Error(
      base::ErrorCode::kRuntime,
      fmt::format("a scalar subquery returned more than one row{} (join '{}'); a subquery used as "
                  "a value must return at most one",
                  spec_.right_key_slots.empty() ? "" : " for one key", node_->uid));
}

base::Status JoinOperator::AddCandidate(const Batch& batch, int32_t row, int32_t input,
                                        std::string_view other_row,
                                        const StoredValue& other_value) {
  Side& own = *sides_[input];
  Side& other = *sides_[1 - input];
  if (candidate_batches_.empty() || candidate_batches_.back()->row_count() == kBatchCapacity) {
    auto fresh = std::make_shared<Batch>(joined_types_);
    fresh->RetainArenasOf(batch);  // the input's strings are copied by reference
    candidate_batches_.push_back(std::move(fresh));
  }
  Batch* target = candidate_batches_.back().get();
  int32_t target_row = target->row_count();
  for (size_t column = 0; column < own.types.size(); ++column) {
    CopyCell(batch.column(column), row, &target->column(own.offset + column), target_row);
  }
  SLUICE_RETURN_IF_ERROR(other.row_codec->Decode(other_row, target, target_row, other.offset));
  target->set_row_count(target_row + 1);
  Candidate candidate;
  candidate.batch = candidate_batches_.size() - 1;
  candidate.batch_row = target_row;
  candidate.other_count = other_value.count;
  if (other.outer) {
    candidate.other_row_offset = pending_bytes_.size();
    candidate.other_row_size = other_row.size();
    pending_bytes_.append(other_row);
  }
  candidates_.push_back(candidate);
  return base::Status::Ok();
}

base::Status JoinOperator::Resolve(int32_t input, const Batch& batch, RowWriter* writer) {
  Side& own = *sides_[input];
  Side& other = *sides_[1 - input];
  std::vector<std::shared_ptr<Batch>> verdicts;
  if (residual_) {
    for (const auto& candidates : candidate_batches_) {
      SLUICE_ASSIGN_OR_RETURN(auto verdict, residual_->Evaluate(*candidates));
      verdicts.push_back(std::move(verdict));
    }
  }
  auto passes = [&](const Candidate& candidate) {
    if (!residual_) return true;
    const Column& column = verdicts[candidate.batch]->column(0);
    return !column.IsNull(candidate.batch_row) &&
           column.values<uint8_t>()[candidate.batch_row] != 0;
  };
  const size_t all_columns = joined_types_.size();
  const bool emit_joined = !semi_ && !anti_;
  // What a semi / anti join emits for a left row that gains its first match, and the reverse.
  const RowKind first_match = semi_ ? RowKind::kInsert : RowKind::kDelete;
  const RowKind last_match = semi_ ? RowKind::kDelete : RowKind::kInsert;
  StoredValue stored;
  for (PendingRow& pending : pending_) {
    std::string_view key(pending_bytes_.data() + pending.key_offset, pending.key_size);
    RowKind kind = pending.retract ? RowKind::kDelete : RowKind::kInsert;
    for (size_t index = pending.first_candidate; index < pending.end_candidate; ++index) {
      const Candidate& candidate = candidates_[index];
      if (!passes(candidate)) continue;
      const Batch& joined = *candidate_batches_[candidate.batch];
      if (!other.outer) {
        pending.matches += candidate.other_count;
        if (emit_joined) {
          SLUICE_RETURN_IF_ERROR(writer->Append(joined, candidate.batch_row, 0, all_columns, 0,
                                                kind, candidate.other_count));
        }
        continue;
      }
      // A row changes what each matching row of an outer side produces: a LEFT or FULL join's
      // NULL-padded row, a semi or anti join's left row.
      std::string_view other_row(pending_bytes_.data() + candidate.other_row_offset,
                                 candidate.other_row_size);
      if (!other.table->Get(pending.key_group, key, other_row, &value_)) continue;
      SLUICE_RETURN_IF_ERROR(ParseValue(value_, true, &stored));
      pending.matches += stored.count;
      const size_t other_columns = other.types.size();
      if (!pending.retract) {
        if (!emit_joined) {
          if (stored.associations == 0) {
            SLUICE_RETURN_IF_ERROR(writer->Append(joined, candidate.batch_row, 0, other_columns, 0,
                                                  first_match, stored.count));
          }
        } else {
          if (stored.associations == 0) {
            SLUICE_RETURN_IF_ERROR(writer->Append(joined, candidate.batch_row, other.offset,
                                                  other_columns, other.offset, RowKind::kDelete,
                                                  stored.count));
          }
          SLUICE_RETURN_IF_ERROR(writer->Append(joined, candidate.batch_row, 0, all_columns, 0,
                                                RowKind::kInsert, stored.count));
        }
        stored.associations += 1;
      } else {
        if (!emit_joined) {
          if (stored.associations == 1) {
            SLUICE_RETURN_IF_ERROR(writer->Append(joined, candidate.batch_row, 0, other_columns, 0,
                                                  last_match, stored.count));
          }
        } else {
          SLUICE_RETURN_IF_ERROR(writer->Append(joined, candidate.batch_row, 0, all_columns, 0,
                                                RowKind::kDelete, stored.count));
          if (stored.associations == 1) {
            SLUICE_RETURN_IF_ERROR(writer->Append(joined, candidate.batch_row, other.offset,
                                                  other_columns, other.offset, RowKind::kInsert,
                                                  stored.count));
          }
        }
        stored.associations = std::max<int64_t>(stored.associations - 1, 0);
      }
      stored.written = now_;
      EncodeValue(stored, true, &encoded_);
      other.table->Put(pending.key_group, key, other_row, encoded_);
    }
    if (!own.outer) continue;
    bool emit_own = emit_joined ? pending.matches == 0 : semi_ == (pending.matches > 0);
    if (emit_own) {
      SLUICE_RETURN_IF_ERROR(
          writer->Append(batch, pending.row, 0, own.types.size(), own.offset, kind, 1));
    }
    // Record how many right rows the (still stored) left row matches.
    std::string_view own_row(pending_bytes_.data() + pending.row_offset, pending.row_size);
    if (!own.table->Get(pending.key_group, key, own_row, &value_)) continue;
    SLUICE_RETURN_IF_ERROR(ParseValue(value_, true, &stored));
    if (stored.associations == pending.matches) continue;
    stored.associations = pending.matches;
    stored.written = now_;
    EncodeValue(stored, true, &encoded_);
    own.table->Put(pending.key_group, key, own_row, encoded_);
  }
  pending_.clear();
  candidates_.clear();
  candidate_batches_.clear();
  pending_bytes_.clear();
  writer->ForgetSources();
  return base::Status::Ok();
}

namespace {

class JoinRows : public RecordMigration {
 public:
  JoinRows(std::unique_ptr<RowMigration> rows, bool outer, int64_t old_ttl, int64_t new_ttl)
      : rows_(std::move(rows)), outer_(outer), old_ttl_(old_ttl), new_ttl_(new_ttl) {}

  base::Status Convert(std::string_view ns, std::string_view value, std::string* new_ns,
                       std::string* new_value) override {
    new_ns->clear();
    SLUICE_RETURN_IF_ERROR(rows_->Convert(ns, new_ns));
    size_t fields = 1 + (outer_ ? 1 : 0);
    size_t expected = 8 * (fields + (old_ttl_ > 0 ? 1 : 0));
    if (value.size() != expected) {
      return base::Status::Error(
          base::ErrorCode::kData,
          fmt::format("a stored join row count has {} bytes, not {}", value.size(), expected));
    }
    new_value->assign(value.substr(0, 8 * fields));
    if (new_ttl_ > 0) {
      int64_t written = old_ttl_ > 0 ? ReadInt64(value, 8 * fields) : NowMillis();
      AppendInt64(written, new_value);
    }
    return base::Status::Ok();
  }
  bool MayCollide() const override { return rows_->may_collide(); }
  base::Status Merge(std::string* value, std::string_view other) override {
    if (value->size() != other.size() || value->size() % 8 != 0) {
      return base::Status::Error(base::ErrorCode::kData, "join row counts of different sizes");
    }
    std::string merged;
    for (size_t field = 0; field * 8 < value->size(); ++field) {
      int64_t mine = ReadInt64(*value, field * 8);
      int64_t theirs = ReadInt64(other, field * 8);
      AppendInt64(field == 0 ? mine + theirs : std::max(mine, theirs), &merged);
    }
    *value = std::move(merged);
    return base::Status::Ok();
  }

 private:
  std::unique_ptr<RowMigration> rows_;
  bool outer_;
  int64_t old_ttl_;
  int64_t new_ttl_;
};

}  // namespace

std::unique_ptr<RecordMigration> MigrateJoinRows(std::unique_ptr<RowMigration> rows, bool outer,
                                                 int64_t old_ttl, int64_t new_ttl) {
  return std::make_unique<JoinRows>(std::move(rows), outer, old_ttl, new_ttl);
}

}  // namespace sluice::runtime::operators
