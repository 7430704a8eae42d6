#include "compiler/physical/plan_lookup_join.h"

#include <fmt/format.h>

#include "compiler/optimizer/optimizer.h"

namespace sluice::compiler::physical {

using runtime::plan::ChainSpec;
using runtime::plan::Expr;
using runtime::plan::ExprKind;
using runtime::plan::ExprPtr;

namespace {

std::vector<std::string> SlotNames(const types::Schema& schema) {
  std::vector<std::string> names;
  for (const auto& slot : types::FlattenSchema(schema)) names.push_back(slot.path);
  return names;
}

/// The chain that turns a table's physical row into the row the join keeps: its full row
/// (computed columns included), then the keys that are not plain columns. Sets `key_slots`;
/// returns nullopt when the physical row itself will do.
std::optional<ChainSpec> TableChain(const logical::ScanTable& table,
                                    const logical::LookupCondition& lookup,
                                    std::vector<int32_t>* key_slots) {
  ChainSpec chain;
  for (const auto& slot : types::FlattenSchema(table.descriptor.schema)) {
    chain.input_types.push_back(slot.type);
  }
  auto full_types = logical::SlotTypes(table.full_schema);
  std::vector<ExprPtr> full_row;
  for (size_t i = 0; i < full_types.size(); ++i) {
    full_row.push_back(table.computed_columns
                           ? table.computed_columns->projections[i]
                           : Expr::Column(static_cast<int32_t>(i), full_types[i]));
  }
  chain.projections = full_row;
  bool identity = !table.computed_columns;
  for (const ExprPtr& key : lookup.table_keys) {
    ExprPtr physical = optimizer::Substitute(key, full_row);
    if (physical->kind == ExprKind::kColumn && identity) {
      key_slots->push_back(physical->column_index);
      continue;
    }
    key_slots->push_back(static_cast<int32_t>(chain.projections.size()));
    chain.projections.push_back(physical);
    identity = false;
  }
  if (lookup.table_filter) {
    chain.filter = optimizer::Substitute(lookup.table_filter, full_row);
    identity = false;
  }
  if (identity) return std::nullopt;
  return chain;
}

}  // namespace

base::Result<runtime::plan::PlanNode> MakeLookupJoinNode(
    const logical::LogicalNode& join, const types::Schema& input_schema,
    const std::vector<int32_t>& input_key_slots, int32_t input_extras,
    std::vector<int32_t>* slot_map) {
  const logical::ScanTable& table = *join.table;
  const logical::LookupCondition& lookup = *join.lookup;
  const int32_t input_slots = static_cast<int32_t>(join.inputs[0]->SlotCount());
  auto input_types = logical::SlotTypes(input_schema);
  auto table_types = logical::SlotTypes(table.full_schema);

  runtime::plan::LookupJoinSpec spec;
  spec.type = join.join_type;
  spec.table = table.descriptor;
  spec.table_output_slots = static_cast<int32_t>(table_types.size());
  spec.left_key_slots = input_key_slots;
  spec.table_chain = TableChain(table, lookup, &spec.table_key_slots);
  for (size_t i = 0; i < input_key_slots.size(); ++i) {
    if (input_types[input_key_slots[i]] != lookup.table_keys[i]->type) {
      return base::Status::Error(base::ErrorCode::kPlan,
                                 fmt::format("lookup join key {} has the types {} and {}", i + 1,
                                             input_types[input_key_slots[i]].ToString(),
                                             lookup.table_keys[i]->type.ToString()),
                                 join.span);
    }
  }

  // Logical slot (input slots, then table slots) → physical output slot.
  slot_map->clear();
  std::vector<ExprPtr> mapping;
  for (int32_t i = 0; i < input_slots; ++i) {
    slot_map->push_back(i);
    mapping.push_back(Expr::Column(i, input_types[i]));
  }
  for (size_t i = 0; i < table_types.size(); ++i) {
    int32_t slot = input_slots + input_extras + static_cast<int32_t>(i);
    slot_map->push_back(slot);
    mapping.push_back(Expr::Column(slot, table_types[i]));
  }
  if (lookup.residual) spec.residual = optimizer::Substitute(lookup.residual, mapping);

  runtime::plan::PlanNode node;
  node.kind = runtime::plan::OperatorKind::kLookupJoin;
  node.output_schema = input_schema;
  for (const auto& column : table.full_schema.columns) node.output_schema.columns.push_back(column);
  // No state: every subtask reads the table again when it opens (also after a restore).
  auto input_names = SlotNames(input_schema);
  auto table_names = SlotNames(table.full_schema);
  std::string description = join.join_type == runtime::plan::JoinType::kLeft ? "LEFT " : "INNER ";
  description += table.descriptor.name + " ON ";
  for (size_t i = 0; i < input_key_slots.size(); ++i) {
    description += (i ? " AND " : "") + input_names[input_key_slots[i]] + " = " +
                   lookup.table_keys[i]->ToString(&table_names);
  }
  if (lookup.table_filter) description += " AND " + lookup.table_filter->ToString(&table_names);
  if (spec.residual) {
    auto names = SlotNames(node.output_schema);
    description += " AND " + spec.residual->ToString(&names);
  }
  description += " (table loaded per subtask)";
  node.description = description;
  node.lookup_join = std::move(spec);
  return node;
}

}  // namespace sluice::compiler::physical
