// Aggregator's batch path: AccumulateRows, with the generated kernels once UseCompiler
// attached them (the per-row interpreter is in aggregator.cpp).
#include <string>

#include "runtime/operators/aggregate/aggregator.h"

namespace sluice::runtime::operators::aggregate {

namespace {

using types::TypeId;

bool IsRetraction(RowKind kind) {
  return kind == RowKind::kUpdateBefore || kind == RowKind::kDelete;
}

}  // namespace

base::Status Aggregator::UseCompiler(AccumulatorCompiler* compiler) {
  if (compiler == nullptr || !unsupported_.ok()) return base::Status::Ok();
  bool any = false;
  for (const CallLayout& layout : layouts_) any |= IsFixedSlotCall(layout);
  if (!any) return base::Status::Ok();
  SLUICE_ASSIGN_OR_RETURN(std::shared_ptr<CompiledAccumulators> compiled,
                          compiler->Compile(calls_));
  if (compiled->fixed_size() != fixed_size_ || compiled->compiled_calls().size() != calls_.size()) {
    return base::Status::Error(base::ErrorCode::kInternal,
                               "compiled accumulators do not match the aggregator's layout");
  }
  compiled_mask_ = compiled->compiled_calls();
  has_interpreted_calls_ = false;
  for (bool compiled_call : compiled_mask_) has_interpreted_calls_ |= !compiled_call;
  compiled_ = std::move(compiled);
  return base::Status::Ok();
}

base::Status Aggregator::CheckCompiledColumns(const Batch& input) const {
  auto check = [&](int32_t slot, bool matches_type, const char* what) {
    if (slot < 0) return base::Status::Ok();
    if (static_cast<size_t>(slot) < input.column_count() && matches_type) {
      return base::Status::Ok();
    }
    return base::Status::Error(base::ErrorCode::kInternal,
                               "aggregate input slot " + std::to_string(slot) +
                                   " is missing or is not the " + what + " the plan says");
  };
  for (size_t call = 0; call < layouts_.size(); ++call) {
    if (Interpreted(call)) continue;
    const CallLayout& layout = layouts_[call];
    auto type_of = [&](int32_t slot) {
      return static_cast<size_t>(slot) < input.column_count()
                 ? input.column(static_cast<size_t>(slot)).type().id()
                 : TypeId::kNull;
    };
    // COUNT(x) reads only validity bytes, which every column has.
    bool argument_ok = layout.kind == AccumulatorKind::kCount ||
                       type_of(layout.argument_slot) == layout.argument_type;
    SLUICE_RETURN_IF_ERROR(check(layout.argument_slot, argument_ok, "argument type"));
    TypeId filter = type_of(layout.filter_slot);
    SLUICE_RETURN_IF_ERROR(check(layout.filter_slot,
                                 filter == TypeId::kBoolean || filter == TypeId::kNull,
                                 "BOOLEAN filter"));
  }
  return base::Status::Ok();
}

base::Status Aggregator::AccumulateRows(const Batch& input, const int32_t* rows, int32_t count,
                                        std::string* const* accumulators, bool follow_row_kinds) {
  return AccumulateRowsWith(input, rows, count, accumulators, 1, follow_row_kinds);
}

base::Status Aggregator::AccumulateRows(const Batch& input, const int32_t* rows, int32_t count,
                                        std::string* accumulator, bool follow_row_kinds) {
  return AccumulateRowsWith(input, rows, count, &accumulator, 0, follow_row_kinds);
}

base::Status Aggregator::AccumulateRowsWith(const Batch& input, const int32_t* rows, int32_t count,
                                            std::string* const* accumulators, size_t step,
                                            bool follow_row_kinds) {
  auto retracts = [&](int32_t row) {
    return follow_row_kinds && IsRetraction(input.row_kind(row));
  };
  if (compiled_ == nullptr) {
    for (int32_t i = 0; i < count; ++i) {
      SLUICE_RETURN_IF_ERROR(Accumulate(accumulators[i * step], input, rows[i], retracts(rows[i])));
    }
    return base::Status::Ok();
  }
  if (count <= 0) return base::Status::Ok();
  // The checks Accumulate makes per row, made up front: the kernel assumes them.
  if (!unsupported_.ok()) return unsupported_;
  bool any_retraction = false;
  for (int32_t i = 0; i < count; ++i) any_retraction |= retracts(rows[i]);
  if (any_retraction && has_non_retractable_extreme_) return RetractedExtreme();
  size_t accumulator_count = step == 0 ? 1 : static_cast<size_t>(count);
  kernel_accumulators_.resize(accumulator_count);
  for (size_t i = 0; i < accumulator_count; ++i) {
    if (accumulators[i]->size() < fixed_size_) return Corrupt();
    kernel_accumulators_[i] = accumulators[i]->data();
  }
  SLUICE_RETURN_IF_ERROR(CheckCompiledColumns(input));
  kernel_columns_.resize(input.column_count());
  for (size_t slot = 0; slot < input.column_count(); ++slot) {
    // Kernels only read; SluiceKernelColumn is also the chains' (writable) output type.
    auto& column = const_cast<Column&>(input.column(slot));
    kernel_columns_[slot] = SluiceKernelColumn{column.data(), column.validity()};
  }
  const uint8_t* row_kinds =
      follow_row_kinds && input.has_row_kinds() ? const_cast<Batch&>(input).row_kinds() : nullptr;
  // Fixed slots first (data pointers stay valid: the kernel never resizes), then the
  // interpreted calls, whose section edits may move the bytes.
  compiled_->accumulate()(kernel_columns_.data(), row_kinds, rows, kernel_accumulators_.data(),
                          static_cast<int64_t>(step), count);
  if (!has_interpreted_calls_) return base::Status::Ok();
  for (int32_t i = 0; i < count; ++i) {
    SLUICE_RETURN_IF_ERROR(AccumulateChecked(accumulators[i * step], input, rows[i],
                                             retracts(rows[i]), /*interpreted_only=*/true));
  }
  return base::Status::Ok();
}

}  // namespace sluice::runtime::operators::aggregate
