#pragma once

#include <memory>
#include <string>
#include <vector>

#include "runtime/operators/chain_evaluator.h"
#include "runtime/operators/operator.h"

namespace sluice::runtime::operators {

/// Reads the splits of a table this subtask owns through its connector — its own split, or
/// after a restore at another parallelism the old splits dealt to it — computes computed
/// columns and emits a watermark after each batch: per split the maximum of the watermark
/// expression seen so far, emitted as the minimum over the splits still being read. A split
/// that is exhausted stays in every later checkpoint as finished (`finished` then the reader's
/// last position), so that a restore at any parallelism never reads it again.
class TableSourceOperator : public SourceOperator {
 public:
  base::Status Open(const OperatorContext& context) override;
  base::Result<bool> Poll(Output* out) override;
  /// With one split: its watermark (so a restored split does not fall back behind it), then
  /// the reader's position; empty when the reader has none.
  std::string Position() const override;
  base::Status Seek(const std::string& position) override;
  std::vector<std::string> Positions() const override;
  base::Status Restore(const std::vector<std::string>& positions) override;

 private:
  struct Split {
    std::unique_ptr<connectors::SourceReader> reader;
    int64_t watermark = kMinWatermark;
  };

  /// Advances `split`'s watermark over the rows of `batch` (full table slots).
  base::Status TrackWatermark(const Batch& batch, Split* split);
  /// Emits the minimum watermark of the live splits when it advanced.
  base::Status EmitWatermark(Output* out);
  std::string PositionOf(const Split& split) const;
  /// A reader of the split `position` names, moved there.
  base::Result<Split> OpenSplit(const std::string& position) const;

  const plan::PlanNode* node_ = nullptr;
  OperatorMetrics* metrics_ = nullptr;
  const connectors::Connector* connector_ = nullptr;
  std::string job_name_;
  std::string job_id_;
  std::vector<Split> splits_;  // the splits not yet exhausted
  // Positions of the exhausted splits, each `finished\n<reader position>`; empty when the
  // reader cannot tell its position (such a source starts over after a restore anyway).
  std::vector<std::string> finished_splits_;
  size_t next_split_ = 0;  // polled round-robin
  bool bounded_ = true;
  std::vector<types::LogicalType> physical_types_;
  std::unique_ptr<ChainEvaluator> computed_columns_;
  std::unique_ptr<ChainEvaluator> watermark_;
  int64_t emitted_watermark_ = kMinWatermark;
  bool finished_ = false;
};

}  // namespace sluice::runtime::operators
