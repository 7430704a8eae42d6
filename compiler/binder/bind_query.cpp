#include <fmt/format.h>

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

bool Binder::RejectUnsupportedQueryParts(const ast::Query& query) {
  if (!query.order_by.empty()) {
    Error(base::ErrorCode::kPlan,
          "ORDER BY on a stream is not supported yet (Top-N arrives with stateful operators)",
          query.order_by.front().span);
    return true;
  }
  if (query.limit) {
    Error(base::ErrorCode::kPlan, "LIMIT is not supported yet", query.limit->span);
    return true;
  }
  return false;
}

std::optional<BoundRelation> Binder::BindQuery(const ast::Query& query) {
  std::map<std::string, const ast::CommonTableExpression*> ctes;
  for (const auto& cte : query.with) ctes[cte.name.name] = &cte;
  ctes_.push_back(std::move(ctes));
  std::optional<BoundRelation> result;
  if (!RejectUnsupportedQueryParts(query)) {
    switch (query.kind()) {
      case ast::QueryKind::kSelect: result = BindSelect(query.Cast<ast::SelectQuery>()); break;
      case ast::QueryKind::kPipe: result = BindPipe(query.Cast<ast::PipeQuery>()); break;
      case ast::QueryKind::kFrom: result = BindTableRef(*query.Cast<ast::FromQuery>().from); break;
      case ast::QueryKind::kSetOperation:
        Error(base::ErrorCode::kPlan,
              "UNION is not supported yet (it arrives with stateful operators)", query.span);
        break;
      case ast::QueryKind::kValues:
        Error(base::ErrorCode::kPlan,
              "VALUES is only supported as `INSERT INTO <values table> VALUES (...)`", query.span);
        break;
    }
  }
  ctes_.pop_back();
  return result;
}

std::optional<BoundRelation> Binder::BindSelect(const ast::SelectQuery& select) {
  if (select.from == nullptr) {
    Error(base::ErrorCode::kPlan, "a SELECT without FROM is not a stream; add FROM <table>",
          select.span);
    return std::nullopt;
  }
  if (select.distinct || !select.group_by.empty() || select.having) {
    Error(base::ErrorCode::kPlan,
          "SELECT DISTINCT, GROUP BY and HAVING are not supported yet (they arrive with "
          "stateful operators)",
          select.span);
    return std::nullopt;
  }
  auto input = BindTableRef(*select.from);
  if (!input) return std::nullopt;
  if (select.where) {
    input = BindFilter(std::move(*input), *select.where, "WHERE");
    if (!input) return std::nullopt;
  }
  return BindSelectItems(std::move(*input), select.items);
}

std::optional<BoundRelation> Binder::BindFilter(BoundRelation input,
                                                const ast::Expression& condition,
                                                const char* clause) {
  ExprPtr predicate = BindPredicate(condition, input.scope, clause);
  if (predicate == nullptr) return std::nullopt;
  auto node = std::make_shared<LogicalNode>();
  node->kind = LogicalKind::kFilter;
  node->schema = input.node->schema;
  node->predicate = predicate;
  node->span = condition.span;
  node->inputs.push_back(input.node);
  return BoundRelation{node, input.scope};
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
    for (size_t j = 0; j < i; ++j) {
      if (types::IdentifierEquals(names[j], names[i])) {
        Error(base::ErrorCode::kBind,
              fmt::format("duplicate output column '{}'; give one of them an alias with AS",
                          names[i]),
              spans[i]);
        return std::nullopt;
      }
    }
    if (expression->type.id() == TypeId::kRow) {
      if (expression->kind != ExprKind::kColumn) {
        Error(base::ErrorCode::kPlan, "only a ROW column itself can be selected as a ROW",
              spans[i]);
        return std::nullopt;
      }
      // A ROW occupies its validity slot and every nested slot; copy them all.
      int32_t count = SlotCount(expression->type);
      const auto input_types = logical::SlotTypes(input.node->schema);
      for (int32_t k = 0; k < count; ++k) {
        int32_t source = expression->column_index + k;
        node->projections.push_back(Expr::Column(source, input_types[source]));
      }
    } else {
      node->projections.push_back(expression);
    }
    node->schema.columns.push_back({names[i], expression->type});
    scope.columns.push_back({"", names[i], expression->type, slot});
    slot += SlotCount(expression->type);
  }
  return BoundRelation{node, scope};
}

