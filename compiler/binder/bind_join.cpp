// Regular joins: INNER, LEFT, FULL, and RIGHT as the LEFT join of the swapped sides; window
// joins in bind_window_join.cpp.
#include <fmt/format.h>

#include <functional>

#include "compiler/binder/binder.h"
#include "compiler/logical/interval_bounds.h"
#include "runtime/operators/window_clock.h"

namespace sluice::compiler::binder {

using logical::LogicalKind;
using logical::LogicalNode;
using runtime::plan::Expr;
using runtime::plan::ExprKind;
using runtime::plan::ExprPtr;
using types::LogicalType;
using types::TypeId;

std::optional<BoundRelation> Binder::BindJoin(BoundRelation left, BoundRelation right,
                                              ast::JoinType type, const ast::Expression* condition,
                                              const std::vector<ast::Identifier>& using_columns,
                                              base::SourceSpan span) {
  if (!using_columns.empty()) {
    Error(base::ErrorCode::kPlan, "JOIN ... USING is not supported yet; write ON a.x = b.x",
          using_columns.front().span);
    return std::nullopt;
  }
  if (left.window || right.window) {
    // (A window RIGHT join keeps its sides: the window join operator pads either side.)
    return BindWindowJoin(std::move(left), std::move(right), type, condition, span);
  }
  if (type == ast::JoinType::kRight) {
    // A RIGHT join is the LEFT join of the swapped sides, its columns put back in order.
    const size_t left_columns = left.scope.columns.size();
    auto swapped = BindJoin(std::move(right), std::move(left), ast::JoinType::kLeft, condition,
                            using_columns, span);
    if (!swapped) return std::nullopt;
    const size_t right_columns = swapped->scope.columns.size() - left_columns;
    std::vector<std::string> names;
    std::vector<ExprPtr> expressions;
    std::vector<base::SourceSpan> spans;
    std::vector<ScopeColumn> columns;
    for (size_t i = 0; i < swapped->scope.columns.size(); ++i) {
      // Left columns first (after the right ones in the swapped join), then right ones.
      const ScopeColumn& column =
          swapped->scope.columns[i < left_columns ? right_columns + i : i - left_columns];
      names.push_back(column.name);
      expressions.push_back(Expr::Column(column.slot, column.type));
      spans.push_back(span);
      columns.push_back(column);
    }
    auto projected = MakeProject(std::move(*swapped), names, expressions, spans);
    if (!projected) return std::nullopt;
    // The join's scope as it was (qualifiers, repeated names), at the projected slots.
    for (size_t i = 0; i < columns.size(); ++i) {
      int32_t slot = projected->scope.columns[i].slot;
      projected->scope.columns[i] = columns[i];
      projected->scope.columns[i].slot = slot;
    }
    return projected;
  }
  auto node = std::make_shared<LogicalNode>();
  node->kind = LogicalKind::kJoin;
  node->join_type = type == ast::JoinType::kLeft   ? runtime::plan::JoinType::kLeft
                    : type == ast::JoinType::kFull ? runtime::plan::JoinType::kFull
                                                   : runtime::plan::JoinType::kInner;
  node->span = span;
  node->inputs = {left.node, right.node};
  node->schema = left.node->schema;
  for (const auto& column : right.node->schema.columns) node->schema.columns.push_back(column);
  Scope scope = left.scope;
  int32_t left_slots = static_cast<int32_t>(left.node->SlotCount());
  for (ScopeColumn column : right.scope.columns) {
    column.slot += left_slots;
    scope.columns.push_back(column);
  }
  // The conjuncts of an INNER join's ON that hold a scalar subquery filter the joined rows
  // (ON and WHERE agree for an inner join); an outer join's would decide which rows match, so
  // BindPredicate refuses them there.
  std::vector<const ast::Expression*> scalar_conjuncts;
  if (condition && type == ast::JoinType::kInner && ContainsScalarSubquery(*condition)) {
    std::vector<const ast::Expression*> conjuncts;
    SplitConjuncts(*condition, &conjuncts);
    for (const ast::Expression* conjunct : conjuncts) {
      if (ContainsScalarSubquery(*conjunct)) {
        scalar_conjuncts.push_back(conjunct);
        continue;
      }
      ExprPtr bound = BindPredicate(*conjunct, scope, "ON");
      if (bound == nullptr) return std::nullopt;
      node->predicate = node->predicate ? BindCall("AND", {node->predicate, bound}, span) : bound;
    }
  } else if (condition) {
    node->predicate = BindPredicate(*condition, scope, "ON");
    if (node->predicate == nullptr) return std::nullopt;
    // An equality of the two sides' window_end columns (both from window aggregations) lets
    // the join drop a window's state once the watermark passes its end.
    std::function<void(const ExprPtr&)> find = [&](const ExprPtr& expression) {
      if (expression->kind != ExprKind::kCall) return;
      if (expression->function == functions::FunctionId::kAnd) {
        for (const auto& argument : expression->arguments) find(argument);
        return;
      }
      if (expression->function != functions::FunctionId::kEqual) return;
      const ExprPtr& a = expression->arguments[0];
      const ExprPtr& b = expression->arguments[1];
      if (a->kind != ExprKind::kColumn || b->kind != ExprKind::kColumn) return;
      auto window_end = [&](int32_t slot) {
        for (const ScopeColumn& column : scope.columns) {
          // A window_end on another zone's clock is no instant to free state by.
          if (column.slot == slot && column.window_property == WindowProperty::kEnd &&
              column.window_origin &&
              runtime::operators::WindowClock(column.window_origin->time_zone).identity()) {
            return true;
          }
        }
        return false;
      };
      int32_t left_slot = std::min(a->column_index, b->column_index);
      int32_t right_slot = std::max(a->column_index, b->column_index);
      if (left_slot < left_slots && right_slot >= left_slots && window_end(left_slot) &&
          window_end(right_slot)) {
        node->left_window_end_slot = left_slot;
        node->right_window_end_slot = right_slot - left_slots;
      }
    };
    if (type == ast::JoinType::kInner) find(node->predicate);
  } else if (type != ast::JoinType::kCross) {
    Error(base::ErrorCode::kBind, "JOIN needs an ON condition", span);
    return std::nullopt;
  }
  for (const ScopeColumn& column : left.scope.columns) {
    if (column.time_attribute) node->left_time_attributes.push_back(column.slot);
  }
  for (const ScopeColumn& column : right.scope.columns) {
    if (column.time_attribute) node->right_time_attributes.push_back(column.slot);
  }
  // A regular join's output is not ordered by time: time attributes become plain timestamps
  // (Flink does the same), so a window TVF over a join result is rejected. An interval join
  // (time bounds between the sides' time attributes and a key equality in ON) keeps them: it
  // holds back its watermark so that no output row is late.
  bool interval = false;
  if (node->predicate) {
    auto bounds = logical::FindIntervalBounds(
        node->predicate, left_slots, node->left_time_attributes, node->right_time_attributes);
    interval = bounds && bounds->keyed;
  }
  if (!interval) {
    for (ScopeColumn& column : scope.columns) column.time_attribute = false;
  }
  BoundRelation joined{node, scope, std::nullopt};
  if (!scalar_conjuncts.empty()) return BindScalarFilter(std::move(joined), scalar_conjuncts);
  return joined;
}

}  // namespace sluice::compiler::binder
