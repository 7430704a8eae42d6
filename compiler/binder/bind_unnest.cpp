// CROSS JOIN UNNEST(collection) and LEFT JOIN UNNEST(collection) ON TRUE: a row per element of
// a collection of the row before it (Flink's correlate over UNNEST), planned as a stateless
// Unnest node over the left input (runtime/operators/unnest_operator.h). LATERAL TABLE(f(...))
// of a user-defined table function is the same: a call of it gives its rows as an ARRAY of
// ROWs (runtime/expr/user_function.h), which is unnested.

#include <fmt/format.h>

#include "compiler/binder/binder.h"

namespace sluice::compiler::binder {

using logical::LogicalKind;
using logical::LogicalNode;
using runtime::plan::Expr;
using runtime::plan::ExprKind;
using runtime::plan::ExprPtr;
using types::LogicalType;
using types::TypeId;

bool IsOnTrue(const ast::Expression* condition) {
  return condition != nullptr && condition->Is<ast::LiteralExpression>() &&
         condition->Cast<ast::LiteralExpression>().literal_kind == ast::LiteralKind::kBoolean &&
         condition->Cast<ast::LiteralExpression>().boolean_value;
}

std::optional<BoundRelation> Binder::BindUnnest(BoundRelation left,
                                                const ast::TableFunctionRef& ref,
                                                ast::JoinType type,
                                                const ast::Expression* condition,
                                                base::SourceSpan span) {
  const char* kForms =
      "UNNEST joins as FROM t CROSS JOIN UNNEST(t.c) AS u (x), FROM t, UNNEST(t.c) AS u (x), or "
      "FROM t [INNER | LEFT] JOIN UNNEST(t.c) AS u (x) ON TRUE";
  if (type == ast::JoinType::kRight || type == ast::JoinType::kFull) {
    Error(base::ErrorCode::kPlan,
          fmt::format("{} UNNEST is not supported: {}", ast::JoinTypeName(type), kForms), span);
    return std::nullopt;
  }
  if (type != ast::JoinType::kCross && !IsOnTrue(condition)) {
    Error(
        base::ErrorCode::kPlan,
        fmt::format("a JOIN with UNNEST takes ON TRUE (filter the elements in WHERE): {}", kForms),
        condition != nullptr ? condition->span : span);
    return std::nullopt;
  }
  if (left.window) {
    Error(base::ErrorCode::kPlan,
          "UNNEST after a window table function is not supported: unnest before the window", span);
    return std::nullopt;
  }
  if (ref.call->arguments.size() != 1) {
    Error(base::ErrorCode::kPlan, "UNNEST takes one collection", ref.span);
    return std::nullopt;
  }
  const ast::Expression& argument = *ref.call->arguments[0];
  ExprPtr collection = BindExpression(argument, left.scope);
  if (collection == nullptr) return std::nullopt;
  if (!collection->type.IsCollection()) {
    Error(base::ErrorCode::kBind,
          fmt::format("UNNEST needs an ARRAY, MAP or MULTISET, got {} ({})",
                      collection->type.ToString(), argument.ToString()),
          argument.span);
    return std::nullopt;
  }
  return UnnestCollection(std::move(left), std::move(collection), ref, type == ast::JoinType::kLeft,
                          argument.span, span);
}

std::optional<BoundRelation> Binder::UnnestCollection(BoundRelation left, ExprPtr collection,
                                                      const ast::TableFunctionRef& ref, bool outer,
                                                      base::SourceSpan argument_span,
                                                      base::SourceSpan span) {
  const LogicalType collection_type = collection->type;
  const std::string construct = ref.unnest ? "UNNEST of a " + collection_type.ToString()
                                           : "table function " + ref.call->name.Last().name;
  // The collection as an input slot: a column, or one appended by a projection.
  logical::LogicalNodePtr input = left.node;
  int32_t slot = -1;
  if (collection->kind == ExprKind::kColumn) {
    slot = collection->column_index;
  } else {
    auto project = std::make_shared<LogicalNode>();
    project->kind = LogicalKind::kProject;
    project->span = argument_span;
    project->inputs = {left.node};
    std::vector<LogicalType> types = logical::SlotTypes(left.node->schema);
    for (size_t i = 0; i < types.size(); ++i) {
      project->projections.push_back(Expr::Column(static_cast<int32_t>(i), types[i]));
    }
    project->projections.push_back(collection);
    project->schema = left.node->schema;
    project->schema.columns.push_back({"$unnest", collection_type});
    slot = static_cast<int32_t>(types.size());
    input = project;
  }

  std::vector<LogicalType> added;
  std::vector<std::string> names;
  if (collection_type.id() == TypeId::kMap) {
    added = {collection_type.element_type(), collection_type.value_type()};
    names = {"KEY", "VALUE"};
  } else if (collection_type.element_type().id() == TypeId::kRow) {
    // An array of ROWs: each field a column (Flink's).
    for (const types::RowField& field : collection_type.element_type().fields()) {
      added.push_back(field.type);
      names.push_back(field.name);
    }
  } else {
    added = {collection_type.element_type()};
    names = {"EXPR$0"};
  }
  for (const LogicalType& type : added) {
    if (type.id() == TypeId::kRow) {
      Error(base::ErrorCode::kPlan,
            fmt::format("{} is not supported yet (a ROW inside the element)", construct),
            argument_span);
      return std::nullopt;
    }
  }
  if (ref.with_ordinality) {
    added.push_back(LogicalType::Int());
    names.push_back("ORDINALITY");
  }
  if (!ref.column_aliases.empty()) {
    if (ref.column_aliases.size() != added.size()) {
      Error(base::ErrorCode::kBind,
            fmt::format("{} gives {} column{}{}, but {} names are given", construct, added.size(),
                        added.size() == 1 ? "" : "s",
                        ref.with_ordinality ? " (with the ordinality)" : "",
                        ref.column_aliases.size()),
            ref.span);
      return std::nullopt;
    }
    for (size_t i = 0; i < names.size(); ++i) names[i] = ref.column_aliases[i].name;
  }

  auto node = std::make_shared<LogicalNode>();
  node->kind = LogicalKind::kUnnest;
  node->span = span;
  node->inputs = {input};
  runtime::plan::UnnestSpec spec;
  spec.collection_slot = slot;
  spec.collection_type = collection_type;
  spec.outer = outer;
  spec.ordinality = ref.with_ordinality;
  node->unnest = spec;
  node->schema = input->schema;
  const auto base_slots = static_cast<int32_t>(input->SlotCount());
  Scope scope = left.scope;
  const std::string qualifier = ref.alias ? ref.alias->name : "";
  for (size_t i = 0; i < added.size(); ++i) {
    node->schema.columns.push_back({names[i], added[i]});
    scope.columns.push_back(
        ScopeColumn{qualifier, names[i], added[i], base_slots + static_cast<int32_t>(i)});
  }
  return BoundRelation{node, std::move(scope), std::nullopt};
}

std::optional<BoundRelation> Binder::BindLateralTable(BoundRelation left,
                                                      const ast::TableFunctionRef& ref,
                                                      ast::JoinType type,
                                                      const ast::Expression* condition,
                                                      base::SourceSpan span) {
  const char* kForms =
      "a table function joins as FROM t, LATERAL TABLE(f(t.c)) AS u (x), FROM t CROSS JOIN "
      "LATERAL TABLE(f(t.c)), or FROM t [INNER | LEFT] JOIN LATERAL TABLE(f(t.c)) AS u (x) ON "
      "TRUE";
  if (type == ast::JoinType::kRight || type == ast::JoinType::kFull) {
    Error(
        base::ErrorCode::kPlan,
        fmt::format("{} JOIN LATERAL TABLE is not supported: {}", ast::JoinTypeName(type), kForms),
        span);
    return std::nullopt;
  }
  if (type != ast::JoinType::kCross && !IsOnTrue(condition)) {
    Error(base::ErrorCode::kPlan,
          fmt::format("a JOIN with LATERAL TABLE takes ON TRUE (filter its rows in WHERE): {}",
                      kForms),
          condition != nullptr ? condition->span : span);
    return std::nullopt;
  }
  if (left.window) {
    Error(base::ErrorCode::kPlan,
          "LATERAL TABLE after a window table function is not supported: call it before the "
          "window",
          span);
    return std::nullopt;
  }
  lateral_table_call_ = true;
  ExprPtr call = BindExpression(*ref.call, left.scope);
  lateral_table_call_ = false;
  if (call == nullptr) return std::nullopt;
  if (call->kind != ExprKind::kCall || call->user_function == nullptr ||
      !call->user_function->table_function()) {
    Error(base::ErrorCode::kBind,
          fmt::format("LATERAL TABLE needs a table function (CREATE FUNCTION of a library's "
                      "table function, udf/README.md); {} is not one",
                      ref.call->name.Last().name),
          ref.call->span);
    return std::nullopt;
  }
  if (ref.with_ordinality) {
    Error(base::ErrorCode::kPlan, "WITH ORDINALITY is for UNNEST, not LATERAL TABLE", ref.span);
    return std::nullopt;
  }
  return UnnestCollection(std::move(left), std::move(call), ref, type == ast::JoinType::kLeft,
                          ref.call->span, span);
}

}  // namespace sluice::compiler::binder
