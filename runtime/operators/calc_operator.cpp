#include "runtime/operators/calc_operator.h"

namespace sluice::runtime::operators {

base::Status CalcOperator::Open(const OperatorContext& context) {
  SLUICE_ASSIGN_OR_RETURN(chain_,
                          ChainEvaluator::Create(*context.node->chain, context.chain_compiler));
  filter_as_last_projection_ = context.node->filter_as_last_projection;
  output_types_ = chain_->output_types();
  if (filter_as_last_projection_) {
    if (output_types_.empty() || output_types_.back().id() != types::TypeId::kBoolean ||
        context.node->chain->filter) {
      return base::Status::Error(
          base::ErrorCode::kData,
          "plan node '" + context.node->uid + "' declares a filter projection but has none");
    }
    output_types_.pop_back();
  }
  return base::Status::Ok();
}

BatchPtr CalcOperator::ApplyFilterColumn(const Batch& input, const Batch& evaluated) const {
  const Column& keep = evaluated.column(evaluated.column_count() - 1);
  std::vector<int32_t> rows;
  rows.reserve(evaluated.row_count());
  for (int32_t row = 0; row < evaluated.row_count(); ++row) {
    if (keep.validity()[row] != 0 && keep.values<uint8_t>()[row] != 0) rows.push_back(row);
  }
  auto out = std::make_shared<Batch>(output_types_);
  for (size_t column = 0; column < output_types_.size(); ++column) {
    const Column& from = evaluated.column(column);
    Column& to = out->column(column);
    int32_t width = from.type().PhysicalWidth();
    for (size_t i = 0; i < rows.size(); ++i) {
      to.validity()[i] = from.validity()[rows[i]];
      if (width > 0) {
        std::memcpy(to.data() + i * width, from.data() + static_cast<size_t>(rows[i]) * width,
                    width);
      }
    }
  }
  if (input.has_row_kinds()) {
    uint8_t* kinds = out->EnableRowKinds();
    for (size_t i = 0; i < rows.size(); ++i) {
      kinds[i] = static_cast<uint8_t>(input.row_kind(rows[i]));
    }
  }
  out->set_row_count(static_cast<int32_t>(rows.size()));
  out->RetainArenasOf(evaluated);
  return out;
}

base::Status CalcOperator::ProcessBatch(int32_t input, BatchPtr batch, Output* out) {
  SLUICE_ASSIGN_OR_RETURN(BatchPtr result, chain_->Evaluate(*batch));
  if (filter_as_last_projection_) result = ApplyFilterColumn(*batch, *result);
  if (result->row_count() == 0) return base::Status::Ok();
  return out->EmitBatch(std::move(result));
}

}  // namespace sluice::runtime::operators
