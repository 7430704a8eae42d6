#include <fmt/format.h>

#include <algorithm>
#include <functional>

#include "compiler/binder/binder.h"

namespace sluice::compiler::binder {

using logical::LogicalKind;
using logical::LogicalNode;
using runtime::plan::Expr;
using runtime::plan::ExprKind;
using runtime::plan::ExprPtr;

namespace {

void SplitConjuncts(const ExprPtr& expression, std::vector<ExprPtr>* out) {
  if (expression->kind == ExprKind::kCall && expression->function == functions::FunctionId::kAnd) {
    for (const auto& argument : expression->arguments) SplitConjuncts(argument, out);
  } else {
    out->push_back(expression);
  }
}

ExprPtr Conjunction(const std::vector<ExprPtr>& conjuncts) {
  if (conjuncts.empty()) return nullptr;
  ExprPtr result = conjuncts.front();
  for (size_t i = 1; i < conjuncts.size(); ++i) {
    result = Expr::Call(functions::FunctionId::kAnd, types::LogicalType::Boolean(),
                        {result, conjuncts[i]});
  }
  return result;
}

/// The lowest and highest column slot an expression reads; {-1, -1} for a constant.
std::pair<int32_t, int32_t> SlotRange(const ExprPtr& expression) {
  std::pair<int32_t, int32_t> range{-1, -1};
  std::function<void(const ExprPtr&)> visit = [&](const ExprPtr& node) {
    if (node->kind == ExprKind::kColumn) {
      range.first =
          range.first < 0 ? node->column_index : std::min(range.first, node->column_index);
      range.second = std::max(range.second, node->column_index);
    }
    for (const auto& argument : node->arguments) visit(argument);
  };
  visit(expression);
  return range;
}

ExprPtr ShiftColumns(const ExprPtr& expression, int32_t delta) {
  if (expression->kind == ExprKind::kColumn) {
    return Expr::Column(expression->column_index + delta, expression->type);
  }
  if (expression->arguments.empty()) return expression;
  auto copy = std::make_shared<Expr>(*expression);
  for (auto& argument : copy->arguments) argument = ShiftColumns(argument, delta);
  return copy;
}

}  // namespace

const ast::BaseTableRef* Binder::LookupTableOf(const ast::TableRef& ref) {
  if (ref.kind() != ast::TableRefKind::kBaseTable) return nullptr;
  const auto& table = ref.Cast<ast::BaseTableRef>();
  return table.system_time ? &table : nullptr;
}

bool Binder::CheckProcessingTime(const ast::Expression& as_of, const Scope& left) {
  ExprPtr time = BindExpression(as_of, left);
  if (time == nullptr) return false;
  const ScopeColumn* column = nullptr;
  if (time->kind == ExprKind::kColumn) {
    for (const ScopeColumn& candidate : left.columns) {
      if (candidate.slot == time->column_index) column = &candidate;
    }
  }
  if (column != nullptr && column->processing_time) return true;
  Error(base::ErrorCode::kPlan,
        "FOR SYSTEM_TIME AS OF needs a time attribute of the left side: a processing-time "
        "attribute (a PROCTIME() column) for a lookup join, e.g. FROM (SELECT *, PROCTIME() AS "
        "p_time FROM s) AS s JOIN t FOR SYSTEM_TIME AS OF s.p_time, or an event-time attribute "
        "(a WATERMARK FOR column) for an event-time temporal join with a versioned table",
        as_of.span);
  return false;
}

const CatalogTable* Binder::FindLookupTable(const ast::BaseTableRef& ref) {
  if (!ref.hints.empty()) {
    Error(base::ErrorCode::kPlan,
          "table hints on the lookup table of FOR SYSTEM_TIME AS OF are not supported yet; set "
          "the options in its CREATE TABLE",
          ref.hints.front().span);
    return nullptr;
  }
  const ast::Identifier& name = ref.name.Last();
  CatalogTable* table = ref.name.parts.size() == 1 ? catalog_->FindTable(name.name) : nullptr;
  if (table == nullptr) {
    // Reports a missing table or a qualified name; a view or CTE binds, and is refused here.
    if (BindTableName(ref.name, name.name, ref.span)) {
      Error(base::ErrorCode::kPlan,
            fmt::format("'{}' is a view; the lookup table of FOR SYSTEM_TIME AS OF must be a "
                        "table (CREATE TABLE)",
                        name.name),
            name.span);
    }
    return nullptr;
  }
  const auto& descriptor = table->scan->descriptor;
  const std::string& connector_name = descriptor.options.at("connector");
  const auto* connector = runtime::connectors::FindConnector(connector_name);
  // An unknown connector is reported by the planner, with the option's position.
  if (connector != nullptr &&
      (!connector->SupportsSource() || !connector->CanBeReadCompletely(descriptor))) {
    Error(base::ErrorCode::kPlan,
          fmt::format("table '{}' ('connector' = '{}') cannot be read completely, so it cannot "
                      "be the lookup table of FOR SYSTEM_TIME AS OF: a lookup join loads a "
                      "bounded table ('filesystem', 'values', or 'datagen' with "
                      "'number-of-rows'); to join two streams, drop FOR SYSTEM_TIME AS OF",
                      descriptor.name, connector_name),
          name.span);
    return nullptr;
  }
  return table;
}

std::optional<BoundRelation> Binder::BindLookupJoin(
    BoundRelation left, const ast::BaseTableRef& ref, ast::JoinType type,
    const ast::Expression* condition, const std::vector<ast::Identifier>& using_columns,
    base::SourceSpan span) {
  if (type != ast::JoinType::kInner && type != ast::JoinType::kLeft) {
    Error(base::ErrorCode::kPlan,
          fmt::format("a join FOR SYSTEM_TIME AS OF (a lookup join or an event-time temporal "
                      "join) is an INNER or LEFT JOIN, not a {}",
                      ast::JoinTypeName(type)),
          span);
    return std::nullopt;
  }
  if (!using_columns.empty()) {
    Error(base::ErrorCode::kPlan, "JOIN ... USING is not supported yet; write ON a.x = b.x",
          using_columns.front().span);
    return std::nullopt;
  }
  if (left.window) {
    Error(base::ErrorCode::kPlan,
          "joining a window TVF before aggregating it (a window join) is not supported yet",
          left.window->span);
    return std::nullopt;
  }
  ExprPtr as_of = BindExpression(*ref.system_time, left.scope);
  if (as_of == nullptr) return std::nullopt;
  // AS OF an event-time attribute: an event-time temporal join with a versioned table.
  bool event_time = false;
  for (const ScopeColumn& column : left.scope.columns) {
    event_time |= as_of->kind == ExprKind::kColumn && column.slot == as_of->column_index &&
                  column.time_attribute && !column.processing_time;
  }
  if (event_time) {
    const int32_t time_slot = as_of->column_index;
    return BindTemporalJoin(std::move(left), ref, time_slot, type, condition, span);
  }
  bool time_ok = CheckProcessingTime(*ref.system_time, left.scope);
  const CatalogTable* table = FindLookupTable(ref);
  if (!time_ok || table == nullptr) return std::nullopt;
  const std::string qualifier = ref.alias ? ref.alias->name : ref.name.Last().name;
  const types::Schema& table_schema = table->scan->full_schema;
  if (condition == nullptr) {
    Error(base::ErrorCode::kBind, "a lookup join needs an ON condition", span);
    return std::nullopt;
  }

  const int32_t left_slots = static_cast<int32_t>(left.node->SlotCount());
  Scope scope = left.scope;
  for (ScopeColumn column : Scope::FromSchema(table_schema, qualifier).columns) {
    column.slot += left_slots;
    scope.columns.push_back(column);
  }
  ExprPtr predicate = BindPredicate(*condition, scope, "ON");
  if (predicate == nullptr) return std::nullopt;
  std::vector<ExprPtr> conjuncts, residual, table_filter;
  SplitConjuncts(predicate, &conjuncts);
  logical::LookupCondition lookup;
  for (const ExprPtr& conjunct : conjuncts) {
    auto range = SlotRange(conjunct);
    if (range.first >= left_slots) {
      table_filter.push_back(ShiftColumns(conjunct, -left_slots));
      continue;
    }
    if (conjunct->kind == ExprKind::kCall && conjunct->function == functions::FunctionId::kEqual) {
      ExprPtr a = conjunct->arguments[0];
      ExprPtr b = conjunct->arguments[1];
      auto a_range = SlotRange(a);
      auto b_range = SlotRange(b);
      if (a_range.first >= left_slots) {
        std::swap(a, b);
        std::swap(a_range, b_range);
      }
      bool keys = a_range.second < left_slots && b_range.first >= left_slots;
      types::LogicalType common;
      if (keys && a->type.id() != types::TypeId::kRow &&
          types::CommonSupertype(a->type, b->type, &common)) {
        lookup.input_keys.push_back(CastTo(a, common));
        lookup.table_keys.push_back(CastTo(ShiftColumns(b, -left_slots), common));
        continue;
      }
    }
    residual.push_back(conjunct);
  }
  if (lookup.input_keys.empty()) {
    Error(base::ErrorCode::kPlan,
          fmt::format("a lookup join needs an equality between the left side and the columns of "
                      "the lookup table '{}' in its ON condition, e.g. ON s.id = {}.{}",
                      table->scan->descriptor.name, qualifier, table_schema.columns.front().name),
          condition->span);
    return std::nullopt;
  }
  lookup.table_filter = Conjunction(table_filter);
  lookup.residual = Conjunction(residual);

  auto node = std::make_shared<LogicalNode>();
  node->kind = LogicalKind::kLookupJoin;
  node->join_type = type == ast::JoinType::kLeft ? runtime::plan::JoinType::kLeft
                                                 : runtime::plan::JoinType::kInner;
  node->span = span;
  node->inputs = {left.node};
  node->table = table->scan;
  node->lookup = std::move(lookup);
  node->schema = left.node->schema;
  for (const auto& column : table_schema.columns) node->schema.columns.push_back(column);
  // The output follows the left input row by row: its time attributes stay what they were;
  // the table's columns are plain values.
  for (ScopeColumn& column : scope.columns) {
    if (column.slot >= left_slots) {
      column.time_attribute = false;
      column.processing_time = false;
    }
  }
  return BoundRelation{node, scope, std::nullopt};
}

}  // namespace sluice::compiler::binder
