// IN / EXISTS subqueries of WHERE as semi and anti joins; its conditions with scalar
// subqueries after their joins (bind_scalar_subquery.cpp).
#include <fmt/format.h>

#include "compiler/binder/binder.h"

namespace sluice::compiler::binder {

using logical::LogicalKind;
using logical::LogicalNode;
using runtime::plan::Expr;
using runtime::plan::ExprPtr;

bool ContainsScalarSubquery(const ast::Expression& expression) {
  bool found = false;
  VisitExpressionTree(expression, [&](const ast::Expression& node) {
    found |= node.Is<ast::SubqueryExpression>();
  });
  return found;
}

void SplitConjuncts(const ast::Expression& expression,
                    std::vector<const ast::Expression*>* conjuncts) {
  if (const auto* binary = expression.As<ast::BinaryExpression>();
      binary != nullptr && binary->op == ast::BinaryOperator::kAnd) {
    SplitConjuncts(*binary->left, conjuncts);
    SplitConjuncts(*binary->right, conjuncts);
    return;
  }
  conjuncts->push_back(&expression);
}

namespace {

/// A conjunct that is a subquery predicate: its query, its IN operand (null for EXISTS) and
/// whether it is negated.
struct SubqueryPredicate {
  const ast::Query* query = nullptr;
  const ast::Expression* in_value = nullptr;
  bool negated = false;
};

std::optional<SubqueryPredicate> AsSubqueryPredicate(const ast::Expression& expression) {
  bool negated = false;
  const ast::Expression* current = &expression;
  if (const auto* unary = current->As<ast::UnaryExpression>();
      unary != nullptr && unary->op == ast::UnaryOperator::kNot) {
    negated = true;
    current = unary->operand.get();
  }
  if (const auto* in = current->As<ast::InSubqueryExpression>()) {
    return SubqueryPredicate{in->query.get(), in->value.get(), negated != in->negated};
  }
  if (const auto* exists = current->As<ast::ExistsExpression>()) {
    return SubqueryPredicate{exists->query.get(), nullptr, negated};
  }
  return std::nullopt;
}

bool ContainsOverCall(const ast::Expression& expression) {
  if (const auto* call = expression.As<ast::FunctionCallExpression>()) {
    if (call->over || call->over_window_name) return true;
  }
  return false;
}

}  // namespace

std::optional<BoundRelation> Binder::BindWhere(BoundRelation input,
                                               const ast::Expression& condition) {
  std::vector<const ast::Expression*> conjuncts;
  SplitConjuncts(condition, &conjuncts);
  std::vector<const ast::Expression*> plain;
  std::vector<std::pair<const ast::Expression*, SubqueryPredicate>> subqueries;
  for (const ast::Expression* conjunct : conjuncts) {
    if (auto predicate = AsSubqueryPredicate(*conjunct)) {
      subqueries.emplace_back(conjunct, *predicate);
    } else {
      plain.push_back(conjunct);
    }
  }
  // The plain conditions filter first (less state in the joins); those with scalar subqueries
  // after the joins that compute their values.
  std::vector<const ast::Expression*> without_scalar_subqueries, with_scalar_subqueries;
  for (const ast::Expression* conjunct : plain) {
    (ContainsScalarSubquery(*conjunct) ? with_scalar_subqueries : without_scalar_subqueries)
        .push_back(conjunct);
  }
  if (subqueries.empty() && with_scalar_subqueries.empty()) {
    return BindFilter(std::move(input), condition, "WHERE");
  }
  std::optional<BoundRelation> current = std::move(input);
  for (const ast::Expression* conjunct : without_scalar_subqueries) {
    current = BindFilter(std::move(*current), *conjunct, "WHERE");
    if (!current) return std::nullopt;
  }
  if (!with_scalar_subqueries.empty()) {
    current = BindScalarFilter(std::move(*current), with_scalar_subqueries);
    if (!current) return std::nullopt;
  }
  for (const auto& [conjunct, predicate] : subqueries) {
    current = BindSubqueryJoin(std::move(*current), *predicate.query, predicate.in_value,
                               predicate.negated, conjunct->span);
    if (!current) return std::nullopt;
  }
  return current;
}

std::optional<BoundRelation> Binder::BindScalarFilter(
    BoundRelation input, const std::vector<const ast::Expression*>& conjuncts) {
  if (input.window) {
    auto rows = MaterializeWindow(std::move(input));
    if (!rows) return std::nullopt;
    input = std::move(*rows);
  }
  const types::Schema schema = input.node->schema;
  std::vector<const ast::Expression*> replaced;
  auto current = BindScalarSubqueries(std::move(input), conjuncts, &replaced);
  for (size_t i = 0; current && i < conjuncts.size(); ++i) {
    current = BindFilter(std::move(*current), *conjuncts[i], "WHERE");
  }
  for (const ast::Expression* subquery : replaced) replacements_.erase(subquery);
  if (!current) return std::nullopt;
  // The joined subquery columns go again: the rows are the input's.
  auto node = std::make_shared<LogicalNode>();
  node->kind = LogicalKind::kProject;
  node->schema = schema;
  node->span = conjuncts.front()->span;
  node->inputs.push_back(current->node);
  const auto types = logical::SlotTypes(schema);
  for (size_t slot = 0; slot < types.size(); ++slot) {
    node->projections.push_back(Expr::Column(static_cast<int32_t>(slot), types[slot]));
  }
  return BoundRelation{node, current->scope, std::nullopt};
}

std::optional<BoundRelation> Binder::BindSubqueryJoin(BoundRelation input, const ast::Query& query,
                                                      const ast::Expression* in_value, bool negated,
                                                      base::SourceSpan span) {
  const char* what =
      in_value != nullptr ? (negated ? "NOT IN" : "IN") : (negated ? "NOT EXISTS" : "EXISTS");
  // A window TVF stays pending until the subquery is bound: a subquery over a window TVF whose
  // WHERE pairs the windows makes a window semi or anti join. Its rows (if it is made into
  // them) keep the slots of the window columns.
  const int32_t left_slots =
      input.window ? input.window->input_slots + 3 : static_cast<int32_t>(input.node->SlotCount());
  // A plain `SELECT … FROM … [WHERE …]` is bound piece by piece, so that its WHERE may refer to
  // the outer query (correlation); anything else is bound as a query of its own.
  const auto* select = query.As<ast::SelectQuery>();
  bool decomposable = select != nullptr && select->from != nullptr && select->group_by.empty() &&
                      select->having == nullptr && !select->distinct && select->windows.empty() &&
                      query.with.empty() && query.order_by.empty() && query.limit == nullptr;
  if (decomposable) {
    for (const ast::SelectItem& item : select->items) {
      if (ContainsAggregate(*item.expression) || ContainsOverCall(*item.expression)) {
        decomposable = false;
      }
    }
  }
  std::optional<BoundRelation> right;
  std::vector<ExprPtr> conditions;  // over the left slots, then the right ones
  ExprPtr selected;                 // the IN subquery's column, over the right slots
  if (decomposable) {
    right = BindTableRef(*select->from);
    if (!right) return std::nullopt;
    if (right->window && !input.window) right = MaterializeWindow(std::move(*right));
    if (!right) return std::nullopt;
    if (select->where) {
      Scope combined = input.scope;
      for (ScopeColumn& column : combined.columns) column.outer = true;
      for (ScopeColumn column : right->scope.columns) {
        column.slot += left_slots;
        combined.columns.push_back(column);
      }
      std::vector<const ast::Expression*> conjuncts;
      SplitConjuncts(*select->where, &conjuncts);
      for (const ast::Expression* conjunct : conjuncts) {
        // A name resolves in the subquery first, then in the outer query: a conjunct that
        // binds over the subquery alone filters it, any other one correlates the two.
        const size_t errors = diagnostics_.size();
        ExprPtr inner = BindPredicate(*conjunct, right->scope, "WHERE");
        diagnostics_.resize(errors);
        if (inner != nullptr) {
          right = BindFilter(std::move(*right), *conjunct, "WHERE");
          if (!right) return std::nullopt;
          continue;
        }
        ExprPtr correlated = BindPredicate(*conjunct, combined, "WHERE");
        if (correlated == nullptr) return std::nullopt;
        conditions.push_back(correlated);
      }
    }
    if (in_value != nullptr) {
      if (select->items.size() != 1 || select->items[0].expression->As<ast::StarExpression>()) {
        Error(base::ErrorCode::kBind,
              fmt::format("the subquery of {} must select one column", what), query.span);
        return std::nullopt;
      }
      selected = BindExpression(*select->items[0].expression, right->scope);
      if (selected == nullptr) return std::nullopt;
    }
  } else {
    right = BindQuery(query);
    if (!right) return std::nullopt;
    if (right->window) right = MaterializeWindow(std::move(*right));
    if (!right) return std::nullopt;
    if (in_value != nullptr) {
      if (right->scope.columns.size() != 1) {
        Error(base::ErrorCode::kBind,
              fmt::format("the subquery of {} must select one column, not {}", what,
                          right->scope.columns.size()),
              query.span);
        return std::nullopt;
      }
      const ScopeColumn& column = right->scope.columns[0];
      selected = Expr::Column(column.slot, column.type);
    }
  }
  if (in_value != nullptr) {
    ExprPtr value = BindExpression(*in_value, input.scope);
    if (value == nullptr) return std::nullopt;
    if (value->type.id() == types::TypeId::kRow || selected->type.id() == types::TypeId::kRow) {
      Error(base::ErrorCode::kPlan, fmt::format("{} cannot compare ROW values", what), span);
      return std::nullopt;
    }
    ExprPtr other = logical::ShiftColumns(selected, left_slots);
    ExprPtr equal = BindCall("=", {value, other}, span);
    if (equal == nullptr) return std::nullopt;
    if (negated) {
      // x NOT IN (…) is TRUE only when no y equals x and no comparison is UNKNOWN: a NULL on
      // either side counts as a match (SQL), so the anti join keeps the row only if none is.
      ExprPtr unknown = BindCall(
          "OR", {BindCall("IS NULL", {value}, span), BindCall("IS NULL", {other}, span)}, span);
      equal = BindCall("OR", {equal, unknown}, span);
      if (equal == nullptr) return std::nullopt;
    }
    conditions.push_back(equal);
  }
  const runtime::plan::JoinType type =
      negated ? runtime::plan::JoinType::kAnti : runtime::plan::JoinType::kSemi;
  ExprPtr predicate;
  for (const ExprPtr& condition : conditions) {
    predicate = predicate ? BindCall("AND", {predicate, condition}, span) : condition;
  }
  if (PairsJoinedWindows(input, *right, predicate)) {
    // Flink's window semi / anti join: per window, emitted when the window ends.
    if (!CheckWindowJoinSides(input, *right)) return std::nullopt;
    return MakeWindowJoin(std::move(input), std::move(*right), type, predicate, span);
  }
  // Otherwise a regular semi or anti join of the window TVFs' rows.
  for (BoundRelation* side : {&input, &*right}) {
    if (!side->window) continue;
    auto rows = MaterializeWindow(std::move(*side));
    if (!rows) return std::nullopt;
    *side = std::move(*rows);
  }
  auto node = std::make_shared<LogicalNode>();
  node->kind = LogicalKind::kJoin;
  node->join_type = type;
  node->span = span;
  node->inputs = {input.node, right->node};
  node->schema = input.node->schema;
  node->predicate = predicate;
  // Rows leave a regular join in no particular time order (see BindJoin).
  Scope scope = input.scope;
  for (ScopeColumn& column : scope.columns) column.time_attribute = false;
  return BoundRelation{node, scope, std::nullopt};
}

}  // namespace sluice::compiler::binder
