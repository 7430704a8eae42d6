#pragma once

#include <string>
#include <vector>

#include "catalog/base/result.h"
#include "compiler/logical/logical_plan.h"
#include "runtime/plan/plan_graph.h"

namespace sluice::compiler::physical {

/// Makes `node`, planned as a join of `join` (its keys, residual, output schema and each
/// side's "left" / "right" StateSpec set), the kTemporalJoin of an event-time temporal join:
/// its kind, times, state namespaces (rows kept per event time), watermark state and
/// description. kPlan error when the left input (`left_mode`) is updating.
base::Status MakeTemporalJoin(const logical::LogicalNode& join,
                              runtime::plan::ChangelogMode left_mode,
                              const std::vector<std::string>& left_names,
                              const std::vector<std::string>& right_names,
                              runtime::plan::PlanNode* node);

}  // namespace sluice::compiler::physical
