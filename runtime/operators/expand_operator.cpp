#include "runtime/operators/expand_operator.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace sluice::runtime::operators {

namespace {

base::Status Malformed(const plan::PlanNode& node, const std::string& problem) {
  return base::Status::Error(base::ErrorCode::kData,
                             "expand '" + node.uid + "' is malformed: " + problem);
}

/// Copies `count` cells (values and validity) from row `from_row` of `from` to `to_row` of `to`.
void CopyCells(const Column& from, int32_t from_row, Column* to, int32_t to_row, int32_t count) {
  std::memcpy(to->validity() + to_row, from.validity() + from_row, count);
  const size_t width = static_cast<size_t>(from.type().PhysicalWidth());
  if (width > 0) {
    std::memcpy(to->data() + to_row * width, from.data() + from_row * width, count * width);
  }
}

}  // namespace

base::Status ExpandOperator::Open(const OperatorContext& context) {
  node_ = context.node;
  if (!node_->expand) return Malformed(*node_, "no grouping sets");
  const plan::ExpandSpec& spec = *node_->expand;
  for (const auto& slot : types::FlattenSchema(node_->output_schema)) {
    output_types_.push_back(slot.type);
  }
  grouping_slots_ = spec.grouping_slots;
  const size_t grouping = grouping_slots_.size();
  if (spec.sets.empty() || output_types_.size() < grouping + 1) {
    return Malformed(*node_, "no sets, or no grouping columns and id in the output");
  }
  input_columns_ = output_types_.size() - grouping - 1;
  if (output_types_.back().id() != types::TypeId::kBigint) {
    return Malformed(*node_, "the last output column is not the BIGINT grouping id");
  }
  for (size_t i = 0; i < grouping; ++i) {
    int32_t slot = grouping_slots_[i];
    if (slot < 0 || static_cast<size_t>(slot) >= input_columns_ ||
        output_types_[slot] != output_types_[input_columns_ + i]) {
      return Malformed(*node_, fmt::format("grouping slot {} is not an input column of the type "
                                           "of its copy",
                                           slot));
    }
  }
  for (const plan::ExpandSet& set : spec.sets) {
    std::vector<bool> present(grouping, true);
    for (int32_t absent : set.absent) {
      if (absent < 0 || static_cast<size_t>(absent) >= grouping) {
        return Malformed(*node_, fmt::format("set {} lacks grouping column {}", set.id, absent));
      }
      present[absent] = false;
    }
    present_.push_back(std::move(present));
    ids_.push_back(set.id);
  }
  return base::Status::Ok();
}

base::Status ExpandOperator::ProcessBatch(int32_t, BatchPtr batch, Output* out) {
  if (batch->column_count() != input_columns_) {
    return Malformed(*node_, fmt::format("an input of {} columns, not {}", batch->column_count(),
                                         input_columns_));
  }
  const int32_t rows = batch->row_count();
  const size_t id_column = output_types_.size() - 1;
  BatchPtr target;
  for (size_t set = 0; set < ids_.size(); ++set) {
    for (int32_t next = 0; next < rows;) {
      if (!target) {
        target = std::make_shared<Batch>(output_types_);
        target->RetainArenasOf(*batch);  // strings are copied by reference
        if (batch->has_row_kinds()) target->EnableRowKinds();
      }
      const int32_t first = target->row_count();
      const int32_t count = std::min(rows - next, kBatchCapacity - first);
      for (size_t column = 0; column < input_columns_; ++column) {
        CopyCells(batch->column(column), next, &target->column(column), first, count);
      }
      // A fresh batch's cells are NULL: an absent grouping column stays so.
      for (size_t i = 0; i < grouping_slots_.size(); ++i) {
        if (!present_[set][i]) continue;
        CopyCells(batch->column(grouping_slots_[i]), next, &target->column(input_columns_ + i),
                  first, count);
      }
      Column& ids = target->column(id_column);
      std::fill(ids.values<int64_t>() + first, ids.values<int64_t>() + first + count, ids_[set]);
      std::memset(ids.validity() + first, 1, count);
      if (batch->has_row_kinds()) {
        std::memcpy(target->row_kinds() + first, batch->row_kinds() + next, count);
      }
      target->set_row_count(first + count);
      next += count;
      if (target->row_count() == kBatchCapacity) {
        SLUICE_RETURN_IF_ERROR(out->EmitBatch(std::move(target)));
        target = nullptr;
      }
    }
  }
  if (target && target->row_count() > 0) SLUICE_RETURN_IF_ERROR(out->EmitBatch(std::move(target)));
  return base::Status::Ok();
}

}  // namespace sluice::runtime::operators
