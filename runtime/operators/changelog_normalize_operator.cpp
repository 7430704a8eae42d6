#include "runtime/operators/changelog_normalize_operator.h"

#include <fmt/format.h>

#include "runtime/operators/row_writer.h"
#include "runtime/scheduler/key_group.h"

namespace sluice::runtime::operators {

namespace {

// The first byte of a stored row, so the layout can change without guessing.
constexpr char kStateFormat = 1;

base::Status Malformed(const plan::PlanNode& node, const std::string& problem) {
  return base::Status::Error(base::ErrorCode::kData,
                             "changelog normalization '" + node.uid + "' is malformed: " + problem);
}

bool IsRetraction(RowKind kind) {
  return kind == RowKind::kUpdateBefore || kind == RowKind::kDelete;
}

}  // namespace

ChangelogNormalizeOperator::ChangelogNormalizeOperator() = default;
ChangelogNormalizeOperator::~ChangelogNormalizeOperator() = default;

base::Status ChangelogNormalizeOperator::Open(const OperatorContext& context) {
  node_ = context.node;
  max_parallelism_ = context.max_parallelism;
  if (!node_->normalize) return Malformed(*node_, "no normalize spec");
  key_slots_ = node_->normalize->key_slots;
  if (key_slots_.empty()) return Malformed(*node_, "no key slots");
  types_ = types::SlotTypes(node_->output_schema);
  std::vector<types::LogicalType> key_types;
  for (int32_t slot : key_slots_) {
    if (slot < 0 || static_cast<size_t>(slot) >= types_.size() ||
        types_[slot].id() == types::TypeId::kRow) {
      return Malformed(*node_, fmt::format("key slot {} is not a scalar slot", slot));
    }
    key_types.push_back(types_[slot]);
  }
  key_codec_ = std::make_unique<state::RowCodec>(std::move(key_types));
  row_codec_ = std::make_unique<state::FullRowCodec>(types_);
  if (context.state_backend == nullptr) return Malformed(*node_, "no state backend");
  SLUICE_ASSIGN_OR_RETURN(table_, context.state_backend->GetTable(node_->uid, "rows"));
  return base::Status::Ok();
}

base::Status ChangelogNormalizeOperator::ProcessBatch(int32_t input, BatchPtr batch, Output* out) {
  RowWriter writer(&types_, /*row_kinds=*/true, out);
  std::string key;
  std::string row;
  std::string previous;
  auto emit = [&](RowKind kind, std::string_view bytes) -> base::Status {
    SLUICE_ASSIGN_OR_RETURN(auto target, writer.NextRow(kind));
    auto [target_batch, target_row] = target;
    return row_codec_->Decode(bytes, target_batch, target_row, 0);
  };
  for (int32_t index = 0; index < batch->row_count(); ++index) {
    key.clear();
    key_codec_->Encode(*batch, key_slots_, index, &key);
    const int32_t key_group = scheduler::KeyGroupOfRow(*batch, key_slots_, index, max_parallelism_);
    const bool had = table_->Get(key_group, key, {}, &previous);
    if (had && (previous.empty() || previous[0] != kStateFormat)) {
      return base::Status::Error(base::ErrorCode::kData,
                                 "changelog normalization '" + node_->uid +
                                     "' has a truncated or corrupt row in its state");
    }
    std::string_view previous_row = had ? std::string_view(previous).substr(1) : std::string_view();
    if (IsRetraction(batch->row_kind(index))) {
      if (!had) continue;  // the delete of a key that has no row
      SLUICE_RETURN_IF_ERROR(emit(RowKind::kDelete, previous_row));
      table_->Delete(key_group, key, {});
      continue;
    }
    row.assign(1, kStateFormat);
    row_codec_->Encode(*batch, index, &row);
    if (had) {
      if (previous == row) continue;  // the same row again changes nothing
      SLUICE_RETURN_IF_ERROR(emit(RowKind::kUpdateBefore, previous_row));
      SLUICE_RETURN_IF_ERROR(emit(RowKind::kUpdateAfter, std::string_view(row).substr(1)));
    } else {
      SLUICE_RETURN_IF_ERROR(emit(RowKind::kInsert, std::string_view(row).substr(1)));
    }
    table_->Put(key_group, key, {}, row);
  }
  return writer.Flush();
}

namespace {

class NormalizedRows : public RecordMigration {
 public:
  explicit NormalizedRows(std::unique_ptr<RowMigration> rows) : rows_(std::move(rows)) {}

  base::Status Convert(std::string_view ns, std::string_view value, std::string* new_ns,
                       std::string* new_value) override {
    new_ns->assign(ns);
    if (value.empty() || value[0] != kStateFormat) {
      return base::Status::Error(base::ErrorCode::kData,
                                 "a stored normalized row is truncated or corrupt");
    }
    new_value->assign(1, kStateFormat);
    return rows_->Convert(value.substr(1), new_value);
  }

 private:
  std::unique_ptr<RowMigration> rows_;
};

}  // namespace

std::unique_ptr<RecordMigration> MigrateNormalizedRows(std::unique_ptr<RowMigration> rows) {
  return std::make_unique<NormalizedRows>(std::move(rows));
}

}  // namespace sluice::runtime::operators
