#pragma once

#include "compiler/logical/logical_plan.h"
#include "runtime/plan/plan_graph.h"

namespace sluice::compiler::physical {

/// Builds the physical node of the Expand of GROUPING SETS, ROLLUP or CUBE (all but its id,
/// UID and parallelism) over an input of `input_schema` in mode `mode`: stateless, its rows in
/// the input's changelog mode.
runtime::plan::PlanNode PlanExpandNode(const logical::LogicalNode& expand,
                                       const types::Schema& input_schema,
                                       runtime::plan::ChangelogMode mode);

}  // namespace sluice::compiler::physical
