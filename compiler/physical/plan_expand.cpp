#include "compiler/physical/plan_expand.h"

#include <string>
#include <vector>

namespace sluice::compiler::physical {

runtime::plan::PlanNode PlanExpandNode(const logical::LogicalNode& expand,
                                       const types::Schema& input_schema,
                                       runtime::plan::ChangelogMode mode) {
  runtime::plan::PlanNode node;
  node.kind = runtime::plan::OperatorKind::kExpand;
  node.output_schema = expand.schema;
  node.changelog_mode = mode;
  node.expand = expand.expand;
  std::vector<std::string> names;
  for (const auto& slot : types::FlattenSchema(input_schema)) names.push_back(slot.path);
  node.description = runtime::plan::GroupingSetsText(*expand.expand, names);
  return node;
}

}  // namespace sluice::compiler::physical
