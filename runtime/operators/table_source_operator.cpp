#include "runtime/operators/table_source_operator.h"

#include <algorithm>
#include <charconv>
#include <string>
#include <string_view>

namespace sluice::runtime::operators {

namespace {

/// The head line of the position of an exhausted split.
constexpr std::string_view kFinishedSplit = "finished\n";

}  // namespace

base::Status TableSourceOperator::Open(const OperatorContext& context) {
  node_ = context.node;
  metrics_ = context.metrics;
  const connectors::TableDescriptor& table = *node_->table;
  auto name = table.options.find("connector");
  connector_ = name == table.options.end() ? nullptr : connectors::FindConnector(name->second);
  if (connector_ == nullptr) {
    return base::Status::Error(
        base::ErrorCode::kOption,
        name == table.options.end()
            ? "table '" + table.name + "' names no 'connector'"
            : "table '" + table.name + "': unknown connector '" + name->second + "'");
  }
  job_name_ = context.subtask.job_name;
  job_id_ = context.subtask.job_id;
  Split own;
  SLUICE_ASSIGN_OR_RETURN(own.reader, connector_->CreateReader(table, context.subtask));
  bounded_ = own.reader->IsBounded();
  splits_.push_back(std::move(own));
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

base::Status TableSourceOperator::TrackWatermark(const Batch& batch, Split* split) {
  SLUICE_ASSIGN_OR_RETURN(BatchPtr result, watermark_->Evaluate(batch));
  const Column& column = result->column(0);
  const int64_t* values = column.values<int64_t>();
  int64_t maximum = split->watermark;
  for (int32_t row = 0; row < result->row_count(); ++row) {
    if (column.validity()[row] != 0) maximum = std::max(maximum, values[row]);
  }
  split->watermark = maximum;
  return base::Status::Ok();
}

base::Status TableSourceOperator::EmitWatermark(Output* out) {
  if (splits_.empty()) return base::Status::Ok();
  int64_t minimum = kMaxWatermark;
  for (const Split& split : splits_) minimum = std::min(minimum, split.watermark);
  if (minimum <= emitted_watermark_) return base::Status::Ok();
  emitted_watermark_ = minimum;
  metrics_->watermark.store(minimum, std::memory_order_relaxed);
  return out->EmitWatermark(minimum);
}

std::string TableSourceOperator::PositionOf(const Split& split) const {
  if (!split.reader->SupportsPosition()) return {};
  return "watermark=" + std::to_string(split.watermark) + "\n" + split.reader->Position();
}

std::string TableSourceOperator::Position() const {
  return splits_.size() == 1 ? PositionOf(splits_.front()) : std::string();
}

std::vector<std::string> TableSourceOperator::Positions() const {
  std::vector<std::string> positions;
  for (const Split& split : splits_) {
    std::string position = PositionOf(split);
    if (position.empty()) return {};
    positions.push_back(std::move(position));
  }
  positions.insert(positions.end(), finished_splits_.begin(), finished_splits_.end());
  return positions;
}

base::Result<TableSourceOperator::Split> TableSourceOperator::OpenSplit(
    const std::string& position) const {
  size_t end = position.find('\n');
  constexpr std::string_view kPrefix = "watermark=";
  if (end == std::string::npos || position.compare(0, kPrefix.size(), kPrefix) != 0) {
    return base::Status::Error(base::ErrorCode::kData,
                               "source '" + node_->uid + "': a malformed position");
  }
  std::string watermark = position.substr(kPrefix.size(), end - kPrefix.size());
  Split split;
  auto [last, error] =
      std::from_chars(watermark.data(), watermark.data() + watermark.size(), split.watermark);
  if (error != std::errc() || last != watermark.data() + watermark.size()) {
    return base::Status::Error(base::ErrorCode::kData,
                               "source '" + node_->uid + "': a malformed position watermark");
  }
  std::string reader_position = position.substr(end + 1);
  SLUICE_ASSIGN_OR_RETURN(connectors::SubtaskInfo info,
                          connectors::SplitOfPosition(reader_position));
  info.job_name = job_name_;
  info.job_id = job_id_;
  SLUICE_ASSIGN_OR_RETURN(split.reader, connector_->CreateReader(*node_->table, info));
  SLUICE_RETURN_IF_ERROR(split.reader->Seek(reader_position));
  return split;
}

base::Status TableSourceOperator::Seek(const std::string& position) {
  return Restore({position});
}

base::Status TableSourceOperator::Restore(const std::vector<std::string>& positions) {
  std::vector<Split> splits;
  std::vector<std::string> finished;
  for (const std::string& position : positions) {
    if (position.compare(0, kFinishedSplit.size(), kFinishedSplit) == 0) {
      finished.push_back(position);  // read to its end before the snapshot: never again
      continue;
    }
    SLUICE_ASSIGN_OR_RETURN(Split split, OpenSplit(position));
    splits.push_back(std::move(split));
  }
  splits_ = std::move(splits);
  finished_splits_ = std::move(finished);
  next_split_ = 0;
  // The restored watermark: no split may fall back behind where it was.
  emitted_watermark_ = kMinWatermark;
  if (!splits_.empty()) {
    int64_t minimum = kMaxWatermark;
    for (const Split& split : splits_) minimum = std::min(minimum, split.watermark);
    emitted_watermark_ = minimum;
  }
  return base::Status::Ok();
}

base::Result<bool> TableSourceOperator::Poll(Output* out) {
  if (finished_) return false;
  // One batch from the next split that has one; a split that is exhausted leaves the set.
  for (size_t tries = splits_.size(); tries > 0 && !splits_.empty(); --tries) {
    size_t index = next_split_ % splits_.size();
    next_split_ = index + 1;
    Split& split = splits_[index];
    auto batch = std::make_shared<Batch>(physical_types_);
    SLUICE_ASSIGN_OR_RETURN(bool more, split.reader->Next(batch.get()));
    bool emitted = batch->row_count() > 0;
    if (emitted) {
      BatchPtr full = batch;
      if (computed_columns_) {
        SLUICE_ASSIGN_OR_RETURN(full, computed_columns_->Evaluate(*batch));
      }
      metrics_->rows_in.fetch_add(full->row_count(), std::memory_order_relaxed);
      if (watermark_) SLUICE_RETURN_IF_ERROR(TrackWatermark(*full, &split));
      SLUICE_RETURN_IF_ERROR(out->EmitBatch(std::move(full)));
    }
    SLUICE_RETURN_IF_ERROR(EmitWatermark(out));
    if (!more) {
      if (split.reader->SupportsPosition()) {
        finished_splits_.push_back(std::string(kFinishedSplit) + split.reader->Position());
      }
      splits_.erase(splits_.begin() + static_cast<std::ptrdiff_t>(index));
      next_split_ = index;
      SLUICE_RETURN_IF_ERROR(EmitWatermark(out));  // the others may be ahead
    }
    if (emitted || !more) break;
  }
  if (!splits_.empty()) return true;
  finished_ = true;
  if (bounded_) SLUICE_RETURN_IF_ERROR(out->EmitWatermark(kMaxWatermark));
  return false;
}

}  // namespace sluice::runtime::operators
