#include "runtime/operators/group_aggregate_operator.h"

#include <fmt/format.h>

#include <numeric>
#include <optional>
#include <unordered_map>

#include "runtime/scheduler/key_group.h"

namespace sluice::runtime::operators {

namespace {

base::Status Malformed(const plan::PlanNode& node, const std::string& problem) {
  return base::Status::Error(base::ErrorCode::kData,
                             "group aggregate '" + node.uid + "' is malformed: " + problem);
}

bool IsRetraction(RowKind kind) {
  return kind == RowKind::kUpdateBefore || kind == RowKind::kDelete;
}

}  // namespace

base::Status GroupAggregateOperator::Open(const OperatorContext& context) {
  node_ = context.node;
  max_parallelism_ = context.max_parallelism;
  if (!node_->aggregate) return Malformed(*node_, "no aggregation");
  const plan::AggregateSpec& spec = *node_->aggregate;
  key_slots_ = spec.key_slots;
  for (const auto& slot : types::FlattenSchema(node_->output_schema)) {
    output_types_.push_back(slot.type);
  }
  if (output_types_.size() != key_slots_.size() + spec.calls.size()) {
    return Malformed(
        *node_, fmt::format("{} output slots for {} keys and {} aggregates", output_types_.size(),
                            key_slots_.size(), spec.calls.size()));
  }
  for (const plan::AggregateCall& call : spec.calls) {
    // LAG reads its default's slot and is planned only OVER a window.
    if (call.kind == plan::AggregateKind::kLag) return Malformed(*node_, "LAG outside OVER");
  }
  key_codec_ = std::make_unique<state::RowCodec>(std::vector<types::LogicalType>(
      output_types_.begin(), output_types_.begin() + key_slots_.size()));
  result_types_.assign(output_types_.begin() + key_slots_.size(), output_types_.end());
  result_codec_ = std::make_unique<state::RowCodec>(result_types_);
  aggregator_ = std::make_unique<aggregate::Aggregator>(spec.calls);
  SLUICE_RETURN_IF_ERROR(aggregator_->UseCompiler(context.accumulator_compiler));
  if (context.state_backend == nullptr) return Malformed(*node_, "no state backend");
  SLUICE_ASSIGN_OR_RETURN(table_, context.state_backend->GetTable(node_->uid, "groups"));
  return base::Status::Ok();
}

base::Status GroupAggregateOperator::ProcessBatch(int32_t input, BatchPtr batch, Output* out) {
  // Group the batch's rows by key, keys in order of their first row.
  struct Group {
    int32_t key_group;
    std::string key;
    std::vector<int32_t> rows;
  };
  std::vector<Group> groups;
  std::unordered_map<std::string, size_t> index;
  std::string key;
  for (int32_t row = 0; row < batch->row_count(); ++row) {
    key.clear();
    key_codec_->Encode(*batch, key_slots_, row, &key);
    auto [found, inserted] = index.try_emplace(key, groups.size());
    if (inserted) {
      groups.push_back(
          Group{scheduler::KeyGroupOfRow(*batch, key_slots_, row, max_parallelism_), key, {}});
    }
    groups[found->second].rows.push_back(row);
  }

  // An insert-only node (no aggregate calls over an insert-only input) only ever inserts.
  RowWriter writer(&output_types_, node_->changelog_mode != plan::ChangelogMode::kInsertOnly, out);
  for (const Group& group : groups) {
    // Fold the group's rows into its accumulator in place; only the (small) encoded results
    // before and after are kept, never a copy of the accumulator.
    base::Status status;
    bool existed = false;
    bool exists = false;
    std::string before;
    std::string after;
    auto encode = [&](const std::string& accumulator, std::string* out) {
      auto encoded = EncodeResults(accumulator);
      if (!encoded.ok()) {
        status = encoded.status();
        return false;
      }
      *out = std::move(encoded).value();
      return true;
    };
    auto fold = [&](std::string* accumulator) {
      if (existed && !encode(*accumulator, &before)) return;
      // Flink ignores a retraction for a group that has no rows (e.g. after state expiry):
      // follow the row count through the group's rows to drop those before folding them in.
      folded_rows_.clear();
      int64_t row_count = aggregator_->RowCount(*accumulator);
      for (int32_t row : group.rows) {
        bool retract = IsRetraction(batch->row_kind(row));
        if (retract && row_count <= 0) continue;
        row_count += retract ? -1 : 1;
        folded_rows_.push_back(row);
      }
      status = aggregator_->AccumulateRows(*batch, folded_rows_.data(),
                                           static_cast<int32_t>(folded_rows_.size()), accumulator,
                                           /*follow_row_kinds=*/true);
      if (!status.ok()) return;
      exists = aggregator_->RowCount(*accumulator) > 0;
      if (exists) encode(*accumulator, &after);
    };
    existed = true;
    if (!table_->Update(group.key_group, group.key, {}, fold)) {
      existed = false;
      std::string fresh = aggregator_->Initial();
      fold(&fresh);
      if (status.ok() && exists) table_->Put(group.key_group, group.key, {}, fresh);
    }
    SLUICE_RETURN_IF_ERROR(status);
    if (!exists) {
      if (existed) {
        SLUICE_RETURN_IF_ERROR(WriteRow(&writer, RowKind::kDelete, group.key, before));
        table_->Delete(group.key_group, group.key, {});
      }
      continue;
    }
    if (!existed) {
      SLUICE_RETURN_IF_ERROR(WriteRow(&writer, RowKind::kInsert, group.key, after));
      continue;
    }
    // Encoded rows are equal exactly when the values are (NULLs included).
    if (before == after) continue;
    SLUICE_RETURN_IF_ERROR(WriteRow(&writer, RowKind::kUpdateBefore, group.key, before));
    SLUICE_RETURN_IF_ERROR(WriteRow(&writer, RowKind::kUpdateAfter, group.key, after));
  }
  return writer.Flush();
}

base::Result<std::string> GroupAggregateOperator::EncodeResults(std::string_view accumulator) {
  // The one-row scratch batch is reused until its arena (strings of MIN/MAX) grows large.
  constexpr size_t kScratchArenaLimit = 1 << 20;
  if (!scratch_ || scratch_->arena().bytes_allocated() > kScratchArenaLimit) {
    scratch_ = std::make_unique<Batch>(result_types_);
    scratch_->set_row_count(1);
    result_slots_.resize(result_types_.size());
    std::iota(result_slots_.begin(), result_slots_.end(), 0);
  }
  SLUICE_RETURN_IF_ERROR(aggregator_->WriteResults(accumulator, scratch_.get(), 0, 0));
  std::string encoded;
  result_codec_->Encode(*scratch_, result_slots_, 0, &encoded);
  return encoded;
}

base::Status GroupAggregateOperator::WriteRow(RowWriter* writer, RowKind kind, std::string_view key,
                                              std::string_view results) {
  SLUICE_ASSIGN_OR_RETURN(auto target, writer->NextRow(kind));
  auto [batch, row] = target;
  SLUICE_RETURN_IF_ERROR(key_codec_->Decode(key, batch, row, 0));
  return result_codec_->Decode(results, batch, row, key_slots_.size());
}

}  // namespace sluice::runtime::operators
