#include "compiler/physical/plan_set_operation.h"

#include <fmt/format.h>

namespace sluice::compiler::physical {

using runtime::plan::ChangelogMode;

base::Result<runtime::plan::PlanNode> PlanSetOperationNode(const logical::LogicalNode& node,
                                                           const types::Schema& input_schema,
                                                           ChangelogMode left_mode,
                                                           ChangelogMode right_mode) {
  const runtime::plan::SetOperationSpec& spec = *node.set_operation;
  const bool intersect = spec.kind == runtime::plan::SetOperationKind::kIntersect;
  runtime::plan::PlanNode plan_node;
  plan_node.kind = runtime::plan::OperatorKind::kSetOperation;
  plan_node.output_schema = input_schema;
  plan_node.changelog_mode = intersect && left_mode == ChangelogMode::kInsertOnly &&
                                     right_mode == ChangelogMode::kInsertOnly
                                 ? ChangelogMode::kInsertOnly
                                 : ChangelogMode::kUpdating;
  runtime::plan::StateSpec state;
  state.name = "counts";
  std::string columns;
  for (const types::Slot& slot : types::FlattenSchema(input_schema)) {
    if (slot.type.id() == types::TypeId::kRow) {
      return base::Status::Error(base::ErrorCode::kPlan,
                                 fmt::format("{} cannot compare ROW columns ('{}')",
                                             intersect ? "INTERSECT" : "EXCEPT", slot.path),
                                 node.span);
    }
    state.key_schema.columns.push_back({slot.path, slot.type});
    columns += (columns.empty() ? "" : ", ") + slot.path;
  }
  state.value_schema.columns.push_back({"left_count", types::LogicalType::Bigint()});
  state.value_schema.columns.push_back({"right_count", types::LogicalType::Bigint()});
  plan_node.state.push_back(state);
  plan_node.description = fmt::format("{}{} ON [{}]", intersect ? "INTERSECT" : "EXCEPT",
                                      spec.all ? " ALL" : "", columns);
  plan_node.set_operation = spec;
  return plan_node;
}

}  // namespace sluice::compiler::physical
