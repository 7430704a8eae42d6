#pragma once

#include <optional>
#include <string>
#include <vector>

#include "compiler/logical/interval_bounds.h"
#include "compiler/logical/logical_plan.h"
#include "runtime/plan/plan_graph.h"

namespace sluice::compiler::physical {

/// Tells whether a logical subtree may produce an updating (retracting) stream; conservative:
/// true where the physical plan might still turn out insert-only.
bool MayUpdate(const logical::LogicalNode& node);

/// The interval bounds of a join that plans as an interval join: an INNER or LEFT join of
/// insert-only inputs whose condition bounds one time attribute of each side against the
/// other (FindIntervalBounds) and also equates the sides. nullopt: a regular or window join.
std::optional<logical::IntervalBounds> IntervalJoinBounds(const logical::LogicalNode& join);

/// The three window columns a window join appends to each side.
std::vector<types::RowField> WindowJoinColumns();

/// EXPLAIN text of an interval join's bounds over the sides' column names, e.g.
/// `A.dateTime BETWEEN B.dateTime - 10000 ms AND B.dateTime`.
std::string DescribeIntervalBounds(const runtime::plan::IntervalJoinSpec& spec,
                                   const std::vector<std::string>& left_names,
                                   const std::vector<std::string>& right_names);

/// EXPLAIN text of a window join's window, e.g. `TUMBLE(10000 ms)`.
std::string DescribeWindow(const runtime::plan::WindowSpec& window);

}  // namespace sluice::compiler::physical
