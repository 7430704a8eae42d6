// Scalar subqueries `(SELECT …)` in a SELECT list or a WHERE, as LEFT joins with their rows.
#include <fmt/format.h>

#include "catalog/base/check.h"
#include "compiler/binder/binder.h"
#include "compiler/optimizer/optimizer.h"

namespace sluice::compiler::binder {

using logical::LogicalKind;
using logical::LogicalNode;
using runtime::plan::Expr;
using runtime::plan::ExprKind;
using runtime::plan::ExprPtr;
using runtime::plan::Value;
using types::LogicalType;

namespace {

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

bool ContainsOverCall(const ast::Expression& expression) {
  bool found = false;
  VisitExpressionTree(expression, [&](const ast::Expression& node) {
    if (const auto* call = node.As<ast::FunctionCallExpression>()) {
      found |= call->over != nullptr || call->over_window_name.has_value();
    }
  });
  return found;
}

/// What an aggregation's output `expression` is when its group has no rows (a correlated
/// subquery without matches): COUNT is 0, every other aggregate NULL (Calcite's rule), keys
/// NULL. `aggregate` is the aggregation whose output slots `expression` reads.
ExprPtr ValueOverNoRows(const ExprPtr& expression, const LogicalNode& aggregate) {
  const auto& spec = *aggregate.aggregate;
  const auto types = logical::SlotTypes(aggregate.schema);
  const auto keys = static_cast<int32_t>(spec.key_slots.size());
  std::vector<ExprPtr> mapping;
  for (int32_t slot = 0; slot < static_cast<int32_t>(types.size()); ++slot) {
    bool count = false;
    if (slot >= keys && slot - keys < static_cast<int32_t>(spec.calls.size())) {
      auto kind = spec.calls[slot - keys].kind;
      count = kind == runtime::plan::AggregateKind::kCount ||
              kind == runtime::plan::AggregateKind::kCountStar;
    }
    mapping.push_back(Expr::Literal(count ? Value::Bigint(0) : Value::Null(types[slot])));
  }
  return optimizer::FoldConstants(optimizer::Substitute(expression, mapping));
}

bool IsNullLiteral(const ExprPtr& expression) {
  return expression->kind == ExprKind::kLiteral && expression->literal.is_null;
}

}  // namespace

std::optional<BoundRelation> Binder::BindScalarSubqueries(
    BoundRelation input, const std::vector<const ast::Expression*>& roots,
    std::vector<const ast::Expression*>* replaced) {
  std::vector<const ast::SubqueryExpression*> subqueries;
  for (const ast::Expression* root : roots) {
    VisitExpressionTree(*root, [&](const ast::Expression& node) {
      if (const auto* subquery = node.As<ast::SubqueryExpression>()) {
        if (!replacements_.count(subquery)) subqueries.push_back(subquery);
      }
    });
  }
  for (const ast::SubqueryExpression* subquery : subqueries) {
    ExprPtr value;
    auto joined = BindScalarSubquery(std::move(input), *subquery, &value);
    if (!joined) return std::nullopt;
    input = std::move(*joined);
    replacements_[subquery] = value;
    replaced->push_back(subquery);
  }
  return input;
}

std::optional<BoundRelation> Binder::BindScalarSubquery(BoundRelation input,
                                                        const ast::SubqueryExpression& subquery,
                                                        ExprPtr* value) {
  if (input.window) {
    auto rows = MaterializeWindow(std::move(input));
    if (!rows) return std::nullopt;
    input = std::move(*rows);
  }
  const ast::Query& query = *subquery.query;
  const auto left_slots = static_cast<int32_t>(input.node->SlotCount());
  // Names of the outer query are visible in the subquery's WHERE only; elsewhere they are
  // refused with the reason (BindColumnRef).
  const Scope* saved_outer = correlation_scope_;
  const Scope* saved_pre_aggregation = pre_aggregation_scope_;
  correlation_scope_ = &input.scope;
  pre_aggregation_scope_ = nullptr;
  struct Restore {
    Binder* binder;
    const Scope* outer;
    const Scope* pre_aggregation;
    ~Restore() {
      binder->correlation_scope_ = outer;
      binder->pre_aggregation_scope_ = pre_aggregation;
    }
  } restore{this, saved_outer, saved_pre_aggregation};

  // A plain `SELECT item FROM … [WHERE …]` is bound piece by piece, so that its WHERE may
  // equate its rows with the outer row's (a correlation, decorrelated into a GROUP BY of the
  // subquery and the join's keys); anything else is bound as a query of its own.
  const auto* select = query.As<ast::SelectQuery>();
  const bool plain = select != nullptr && select->from != nullptr && select->group_by.empty() &&
                     select->having == nullptr && !select->distinct && select->windows.empty() &&
                     query.with.empty() && query.order_by.empty() && query.limit == nullptr &&
                     select->items.size() == 1 &&
                     !select->items[0].expression->Is<ast::StarExpression>() &&
                     !ContainsOverCall(*select->items[0].expression);
  std::optional<BoundRelation> right;
  std::vector<ExprPtr> outer_keys;                 // over the input's slots
  std::vector<const ast::Expression*> inner_keys;  // over the subquery's FROM
  ExprPtr inner_value;                             // over right's slots
  ExprPtr value_over_no_rows;                      // a correlated aggregate's value without rows
  if (plain) {
    right = BindTableRef(*select->from);
    if (!right) return std::nullopt;
    if (right->window) right = MaterializeWindow(std::move(*right));
    if (!right) return std::nullopt;
    std::vector<const ast::Expression*> conjuncts;
    if (select->where) SplitConjuncts(*select->where, &conjuncts);
    Scope combined = input.scope;
    for (ScopeColumn column : right->scope.columns) {
      column.slot += left_slots;
      combined.columns.push_back(column);
    }
    for (const ast::Expression* conjunct : conjuncts) {
      // A name resolves in the subquery first, then in the outer query: a conjunct that binds
      // over the subquery alone filters it, any other one correlates the two.
      correlation_scope_ = nullptr;
      const size_t errors = diagnostics_.size();
      ExprPtr inner = BindPredicate(*conjunct, right->scope, "WHERE");
      diagnostics_.resize(errors);
      if (inner != nullptr) {
        right = BindFilter(std::move(*right), *conjunct, "WHERE");
        correlation_scope_ = &input.scope;
        if (!right) return std::nullopt;
        continue;
      }
      ExprPtr correlated = BindPredicate(*conjunct, combined, "WHERE");
      if (correlated == nullptr) return std::nullopt;
      // Only `inner = outer` decorrelates into a join key.
      const auto* equality = conjunct->As<ast::BinaryExpression>();
      const ast::Expression* inner_side = nullptr;
      const ast::Expression* outer_side = nullptr;
      if (equality != nullptr && equality->op == ast::BinaryOperator::kEqual) {
        auto binds_over = [&](const ast::Expression& operand, const Scope& scope) {
          const size_t before = diagnostics_.size();
          ExprPtr bound = BindExpression(operand, scope);
          diagnostics_.resize(before);
          return bound;
        };
        for (auto [first, second] : {std::pair{equality->left.get(), equality->right.get()},
                                     std::pair{equality->right.get(), equality->left.get()}}) {
          if (binds_over(*first, right->scope) != nullptr && binds_over(*second, input.scope)) {
            inner_side = first;
            outer_side = second;
            break;
          }
        }
      }
      correlation_scope_ = &input.scope;
      if (inner_side == nullptr) {
        Error(base::ErrorCode::kPlan,
              fmt::format("scalar subquery correlated by a condition other than `inner column = "
                          "outer column` is not supported: '{}'",
                          conjunct->ToString()),
              conjunct->span);
        return std::nullopt;
      }
      ExprPtr outer = BindExpression(*outer_side, input.scope);
      if (outer == nullptr) return std::nullopt;
      if (outer->type.id() == types::TypeId::kRow) {
        Error(base::ErrorCode::kPlan,
              fmt::format("scalar subquery correlated on a ROW value is not supported: '{}'",
                          conjunct->ToString()),
              conjunct->span);
        return std::nullopt;
      }
      outer_keys.push_back(outer);
      inner_keys.push_back(inner_side);
    }
    const ast::SelectItem& item = select->items[0];
    if (ContainsAggregate(*item.expression)) {
      // An aggregate: one row per correlation key (GROUP BY the inner keys), or one in all.
      std::vector<OutputItem> outputs;
      for (const ast::Expression* key : inner_keys) outputs.push_back({key, nullptr, key->span});
      outputs.push_back({item.expression.get(), nullptr, item.span});
      right = BindAggregation(std::move(*right), inner_keys, outputs, nullptr, "", select->span);
      if (!right) return std::nullopt;
      const LogicalNode& projection = *right->node;
      SLUICE_CHECK(projection.kind == LogicalKind::kProject &&
                       projection.inputs[0]->kind == LogicalKind::kAggregate,
                   "an aggregation binds to a projection over the aggregate, not {}",
                   logical::LogicalKindName(projection.kind));
      if (!inner_keys.empty()) {
        value_over_no_rows =
            ValueOverNoRows(projection.projections[inner_keys.size()], *projection.inputs[0]);
        if (IsNullLiteral(value_over_no_rows)) value_over_no_rows = nullptr;
      }
    } else {
      std::vector<std::string> names;
      std::vector<ExprPtr> expressions;
      std::vector<base::SourceSpan> spans;
      for (const ast::Expression* key : inner_keys) {
        names.push_back(fmt::format("$key{}", names.size()));
        expressions.push_back(BindExpression(*key, right->scope));
        spans.push_back(key->span);
      }
      ExprPtr bound = BindExpression(*item.expression, right->scope);
      if (bound == nullptr) return std::nullopt;
      names.push_back(DefaultName(*item.expression, names.size()));
      expressions.push_back(bound);
      spans.push_back(item.span);
      right = MakeProject(std::move(*right), names, expressions, spans);
      if (!right) return std::nullopt;
    }
  } else {
    right = BindQuery(query);
    if (!right) return std::nullopt;
    if (right->window) right = MaterializeWindow(std::move(*right));
    if (!right) return std::nullopt;
  }
  const size_t columns = right->scope.columns.size() - inner_keys.size();
  if (columns != 1) {
    Error(base::ErrorCode::kBind,
          fmt::format("a scalar subquery must select one column, not {}", columns), subquery.span);
    return std::nullopt;
  }
  const ScopeColumn& selected = right->scope.columns.back();
  if (selected.type.id() == types::TypeId::kRow) {
    Error(base::ErrorCode::kPlan, "a scalar subquery of a ROW value is not supported",
          subquery.span);
    return std::nullopt;
  }

  auto node = std::make_shared<LogicalNode>();
  node->kind = LogicalKind::kJoin;
  node->join_type = runtime::plan::JoinType::kLeft;
  node->single_right_row = true;
  node->span = subquery.span;
  node->inputs = {input.node, right->node};
  node->schema = input.node->schema;
  for (const auto& column : right->node->schema.columns) node->schema.columns.push_back(column);
  for (size_t i = 0; i < outer_keys.size(); ++i) {
    const ScopeColumn& key = right->scope.columns[i];
    ExprPtr equal = BindCall("=", {outer_keys[i], Expr::Column(left_slots + key.slot, key.type)},
                             inner_keys[i]->span);
    if (equal == nullptr) return std::nullopt;
    node->predicate =
        node->predicate ? BindCall("AND", {node->predicate, equal}, subquery.span) : equal;
  }
  *value = Expr::Column(left_slots + selected.slot, selected.type);
  if (value_over_no_rows != nullptr) {
    // Without a match the keys are NULL (a NULL key never matches): the aggregate's value over
    // no rows then, such as COUNT's 0.
    const ScopeColumn& key = right->scope.columns[0];
    ExprPtr unmatched =
        BindCall("IS NULL", {Expr::Column(left_slots + key.slot, key.type)}, subquery.span);
    *value =
        Expr::Case({unmatched, CastTo(value_over_no_rows, selected.type), *value}, selected.type);
  }
  // Rows leave a regular join in no particular time order (see BindJoin).
  Scope scope = input.scope;
  for (ScopeColumn& column : scope.columns) column.time_attribute = false;
  return BoundRelation{node, scope, std::nullopt};
}

}  // namespace sluice::compiler::binder
