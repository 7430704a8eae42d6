#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "runtime/operators/operator.h"
#include "runtime/operators/window_assigner.h"
#include "runtime/operators/window_clock.h"

namespace sluice::runtime::operators {

/// A window TVF's rows (`SELECT * FROM TABLE(TUMBLE(...))` without aggregation): each input
/// row once per window holding its time (PlanNode::window_table_function), followed by that
/// window's window_start, window_end and window_time (= window_end - 1 ms). Row kinds pass
/// through; rows are neither held back nor dropped as late (Flink's WindowTableFunction),
/// except rows whose event time is NULL. A processing-time window takes the wall clock when
/// the batch arrives. Watermarks are forwarded unchanged.
///
/// Restore: no state.
class WindowTableFunctionOperator : public Operator {
 public:
  base::Status Open(const OperatorContext& context) override;
  base::Status ProcessBatch(int32_t input, BatchPtr batch, Output* out) override;

 private:
  const plan::PlanNode* node_ = nullptr;
  plan::WindowSpec window_;
  WindowClock clock_;  // the windows' wall clock
  std::unique_ptr<WindowAssigner> assigner_;
  ProcessingTimeService* processing_time_ = nullptr;
  std::vector<types::LogicalType> output_types_;
  size_t input_columns_ = 0;
};

}  // namespace sluice::runtime::operators
