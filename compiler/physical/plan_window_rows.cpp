#include "compiler/physical/plan_window_rows.h"

#include <optional>
#include <string>
#include <vector>

#include "compiler/physical/plan_join.h"

namespace sluice::compiler::physical {

runtime::plan::PlanNode PlanWindowTableFunctionNode(const logical::LogicalNode& function,
                                                    const types::Schema& input_schema,
                                                    runtime::plan::ChangelogMode mode) {
  runtime::plan::PlanNode node;
  node.kind = runtime::plan::OperatorKind::kWindowTableFunction;
  node.output_schema = input_schema;
  for (const auto& column : WindowJoinColumns()) node.output_schema.columns.push_back(column);
  node.changelog_mode = mode;
  node.window_table_function = function.window;
  std::vector<std::string> names;
  for (const auto& slot : types::FlattenSchema(input_schema)) names.push_back(slot.path);
  node.description = DescribeWindow(*function.window) + " ON " + names[function.window->time_slot];
  if (function.window->processing_time) node.description += " (processing time)";
  return node;
}

int32_t WindowEndPartitionSlot(const logical::LogicalNode& top_n, std::string* time_zone) {
  const logical::LogicalNode& input = *top_n.inputs[0];
  int32_t start = -1, end = -1;
  std::optional<runtime::plan::WindowSpec> window;
  auto same = [](const runtime::plan::WindowSpec& a, const runtime::plan::WindowSpec& b) {
    return a.kind == b.kind && a.size == b.size && a.step == b.step && a.gap == b.gap &&
           a.offset == b.offset && a.time_zone == b.time_zone;
  };
  for (int32_t slot : top_n.top_n->partition_slots) {
    auto column = logical::TraceWindowColumn(input, slot);
    if (!column || column->window.processing_time) continue;
    if (window && !same(*window, column->window)) return -1;
    window = column->window;
    if (column->property == logical::WindowColumn::Property::kStart) start = slot;
    if (column->property == logical::WindowColumn::Property::kEnd) end = slot;
  }
  if (start < 0 || end < 0) return -1;
  *time_zone = window->time_zone;
  return end;
}

}  // namespace sluice::compiler::physical
