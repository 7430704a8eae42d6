#include "runtime/operators/window_table_function_operator.h"

#include <fmt/format.h>

#include "runtime/operators/join_output.h"

namespace sluice::runtime::operators {

namespace {

base::Status Malformed(const plan::PlanNode& node, const std::string& problem) {
  return base::Status::Error(base::ErrorCode::kData,
                             "window table function '" + node.uid + "' is malformed: " + problem);
}

}  // namespace

base::Status WindowTableFunctionOperator::Open(const OperatorContext& context) {
  node_ = context.node;
  if (!node_->window_table_function) return Malformed(*node_, "no window");
  window_ = *node_->window_table_function;
  if (window_.kind == plan::WindowKind::kSession || window_.size <= 0 ||
      (window_.kind != plan::WindowKind::kTumble &&
       (window_.step <= 0 || window_.size % window_.step != 0))) {
    return Malformed(*node_, "not a TUMBLE, HOP or CUMULATE window");
  }
  assigner_ = std::make_unique<WindowAssigner>(window_);
  clock_ = WindowClock(window_.time_zone);
  for (const auto& slot : types::FlattenSchema(node_->output_schema)) {
    output_types_.push_back(slot.type);
  }
  if (output_types_.size() < 3) return Malformed(*node_, "no window columns");
  input_columns_ = output_types_.size() - 3;
  if (window_.time_slot < 0 || static_cast<size_t>(window_.time_slot) >= input_columns_ ||
      output_types_[window_.time_slot].id() != types::TypeId::kTimestamp) {
    return Malformed(
        *node_, fmt::format("time slot {} is not a TIMESTAMP input column", window_.time_slot));
  }
  if (window_.processing_time) {
    processing_time_ = context.processing_time;
    if (processing_time_ == nullptr) return Malformed(*node_, "no processing-time service");
  }
  return base::Status::Ok();
}

base::Status WindowTableFunctionOperator::ProcessBatch(int32_t, BatchPtr batch, Output* out) {
  if (batch->column_count() != input_columns_) {
    return Malformed(*node_, fmt::format("an input of {} columns, not {}", batch->column_count(),
                                         input_columns_));
  }
  const int64_t now =
      processing_time_ != nullptr ? clock_.ToWall(processing_time_->CurrentTimeMillis()) : 0;
  const Column& times = batch->column(window_.time_slot);
  BatchPtr target;
  std::vector<int64_t> ends;
  for (int32_t row = 0; row < batch->row_count(); ++row) {
    if (processing_time_ == nullptr && times.IsNull(row)) continue;
    int64_t time = processing_time_ != nullptr ? now : clock_.ToWall(times.values<int64_t>()[row]);
    if (!assigner_->EndsOf(time, &ends)) {
      return base::Status::Error(
          base::ErrorCode::kData,
          fmt::format("window table function '{}': time {} is out of range", node_->uid, time));
    }
    for (int64_t end : ends) {
      if (target && target->row_count() == kBatchCapacity) {
        SLUICE_RETURN_IF_ERROR(out->EmitBatch(std::move(target)));
      }
      if (!target) {
        target = std::make_shared<Batch>(output_types_);
        target->RetainArenasOf(*batch);  // strings are copied by reference
        if (batch->has_row_kinds()) target->EnableRowKinds();
      }
      int32_t target_row = target->row_count();
      for (size_t column = 0; column < input_columns_; ++column) {
        CopyCell(batch->column(column), row, &target->column(column), target_row);
      }
      JoinOutput::SetInt64(target.get(), input_columns_, target_row, assigner_->StartOf(end));
      JoinOutput::SetInt64(target.get(), input_columns_ + 1, target_row, end);
      JoinOutput::SetInt64(target.get(), input_columns_ + 2, target_row, clock_.ToInstant(end) - 1);
      if (batch->has_row_kinds()) target->row_kinds()[target_row] = batch->row_kinds()[row];
      target->set_row_count(target_row + 1);
    }
  }
  if (target && target->row_count() > 0) SLUICE_RETURN_IF_ERROR(out->EmitBatch(std::move(target)));
  return base::Status::Ok();
}

}  // namespace sluice::runtime::operators