std::string Binder::DefaultName(const ast::Expression& expression, size_t position) {
  if (const auto* ref = expression.As<ast::ColumnRefExpression>()) return ref->parts.back().name;
  return fmt::format("EXPR${}", position);
}

std::optional<BoundRelation> Binder::BindSelectItems(BoundRelation input,
                                                     const std::vector<ast::SelectItem>& items) {
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
  if (failed) return std::nullopt;
  return MakeProject(std::move(input), std::move(names), std::move(expressions), std::move(spans));
}

std::optional<BoundRelation> Binder::BindPipe(const ast::PipeQuery& pipe) {
  auto current = BindQuery(*pipe.input);
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
      return BindFilter(std::move(input), *op.Cast<ast::PipeWhere>().condition, "WHERE");
    case ast::PipeOperatorKind::kSelect: {
      const auto& select = op.Cast<ast::PipeSelect>();
      if (select.distinct) {
        Error(base::ErrorCode::kPlan, "SELECT DISTINCT is not supported yet", op.span);
        return std::nullopt;
      }
      return BindSelectItems(std::move(input), select.items);
    }
    case ast::PipeOperatorKind::kExtend: {
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
    case ast::PipeOperatorKind::kAggregate:
    case ast::PipeOperatorKind::kJoin:
    case ast::PipeOperatorKind::kCall:
    case ast::PipeOperatorKind::kUnion:
    case ast::PipeOperatorKind::kOrderBy:
    case ast::PipeOperatorKind::kLimit: {
      std::string text = op.ToString();
      Error(base::ErrorCode::kPlan,
            fmt::format("pipe operator '{}' is not supported yet (it arrives with stateful "
                        "operators)",
                        text.substr(0, text.find(' ', 3))),
            op.span);
      return std::nullopt;
    }
  }
  return std::nullopt;
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
        Error(base::ErrorCode::kPlan, "LATERAL subqueries are not supported", ref.span);
        return std::nullopt;
      }
      bound = BindQuery(*subquery.query);
      if (bound) bound = Requalify(std::move(*bound), ref.alias ? ref.alias->name : "");
      break;
    }
    case ast::TableRefKind::kTableFunction:
      Error(base::ErrorCode::kPlan,
            "table functions (window TVFs) are not supported yet (they arrive with stateful "
            "operators)",
            ref.span);
      return std::nullopt;
    case ast::TableRefKind::kJoin:
      Error(base::ErrorCode::kPlan,
            "joins are not supported yet (they arrive with stateful operators)", ref.span);
      return std::nullopt;
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
  const ast::Identifier& name = ref.name.Last();
  std::string qualifier = ref.alias ? ref.alias->name : name.name;
  if (ref.system_time) {
    Error(base::ErrorCode::kPlan, "FOR SYSTEM_TIME AS OF (lookup joins) is not supported yet",
          ref.system_time->span);
    return std::nullopt;
  }
  if (ref.name.parts.size() > 1) {
    Error(base::ErrorCode::kBind,
          "catalog- or database-qualified names are not supported: '" + ref.name.ToString() + "'",
          ref.name.span);
    return std::nullopt;
  }
  // Innermost CTE first, then views, then tables.
  for (auto scope = ctes_.rbegin(); scope != ctes_.rend(); ++scope) {
    for (const auto& [cte_name, cte] : *scope) {
      if (!types::IdentifierEquals(cte_name, name.name)) continue;
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
    node->schema = table->scan->full_schema;
    node->span = ref.span;
    return BoundRelation{node, Scope::FromSchema(node->schema, qualifier)};
  }
  std::string suggestion = base::ClosestName(name.name, catalog_->Names());
  Error(base::ErrorCode::kBind,
        fmt::format("table not found: '{}'{}", name.name,
                    suggestion.empty() ? "" : " (did you mean '" + suggestion + "'?)"),
        name.span);
  return std::nullopt;
}

}  // namespace sluice::compiler::binder
