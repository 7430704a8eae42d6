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

/// When a regular INNER or LEFT join (neither interval, window nor temporal) of insert-only
/// inputs can free its kept rows (JoinSpec::left/right_expiry): FindRowExpiries over its
/// condition, with each side's event times: its time attributes, and the window_end and
/// window_time of an event-time window aggregation or window TVF passed on by projections and
/// filters (a window's rows come out as the watermark passes its end, never behind it). Empty
/// lists when nothing bounds either side.
logical::RowExpiries JoinRowExpiries(const logical::LogicalNode& join);

/// EXPLAIN text of a side's row expiry over its column names, e.g. `dateTime + 10000 ms`
/// (several: `the earliest of …`).
std::string DescribeRowExpiry(const std::vector<runtime::plan::RowExpiry>& expiries,
                              const std::vector<std::string>& names);

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
