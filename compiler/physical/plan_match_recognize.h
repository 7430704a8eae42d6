#pragma once

#include "catalog/base/result.h"
#include "compiler/logical/logical_plan.h"
#include "runtime/plan/plan_graph.h"

namespace sluice::compiler::physical {

/// kPlan error naming `construct` when its input is updating (MATCH_RECOGNIZE and a time sort
/// take insert-only rows, as in Flink).
base::Status RequireInsertOnlyInput(const char* construct, runtime::plan::ChangelogMode input_mode,
                                    base::SourceSpan span);

/// Builds the physical node of a logical MatchRecognize (all but its id, UID and parallelism)
/// over an input of `input_schema` in `input_mode`: its spec, state tables and description.
/// kPlan error when the input is updating (Flink's too).
base::Result<runtime::plan::PlanNode> PlanMatchRecognizeNode(
    const logical::LogicalNode& match, const types::Schema& input_schema,
    runtime::plan::ChangelogMode input_mode);

}  // namespace sluice::compiler::physical
