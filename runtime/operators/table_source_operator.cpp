#include "runtime/operators/table_source_operator.h"

#include <algorithm>
#include <charconv>
#include <string>
#include <string_view>

namespace sluice::runtime::operators {

base::Status TableSourceOperator::Open(const OperatorContext& context) {
  node_ = context.node;
  metrics_ = context.metrics;
  const connectors::TableDescriptor& table = *node_->table;
  const connectors::Connector* connector = connectors::FindConnector(table.options.at("connector"));
  if (connector == nullptr) {
    return base::Status::Error(base::ErrorCode::kOption,
                               "unknown connector '" + table.options.at("connector") + "'");
  }
  SLUICE_ASSIGN_OR_RETURN(reader_, connector->CreateReader(table, context.subtask));
  for (const auto& slot : types::FlattenSchema(table.schema)) physical_types_.push_back(slot.type);
  if (node_->computed_columns) {
    SLUICE_ASSIGN_OR_RETURN(computed_columns_, ChainEvaluator::Create(*node_->computed_columns,
                                                                      context.chain_compiler));
  }
  if (node_->watermark) {
    // The watermark expression reads the full row; evaluate it as a one-projection chain.
    plan::ChainSpec spec;
    for (const auto& column : node_->output_schema.columns) {
      for (const auto& slot : types::FlattenSchema(types::Schema{{column}})) {
        spec.input_types.push_back(slot.type);
      }
    }
    spec.projections.push_back(node_->watermark->expression);
    SLUICE_ASSIGN_OR_RETURN(watermark_, ChainEvaluator::Create(spec, context.chain_compiler));
  }
  return base::Status::Ok();
}

base::Status TableSourceOperator::TrackWatermark(const Batch& batch) {
  SLUICE_ASSIGN_OR_RETURN(BatchPtr result, watermark_->Evaluate(batch));
  const Column& column = result->column(0);
  const int64_t* values = column.values<int64_t>();
  int64_t maximum = current_watermark_;
  for (int32_t row = 0; row < result->row_count(); ++row) {
    if (column.validity()[row] != 0) maximum = std::max(maximum, values[row]);
  }
  current_watermark_ = maximum;
  return base::Status::Ok();
}

std::string TableSourceOperator::Position() const {
  if (!reader_->SupportsPosition()) return {};
  return "watermark=" + std::to_string(current_watermark_) + "\n" + reader_->Position();
}

base::Status TableSourceOperator::Seek(const std::string& position) {
  size_t end = position.find('\n');
  constexpr std::string_view kPrefix = "watermark=";
  if (end == std::string::npos || position.compare(0, kPrefix.size(), kPrefix) != 0) {
    return base::Status::Error(base::ErrorCode::kData,
                               "source '" + node_->uid + "': a malformed position");
  }
  std::string watermark = position.substr(kPrefix.size(), end - kPrefix.size());
  int64_t value = 0;
  auto [last, error] =
      std::from_chars(watermark.data(), watermark.data() + watermark.size(), value);
  if (error != std::errc() || last != watermark.data() + watermark.size()) {
    return base::Status::Error(base::ErrorCode::kData,
                               "source '" + node_->uid + "': a malformed position watermark");
  }
  SLUICE_RETURN_IF_ERROR(reader_->Seek(position.substr(end + 1)));
  current_watermark_ = value;
  return base::Status::Ok();
}

base::Result<bool> TableSourceOperator::Poll(Output* out) {
  if (finished_) return false;
  auto batch = std::make_shared<Batch>(physical_types_);
  SLUICE_ASSIGN_OR_RETURN(bool more, reader_->Next(batch.get()));
  if (batch->row_count() > 0) {
    BatchPtr full = batch;
    if (computed_columns_) {
      SLUICE_ASSIGN_OR_RETURN(full, computed_columns_->Evaluate(*batch));
    }
    metrics_->rows_in.fetch_add(full->row_count(), std::memory_order_relaxed);
    int64_t before = current_watermark_;
    if (watermark_) SLUICE_RETURN_IF_ERROR(TrackWatermark(*full));
    SLUICE_RETURN_IF_ERROR(out->EmitBatch(std::move(full)));
    if (current_watermark_ > before) {
      metrics_->watermark.store(current_watermark_, std::memory_order_relaxed);
      SLUICE_RETURN_IF_ERROR(out->EmitWatermark(current_watermark_));
    }
  }
  if (!more) {
    finished_ = true;
    if (reader_->IsBounded()) SLUICE_RETURN_IF_ERROR(out->EmitWatermark(kMaxWatermark));
    return false;
  }
  return true;
}

}  // namespace sluice::runtime::operators
