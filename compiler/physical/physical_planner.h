#pragma once

#include <map>
#include <string>
#include <vector>

#include "catalog/base/result.h"
#include "compiler/logical/logical_plan.h"
#include "runtime/plan/plan_graph.h"

namespace sluice::compiler::physical {

/// Job-wide settings the physical plan needs.
struct PhysicalOptions {
  std::string job_name = "sluice-job";
  int32_t parallelism = 1;
  int32_t max_parallelism = 128;
  std::map<std::string, std::string> options;
};

/// Where a connector's complaint about a table should point.
struct TableSpans {
  base::SourceSpan use;  // where the table is read or written
  std::map<std::string, base::SourceSpan> options;
};

/// Turns optimized logical plans (one per INSERT) into the PlanGraph: one source per table
/// read (shared between INSERTs), one fused Calc per INSERT (filters, projections and the
/// casts to the sink's column types), one sink per INSERT. UIDs follow DESIGN §4:
/// `source/<table>`, `<target>/calc`, `sink/<table>`.
base::Result<runtime::plan::PlanGraph> PlanJob(const std::vector<logical::InsertPlan>& inserts,
                                               const PhysicalOptions& options,
                                               const std::map<std::string, TableSpans>& spans);

/// Renders the plan as an indented tree from each sink down to its sources.
std::string ExplainText(const runtime::plan::PlanGraph& plan);
/// Renders the plan as Graphviz dot.
std::string ExplainDot(const runtime::plan::PlanGraph& plan);

}  // namespace sluice::compiler::physical
