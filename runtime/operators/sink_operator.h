#pragma once

#include <memory>

#include "runtime/operators/chain_evaluator.h"
#include "runtime/operators/operator.h"

namespace sluice::runtime::operators {

/// Writes batches to a table through its connector, first casting them to the declared
/// column types when the plan asks for it. In a job run in shadow (OperatorContext::shadow) it
/// drops every row and leaves the writer untouched until the handover barrier, after which it
/// owns its output as any sink.
class SinkOperator : public Operator {
 public:
  base::Status Open(const OperatorContext& context) override;
  base::Status ProcessBatch(int32_t input, BatchPtr batch, Output* out) override;
  base::Status ProcessWatermark(int64_t watermark, Output* out) override;
  base::Status Finish(Output* out) override;
  /// With checkpoints and a transactional writer: pre-commit at the barrier, commit when the
  /// checkpoint completes (exactly-once output, DESIGN §8).
  base::Result<std::string> PrepareSnapshot(const Barrier& barrier) override;
  base::Status NotifyCheckpointComplete(int64_t checkpoint_id) override;

 private:
  bool transactional_ = false;
  /// Until the handover barrier: rows are counted in `shadow_control_` and dropped.
  bool shadow_ = false;
  ShadowControl* shadow_control_ = nullptr;
  bool can_transact_ = false;  // checkpointing, and the writer supports transactions
  std::unique_ptr<connectors::SinkWriter> writer_;
  std::unique_ptr<ChainEvaluator> cast_;
  OperatorMetrics* metrics_ = nullptr;
};

}  // namespace sluice::runtime::operators
