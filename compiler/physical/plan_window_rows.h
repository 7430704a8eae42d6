#pragma once

#include <cstdint>

#include "compiler/logical/logical_plan.h"
#include "runtime/plan/plan_graph.h"

namespace sluice::compiler::physical {

/// Builds the physical node of a window TVF selected without aggregation (all but its id,
/// UID and parallelism) over an input of `input_schema` in mode `mode`: stateless, the input
/// columns then window_start, window_end and window_time, in the input's changelog mode.
runtime::plan::PlanNode PlanWindowTableFunctionNode(const logical::LogicalNode& function,
                                                    const types::Schema& input_schema,
                                                    runtime::plan::ChangelogMode mode);

/// The input slot of the window_end in a Top-N's partition, when the partition holds both
/// window_start and window_end of one event-time window (a window Top-N); -1 otherwise. Sets
/// `time_zone` to the window's (WindowSpec::time_zone) when there is one.
int32_t WindowEndPartitionSlot(const logical::LogicalNode& top_n, std::string* time_zone);

}  // namespace sluice::compiler::physical
