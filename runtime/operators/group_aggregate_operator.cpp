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

/// Fills changelog batches of up to kBatchCapacity rows and emits each one when it is full.
class GroupAggregateOperator::RowWriter {
 public:
  RowWriter(const std::vector<types::LogicalType>* types, Output* out) : types_(types), out_(out) {}

  base::Result<std::pair<Batch*, int32_t>> NextRow(RowKind kind) {
    if (batch_ && batch_->row_count() == kBatchCapacity) SLUICE_RETURN_IF_ERROR(Flush());
    if (!batch_) {
      batch_ = std::make_shared<Batch>(*types_);
      batch_->EnableRowKinds();
    }
    int32_t row = batch_->row_count();
    batch_->row_kinds()[row] = static_cast<uint8_t>(kind);
    batch_->set_row_count(row + 1);
    return std::pair<Batch*, int32_t>{batch_.get(), row};
  }

  base::Status Flush() {
    if (!batch_ || batch_->row_count() == 0) return base::Status::Ok();
    return out_->EmitBatch(std::move(batch_));
  }

 private:
  const std::vector<types::LogicalType>* types_;
  Output* out_;
  BatchPtr batch_;
};

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
    return Malformed(*node_, fmt::format("{} output slots for {} keys and {} aggregates",
                                         output_types_.size(), key_slots_.size(),
                                         spec.calls.size()));
  }
  key_codec_ = std::make_unique<state::RowCodec>(std::vector<types::LogicalType>(
      output_types_.begin(), output_types_.begin() + key_slots_.size()));
  result_types_.assign(output_types_.begin() + key_slots_.size(), output_types_.end());
  result_codec_ = std::make_unique<state::RowCodec>(result_types_);
  aggregator_ = std::make_unique<aggregate::Aggregator>(spec.calls);
  if (context.state_backend == nullptr) return Malformed(*node_, "no state backend");
  SLUICE_ASSIGN_OR_RETURN(table_, context.state_backend->GetTable(node_->uid, "groups"));
  return base::Status::Ok();
}

base::Status GroupAggregateOperator::ProcessBatch(int32_t input, BatchPtr batch, Output* out) {
  struct Touched {
    int32_t key_group;
    std::string key;
    std::optional<std::string> before;  // the stored accumulator; nullopt for a new key
    std::string accumulator;
  };
  std::vector<Touched> touched;  // in order of each key's first row
  std::unordered_map<std::string, size_t> index;
  std::string key;
  for (int32_t row = 0; row < batch->row_count(); ++row) {
    bool retract = IsRetraction(batch->row_kind(row));
    key.clear();
    key_codec_->Encode(*batch, key_slots_, row, &key);
    auto [found, inserted] = index.try_emplace(key, touched.size());
    if (inserted) {
      Touched entry;
      entry.key_group = scheduler::KeyGroupOf(scheduler::HashKey(*batch, key_slots_, row),
                                              max_parallelism_);
      entry.key = key;
      std::string stored;
      if (table_->Get(entry.key_group, key, {}, &stored)) {
        entry.accumulator = stored;
        entry.before = std::move(stored);
      } else {
        entry.accumulator = aggregator_->Initial();
      }
      touched.push_back(std::move(entry));
    }
    std::string* accumulator = &touched[found->second].accumulator;
    // Flink ignores a retraction for a group that has no rows (e.g. after state expiry).
    if (retract && aggregator_->RowCount(*accumulator) <= 0) continue;
    SLUICE_RETURN_IF_ERROR(aggregator_->Accumulate(accumulator, *batch, row, retract));
  }

  RowWriter writer(&output_types_, out);
  for (const Touched& entry : touched) {
    bool existed = entry.before.has_value();
    bool exists = aggregator_->RowCount(entry.accumulator) > 0;
    if (!exists) {
      if (existed) {
        SLUICE_RETURN_IF_ERROR(WriteRow(&writer, RowKind::kDelete, entry.key, *entry.before));
        table_->Delete(entry.key_group, entry.key, {});
      }
      continue;
    }
    table_->Put(entry.key_group, entry.key, {}, entry.accumulator);
    if (!existed) {
      SLUICE_RETURN_IF_ERROR(WriteRow(&writer, RowKind::kInsert, entry.key, entry.accumulator));
      continue;
    }
    SLUICE_ASSIGN_OR_RETURN(bool same, SameResults(*entry.before, entry.accumulator));
    if (same) continue;
    SLUICE_RETURN_IF_ERROR(WriteRow(&writer, RowKind::kUpdateBefore, entry.key, *entry.before));
    SLUICE_RETURN_IF_ERROR(
        WriteRow(&writer, RowKind::kUpdateAfter, entry.key, entry.accumulator));
  }
  return writer.Flush();
}

base::Result<bool> GroupAggregateOperator::SameResults(std::string_view before,
                                                       std::string_view after) {
  // Encoded rows are equal exactly when the values are (NULLs included), so compare bytes.
  // The two-row scratch batch is reused until its arena (strings of MIN/MAX) grows large.
  constexpr size_t kScratchArenaLimit = 1 << 20;
  if (!scratch_ || scratch_->arena().bytes_allocated() > kScratchArenaLimit) {
    scratch_ = std::make_unique<Batch>(result_types_);
    scratch_->set_row_count(2);
  }
  SLUICE_RETURN_IF_ERROR(aggregator_->WriteResults(before, scratch_.get(), 0, 0));
  SLUICE_RETURN_IF_ERROR(aggregator_->WriteResults(after, scratch_.get(), 1, 0));
  std::vector<int32_t> slots(result_types_.size());
  std::iota(slots.begin(), slots.end(), 0);
  std::string before_bytes;
  std::string after_bytes;
  result_codec_->Encode(*scratch_, slots, 0, &before_bytes);
  result_codec_->Encode(*scratch_, slots, 1, &after_bytes);
  return before_bytes == after_bytes;
}

base::Status GroupAggregateOperator::WriteRow(RowWriter* writer, RowKind kind,
                                              std::string_view key, std::string_view accumulator) {
  SLUICE_ASSIGN_OR_RETURN(auto target, writer->NextRow(kind));
  auto [batch, row] = target;
  SLUICE_RETURN_IF_ERROR(key_codec_->Decode(key, batch, row, 0));
  return aggregator_->WriteResults(accumulator, batch, row, key_slots_.size());
}

}  // namespace sluice::runtime::operators
