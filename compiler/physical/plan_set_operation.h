#pragma once

#include "catalog/base/result.h"
#include "compiler/logical/logical_plan.h"
#include "runtime/plan/plan_graph.h"

namespace sluice::compiler::physical {

/// Builds the physical node of a logical INTERSECT / EXCEPT (all but its id, UID and
/// parallelism) over inputs of `input_schema` (both sides alike) in modes `left_mode` and
/// `right_mode`. Its state "counts" is keyed by the whole row; INTERSECT of insert-only inputs
/// is insert-only, anything else updating (EXCEPT retracts a row when the right side gains it).
base::Result<runtime::plan::PlanNode> PlanSetOperationNode(const logical::LogicalNode& node,
                                                           const types::Schema& input_schema,
                                                           runtime::plan::ChangelogMode left_mode,
                                                           runtime::plan::ChangelogMode right_mode);

}  // namespace sluice::compiler::physical
