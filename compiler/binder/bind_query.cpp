#include <fmt/format.h>

#include <cctype>
#include <functional>

#include "catalog/base/suggest.h"
#include "compiler/binder/binder.h"

namespace sluice::compiler::binder {

using logical::LogicalKind;
using logical::LogicalNode;
using runtime::plan::Expr;
using runtime::plan::ExprKind;
using runtime::plan::ExprPtr;
using types::LogicalType;
using types::TypeId;

namespace {

constexpr size_t kMaxViewDepth = 32;

BoundRelation Requalify(BoundRelation relation, const std::string& qualifier) {
  for (ScopeColumn& column : relation.scope.columns) column.qualifier = qualifier;
  return relation;
}

}  // namespace

bool IsProctimeCall(const runtime::plan::Expr& expression) {
  return expression.kind == ExprKind::kCall &&
         expression.function == functions::FunctionId::kProctime;
}

Scope Scope::FromSchema(const types::Schema& schema, const std::string& qualifier) {
  Scope scope;
  int32_t slot = 0;
  for (const auto& column : schema.columns) {
    scope.columns.push_back({qualifier, column.name, column.type, slot});
    slot += SlotCount(column.type);
  }
  return scope;
}

types::Schema Scope::ToSchema() const {
  types::Schema schema;
  for (const ScopeColumn& column : columns) schema.columns.push_back({column.name, column.type});
  return schema;
}

std::vector<const ast::Expression*> Binder::HiddenOrderItems(const ast::SelectQuery& select) {
  std::vector<const ast::Expression*> hidden;
  if (select.order_by.empty() || select.distinct) return hidden;
  std::vector<std::string> selected;
  for (const ast::SelectItem& item : select.items) {
    if (item.expression->Is<ast::StarExpression>()) return hidden;
    if (item.alias) {
      selected.push_back(item.alias->name);
    } else if (const auto* column = item.expression->As<ast::ColumnRefExpression>()) {
      if (!column->parts.empty()) selected.push_back(column->parts.back().name);
    }
  }
  for (const ast::OrderItem& item : select.order_by) {
    // A qualified name (`b.price`) is a FROM column, selected or not: read where it is one.
    bool hide = ContainsAggregate(*item.expression);
    for (const std::string& name : ReferencedColumnNames(*item.expression, &hide)) {
      hide |= std::none_of(selected.begin(), selected.end(), [&](const std::string& output) {
        return types::IdentifierEquals(output, name);
      });
    }
    if (hide) hidden.push_back(item.expression.get());
  }
  return hidden;
}

std::optional<BoundRelation> Binder::BindQuery(const ast::Query& query) {
  std::map<std::string, const ast::CommonTableExpression*> ctes;
  for (const auto& cte : query.with) ctes[cte.name.name] = &cte;
  ctes_.push_back(std::move(ctes));
  std::optional<BoundRelation> result;
  const bool nested = query_depth_ > 0;
  // As Calcite does for Flink, a subquery's (or view's) ORDER BY without a LIMIT is dropped:
  // the enclosing query does not keep its order.
  const bool drop_order = nested && query.limit == nullptr && query.offset == nullptr;
  std::vector<const ast::Expression*> hidden;
  if (!drop_order && query.kind() == ast::QueryKind::kSelect) {
    hidden = HiddenOrderItems(query.Cast<ast::SelectQuery>());
  }
  hidden_order_items_ = hidden;
  ++query_depth_;
  switch (query.kind()) {
    case ast::QueryKind::kSelect: result = BindSelect(query.Cast<ast::SelectQuery>()); break;
    case ast::QueryKind::kPipe: result = BindPipe(query.Cast<ast::PipeQuery>()); break;
    case ast::QueryKind::kFrom: result = BindTableRef(*query.Cast<ast::FromQuery>().from); break;
    case ast::QueryKind::kSetOperation:
      result = BindSetOperation(query.Cast<ast::SetOperationQuery>());
      break;
    case ast::QueryKind::kValues: result = BindValues(query.Cast<ast::ValuesQuery>()); break;
  }
  --query_depth_;
  hidden_order_items_.clear();
  // The hidden ORDER BY items are the select's last columns ($order0, …) unless it could not
  // add them (DISTINCT): the ORDER BY reads them through replacements_, then they are dropped.
  size_t kept_columns = result ? result->scope.columns.size() : 0;
  if (result && !hidden.empty() && kept_columns >= hidden.size() &&
      result->scope.columns[kept_columns - hidden.size()].name == "$order0") {
    kept_columns -= hidden.size();
    for (size_t i = 0; i < hidden.size(); ++i) {
      const ScopeColumn& column = result->scope.columns[kept_columns + i];
      replacements_[hidden[i]] = Expr::Column(column.slot, column.type);
    }
  } else {
    hidden.clear();
  }
  // SELECT DISTINCT … ORDER BY: an item written as a selected expression (`b.x`, `a + 1`)
  // reads that output column, as Calcite matches it (the FROM clause is gone after DISTINCT).
  std::vector<const ast::Expression*> distinct_matches;
  if (result && !drop_order && query.kind() == ast::QueryKind::kSelect &&
      query.Cast<ast::SelectQuery>().distinct) {
    const auto& select = query.Cast<ast::SelectQuery>();
    const bool one_column_per_item =
        select.items.size() == result->scope.columns.size() &&
        std::none_of(select.items.begin(), select.items.end(), [](const ast::SelectItem& item) {
          return item.expression->Is<ast::StarExpression>();
        });
    for (const ast::OrderItem& order : select.order_by) {
      if (!one_column_per_item) break;
      const std::string written = order.expression->ToString();
      bool matched = false;
      for (size_t i = 0; i < select.items.size() && !matched; ++i) {
        const ScopeColumn& column = result->scope.columns[i];
        if (column.type.id() == TypeId::kRow || select.items[i].expression->ToString() != written) {
          continue;
        }
        replacements_[order.expression.get()] = Expr::Column(column.slot, column.type);
        distinct_matches.push_back(order.expression.get());
        matched = true;
      }
      // A qualified name that is no selected expression names a FROM table that DISTINCT
      // hides (unless it reads a field of a selected ROW column).
      const auto* reference = order.expression->As<ast::ColumnRefExpression>();
      if (matched || reference == nullptr || reference->parts.size() < 2) continue;
      const bool selected_row =
          std::any_of(result->scope.columns.begin(), result->scope.columns.end(),
                      [&](const ScopeColumn& column) {
                        return types::IdentifierEquals(column.name, reference->parts[0].name);
                      });
      if (selected_row) continue;
      Error(base::ErrorCode::kBind,
            fmt::format("ORDER BY {} of a SELECT DISTINCT must be one of the selected "
                        "expressions (Calcite's rule): select it, or sort by a selected column",
                        written),
            order.expression->span);
      result = std::nullopt;
      break;
    }
  }
  if (result && (!query.order_by.empty() || query.limit || query.offset) && !drop_order) {
    if (result->window) result = MaterializeWindow(std::move(*result));
    if (result) {
      result = BindOrderByLimit(std::move(*result), query.order_by, query.limit.get(),
                                query.offset.get(), query.span);
    }
  }
  for (const ast::Expression* item : hidden) replacements_.erase(item);
  for (const ast::Expression* item : distinct_matches) replacements_.erase(item);
  if (result && !hidden.empty()) {
    Scope kept = result->scope;
    kept.columns.resize(kept_columns);
    result = DropComputedSortKeys(std::move(*result), kept, query.span);
  }
  ctes_.pop_back();
  return result;
}

std::optional<BoundRelation> Binder::BindSingleRow(base::SourceSpan span) {
  ast::ValuesQuery single(span);
  single.rows.emplace_back();
  auto literal = std::make_unique<ast::LiteralExpression>(span);
  literal->literal_kind = ast::LiteralKind::kBoolean;
  literal->boolean_value = true;
  single.rows.back().push_back(std::move(literal));
  auto row = BindValues(single);
  if (row) row->scope.columns.clear();  // its one column is not visible
  return row;
}

std::optional<BoundRelation> Binder::BindSelect(const ast::SelectQuery& select) {
  // The ORDER BY items to select as hidden columns (BindQuery), before a subquery takes them.
  const std::vector<const ast::Expression*> hidden = std::move(hidden_order_items_);
  hidden_order_items_.clear();
  // Without FROM (SELECT UPPER('a')), a SELECT reads one row without columns (Flink's).
  auto input = select.from != nullptr ? BindTableRef(*select.from) : BindSingleRow(select.span);
  if (!input) return std::nullopt;
  // UID('x') pins the block's stateful operator; with a join and an aggregation both, they
  // become x.join and x.agg.
  std::string uid = UidHint(select.hints);
  bool aggregated = !select.group_by.empty() || select.having != nullptr;
  for (const ast::SelectItem& item : select.items) {
    aggregated |= ContainsAggregate(*item.expression);
  }
  for (const ast::Expression* item : hidden) aggregated |= ContainsAggregate(*item);
  // SELECT DISTINCT of plain expressions is GROUP BY them; over an aggregation, stars or
  // window functions, a distinct of the projected rows.
  bool has_star = false, has_over = false, has_subquery = false;
  for (const ast::SelectItem& item : select.items) {
    std::vector<const ast::FunctionCallExpression*> over_calls;
    FindOverCalls(*item.expression, &over_calls);
    has_over |= !over_calls.empty();
    has_star |= item.expression->As<ast::StarExpression>() != nullptr;
    has_subquery |= ContainsScalarSubquery(*item.expression);
  }
  if (aggregated && has_over) {
    // A ranking over the aggregated rows is a Top-N (bind_top_n.cpp); an OVER aggregation of
    // them has no time attribute to order by.
    for (const ast::SelectItem& item : select.items) {
      std::vector<const ast::FunctionCallExpression*> over_calls;
      FindOverCalls(*item.expression, &over_calls);
      for (const ast::FunctionCallExpression* call : over_calls) {
        const std::string& name = call->name.Last().name;
        if (types::IdentifierEquals(name, "ROW_NUMBER") || types::IdentifierEquals(name, "RANK") ||
            types::IdentifierEquals(name, "DENSE_RANK")) {
          continue;
        }
        Error(base::ErrorCode::kPlan,
              fmt::format("{}(...) OVER over the rows of a GROUP BY or aggregate in the same "
                          "SELECT is not supported (they have no time attribute to order by); "
                          "aggregate in a subquery",
                          name),
              call->span);
        return std::nullopt;
      }
    }
  }
  const bool distinct_items =
      select.distinct && !aggregated && !has_star && !has_over && !has_subquery;
  const bool grouped = aggregated || select.distinct;
  // A RIGHT join is a projection over the swapped LEFT join.
  const bool right_join = select.from != nullptr &&
                          select.from->kind() == ast::TableRefKind::kJoin &&
                          select.from->Cast<ast::JoinRef>().join_type == ast::JoinType::kRight &&
                          input->node->kind == LogicalKind::kProject;
  if (!uid.empty() && (input->node->kind == LogicalKind::kJoin ||
                       input->node->kind == LogicalKind::kLookupJoin || right_join)) {
    auto join = std::make_shared<LogicalNode>(right_join ? *input->node->inputs[0] : *input->node);
    join->uid_hint = grouped ? uid + ".join" : uid;
    if (right_join) {
      auto project = std::make_shared<LogicalNode>(*input->node);
      project->inputs[0] = join;
      input->node = project;
    } else {
      input->node = join;
    }
    if (grouped) uid += ".agg";
  }
  if (!uid.empty() && input->node->kind == LogicalKind::kMatchRecognize) {
    auto match = std::make_shared<LogicalNode>(*input->node);
    match->uid_hint = grouped ? uid + ".match" : uid;
    input->node = match;
    if (grouped) uid += ".agg";
  }
  if (select.where) {
    filtering_before_aggregation_ = aggregated || distinct_items;
    input = BindWhere(std::move(*input), *select.where);
    filtering_before_aggregation_ = false;
    if (!input) return std::nullopt;
  }
  if (distinct_items) {
    std::vector<const ast::Expression*> keys;
    std::vector<OutputItem> outputs;
    for (const ast::SelectItem& item : select.items) {
      keys.push_back(item.expression.get());
      outputs.push_back({item.expression.get(), item.alias ? &*item.alias : nullptr, item.span});
    }
    return BindAggregation(std::move(*input), keys, outputs, nullptr, uid, select.span);
  }
  if (aggregated) {
    std::vector<const ast::Expression*> keys;
    for (const auto& key : select.group_by) {
      // GROUP BY (a, b) groups by a and b (SQL's parenthesized list), not by a ROW.
      const auto* row = key->As<ast::FunctionCallExpression>();
      if (row != nullptr && row->implicit_row) {
        for (const auto& field : row->arguments) keys.push_back(field.get());
      } else {
        keys.push_back(key.get());
      }
    }
    std::vector<OutputItem> outputs;
    for (const ast::SelectItem& item : select.items) {
      outputs.push_back({item.expression.get(), item.alias ? &*item.alias : nullptr, item.span});
    }
    for (size_t i = 0; i < hidden.size(); ++i) {
      ast::Identifier& alias = hidden_order_aliases_.emplace_back();
      alias.name = fmt::format("$order{}", i);
      outputs.push_back({hidden[i], &alias, hidden[i]->span});
    }
    auto bound =
        BindAggregation(std::move(*input), keys, outputs, select.having.get(), uid, select.span);
    if (!bound || !select.distinct) return bound;
    return MakeDistinct(std::move(*bound), "", select.span);
  }
  // Without a join to take it, UID('x') pins the block's OVER or Top-N operator.
  const std::vector<ast::NamedWindow>* outer_windows = named_windows_;
  named_windows_ = &select.windows;
  window_uid_hint_ = input->node->kind == LogicalKind::kJoin ? "" : uid;
  auto bound = BindSelectItems(std::move(*input), select.items, hidden);
  named_windows_ = outer_windows;
  window_uid_hint_.clear();
  if (!bound || !select.distinct) return bound;
  return MakeDistinct(std::move(*bound), has_over ? "" : uid, select.span);
}

std::optional<BoundRelation> Binder::BindFilter(BoundRelation input,
                                                const ast::Expression& condition,
                                                const char* clause) {
  ExprPtr predicate = BindPredicate(condition, input.scope, clause);
  if (predicate == nullptr) return std::nullopt;
  if (input.window) {
    bool uses_window = false;
    std::function<void(const ExprPtr&)> visit = [&](const ExprPtr& expression) {
      if (expression->kind == ExprKind::kColumn &&
          expression->column_index >= input.window->input_slots) {
        uses_window = true;
      }
      for (const auto& argument : expression->arguments) visit(argument);
    };
    visit(predicate);
    if (uses_window && filtering_before_aggregation_) {
      Error(base::ErrorCode::kPlan,
            "a condition on window_start, window_end or window_time before the aggregation is "
            "not supported; filter after it (HAVING)",
            condition.span);
      return std::nullopt;
    }
    if (uses_window) {
      // Without an aggregation, filter the window TVF's rows (the slots stay the same).
      auto rows = MaterializeWindow(std::move(input));
      if (!rows) return std::nullopt;
      input = std::move(*rows);
    }
  }
  auto node = std::make_shared<LogicalNode>();
  node->kind = LogicalKind::kFilter;
  node->schema = input.node->schema;
  node->predicate = predicate;
  node->span = condition.span;
  node->inputs.push_back(input.node);
  return BoundRelation{node, input.scope, input.window};
}

std::optional<BoundRelation> Binder::MakeProject(BoundRelation input,
                                                 std::vector<std::string> names,
                                                 std::vector<ExprPtr> expressions,
                                                 std::vector<base::SourceSpan> spans) {
  auto node = std::make_shared<LogicalNode>();
  node->kind = LogicalKind::kProject;
  node->inputs.push_back(input.node);
  Scope scope;
  int32_t slot = 0;
  for (size_t i = 0; i < expressions.size(); ++i) {
    const ExprPtr& expression = expressions[i];
    // Like Calcite, a repeated name gets a numeric suffix (dateTime, dateTime0, ...).
    auto taken = [&](const std::string& name) {
      for (size_t j = 0; j < i; ++j) {
        if (types::IdentifierEquals(names[j], name)) return true;
      }
      return false;
    };
    if (taken(names[i])) {
      std::string base = names[i];
      for (int suffix = 0; taken(names[i]); ++suffix) names[i] = base + std::to_string(suffix);
    }
    if (expression->type.id() == TypeId::kRow) {
      if (!IsSlotRow(expression)) {
        Error(base::ErrorCode::kPlan, "this ROW value cannot be selected", spans[i]);
        return std::nullopt;
      }
      // A ROW occupies its validity slot and every nested slot: a column copies them all, a
      // constructed row computes each.
      for (auto& projection : RowSlots(expression)) node->projections.push_back(projection);
    } else {
      node->projections.push_back(expression);
    }
    node->schema.columns.push_back({names[i], expression->type});
    // A column passed through unchanged keeps what it is: an event-time attribute, a window
    // column.
    ScopeColumn column_out{"", names[i], expression->type, slot};
    column_out.processing_time = IsProctimeCall(*expression);
    if (expression->kind == ExprKind::kColumn) {
      for (const ScopeColumn& column : input.scope.columns) {
        if (column.slot != expression->column_index) continue;
        column_out.time_attribute = column.time_attribute;
        column_out.processing_time = column.processing_time;
        column_out.window_property = column.window_property;
        column_out.window_origin = column.window_origin;
      }
    }
    scope.columns.push_back(column_out);
    slot += SlotCount(expression->type);
  }
  return BoundRelation{node, scope, std::nullopt};
}

std::string Binder::DefaultName(const ast::Expression& expression, size_t position) {
  if (const auto* ref = expression.As<ast::ColumnRefExpression>()) return ref->parts.back().name;
  return fmt::format("EXPR${}", position);
}

std::optional<BoundRelation> Binder::BindSelectItems(BoundRelation input,
                                                     const std::vector<ast::SelectItem>& items) {
  return BindSelectItems(std::move(input), items, {});
}

std::optional<BoundRelation> Binder::BindSelectItems(
    BoundRelation input, const std::vector<ast::SelectItem>& items,
    const std::vector<const ast::Expression*>& hidden) {
  if (input.window) {
    // SELECT * of a window TVF keeps its window pending: a window join's side, or its rows
    // (MaterializeWindow) where nothing consumes the window.
    const auto* star = items.size() == 1 ? items[0].expression->As<ast::StarExpression>() : nullptr;
    if (star != nullptr && star->qualifier.empty()) return input;
    auto rows = MaterializeWindow(std::move(input));
    if (!rows) return std::nullopt;
    input = std::move(*rows);
  }
  // Window functions (ROW_NUMBER() OVER, AVG(x) OVER) are computed first; the items then
  // read their columns.
  std::vector<const ast::Expression*> replaced;
  auto windowed = BindWindowCalls(std::move(input), items, &replaced);
  if (!windowed) return std::nullopt;
  // Then scalar subqueries join the rows (their values, too, are read through replacements_).
  std::vector<const ast::Expression*> roots;
  for (const ast::SelectItem& item : items) roots.push_back(item.expression.get());
  windowed = BindScalarSubqueries(std::move(*windowed), roots, &replaced);
  if (!windowed) {
    for (const ast::Expression* call : replaced) replacements_.erase(call);
    return std::nullopt;
  }
  input = std::move(*windowed);
  std::vector<std::string> names;
  std::vector<ExprPtr> expressions;
  std::vector<base::SourceSpan> spans;
  bool failed = false;
  for (const ast::SelectItem& item : items) {
    if (const auto* star = item.expression->As<ast::StarExpression>()) {
      bool any = false;
      for (const ScopeColumn& column : input.scope.columns) {
        if (!star->qualifier.empty() &&
            !types::IdentifierEquals(column.qualifier, star->qualifier.back().name)) {
          continue;
        }
        any = true;
        names.push_back(column.name);
        expressions.push_back(Expr::Column(column.slot, column.type));
        spans.push_back(item.span);
      }
      if (!any) {
        Error(base::ErrorCode::kBind,
              fmt::format("'{}' matches no table in FROM", star->ToString()), item.span);
        failed = true;
      }
      continue;
    }
    ExprPtr bound = BindExpression(*item.expression, input.scope);
    if (bound == nullptr) {
      failed = true;
      continue;
    }
    names.push_back(item.alias ? item.alias->name : DefaultName(*item.expression, names.size()));
    expressions.push_back(bound);
    spans.push_back(item.span);
  }
  for (size_t i = 0; i < hidden.size(); ++i) {  // ORDER BY items not selected (BindQuery)
    ExprPtr bound = BindExpression(*hidden[i], input.scope);
    if (bound == nullptr) {
      failed = true;
      continue;
    }
    names.push_back(fmt::format("$order{}", i));
    expressions.push_back(bound);
    spans.push_back(hidden[i]->span);
  }
  for (const ast::Expression* call : replaced) replacements_.erase(call);
  if (failed) return std::nullopt;
  return MakeProject(std::move(input), std::move(names), std::move(expressions), std::move(spans));
}

std::optional<BoundRelation> Binder::BindPipe(const ast::PipeQuery& pipe) {
  // The input is the pipe's first step, not a subquery: its ORDER BY sorts the pipe.
  --query_depth_;
  auto current = BindQuery(*pipe.input);
  ++query_depth_;
  for (const auto& op : pipe.operators) {
    if (!current) return std::nullopt;
    current = BindPipeOperator(*op, std::move(*current));
  }
  return current;
}

std::optional<BoundRelation> Binder::BindPipeOperator(const ast::PipeOperator& op,
                                                      BoundRelation input) {
  // Every column of the input, as a projection: the start of EXTEND, SET, DROP and RENAME.
  auto identity = [&](std::vector<std::string>* names, std::vector<ExprPtr>* expressions,
                      std::vector<base::SourceSpan>* spans) {
    for (const ScopeColumn& column : input.scope.columns) {
      names->push_back(column.name);
      expressions->push_back(Expr::Column(column.slot, column.type));
      spans->push_back(op.span);
    }
  };
  auto find_column = [&](const ast::Identifier& name) -> int {
    for (size_t i = 0; i < input.scope.columns.size(); ++i) {
      if (types::IdentifierEquals(input.scope.columns[i].name, name.name))
        return static_cast<int>(i);
    }
    std::vector<std::string> names;
    for (const ScopeColumn& column : input.scope.columns) names.push_back(column.name);
    std::string suggestion = base::ClosestName(name.name, names);
    Error(base::ErrorCode::kBind,
          fmt::format("column not found: '{}'{}", name.name,
                      suggestion.empty() ? "" : " (did you mean '" + suggestion + "'?)"),
          name.span);
    return -1;
  };
  switch (op.kind()) {
    case ast::PipeOperatorKind::kWhere:
      return BindWhere(std::move(input), *op.Cast<ast::PipeWhere>().condition);
    case ast::PipeOperatorKind::kSelect: {
      const auto& select = op.Cast<ast::PipeSelect>();
      auto selected = BindSelectItems(std::move(input), select.items);
      if (!selected || !select.distinct) return selected;
      return MakeDistinct(std::move(*selected), UidHint(select.hints), op.span);
    }
    case ast::PipeOperatorKind::kExtend: {
      // Window functions (AVG(x) OVER (...)) are computed below the projection.
      std::vector<const ast::Expression*> replaced;
      auto windowed =
          BindWindowCalls(std::move(input), op.Cast<ast::PipeExtend>().items, &replaced);
      if (!windowed) return std::nullopt;
      std::vector<const ast::Expression*> roots;
      for (const ast::SelectItem& item : op.Cast<ast::PipeExtend>().items) {
        roots.push_back(item.expression.get());
      }
      windowed = BindScalarSubqueries(std::move(*windowed), roots, &replaced);
      if (!windowed) {
        for (const ast::Expression* call : replaced) replacements_.erase(call);
        return std::nullopt;
      }
      input = std::move(*windowed);
      std::vector<std::string> names;
      std::vector<ExprPtr> expressions;
      std::vector<base::SourceSpan> spans;
      identity(&names, &expressions, &spans);
      bool failed = false;
      for (const ast::SelectItem& item : op.Cast<ast::PipeExtend>().items) {
        ExprPtr bound = BindExpression(*item.expression, input.scope);
        if (bound == nullptr) {
          failed = true;
          continue;
        }
        names.push_back(item.alias ? item.alias->name
                                   : DefaultName(*item.expression, names.size()));
        expressions.push_back(bound);
        spans.push_back(item.span);
      }
      for (const ast::Expression* call : replaced) replacements_.erase(call);
      if (failed) return std::nullopt;
      return MakeProject(std::move(input), names, expressions, spans);
    }
    case ast::PipeOperatorKind::kSet: {
      std::vector<std::string> names;
      std::vector<ExprPtr> expressions;
      std::vector<base::SourceSpan> spans;
      identity(&names, &expressions, &spans);
      for (const ast::PipeAssignment& assignment : op.Cast<ast::PipeSet>().assignments) {
        int index = find_column(assignment.column);
        ExprPtr bound = BindExpression(*assignment.value, input.scope);
        if (index < 0 || bound == nullptr) return std::nullopt;
        expressions[index] = bound;
        spans[index] = assignment.span;
      }
      return MakeProject(std::move(input), names, expressions, spans);
    }
    case ast::PipeOperatorKind::kDrop: {
      std::vector<bool> dropped(input.scope.columns.size(), false);
      for (const ast::Identifier& name : op.Cast<ast::PipeDrop>().columns) {
        int index = find_column(name);
        if (index < 0) return std::nullopt;
        dropped[index] = true;
      }
      std::vector<std::string> names;
      std::vector<ExprPtr> expressions;
      std::vector<base::SourceSpan> spans;
      for (size_t i = 0; i < input.scope.columns.size(); ++i) {
        if (dropped[i]) continue;
        const ScopeColumn& column = input.scope.columns[i];
        names.push_back(column.name);
        expressions.push_back(Expr::Column(column.slot, column.type));
        spans.push_back(op.span);
      }
      if (names.empty()) {
        Error(base::ErrorCode::kBind, "DROP would remove every column", op.span);
        return std::nullopt;
      }
      return MakeProject(std::move(input), names, expressions, spans);
    }
    case ast::PipeOperatorKind::kRename: {
      std::vector<std::string> names;
      std::vector<ExprPtr> expressions;
      std::vector<base::SourceSpan> spans;
      identity(&names, &expressions, &spans);
      for (const ast::PipeRenaming& renaming : op.Cast<ast::PipeRename>().renamings) {
        int index = find_column(renaming.from);
        if (index < 0) return std::nullopt;
        names[index] = renaming.to.name;
        spans[index] = renaming.span;
      }
      return MakeProject(std::move(input), names, expressions, spans);
    }
    case ast::PipeOperatorKind::kAs:
      return Requalify(std::move(input), op.Cast<ast::PipeAs>().alias.name);
    case ast::PipeOperatorKind::kAggregate: {
      const auto& aggregate = op.Cast<ast::PipeAggregate>();
      // Output: the GROUP BY keys, then the aggregates, each with its alias.
      std::vector<const ast::Expression*> keys;
      std::vector<OutputItem> outputs;
      for (const ast::SelectItem& key : aggregate.group_by) keys.push_back(key.expression.get());
      for (const auto* list : {&aggregate.group_by, &aggregate.aggregates}) {
        for (const ast::SelectItem& item : *list) {
          outputs.push_back(
              {item.expression.get(), item.alias ? &*item.alias : nullptr, item.span});
        }
      }
      return BindAggregation(std::move(input), keys, outputs, nullptr, UidHint(op.hints), op.span);
    }
    case ast::PipeOperatorKind::kCall:
      return BindWindowFunction(*op.Cast<ast::PipeCall>().call, std::move(input));
    case ast::PipeOperatorKind::kUnion: {
      const auto& pipe_union = op.Cast<ast::PipeUnion>();
      std::vector<BoundRelation> inputs;
      inputs.push_back(std::move(input));
      for (const auto& query : pipe_union.queries) {
        auto bound = BindQuery(*query);
        if (!bound) return std::nullopt;
        inputs.push_back(std::move(*bound));
      }
      auto united = MakeUnion(std::move(inputs), op.span);
      if (!united || pipe_union.all) return united;
      return MakeDistinct(std::move(*united), UidHint(op.hints), op.span);
    }
    case ast::PipeOperatorKind::kJoin: {
      const auto& join = op.Cast<ast::PipeJoin>();
      std::optional<BoundRelation> joined;
      if (join.right->kind() == ast::TableRefKind::kSubquery &&
          join.right->Cast<ast::SubqueryRef>().lateral) {
        joined = BindLateral(std::move(input), join.right->Cast<ast::SubqueryRef>(), join.join_type,
                             join.condition.get(), op.span);
      } else if (const ast::BaseTableRef* lookup = LookupTableOf(*join.right)) {
        joined = BindLookupJoin(std::move(input), *lookup, join.join_type, join.condition.get(),
                                join.using_columns, op.span);
      } else {
        auto right = BindTableRef(*join.right);
        if (!right) return std::nullopt;
        joined = BindJoin(std::move(input), std::move(*right), join.join_type, join.condition.get(),
                          join.using_columns, op.span);
      }
      std::string uid = UidHint(op.hints);
      if (joined && !uid.empty()) {
        auto node = std::make_shared<LogicalNode>(*joined->node);
        node->uid_hint = uid;
        joined->node = node;
      }
      return joined;
    }
    case ast::PipeOperatorKind::kOrderBy: {
      const auto& order = op.Cast<ast::PipeOrderBy>();
      return BindOrderByLimit(std::move(input), order.order_by, order.limit.get(),
                              order.offset.get(), op.span);
    }
    case ast::PipeOperatorKind::kLimit: {
      const auto& limit = op.Cast<ast::PipeLimit>();
      return BindOrderByLimit(std::move(input), {}, limit.limit.get(), limit.offset.get(), op.span);
    }
  }
  return std::nullopt;
}

bool Binder::IsTableFunctionCall(const ast::TableFunctionRef& ref) const {
  if (ref.unnest || ref.call == nullptr) return false;
  auto function = catalog_->FindFunction(ref.call->name.Last().name);
  return function != nullptr && function->table_function();
}

std::optional<BoundRelation> Binder::BindTableRef(const ast::TableRef& ref) {
  std::optional<BoundRelation> bound;
  switch (ref.kind()) {
    case ast::TableRefKind::kBaseTable:
      bound = BindNamedTable(ref.Cast<ast::BaseTableRef>());
      break;
    case ast::TableRefKind::kSubquery: {
      const auto& subquery = ref.Cast<ast::SubqueryRef>();
      if (subquery.lateral) {
        Error(base::ErrorCode::kPlan,
              "a LATERAL subquery must be the right side of a join: FROM t, LATERAL (SELECT … "
              "FROM u WHERE u.k = t.k)",
              ref.span);
        return std::nullopt;
      }
      bound = BindQuery(*subquery.query);
      if (bound) bound = Requalify(std::move(*bound), ref.alias ? ref.alias->name : "");
      break;
    }
    case ast::TableRefKind::kTableFunction: {
      const auto& function = ref.Cast<ast::TableFunctionRef>();
      if (function.unnest) {
        // FROM UNNEST(ARRAY[...]): the unnest of a single row.
        auto row = BindSingleRow(ref.span);
        if (!row) return std::nullopt;
        bound = BindUnnest(std::move(*row), function, ast::JoinType::kCross, nullptr, ref.span);
        break;
      }
      if (function.lateral || IsTableFunctionCall(function)) {
        // FROM LATERAL TABLE(f('constant')): the rows of one call.
        auto row = BindSingleRow(ref.span);
        if (!row) return std::nullopt;
        bound =
            BindLateralTable(std::move(*row), function, ast::JoinType::kCross, nullptr, ref.span);
        break;
      }
      bound = BindWindowFunction(*function.call, std::nullopt);
      if (bound && ref.alias) bound = Requalify(std::move(*bound), ref.alias->name);
      break;
    }
    case ast::TableRefKind::kMatchRecognize:
      bound = BindMatchRecognize(ref.Cast<ast::MatchRecognizeRef>());
      break;
    case ast::TableRefKind::kJoin: {
      const auto& join = ref.Cast<ast::JoinRef>();
      if (join.right->kind() == ast::TableRefKind::kTableFunction &&
          join.right->Cast<ast::TableFunctionRef>().unnest) {
        auto left = BindTableRef(*join.left);
        if (!left) return std::nullopt;
        bound = BindUnnest(std::move(*left), join.right->Cast<ast::TableFunctionRef>(),
                           join.join_type, join.condition.get(), join.span);
        break;
      }
      if (join.right->kind() == ast::TableRefKind::kTableFunction &&
          (join.right->Cast<ast::TableFunctionRef>().lateral ||
           IsTableFunctionCall(join.right->Cast<ast::TableFunctionRef>()))) {
        auto left = BindTableRef(*join.left);
        if (!left) return std::nullopt;
        bound = BindLateralTable(std::move(*left), join.right->Cast<ast::TableFunctionRef>(),
                                 join.join_type, join.condition.get(), join.span);
        break;
      }
      if (join.right->kind() == ast::TableRefKind::kSubquery &&
          join.right->Cast<ast::SubqueryRef>().lateral) {
        auto left = BindTableRef(*join.left);
        if (!left) return std::nullopt;
        bound = BindLateral(std::move(*left), join.right->Cast<ast::SubqueryRef>(), join.join_type,
                            join.condition.get(), join.span);
        break;
      }
      if (const ast::BaseTableRef* lookup = LookupTableOf(*join.right)) {
        auto left = BindTableRef(*join.left);
        if (!left) return std::nullopt;
        bound = BindLookupJoin(std::move(*left), *lookup, join.join_type, join.condition.get(),
                               join.using_columns, join.span);
        break;
      }
      auto left = BindTableRef(*join.left);
      auto right = BindTableRef(*join.right);
      if (!left || !right) return std::nullopt;
      bound = BindJoin(std::move(*left), std::move(*right), join.join_type, join.condition.get(),
                       join.using_columns, join.span);
      break;
    }
  }
  if (!bound) return std::nullopt;
  if (!ref.column_aliases.empty()) {
    if (ref.column_aliases.size() != bound->scope.columns.size()) {
      Error(base::ErrorCode::kBind,
            fmt::format("{} column aliases given for {} columns", ref.column_aliases.size(),
                        bound->scope.columns.size()),
            ref.span);
      return std::nullopt;
    }
    for (size_t i = 0; i < ref.column_aliases.size(); ++i) {
      bound->scope.columns[i].name = ref.column_aliases[i].name;
    }
  }
  return bound;
}

std::optional<BoundRelation> Binder::BindNamedTable(const ast::BaseTableRef& ref) {
  if (ref.system_time) {
    // Lookup tables are bound by BindLookupJoin; any other place is a mistake.
    Error(base::ErrorCode::kPlan,
          "FOR SYSTEM_TIME AS OF marks the lookup table of a join, which must be the right "
          "side: FROM s [LEFT] JOIN t FOR SYSTEM_TIME AS OF s.p_time AS T ON …",
          ref.system_time->span);
    return std::nullopt;
  }
  return BindTableName(ref.name, ref.alias ? ref.alias->name : ref.name.Last().name, ref.span,
                       &ref.hints);
}

std::shared_ptr<logical::ScanTable> Binder::HintedTable(
    const std::shared_ptr<logical::ScanTable>& table, const std::vector<ast::Hint>& hints) {
  auto hinted = std::make_shared<logical::ScanTable>(*table);
  std::map<std::string, std::string> overridden;
  for (const ast::Hint& hint : hints) {
    if (!types::IdentifierEquals(hint.name.name, "OPTIONS")) {
      Error(base::ErrorCode::kBind,
            "table hint '" + hint.name.name +
                "' is not supported; a table takes /*+ OPTIONS('key' = 'value', ...) */",
            hint.span);
      return nullptr;
    }
    if (hint.arguments.empty() || hint.arguments.size() % 2 != 0) {
      Error(base::ErrorCode::kBind,
            "OPTIONS takes 'key' = 'value' pairs: /*+ OPTIONS('scan.startup.mode' = "
            "'earliest-offset') */",
            hint.span);
      return nullptr;
    }
    for (size_t i = 0; i + 1 < hint.arguments.size(); i += 2) {
      if (hint.arguments[i] == "connector") {
        Error(base::ErrorCode::kBind, "an OPTIONS hint cannot change the table's 'connector'",
              hint.span);
        return nullptr;
      }
      overridden[hint.arguments[i]] = hint.arguments[i + 1];
    }
  }
  for (const auto& [key, value] : overridden) {
    hinted->descriptor.options[key] = value;
    auto quoted = [](const std::string& text) {
      std::string out = "'";
      for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
      return out + "'";
    };
    hinted->hinted_options +=
        (hinted->hinted_options.empty() ? "" : ", ") + quoted(key) + " = " + quoted(value);
  }
  return hinted;
}

std::optional<BoundRelation> Binder::BindTableName(const ast::QualifiedName& qualified,
                                                   const std::string& qualifier,
                                                   base::SourceSpan span,
                                                   const std::vector<ast::Hint>* hints) {
  const bool hinted = hints != nullptr && !hints->empty();
  const ast::Identifier& name = qualified.Last();
  if (qualified.parts.size() > 1) {
    Error(base::ErrorCode::kBind,
          "catalog- or database-qualified names are not supported: '" + qualified.ToString() + "'",
          qualified.span);
    return std::nullopt;
  }
  // Innermost CTE first, then views, then tables.
  for (auto scope = ctes_.rbegin(); scope != ctes_.rend(); ++scope) {
    for (const auto& [cte_name, cte] : *scope) {
      if (!types::IdentifierEquals(cte_name, name.name)) continue;
      if (hinted) {
        Error(base::ErrorCode::kBind, "table hints apply to tables; '" + name.name + "' is a query",
              hints->front().span);
        return std::nullopt;
      }
      if (expanding_views_.size() >= kMaxViewDepth) {
        Error(base::ErrorCode::kBind, "'" + name.name + "' refers to itself", name.span);
        return std::nullopt;
      }
      expanding_views_.push_back(name.name);
      auto bound = BindQuery(*cte->query);
      expanding_views_.pop_back();
      if (!bound) return std::nullopt;
      for (size_t i = 0; i < cte->columns.size() && i < bound->scope.columns.size(); ++i) {
        bound->scope.columns[i].name = cte->columns[i].name;
      }
      return Requalify(std::move(*bound), qualifier);
    }
  }
  if (const CatalogView* view = catalog_->FindView(name.name)) {
    if (hinted) {
      Error(base::ErrorCode::kBind, "table hints apply to tables; '" + name.name + "' is a view",
            hints->front().span);
      return std::nullopt;
    }
    for (const std::string& expanding : expanding_views_) {
      if (types::IdentifierEquals(expanding, view->name)) {
        Error(base::ErrorCode::kBind, "view '" + view->name + "' refers to itself", name.span);
        return std::nullopt;
      }
    }
    expanding_views_.push_back(view->name);
    auto bound = BindQuery(*view->query);
    expanding_views_.pop_back();
    if (!bound) return std::nullopt;
    for (size_t i = 0; i < view->column_names.size() && i < bound->scope.columns.size(); ++i) {
      bound->scope.columns[i].name = view->column_names[i].name;
    }
    return Requalify(std::move(*bound), qualifier);
  }
  if (CatalogTable* table = catalog_->FindTable(name.name)) {
    auto node = std::make_shared<LogicalNode>();
    node->kind = LogicalKind::kScan;
    node->table = table->scan;
    if (hinted) {
      node->table = HintedTable(table->scan, *hints);
      if (node->table == nullptr) return std::nullopt;
    }
    node->schema = table->scan->full_schema;
    node->span = span;
    Scope scope = Scope::FromSchema(node->schema, qualifier);
    if (table->scan->watermark) {
      for (ScopeColumn& column : scope.columns) {
        if (column.slot == table->scan->watermark->rowtime_slot) column.time_attribute = true;
      }
    }
    // A computed column `p AS PROCTIME()` is a processing-time attribute.
    if (table->scan->computed_columns) {
      const auto& projections = table->scan->computed_columns->projections;
      for (ScopeColumn& column : scope.columns) {
        size_t slot = static_cast<size_t>(column.slot);
        if (slot < projections.size() && projections[slot] && IsProctimeCall(*projections[slot])) {
          column.processing_time = true;
        }
      }
    }
    return BoundRelation{node, scope, std::nullopt};
  }
  std::string suggestion = base::ClosestName(name.name, catalog_->Names());
  Error(base::ErrorCode::kBind,
        fmt::format("table not found: '{}'{}", name.name,
                    suggestion.empty() ? "" : " (did you mean '" + suggestion + "'?)"),
        name.span);
  return std::nullopt;
}

}  // namespace sluice::compiler::binder
