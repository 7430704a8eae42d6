#include "compiler/physical/plan_time_sort.h"

#include "compiler/physical/plan_match_recognize.h"

namespace sluice::compiler::physical {

base::Result<runtime::plan::PlanNode> PlanTimeSortNode(const logical::LogicalNode& sort,
                                                       const types::Schema& input_schema,
                                                       runtime::plan::ChangelogMode input_mode) {
  SLUICE_RETURN_IF_ERROR(
      RequireInsertOnlyInput("ORDER BY a time attribute", input_mode, sort.span));
  const runtime::plan::TimeSortSpec& spec = *sort.time_sort;
  runtime::plan::PlanNode node;
  node.kind = runtime::plan::OperatorKind::kTimeSort;
  node.output_schema = sort.schema;
  node.changelog_mode = runtime::plan::ChangelogMode::kInsertOnly;
  node.time_sort = spec;
  // "rows": the rows waiting for their time (event time: the watermark passing it; processing
  // time: the next tick), all in one key group (time_sort_operator.h).
  runtime::plan::StateSpec rows;
  rows.name = "rows";
  rows.value_schema = input_schema;
  rows.state_namespace = runtime::plan::StateNamespace::kTime;
  node.state.push_back(rows);
  if (spec.event_time) node.state.push_back(runtime::plan::WatermarkStateSpec());
  std::vector<std::string> names;
  for (const auto& slot : types::FlattenSchema(input_schema)) names.push_back(slot.path);
  node.description = runtime::plan::TimeSortText(spec, names);
  return node;
}

}  // namespace sluice::compiler::physical
