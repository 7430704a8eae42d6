#pragma once

#include "catalog/base/result.h"
#include "compiler/logical/logical_plan.h"
#include "runtime/plan/plan_graph.h"

namespace sluice::compiler::physical {

/// Builds the physical node of a logical TimeSort (all but its id, UID and parallelism) over
/// an input of `input_schema` in `input_mode`: its spec, state tables and description. kPlan
/// error when the input is updating (Flink's too).
base::Result<runtime::plan::PlanNode> PlanTimeSortNode(const logical::LogicalNode& sort,
                                                       const types::Schema& input_schema,
                                                       runtime::plan::ChangelogMode input_mode);

}  // namespace sluice::compiler::physical
