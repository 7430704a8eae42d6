#pragma once

#include <memory>

#include "runtime/operators/chain_evaluator.h"
#include "runtime/operators/operator.h"

namespace sluice::runtime::operators {

/// Reads one split of a table through its connector, computes computed columns and emits a
/// watermark after each batch: the maximum of the watermark expression seen so far.
class TableSourceOperator : public SourceOperator {
 public:
  base::Status Open(const OperatorContext& context) override;
  base::Result<bool> Poll(Output* out) override;
  /// The watermark reached (so a restored split does not fall back behind it), then the
  /// reader's position; empty when the reader has none.
  std::string Position() const override;
  base::Status Seek(const std::string& position) override;

 private:
  /// Advances the watermark over the rows of `batch` (full table slots).
  base::Status TrackWatermark(const Batch& batch);

  const plan::PlanNode* node_ = nullptr;
  OperatorMetrics* metrics_ = nullptr;
  std::unique_ptr<connectors::SourceReader> reader_;
  std::vector<types::LogicalType> physical_types_;
  std::unique_ptr<ChainEvaluator> computed_columns_;
  std::unique_ptr<ChainEvaluator> watermark_;
  int64_t current_watermark_ = kMinWatermark;
  bool finished_ = false;
};

}  // namespace sluice::runtime::operators
