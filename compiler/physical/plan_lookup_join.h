#pragma once

#include <cstdint>
#include <vector>

#include "catalog/base/result.h"
#include "compiler/logical/logical_plan.h"
#include "runtime/plan/plan_graph.h"

namespace sluice::compiler::physical {

/// Builds the kLookupJoin node of a kLookupJoin logical node whose input was planned with
/// `input_schema`: the logical input's slots, then `input_extras` computed key columns; the
/// join keys are at `input_key_slots`. Sets the spec, output schema and description (uid, id,
/// parallelism and changelog mode are the planner's). `slot_map` receives, for each logical
/// output slot, its physical slot (they differ when the input has extra key columns).
base::Result<runtime::plan::PlanNode> MakeLookupJoinNode(
    const logical::LogicalNode& join, const types::Schema& input_schema,
    const std::vector<int32_t>& input_key_slots, int32_t input_extras,
    std::vector<int32_t>* slot_map);

}  // namespace sluice::compiler::physical
