// UNION [ALL], INTERSECT [ALL], EXCEPT [ALL] and DISTINCT.
#include <fmt/format.h>

#include "compiler/binder/binder.h"

namespace sluice::compiler::binder {

using logical::LogicalKind;
using logical::LogicalNode;
using runtime::plan::Expr;
using runtime::plan::ExprPtr;
using types::LogicalType;
using types::TypeId;

std::optional<BoundRelation> Binder::BindSetOperation(const ast::SetOperationQuery& query) {
  auto left = BindQuery(*query.left);
  auto right = BindQuery(*query.right);
  if (!left || !right) return std::nullopt;
  if (query.operation == ast::SetOperation::kUnion) {
    std::vector<BoundRelation> inputs;
    inputs.push_back(std::move(*left));
    inputs.push_back(std::move(*right));
    auto united = MakeUnion(std::move(inputs), query.span);
    if (!united || query.all) return united;
    return MakeDistinct(std::move(*united), "", query.span);
  }
  return MakeSetOperation(std::move(*left), std::move(*right), query.operation, query.all,
                          query.span);
}

std::optional<Scope> Binder::CastToCommonTypes(std::vector<BoundRelation>* inputs,
                                               const std::string& operation,
                                               base::SourceSpan span) {
  const Scope& first = inputs->front().scope;
  std::vector<LogicalType> types;
  for (const ScopeColumn& column : first.columns) types.push_back(column.type);
  for (size_t i = 1; i < inputs->size(); ++i) {
    const Scope& scope = (*inputs)[i].scope;
    if (scope.columns.size() != first.columns.size()) {
      Error(base::ErrorCode::kBind,
            fmt::format("{} inputs have {} and {} columns", operation, first.columns.size(),
                        scope.columns.size()),
            span);
      return std::nullopt;
    }
    for (size_t c = 0; c < types.size(); ++c) {
      LogicalType common;
      if (types[c].id() == TypeId::kRow || scope.columns[c].type.id() == TypeId::kRow) {
        Error(base::ErrorCode::kPlan,
              fmt::format("{} of ROW columns is not supported yet (column {}, '{}')", operation,
                          c + 1, first.columns[c].name),
              span);
        return std::nullopt;
      }
      if (!types::CommonSupertype(types[c], scope.columns[c].type, &common)) {
        Error(base::ErrorCode::kBind,
              fmt::format("{} column {} ('{}') is {} in one input and {} in another", operation,
                          c + 1, first.columns[c].name, types[c].ToString(),
                          scope.columns[c].type.ToString()),
              span);
        return std::nullopt;
      }
      types[c] = common;
    }
  }
  Scope common;
  int32_t slot = 0;
  for (size_t c = 0; c < types.size(); ++c) {
    if (types[c].id() == TypeId::kNull) types[c] = LogicalType::Int();
    common.columns.push_back({"", first.columns[c].name, types[c], slot});
    slot += SlotCount(types[c]);
  }
  for (BoundRelation& input : *inputs) {
    if (input.window) {
      auto rows = MaterializeWindow(std::move(input));
      if (!rows) return std::nullopt;
      input = std::move(*rows);
    }
    // Cast each input to the common column types.
    std::vector<std::string> names;
    std::vector<ExprPtr> expressions;
    std::vector<base::SourceSpan> spans;
    bool identity = true;
    for (size_t c = 0; c < types.size(); ++c) {
      const ScopeColumn& column = input.scope.columns[c];
      ExprPtr value = Expr::Column(column.slot, column.type);
      if (column.type != types[c]) {
        value = CastTo(value, types[c]);
        identity = false;
      }
      names.push_back(common.columns[c].name);
      expressions.push_back(value);
      spans.push_back(span);
    }
    if (!identity || input.scope.columns.size() != input.node->schema.columns.size()) {
      auto projected = MakeProject(std::move(input), names, expressions, spans);
      if (!projected) return std::nullopt;
      input = std::move(*projected);
    }
  }
  return common;
}

std::optional<BoundRelation> Binder::MakeUnion(std::vector<BoundRelation> inputs,
                                               base::SourceSpan span) {
  // A column that is the same kind of time attribute, of one type, in every input stays one
  // (Flink's): the union's watermark is the least of its inputs'.
  std::vector<bool> event_time, processing_time;
  if (!inputs.empty()) {
    for (const ScopeColumn& column : inputs.front().scope.columns) {
      event_time.push_back(column.time_attribute);
      processing_time.push_back(column.processing_time);
    }
    for (const BoundRelation& input : inputs) {
      const auto& columns = input.scope.columns;
      for (size_t c = 0; c < event_time.size(); ++c) {
        const bool same =
            c < columns.size() && columns[c].type == inputs.front().scope.columns[c].type;
        event_time[c] = event_time[c] && same && columns[c].time_attribute;
        processing_time[c] = processing_time[c] && same && columns[c].processing_time;
      }
    }
  }
  auto scope = CastToCommonTypes(&inputs, "UNION ALL", span);
  if (!scope) return std::nullopt;
  for (size_t c = 0; c < scope->columns.size() && c < event_time.size(); ++c) {
    scope->columns[c].time_attribute = event_time[c];
    scope->columns[c].processing_time = processing_time[c] && !event_time[c];
  }
  auto node = std::make_shared<LogicalNode>();
  node->kind = LogicalKind::kUnion;
  node->span = span;
  node->schema = scope->ToSchema();
  for (BoundRelation& input : inputs) node->inputs.push_back(input.node);
  return BoundRelation{node, *scope, std::nullopt};
}

std::optional<BoundRelation> Binder::MakeSetOperation(BoundRelation left, BoundRelation right,
                                                      ast::SetOperation operation, bool all,
                                                      base::SourceSpan span) {
  std::string name = std::string(ast::SetOperationName(operation)) + (all ? " ALL" : "");
  std::vector<BoundRelation> inputs;
  inputs.push_back(std::move(left));
  inputs.push_back(std::move(right));
  auto scope = CastToCommonTypes(&inputs, name, span);
  if (!scope) return std::nullopt;
  for (const ScopeColumn& column : scope->columns) {
    if (column.type.id() == TypeId::kRow) {
      Error(base::ErrorCode::kPlan,
            fmt::format("{} cannot compare ROW columns ('{}')", name, column.name), span);
      return std::nullopt;
    }
  }
  auto node = std::make_shared<LogicalNode>();
  node->kind = LogicalKind::kSetOperation;
  node->span = span;
  node->schema = scope->ToSchema();
  runtime::plan::SetOperationSpec spec;
  spec.kind = operation == ast::SetOperation::kIntersect
                  ? runtime::plan::SetOperationKind::kIntersect
                  : runtime::plan::SetOperationKind::kExcept;
  spec.all = all;
  node->set_operation = spec;
  node->inputs = {inputs[0].node, inputs[1].node};
  return BoundRelation{node, *scope, std::nullopt};
}

std::optional<BoundRelation> Binder::MakeDistinct(BoundRelation input, const std::string& uid_hint,
                                                  base::SourceSpan span) {
  if (input.window) {
    auto rows = MaterializeWindow(std::move(input));
    if (!rows) return std::nullopt;
    input = std::move(*rows);
  }
  runtime::plan::AggregateSpec spec;
  for (const ScopeColumn& column : input.scope.columns) {
    if (column.type.id() == TypeId::kRow) {
      Error(base::ErrorCode::kPlan,
            fmt::format("DISTINCT cannot compare ROW columns ('{}')", column.name), span);
      return std::nullopt;
    }
  }
  // The input's columns in order, each one slot: a projection first when the scope does not
  // cover the node's slots one to one (hidden columns).
  bool one_to_one = input.scope.columns.size() == input.node->SlotCount();
  for (size_t i = 0; one_to_one && i < input.scope.columns.size(); ++i) {
    one_to_one = input.scope.columns[i].slot == static_cast<int32_t>(i);
  }
  if (!one_to_one) {
    std::vector<std::string> names;
    std::vector<ExprPtr> expressions;
    std::vector<base::SourceSpan> spans;
    for (const ScopeColumn& column : input.scope.columns) {
      names.push_back(column.name);
      expressions.push_back(Expr::Column(column.slot, column.type));
      spans.push_back(span);
    }
    std::vector<ScopeColumn> columns = input.scope.columns;
    auto projected = MakeProject(std::move(input), names, expressions, spans);
    if (!projected) return std::nullopt;
    // The scope as it was (qualifiers, repeated names), at the projected slots.
    for (size_t i = 0; i < columns.size(); ++i) {
      int32_t slot = projected->scope.columns[i].slot;
      projected->scope.columns[i] = columns[i];
      projected->scope.columns[i].slot = slot;
    }
    input = std::move(*projected);
  }
  for (size_t i = 0; i < input.scope.columns.size(); ++i) {
    spec.key_slots.push_back(static_cast<int32_t>(i));
  }
  auto node = std::make_shared<LogicalNode>();
  node->kind = LogicalKind::kAggregate;
  node->span = span;
  node->schema = input.scope.ToSchema();
  node->aggregate = spec;
  node->uid_hint = uid_hint;
  node->inputs.push_back(input.node);
  // An unbounded aggregation's output is an updating table: no time attributes, no windows.
  Scope scope = input.scope;
  for (ScopeColumn& column : scope.columns) {
    column.time_attribute = false;
    column.processing_time = false;
    column.window_origin.reset();
  }
  return BoundRelation{node, scope, std::nullopt};
}

}  // namespace sluice::compiler::binder
