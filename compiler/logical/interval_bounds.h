#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "runtime/plan/expr.h"
#include "runtime/plan/plan_graph.h"

namespace sluice::compiler::logical {

/// What makes a join condition an interval join: the time bounds and the conjuncts left over.
struct IntervalBounds {
  runtime::plan::IntervalJoinSpec spec;  // right_time_slot within the right input
  /// The conjuncts of the condition that are not time bounds (keys and residuals), over the
  /// join's slots (left, then right).
  std::vector<runtime::plan::ExprPtr> other_conjuncts;
  /// Some other conjunct equates an expression of each side (a join key).
  bool keyed = false;
};

/// Finds a lower and an upper bound of one right event-time attribute relative to one left
/// event-time attribute among the conjuncts of `condition` (over left slots, then right slots
/// from `left_slots` on): comparisons (=, <, <=, >, >=) of `time [± INTERVAL]` terms, one of
/// each side. Exclusive bounds are made inclusive (timestamps are whole milliseconds). Returns
/// nullopt unless both bounds are found.
std::optional<IntervalBounds> FindIntervalBounds(const runtime::plan::ExprPtr& condition,
                                                 int32_t left_slots,
                                                 const std::vector<int32_t>& left_time_slots,
                                                 const std::vector<int32_t>& right_time_slots);

/// Splits a condition into its AND-ed conjuncts.
void ConjunctsOf(const runtime::plan::ExprPtr& condition, std::vector<runtime::plan::ExprPtr>* out);

}  // namespace sluice::compiler::logical
