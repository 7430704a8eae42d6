// Scalar subqueries `(SELECT …)` in a SELECT list or a WHERE, as LEFT joins with their rows;
// LATERAL subqueries in FROM, as joins with theirs.
#include <fmt/format.h>

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

bool ContainsOverCall(const ast::Expression& expression) {
  bool found = false;
  VisitExpressionTree(expression, [&](const ast::Expression& node) {
    if (const auto* call = node.As<ast::FunctionCallExpression>()) {
      found |= call->over != nullptr || call->over_window_name.has_value();
    }
  });
  return found;
}

/// What output slot `slot` of an aggregating subquery (`output`: the projection of its items
/// over the aggregation, maybe through more projections) is when its group has no rows (a
/// correlated subquery without matches): COUNT is 0, every other aggregate NULL (Calcite's
/// rule), keys NULL. Null when the aggregation is not found below the projections.
ExprPtr ValueOverNoRows(const LogicalNode& output, int32_t slot) {
  if (output.kind != LogicalKind::kProject) return nullptr;
  ExprPtr expression = output.projections[slot];
  const LogicalNode* node = output.inputs[0].get();
  while (node->kind == LogicalKind::kProject) {
    expression = optimizer::Substitute(expression, node->projections);
    node = node->inputs[0].get();
  }
  if (node->kind != LogicalKind::kAggregate || !node->aggregate) return nullptr;
  const LogicalNode& aggregate = *node;
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

Binder::CorrelationGuard::CorrelationGuard(Binder* binder_in, const Scope* outer,
                                           const char* construct)
    : binder(binder_in),
      saved_outer(binder_in->correlation_scope_),
      saved_construct(binder_in->correlation_construct_),
      saved_pre_aggregation(binder_in->pre_aggregation_scope_),
      saved_correlation_pre_aggregation(binder_in->correlation_pre_aggregation_scope_) {
  binder->correlation_scope_ = outer;
  binder->correlation_construct_ = construct;
  binder->correlation_pre_aggregation_scope_ = binder->pre_aggregation_scope_;
  binder->pre_aggregation_scope_ = nullptr;
}

Binder::CorrelationGuard::~CorrelationGuard() {
  binder->correlation_scope_ = saved_outer;
  binder->correlation_construct_ = saved_construct;
  binder->pre_aggregation_scope_ = saved_pre_aggregation;
  binder->correlation_pre_aggregation_scope_ = saved_correlation_pre_aggregation;
}

std::optional<Binder::CorrelatedInput> Binder::DecorrelateWhere(const BoundRelation& outer,
                                                                const ast::SelectQuery& select,
                                                                const char* construct) {
  const auto outer_slots = static_cast<int32_t>(outer.node->SlotCount());
  CorrelatedInput result;
  std::optional<BoundRelation> right = BindTableRef(*select.from);
  if (!right) return std::nullopt;
  if (right->window) right = MaterializeWindow(std::move(*right));
  if (!right) return std::nullopt;
  std::vector<const ast::Expression*> conjuncts;
  if (select.where) SplitConjuncts(*select.where, &conjuncts);
  Scope combined = outer.scope;
  for (ScopeColumn& column : combined.columns) column.outer = true;
  for (ScopeColumn column : right->scope.columns) {
    column.slot += outer_slots;
    combined.columns.push_back(column);
  }
  for (const ast::Expression* conjunct : conjuncts) {
    if (ContainsScalarSubquery(*conjunct)) {
      // A scalar subquery of the subquery's own rows: joined to them first.
      right = BindScalarFilter(std::move(*right), {conjunct});
      if (!right) return std::nullopt;
      continue;
    }
    // A name resolves in the subquery first, then in the outer query: a conjunct that binds
    // over the subquery alone filters it, any other one correlates the two.
    correlation_scope_ = nullptr;
    const size_t errors = diagnostics_.size();
    ExprPtr inner = BindPredicate(*conjunct, right->scope, "WHERE");
    diagnostics_.resize(errors);
    if (inner != nullptr) {
      right = BindFilter(std::move(*right), *conjunct, "WHERE");
      correlation_scope_ = &outer.scope;
      if (!right) return std::nullopt;
      continue;
    }
    // Over an aggregation, an outer name that is not a grouping key is explained as such.
    pre_aggregation_scope_ = correlation_pre_aggregation_scope_;
    ExprPtr correlated = BindPredicate(*conjunct, combined, "WHERE");
    pre_aggregation_scope_ = nullptr;
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
        if (binds_over(*first, right->scope) != nullptr && binds_over(*second, outer.scope)) {
          inner_side = first;
          outer_side = second;
          break;
        }
      }
    }
    correlation_scope_ = &outer.scope;
    if (inner_side == nullptr) {
      Error(base::ErrorCode::kPlan,
            fmt::format("{} correlated by a condition other than `inner column = outer "
                        "column` is not supported: '{}'",
                        construct, conjunct->ToString()),
            conjunct->span);
      return std::nullopt;
    }
    ExprPtr outer_key = BindExpression(*outer_side, outer.scope);
    if (outer_key == nullptr) return std::nullopt;
    if (outer_key->type.id() == types::TypeId::kRow) {
      Error(base::ErrorCode::kPlan,
            fmt::format("{} correlated on a ROW value is not supported: '{}'", construct,
                        conjunct->ToString()),
            conjunct->span);
      return std::nullopt;
    }
    result.outer_keys.push_back(outer_key);
    result.inner_keys.push_back(inner_side);
  }
  result.inner = std::move(*right);
  return result;
}

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
  CorrelationGuard correlation(this, &input.scope, "scalar subquery");

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
  ExprPtr value_over_no_rows;                      // a correlated aggregate's value without rows
  if (plain) {
    auto correlated = DecorrelateWhere(input, *select, "scalar subquery");
    if (!correlated) return std::nullopt;
    right = std::move(correlated->inner);
    outer_keys = std::move(correlated->outer_keys);
    inner_keys = std::move(correlated->inner_keys);
    const ast::SelectItem& item = select->items[0];
    if (ContainsAggregate(*item.expression)) {
      // An aggregate: one row per correlation key (GROUP BY the inner keys), or one in all.
      std::vector<OutputItem> outputs;
      for (const ast::Expression* key : inner_keys) outputs.push_back({key, nullptr, key->span});
      outputs.push_back({item.expression.get(), nullptr, item.span});
      right = BindAggregation(std::move(*right), inner_keys, outputs, nullptr, "", select->span);
      if (!right) return std::nullopt;
      if (!inner_keys.empty()) {
        value_over_no_rows = ValueOverNoRows(*right->node, static_cast<int32_t>(inner_keys.size()));
        if (value_over_no_rows == nullptr) {
          Error(base::ErrorCode::kPlan,
                "scalar subquery correlated over this aggregation is not supported", query.span);
          return std::nullopt;
        }
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

std::optional<BoundRelation> Binder::BindLateral(BoundRelation left, const ast::SubqueryRef& ref,
                                                 ast::JoinType type,
                                                 const ast::Expression* condition,
                                                 base::SourceSpan span) {
  const char* kForms =
      "FROM t, LATERAL (SELECT … FROM u WHERE u.k = t.k), FROM t CROSS JOIN LATERAL (…), or "
      "FROM t [INNER | LEFT] JOIN LATERAL (…) ON TRUE";
  if (type == ast::JoinType::kRight || type == ast::JoinType::kFull) {
    Error(base::ErrorCode::kPlan,
          fmt::format("{} JOIN LATERAL is not supported: {}", ast::JoinTypeName(type), kForms),
          span);
    return std::nullopt;
  }
  if (type != ast::JoinType::kCross && !IsOnTrue(condition)) {
    Error(base::ErrorCode::kPlan,
          fmt::format("a JOIN with a LATERAL subquery takes ON TRUE (correlate in its WHERE): {}",
                      kForms),
          condition != nullptr ? condition->span : span);
    return std::nullopt;
  }
  if (left.window) {
    auto rows = MaterializeWindow(std::move(left));
    if (!rows) return std::nullopt;
    left = std::move(*rows);
  }
  const ast::Query& query = *ref.query;
  const auto* select = query.As<ast::SelectQuery>();
  bool plain = select != nullptr && select->from != nullptr && select->group_by.empty() &&
               select->having == nullptr && !select->distinct && select->windows.empty() &&
               query.with.empty() && query.offset == nullptr;
  bool aggregated = false;
  if (plain) {
    for (const ast::SelectItem& item : select->items) {
      plain = plain && !ContainsOverCall(*item.expression);
      aggregated |= ContainsAggregate(*item.expression);
    }
  }
  // `ORDER BY … LIMIT n` keeps the first n inner rows of each outer row: a Top-N partitioned
  // by the correlation keys (as Flink decorrelates it); an ORDER BY alone orders nothing.
  const bool top_n = query.limit != nullptr;
  if (!plain || (aggregated && top_n)) {
    Error(base::ErrorCode::kPlan,
          "LATERAL subquery other than a plain SELECT … FROM … WHERE … [ORDER BY … LIMIT n] "
          "(without GROUP BY, HAVING, DISTINCT, OVER or OFFSET; an aggregating one without "
          "LIMIT) is not supported",
          ref.span);
    return std::nullopt;
  }
  const auto left_slots = static_cast<int32_t>(left.node->SlotCount());
  CorrelationGuard correlation(this, &left.scope, "LATERAL subquery");
  auto correlated = DecorrelateWhere(left, *select, "LATERAL subquery");
  if (!correlated) return std::nullopt;
  if (correlated->outer_keys.empty()) {
    Error(base::ErrorCode::kPlan,
          "uncorrelated LATERAL subquery (a cross join) is not supported: correlate it with "
          "`inner column = outer column` conditions in its WHERE",
          ref.span);
    return std::nullopt;
  }
  const std::vector<const ast::Expression*>& inner_keys = correlated->inner_keys;
  if (top_n) {
    ExprPtr limit = BindExpression(*query.limit, Scope{});
    if (limit == nullptr) return std::nullopt;
    if (limit->kind != ExprKind::kLiteral || !limit->type.IsInteger() || limit->literal.is_null ||
        limit->literal.integer < 1) {
      Error(base::ErrorCode::kBind, "LIMIT needs a whole number of rows, 1 or more",
            query.limit->span);
      return std::nullopt;
    }
    runtime::plan::TopNSpec spec;
    spec.limit = limit->literal.integer;
    const Scope inner_scope = correlated->inner.scope;
    bool by_time = false;
    auto ranked =
        BindRanking(std::move(correlated->inner), inner_keys, query.order_by, &spec, &by_time);
    if (!ranked) return std::nullopt;
    AddTopN(&*ranked, spec, by_time, query.limit->span);
    auto kept = DropComputedSortKeys(std::move(*ranked), inner_scope, query.limit->span);
    if (!kept) return std::nullopt;
    correlated->inner = std::move(*kept);
  }
  std::vector<ExprPtr> bound_keys;
  for (const ast::Expression* key : inner_keys) {
    bound_keys.push_back(BindExpression(*key, correlated->inner.scope));
    if (bound_keys.back() == nullptr) return std::nullopt;
  }
  // The subquery's columns, then its keys (hidden).
  std::optional<BoundRelation> right;
  size_t columns = 0;
  if (aggregated) {
    std::vector<OutputItem> outputs;
    for (const ast::SelectItem& item : select->items) {
      outputs.push_back({item.expression.get(), item.alias ? &*item.alias : nullptr, item.span});
    }
    columns = outputs.size();
    for (const ast::Expression* key : inner_keys) outputs.push_back({key, nullptr, key->span});
    right = BindAggregation(std::move(correlated->inner), inner_keys, outputs, nullptr, "",
                            select->span);
    if (!right) return std::nullopt;
    right->scope.columns.resize(columns);
  } else {
    right = BindSelectItems(std::move(correlated->inner), select->items);
    if (!right) return std::nullopt;
    columns = right->scope.columns.size();
    auto project = std::make_shared<LogicalNode>(*right->node);
    for (size_t i = 0; i < bound_keys.size(); ++i) {
      project->projections.push_back(bound_keys[i]);
      project->schema.columns.push_back({fmt::format("$key{}", i), bound_keys[i]->type});
    }
    right->node = project;
  }
  const auto right_slots = static_cast<int32_t>(right->node->SlotCount());
  const auto first_key_slot = right_slots - static_cast<int32_t>(bound_keys.size());
  for (const ScopeColumn& column : right->scope.columns) {
    if (column.type.id() == types::TypeId::kRow) {
      Error(base::ErrorCode::kPlan,
            fmt::format("a LATERAL subquery selecting a ROW value ('{}') is not supported",
                        column.name),
            ref.span);
      return std::nullopt;
    }
  }
  if (!ref.column_aliases.empty() && ref.column_aliases.size() != columns) {
    Error(base::ErrorCode::kBind,
          fmt::format("{} column aliases given for {} columns", ref.column_aliases.size(), columns),
          ref.span);
    return std::nullopt;
  }

  auto join = std::make_shared<LogicalNode>();
  join->kind = LogicalKind::kJoin;
  // An aggregate gives every left row one row, its value over no rows without a match.
  join->join_type = aggregated || type == ast::JoinType::kLeft ? runtime::plan::JoinType::kLeft
                                                               : runtime::plan::JoinType::kInner;
  join->span = span;
  join->inputs = {left.node, right->node};
  join->schema = left.node->schema;
  for (const auto& column : right->node->schema.columns) join->schema.columns.push_back(column);
  for (size_t i = 0; i < bound_keys.size(); ++i) {
    ExprPtr equal = BindCall(
        "=",
        {correlated->outer_keys[i],
         Expr::Column(left_slots + first_key_slot + static_cast<int32_t>(i), bound_keys[i]->type)},
        inner_keys[i]->span);
    if (equal == nullptr) return std::nullopt;
    join->predicate = join->predicate ? BindCall("AND", {join->predicate, equal}, span) : equal;
  }

  // The left rows' slots, then the subquery's columns.
  auto project = std::make_shared<LogicalNode>();
  project->kind = LogicalKind::kProject;
  project->span = span;
  project->inputs = {join};
  project->schema = left.node->schema;
  const auto left_types = logical::SlotTypes(left.node->schema);
  for (int32_t slot = 0; slot < left_slots; ++slot) {
    project->projections.push_back(Expr::Column(slot, left_types[slot]));
  }
  Scope scope = left.scope;
  // Rows leave a regular join in no particular time order (see BindJoin).
  for (ScopeColumn& column : scope.columns) column.time_attribute = false;
  ExprPtr unmatched =
      BindCall("IS NULL", {Expr::Column(left_slots + first_key_slot, bound_keys[0]->type)}, span);
  for (size_t i = 0; i < columns; ++i) {
    const ScopeColumn& column = right->scope.columns[i];
    ExprPtr value = Expr::Column(left_slots + column.slot, column.type);
    if (aggregated) {
      ExprPtr over_no_rows = ValueOverNoRows(*right->node, column.slot);
      if (over_no_rows == nullptr) {
        Error(base::ErrorCode::kPlan, "LATERAL subquery over this aggregation is not supported",
              ref.span);
        return std::nullopt;
      }
      if (!IsNullLiteral(over_no_rows)) {
        value = Expr::Case({unmatched, CastTo(over_no_rows, column.type), value}, column.type);
      }
    }
    const std::string name = ref.column_aliases.empty() ? column.name : ref.column_aliases[i].name;
    project->projections.push_back(value);
    project->schema.columns.push_back({name, column.type});
    scope.columns.push_back(ScopeColumn{ref.alias ? ref.alias->name : "", name, column.type,
                                        left_slots + static_cast<int32_t>(i)});
  }
  return BoundRelation{project, scope, std::nullopt};
}

}  // namespace sluice::compiler::binder
