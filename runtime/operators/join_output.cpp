#include "runtime/operators/join_output.h"

#include <fmt/format.h>

#include "catalog/base/check.h"

namespace sluice::runtime::operators {

base::Result<JoinLayout> ReadJoinLayout(const plan::PlanNode& node, const plan::JoinSpec& spec,
                                        size_t extra_columns, bool keyless) {
  auto malformed = [&](const std::string& problem) {
    return base::Status::Error(base::ErrorCode::kData,
                               fmt::format("{} '{}' is malformed: {}",
                                           plan::OperatorKindName(node.kind), node.uid, problem));
  };
  if (spec.left_key_slots.size() != spec.right_key_slots.size() ||
      (spec.left_key_slots.empty() && !keyless)) {
    return malformed(keyless ? "the sides need the same number of keys"
                             : "the sides need the same number of keys, at least one");
  }
  JoinLayout layout;
  for (const auto& slot : types::FlattenSchema(node.output_schema)) {
    layout.output_types.push_back(slot.type);
  }
  bool found = false;
  for (const plan::StateSpec& state : node.state) {
    if (state.name != "left") continue;
    layout.left_width = types::FlattenSchema(state.value_schema).size();
    found = true;
  }
  if (!found || layout.left_width + extra_columns > layout.output_types.size()) {
    return malformed("no \"left\" state with the left side's schema");
  }
  return layout;
}

base::Result<std::unique_ptr<ChainEvaluator>> CompileJoinCondition(
    const plan::PlanNode& node, const std::vector<types::LogicalType>& left_keys,
    const std::vector<types::LogicalType>& right_keys, const plan::ExprPtr& residual,
    const std::vector<types::LogicalType>& output_types, expr::ChainCompiler* compiler) {
  auto malformed = [&](const std::string& problem) {
    return base::Status::Error(base::ErrorCode::kData,
                               fmt::format("{} '{}' is malformed: {}",
                                           plan::OperatorKindName(node.kind), node.uid, problem));
  };
  for (size_t i = 0; i < left_keys.size() && i < right_keys.size(); ++i) {
    const types::LogicalType& left = left_keys[i];
    const types::LogicalType& right = right_keys[i];
    if (left.id() != right.id() || left.scale() != right.scale()) {
      return malformed(fmt::format("key {} is {} on the left but {} on the right", i,
                                   left.ToString(), right.ToString()));
    }
  }
  if (!residual) return std::unique_ptr<ChainEvaluator>();
  if (residual->type.id() != types::TypeId::kBoolean) {
    return malformed("the residual condition is not BOOLEAN");
  }
  plan::ChainSpec chain{output_types, nullptr, {residual}};
  return ChainEvaluator::Create(chain, compiler);
}

base::Result<std::vector<types::LogicalType>> TimedJoinSideKeyTypes(
    const plan::PlanNode& node, const char* side, const std::vector<types::LogicalType>& types,
    const std::vector<int32_t>& key_slots, int32_t time_slot) {
  auto malformed = [&](const std::string& problem) {
    return base::Status::Error(base::ErrorCode::kData,
                               fmt::format("{} '{}' is malformed: {}",
                                           plan::OperatorKindName(node.kind), node.uid, problem));
  };
  if (time_slot < 0 || static_cast<size_t>(time_slot) >= types.size() ||
      types[time_slot].id() != types::TypeId::kTimestamp) {
    return malformed(fmt::format("{} time slot {} is not a TIMESTAMP column", side, time_slot));
  }
  std::vector<types::LogicalType> key_types;
  for (int32_t slot : key_slots) {
    if (slot < 0 || static_cast<size_t>(slot) >= types.size() ||
        types[slot].id() == types::TypeId::kRow) {
      return malformed(fmt::format("{} key slot {} is not a column", side, slot));
    }
    key_types.push_back(types[slot]);
  }
  return key_types;
}

std::pair<Batch*, int32_t> JoinOutput::NextRow(const std::vector<types::LogicalType>& types,
                                               std::vector<BatchPtr>* batches) {
  if (batches->empty() || batches->back()->row_count() == kBatchCapacity) {
    batches->push_back(std::make_shared<Batch>(types));
  }
  Batch* batch = batches->back().get();
  int32_t row = batch->row_count();
  batch->set_row_count(row + 1);
  return {batch, row};
}

std::pair<Batch*, int32_t> JoinOutput::AddCandidate(int64_t tag) {
  tags_.push_back(tag);
  ++pending_rows_;
  return NextRow(output_types_, &candidates_);
}

std::pair<Batch*, int32_t> JoinOutput::AddRow() {
  ++pending_rows_;
  return NextRow(output_types_, &rows_);
}

base::Status JoinOutput::Flush(Output* out, const std::function<void(int64_t tag)>& matched) {
  size_t first_tag = 0;
  std::vector<int32_t> passing;
  for (BatchPtr& batch : candidates_) {
    passing.clear();
    if (residual_ != nullptr) {
      SLUICE_ASSIGN_OR_RETURN(auto verdict, residual_->Evaluate(*batch));
      const Column& column = verdict->column(0);
      for (int32_t row = 0; row < batch->row_count(); ++row) {
        if (!column.IsNull(row) && column.values<uint8_t>()[row] != 0) passing.push_back(row);
      }
    } else {
      for (int32_t row = 0; row < batch->row_count(); ++row) passing.push_back(row);
    }
    if (matched) {
      for (int32_t row : passing) matched(tags_[first_tag + row]);
    }
    first_tag += batch->row_count();
    if (passing.empty() || out == nullptr) continue;
    if (static_cast<int32_t>(passing.size()) == batch->row_count()) {
      SLUICE_RETURN_IF_ERROR(out->EmitBatch(std::move(batch)));
      continue;
    }
    auto kept = std::make_shared<Batch>(output_types_);
    kept->AppendRows(*batch, passing.data(), static_cast<int32_t>(passing.size()));
    SLUICE_RETURN_IF_ERROR(out->EmitBatch(std::move(kept)));
  }
  SLUICE_CHECK(out != nullptr || rows_.empty(), "JoinOutput rows flushed to no output");
  for (BatchPtr& batch : rows_) SLUICE_RETURN_IF_ERROR(out->EmitBatch(std::move(batch)));
  candidates_.clear();
  tags_.clear();
  rows_.clear();
  pending_rows_ = 0;
  return base::Status::Ok();
}

}  // namespace sluice::runtime::operators
