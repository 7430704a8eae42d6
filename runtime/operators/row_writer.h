#pragma once

#include <memory>
#include <utility>
#include <vector>

#include "runtime/operators/operator.h"

namespace sluice::runtime::operators {

/// Fills output batches of up to kBatchCapacity rows and emits each one to `out` when it is
/// full; Flush emits the last one. With `row_kinds` every row carries its kind (a changelog),
/// otherwise the batches are insert-only.
class RowWriter {
 public:
  RowWriter(const std::vector<types::LogicalType>* types, bool row_kinds, Output* out)
      : types_(types), row_kinds_(row_kinds), out_(out) {}

  /// The batch and row index to fill next (its cells start NULL).
  base::Result<std::pair<Batch*, int32_t>> NextRow(RowKind kind = RowKind::kInsert) {
    if (batch_ && batch_->row_count() == kBatchCapacity) SLUICE_RETURN_IF_ERROR(Flush());
    if (!batch_) {
      batch_ = std::make_shared<Batch>(*types_);
      if (row_kinds_) batch_->EnableRowKinds();
    }
    int32_t row = batch_->row_count();
    if (row_kinds_) batch_->row_kinds()[row] = static_cast<uint8_t>(kind);
    batch_->set_row_count(row + 1);
    return std::pair<Batch*, int32_t>{batch_.get(), row};
  }

  base::Status Flush() {
    if (!batch_ || batch_->row_count() == 0) return base::Status::Ok();
    return out_->EmitBatch(std::move(batch_));
  }

 private:
  const std::vector<types::LogicalType>* types_;
  bool row_kinds_;
  Output* out_;
  BatchPtr batch_;
};

}  // namespace sluice::runtime::operators
