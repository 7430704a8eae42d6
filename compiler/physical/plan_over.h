#pragma once

#include "catalog/base/result.h"
#include "compiler/logical/logical_plan.h"
#include "runtime/plan/plan_graph.h"

namespace sluice::compiler::physical {

/// Builds the physical node of a logical OverAggregate (all but its id, UID and parallelism)
/// over an input of `input_schema` in `input_mode`: event time over an insert-only input
/// ordered by a time attribute, changelog mode (a bounded ROWS frame) over an updating one.
/// Anything else is a compile error at the window's ORDER BY.
base::Result<runtime::plan::PlanNode> PlanOverAggregateNode(
    const logical::LogicalNode& over, const types::Schema& input_schema,
    runtime::plan::ChangelogMode input_mode);

}  // namespace sluice::compiler::physical
