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

/// When each side's kept rows of a regular join can no longer match (JoinSpec::left_expiry and
/// right_expiry, slots within each side's input).
struct RowExpiries {
  std::vector<runtime::plan::RowExpiry> left;
  std::vector<runtime::plan::RowExpiry> right;
};

/// Finds, among the conjuncts of `condition` (over left slots, then right slots from
/// `left_slots` on), the comparisons that bound an event time of one side (a slot of
/// `left_times` / `right_times`, each never behind the watermark when its row arrives) from
/// above by a TIMESTAMP column of the other side, each `column [± INTERVAL]`: `x <= y + d`
/// (also `<`, `=`, and mirrored) with x such a time makes the other side's row expire at
/// y + d. `b.t BETWEEN a.t AND a.expires` frees a's rows at a.expires and b's at b.t.
RowExpiries FindRowExpiries(const runtime::plan::ExprPtr& condition, int32_t left_slots,
                            const std::vector<int32_t>& left_times,
                            const std::vector<int32_t>& right_times);

/// Splits a condition into its AND-ed conjuncts.
void ConjunctsOf(const runtime::plan::ExprPtr& condition, std::vector<runtime::plan::ExprPtr>* out);

}  // namespace sluice::compiler::logical
