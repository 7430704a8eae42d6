#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <optional>
#include <set>

#include "compiler/binder/binder.h"
#include "compiler/binder/match_pattern.h"

namespace sluice::compiler::binder {

using runtime::plan::Expr;
using runtime::plan::ExprKind;
using runtime::plan::ExprPtr;
using runtime::plan::MatchAccessor;
using runtime::plan::MatchAccessorKind;
using runtime::plan::MatchInstruction;
using runtime::plan::MatchInstructionKind;
using types::LogicalType;
using types::TypeId;

namespace {

std::string Upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

/// The time unit argument of a TIMESTAMPADD/TIMESTAMPDIFF call (`DAY`, parsed as a column
/// name), or null.
const ast::Expression* TimeUnitOf(const ast::FunctionCallExpression& call) {
  std::string name = Upper(call.name.Last().name);
  if ((name != "TIMESTAMPADD" && name != "TIMESTAMPDIFF") || call.arguments.empty()) {
    return nullptr;
  }
  return TimeUnitArgument(*call.arguments[0]) ? call.arguments[0].get() : nullptr;
}

// Navigation offsets above this are refused (a match rarely holds that many rows).
constexpr int64_t kMaxOffset = 1000000;
}  // namespace

/// What names mean inside a MATCH_RECOGNIZE's DEFINE and MEASURES.
struct MatchScope {
  const Scope* input = nullptr;
  std::vector<ast::Identifier> variables;
  bool in_define = false;
  std::vector<MatchAccessor>* accessors = nullptr;
  std::vector<ExprPtr>* row_expressions = nullptr;
  int32_t input_width = 0;
  LogicalType rowtime_type = LogicalType::Timestamp();  // MATCH_ROWTIME()'s: the ORDER BY's
};

std::optional<int32_t> Binder::MatchVariable(const MatchScope& scope, const std::string& name) {
  for (size_t i = 0; i < scope.variables.size(); ++i) {
    if (types::IdentifierEquals(scope.variables[i].name, name)) return static_cast<int32_t>(i);
  }
  return std::nullopt;
}

bool Binder::ResolveMatchColumn(const MatchScope& scope, const ast::Expression& expression,
                                MatchAccessor* accessor) {
  if (expression.kind() != ast::ExpressionKind::kColumnRef) {
    Error(
        base::ErrorCode::kBind,
        "expected a column, optionally of a pattern variable (v.col), got " + expression.ToString(),
        expression.span);
    return false;
  }
  const auto& parts = expression.Cast<ast::ColumnRefExpression>().parts;
  const ast::Identifier* column_name = &parts[0];
  accessor->variable = -1;
  if (parts.size() >= 2) {
    auto variable = MatchVariable(scope, parts[0].name);
    if (!variable) {
      Error(base::ErrorCode::kBind,
            fmt::format("'{}' is not a pattern variable of the MATCH_RECOGNIZE", parts[0].name),
            parts[0].span);
      return false;
    }
    if (parts.size() > 2) {
      Error(base::ErrorCode::kPlan,
            "fields of ROW columns are not supported in MATCH_RECOGNIZE's DEFINE and MEASURES",
            expression.span);
      return false;
    }
    accessor->variable = *variable;
    column_name = &parts[1];
  }
  const ScopeColumn* found = nullptr;
  for (const ScopeColumn& column : scope.input->columns) {
    if (types::IdentifierEquals(column.name, column_name->name)) {
      found = &column;
      break;
    }
  }
  if (found == nullptr) {
    Error(base::ErrorCode::kBind, fmt::format("column not found: '{}'", column_name->name),
          column_name->span);
    return false;
  }
  if (found->type.id() == TypeId::kRow) {
    Error(base::ErrorCode::kPlan,
          "ROW columns are not supported in MATCH_RECOGNIZE's DEFINE and MEASURES",
          column_name->span);
    return false;
  }
  accessor->slot = found->slot;
  accessor->type = found->type;
  return true;
}

bool Binder::ResolveMatchArgument(const MatchScope& scope, const ast::Expression& expression,
                                  MatchAccessor* accessor) {
  if (expression.kind() == ast::ExpressionKind::kColumnRef) {
    return ResolveMatchColumn(scope, expression, accessor);
  }
  // An expression over one row: its columns must all be of one variable (Flink's rule: the
  // value is computed in a single row).
  static const std::set<std::string> kNested = {
      "PREV", "NEXT", "FIRST",         "LAST",           "SUM",        "COUNT",       "AVG",
      "MIN",  "MAX",  "MATCH_ROWTIME", "MATCH_PROCTIME", "CLASSIFIER", "MATCH_NUMBER"};
  std::map<const ast::Expression*, ExprPtr> columns;
  std::optional<int32_t> variable;
  bool ok = true;
  std::set<const ast::Expression*> units;  // TIMESTAMPDIFF(DAY, …)'s unit: not a column
  VisitExpressionTree(expression, [&](const ast::Expression& node) {
    if (!ok || units.count(&node) > 0) return;
    if (node.kind() == ast::ExpressionKind::kFunctionCall) {
      const auto& call = node.Cast<ast::FunctionCallExpression>();
      if (const ast::Expression* unit = TimeUnitOf(call)) units.insert(unit);
      if (kNested.count(Upper(call.name.Last().name)) > 0) {
        Error(base::ErrorCode::kPlan,
              "navigation and aggregate functions cannot be nested in MATCH_RECOGNIZE",
              call.name.span);
        ok = false;
      }
      return;
    }
    if (node.kind() != ast::ExpressionKind::kColumnRef) return;
    MatchAccessor column;
    if (!ResolveMatchColumn(scope, node, &column)) {
      ok = false;
      return;
    }
    if (variable && *variable != column.variable) {
      Error(base::ErrorCode::kPlan,
            "an expression inside FIRST, LAST, PREV or an aggregate must read the columns of "
            "one pattern variable (as in Flink): " +
                expression.ToString(),
            expression.span);
      ok = false;
      return;
    }
    variable = column.variable;
    columns[&node] = Expr::Column(column.slot, column.type);
  });
  if (!ok) return false;
  if (!variable) {
    Error(base::ErrorCode::kBind,
          "expected a column or an expression over columns, got " + expression.ToString(),
          expression.span);
    return false;
  }
  for (auto& [node, replacement] : columns) replacements_[node] = replacement;
  ExprPtr bound = BindExpression(expression, Scope{});
  for (auto& [node, replacement] : columns) replacements_.erase(node);
  if (bound == nullptr) return false;
  if (bound->type.id() == TypeId::kRow || bound->type.id() == TypeId::kNull) {
    Error(base::ErrorCode::kPlan,
          "the expression has no scalar type here: " + expression.ToString(), expression.span);
    return false;
  }
  auto& expressions = *scope.row_expressions;
  size_t index = 0;
  while (index < expressions.size() && !expressions[index]->Equals(*bound)) ++index;
  if (index == expressions.size()) expressions.push_back(bound);
  accessor->variable = *variable;
  accessor->slot = scope.input_width + static_cast<int32_t>(index);
  accessor->type = bound->type;
  return true;
}

ExprPtr Binder::AddMatchAccessor(const MatchScope& scope, MatchAccessor accessor) {
  auto& accessors = *scope.accessors;
  for (size_t i = 0; i < accessors.size(); ++i) {
    const MatchAccessor& known = accessors[i];
    if (known.kind == accessor.kind && known.variable == accessor.variable &&
        known.slot == accessor.slot && known.offset == accessor.offset) {
      return Expr::Column(static_cast<int32_t>(i), known.type);
    }
  }
  accessors.push_back(accessor);
  return Expr::Column(static_cast<int32_t>(accessors.size() - 1), accessor.type);
}

ExprPtr Binder::BindMatchCall(const MatchScope& scope, const ast::FunctionCallExpression& call,
                              const std::string& name) {
  const base::SourceSpan span = call.name.span;
  if (call.over || call.over_window_name || call.filter || call.distinct) {
    Error(base::ErrorCode::kPlan,
          fmt::format("{}(...) in MATCH_RECOGNIZE takes no DISTINCT, FILTER or OVER (as in Flink)",
                      name),
          span);
    return nullptr;
  }
  MatchAccessor accessor;
  if (name == "NEXT") {
    Error(base::ErrorCode::kPlan,
          "NEXT(...) is not supported in MATCH_RECOGNIZE (as in Flink): a row's variable cannot "
          "depend on rows that have not arrived",
          span);
    return nullptr;
  }
  if (name == "MATCH_NUMBER") {
    Error(base::ErrorCode::kPlan, "MATCH_NUMBER() is not supported (as in Flink)", span);
    return nullptr;
  }
  if (name == "MATCH_ROWTIME" || name == "MATCH_PROCTIME") {
    if (scope.in_define) {
      Error(base::ErrorCode::kPlan, name + "() is allowed in MEASURES only", span);
      return nullptr;
    }
    if (!call.arguments.empty()) {
      Error(base::ErrorCode::kPlan, name + "() takes no arguments here", span);
      return nullptr;
    }
    if (name == "MATCH_PROCTIME") {
      return Expr::Call(functions::FunctionId::kProctime, LogicalType::TimestampLtz(), {});
    }
    accessor.kind = MatchAccessorKind::kMatchRowtime;
    accessor.type = scope.rowtime_type;
    return AddMatchAccessor(scope, accessor);
  }
  if (name == "CLASSIFIER") {
    if (!call.arguments.empty()) {
      Error(base::ErrorCode::kPlan, "CLASSIFIER() takes no arguments", span);
      return nullptr;
    }
    accessor.kind = MatchAccessorKind::kClassifier;
    accessor.type = LogicalType::Varchar();
    return AddMatchAccessor(scope, accessor);
  }
  if (name == "PREV" || name == "FIRST" || name == "LAST") {
    if (call.arguments.empty() || call.arguments.size() > 2) {
      Error(base::ErrorCode::kBind, name + "(v.col [, n]) takes one or two arguments", span);
      return nullptr;
    }
    accessor.kind = name == "PREV"    ? MatchAccessorKind::kPrevious
                    : name == "FIRST" ? MatchAccessorKind::kFirst
                                      : MatchAccessorKind::kLast;
    accessor.offset = name == "PREV" ? 1 : 0;
    if (call.arguments.size() == 2) {
      const ast::Expression& offset = *call.arguments[1];
      const auto* literal = offset.As<ast::LiteralExpression>();
      int64_t value = -1;
      if (literal != nullptr && literal->literal_kind == ast::LiteralKind::kInteger &&
          literal->value.size() <= 7) {
        value = std::stoll(literal->value);
      }
      if (value < 0 || value > kMaxOffset) {
        Error(base::ErrorCode::kBind,
              fmt::format("the offset of {}(...) must be an integer literal from 0 to {}", name,
                          kMaxOffset),
              offset.span);
        return nullptr;
      }
      accessor.offset = value;
    }
    if (!ResolveMatchArgument(scope, *call.arguments[0], &accessor)) return nullptr;
    return AddMatchAccessor(scope, accessor);
  }
  // Aggregates over a variable's rows.
  accessor.kind = name == "SUM"     ? MatchAccessorKind::kSum
                  : name == "COUNT" ? MatchAccessorKind::kCount
                  : name == "AVG"   ? MatchAccessorKind::kAverage
                  : name == "MIN"   ? MatchAccessorKind::kMin
                                    : MatchAccessorKind::kMax;
  if (name == "COUNT" &&
      (call.arguments.empty() || call.arguments[0]->kind() == ast::ExpressionKind::kStar)) {
    accessor.slot = -1;
    accessor.type = LogicalType::Bigint();
    return AddMatchAccessor(scope, accessor);
  }
  if (call.arguments.size() != 1) {
    Error(base::ErrorCode::kBind, name + "(...) takes one argument", span);
    return nullptr;
  }
  if (!ResolveMatchArgument(scope, *call.arguments[0], &accessor)) return nullptr;
  const TypeId type = accessor.type.id();
  bool supported = false;
  switch (accessor.kind) {
    case MatchAccessorKind::kCount:
      supported = true;
      accessor.type = LogicalType::Bigint();
      break;
    case MatchAccessorKind::kSum:
    case MatchAccessorKind::kAverage:
      supported = type == TypeId::kInt || type == TypeId::kBigint || type == TypeId::kDouble;
      break;
    default:
      supported = type != TypeId::kBoolean && type != TypeId::kVarchar && type != TypeId::kNull;
      break;
  }
  if (!supported) {
    Error(base::ErrorCode::kPlan,
          fmt::format("{}({}) in MATCH_RECOGNIZE is not supported for {}", name,
                      call.arguments[0]->ToString(), accessor.type.ToString()),
          call.arguments[0]->span);
    return nullptr;
  }
  return AddMatchAccessor(scope, accessor);
}

ExprPtr Binder::BindMatchExpression(const MatchScope& scope, const ast::Expression& expression) {
  static const std::set<std::string> kMatchFunctions = {
      "PREV", "NEXT", "FIRST",         "LAST",           "SUM",        "COUNT",       "AVG",
      "MIN",  "MAX",  "MATCH_ROWTIME", "MATCH_PROCTIME", "CLASSIFIER", "MATCH_NUMBER"};
  std::set<const ast::Expression*> inside;
  std::map<const ast::Expression*, ExprPtr> bound;
  bool ok = true;
  VisitExpressionTree(expression, [&](const ast::Expression& node) {
    if (!ok || inside.count(&node) > 0) return;
    if (node.kind() == ast::ExpressionKind::kFunctionCall) {
      const auto& call = node.Cast<ast::FunctionCallExpression>();
      if (const ast::Expression* unit = TimeUnitOf(call)) inside.insert(unit);
      std::string name = Upper(call.name.Last().name);
      if (call.name.parts.size() != 1 || kMatchFunctions.count(name) == 0) return;
      VisitExpressionTree(node, [&](const ast::Expression& child) { inside.insert(&child); });
      ExprPtr result = BindMatchCall(scope, call, name);
      if (result == nullptr) {
        ok = false;
        return;
      }
      bound[&node] = result;
    } else if (node.kind() == ast::ExpressionKind::kColumnRef) {
      MatchAccessor accessor;
      accessor.kind = MatchAccessorKind::kLast;
      if (!ResolveMatchColumn(scope, node, &accessor)) {
        ok = false;
        return;
      }
      bound[&node] = AddMatchAccessor(scope, accessor);
    }
  });
  if (!ok) return nullptr;
  for (auto& [node, replacement] : bound) replacements_[node] = replacement;
  ExprPtr result = BindExpression(expression, Scope{});
  for (auto& [node, replacement] : bound) replacements_.erase(node);
  return result;
}

std::optional<BoundRelation> Binder::BindMatchRecognize(const ast::MatchRecognizeRef& ref) {
  auto bound_input = BindTableRef(*ref.input);
  if (!bound_input) return std::nullopt;
  BoundRelation input = MaterializeWindow(std::move(*bound_input)).value_or(BoundRelation{});
  if (input.node == nullptr) return std::nullopt;
  if (ref.all_rows) {
    Error(base::ErrorCode::kPlan,
          "ALL ROWS PER MATCH is not supported (as in Flink): use ONE ROW PER MATCH",
          ref.rows_span);
    return std::nullopt;
  }
  runtime::plan::MatchRecognizeSpec spec;
  auto output = std::make_shared<logical::LogicalNode>();
  output->kind = logical::LogicalKind::kMatchRecognize;
  output->inputs.push_back(input.node);
  output->span = ref.span;
  BoundRelation result;
  const std::string qualifier = ref.alias ? ref.alias->name : "";
  // PARTITION BY columns.
  for (const auto& key : ref.partition_by) {
    const auto* column_ref = key->As<ast::ColumnRefExpression>();
    ExprPtr bound = BindExpression(*key, input.scope);
    if (bound == nullptr) return std::nullopt;
    if (column_ref == nullptr || bound->kind != ExprKind::kColumn ||
        bound->type.id() == TypeId::kRow) {
      Error(base::ErrorCode::kPlan,
            "MATCH_RECOGNIZE partitions by columns (not expressions or ROW columns)", key->span);
      return std::nullopt;
    }
    spec.partition_slots.push_back(bound->column_index);
    std::string name = column_ref->parts.back().name;
    output->schema.columns.push_back({name, bound->type});
    result.scope.columns.emplace_back(qualifier, name, bound->type,
                                      static_cast<int32_t>(result.scope.columns.size()));
  }
  // ORDER BY an ascending time attribute.
  if (ref.order_by.empty()) {
    Error(base::ErrorCode::kPlan,
          "MATCH_RECOGNIZE needs ORDER BY a time attribute (an event-time column with a "
          "WATERMARK, or a PROCTIME() column)",
          ref.order_span);
    return std::nullopt;
  }
  const ast::OrderItem& order = ref.order_by[0];
  ExprPtr order_key = BindExpression(*order.expression, input.scope);
  if (order_key == nullptr) return std::nullopt;
  const ScopeColumn* time_column = nullptr;
  if (order_key->kind == ExprKind::kColumn) {
    for (const ScopeColumn& column : input.scope.columns) {
      if (column.slot == order_key->column_index &&
          (column.time_attribute || column.processing_time)) {
        time_column = &column;
      }
    }
  }
  if (time_column == nullptr || order.descending) {
    Error(base::ErrorCode::kPlan,
          "MATCH_RECOGNIZE must be ordered first by an ascending time attribute (an event-time "
          "column with a WATERMARK, or a PROCTIME() column)",
          order.span);
    return std::nullopt;
  }
  spec.order_slot = order_key->column_index;
  spec.event_time = time_column->time_attribute;
  const LogicalType time_type = time_column->type;
  // Further keys order the rows of one time (event time only: processing time takes rows as
  // they arrive).
  for (size_t i = 1; i < ref.order_by.size(); ++i) {
    const ast::OrderItem& item = ref.order_by[i];
    if (!spec.event_time) {
      Error(base::ErrorCode::kPlan,
            "a MATCH_RECOGNIZE in processing time matches rows as they arrive: ORDER BY only "
            "its PROCTIME() attribute",
            item.span);
      return std::nullopt;
    }
    ExprPtr key = BindExpression(*item.expression, input.scope);
    if (key == nullptr) return std::nullopt;
    if (key->kind != ExprKind::kColumn || key->type.id() == TypeId::kRow) {
      Error(base::ErrorCode::kPlan,
            "MATCH_RECOGNIZE orders by columns (not expressions or ROW columns)", item.span);
      return std::nullopt;
    }
    runtime::plan::SortKey sort_key;
    sort_key.slot = key->column_index;
    sort_key.ascending = !item.descending;
    sort_key.nulls_first = item.nulls == ast::NullOrder::kDefault
                               ? sort_key.ascending
                               : item.nulls == ast::NullOrder::kFirst;
    spec.order_keys.push_back(sort_key);
  }
  // PATTERN.
  std::vector<ast::Identifier> variables;
  CollectPatternVariables(ref.pattern, &variables);
  bool pattern_ok = true;
  std::function<void(const ast::PatternTerm&)> check = [&](const ast::PatternTerm& term) {
    if (term.quantified) {
      if (term.max == 0 || (term.max >= 0 && term.min > term.max)) {
        Error(base::ErrorCode::kPlan,
              fmt::format("invalid quantifier: {} to {} rows", term.min, term.max),
              term.quantifier_span);
        pattern_ok = false;
      } else if (term.reluctant && term.min == 0 && term.max == 1) {
        Error(base::ErrorCode::kPlan,
              "the reluctant optional quantifier (?? or {0,1}?) is not supported (as in Flink)",
              term.quantifier_span);
        pattern_ok = false;
      }
    }
    for (const ast::PatternTerm& child : term.children) check(child);
  };
  check(ref.pattern);
  if (!pattern_ok) return std::nullopt;
  if (PatternIsNullable(ref.pattern)) {
    Error(base::ErrorCode::kPlan,
          "a pattern that can match no row at all is not supported (as in Flink)",
          ref.pattern.span);
    return std::nullopt;
  }
  if (const ast::PatternTerm* greedy = GreedyQuantifierAtEnd(ref.pattern)) {
    Error(base::ErrorCode::kPlan,
          "a greedy quantifier cannot end a pattern (as in Flink): end it with a plain variable "
          "or a reluctant quantifier (e.g. B+?)",
          greedy->quantifier_span);
    return std::nullopt;
  }
  auto program = CompilePattern(ref.pattern, variables);
  if (!program) {
    Error(base::ErrorCode::kPlan,
          fmt::format("the pattern expands to more than {} states: use smaller quantifier bounds",
                      kMaxPatternInstructions),
          ref.pattern.span);
    return std::nullopt;
  }
  spec.program = std::move(*program);
  spec.pattern = NormalizedPattern(ref.pattern);
  for (const ast::Identifier& variable : variables) spec.variables.push_back(variable.name);
  // AFTER MATCH SKIP.
  switch (ref.skip) {
    case ast::MatchRecognizeRef::SkipKind::kPastLastRow:
      spec.skip = runtime::plan::MatchSkip::kPastLastRow;
      break;
    case ast::MatchRecognizeRef::SkipKind::kToNextRow:
      spec.skip = runtime::plan::MatchSkip::kToNextRow;
      break;
    case ast::MatchRecognizeRef::SkipKind::kToFirst:
    case ast::MatchRecognizeRef::SkipKind::kToLast: {
      spec.skip = ref.skip == ast::MatchRecognizeRef::SkipKind::kToFirst
                      ? runtime::plan::MatchSkip::kToFirst
                      : runtime::plan::MatchSkip::kToLast;
      MatchScope names;
      names.variables = variables;
      auto variable = MatchVariable(names, ref.skip_variable.name);
      if (!variable) {
        Error(base::ErrorCode::kBind,
              fmt::format("AFTER MATCH SKIP TO '{}': not a variable of the pattern",
                          ref.skip_variable.name),
              ref.skip_variable.span);
        return std::nullopt;
      }
      spec.skip_variable = *variable;
      break;
    }
  }
  // WITHIN.
  if (ref.within) {
    ExprPtr within = BindExpression(*ref.within, Scope{});
    if (within == nullptr) return std::nullopt;
    if (within->kind != ExprKind::kLiteral || within->type.id() != TypeId::kInterval ||
        within->literal.is_null || within->literal.integer <= 0) {
      Error(base::ErrorCode::kPlan, "WITHIN takes a positive INTERVAL literal", ref.within->span);
      return std::nullopt;
    }
    spec.within_millis = within->literal.integer;
  }
  // DEFINE.
  spec.defines.resize(variables.size());
  std::vector<bool> defined(variables.size(), false);
  bool ok = true;
  for (const auto& define : ref.defines) {
    MatchScope scope;
    scope.input = &input.scope;
    scope.variables = variables;
    scope.in_define = true;
    scope.row_expressions = &spec.row_expressions;
    scope.input_width = static_cast<int32_t>(input.node->SlotCount());
    auto variable = MatchVariable(scope, define.variable.name);
    if (!variable) {
      Error(base::ErrorCode::kBind,
            fmt::format("DEFINE '{}': not a variable of the pattern", define.variable.name),
            define.variable.span);
      ok = false;
      continue;
    }
    if (defined[*variable]) {
      Error(base::ErrorCode::kBind,
            fmt::format("variable '{}' is defined twice", define.variable.name),
            define.variable.span);
      ok = false;
      continue;
    }
    defined[*variable] = true;
    runtime::plan::MatchExpression& target = spec.defines[*variable];
    scope.accessors = &target.accessors;
    ExprPtr condition = BindMatchExpression(scope, *define.condition);
    if (condition == nullptr) {
      ok = false;
      continue;
    }
    if (condition->type.id() != TypeId::kBoolean && condition->type.id() != TypeId::kNull) {
      Error(base::ErrorCode::kBind,
            "the condition of DEFINE '" + define.variable.name + "' must be BOOLEAN, not " +
                condition->type.ToString(),
            define.condition->span);
      ok = false;
      continue;
    }
    target.expression = CastTo(condition, LogicalType::Boolean());
  }
  // MEASURES (the partition columns come first in the output row).
  MatchScope measure_scope;
  measure_scope.input = &input.scope;
  measure_scope.variables = variables;
  measure_scope.accessors = &spec.measure_accessors;
  measure_scope.row_expressions = &spec.row_expressions;
  measure_scope.input_width = static_cast<int32_t>(input.node->SlotCount());
  measure_scope.rowtime_type = time_type;
  for (int32_t slot : spec.partition_slots) {
    MatchAccessor accessor;
    accessor.kind = MatchAccessorKind::kLast;
    accessor.slot = slot;
    accessor.type = logical::SlotTypes(input.node->schema)[slot];
    spec.measures.push_back(AddMatchAccessor(measure_scope, accessor));
  }
  for (const auto& measure : ref.measures) {
    ExprPtr bound = BindMatchExpression(measure_scope, *measure.expression);
    if (bound == nullptr) {
      ok = false;
      continue;
    }
    if (bound->type.id() == TypeId::kRow || bound->type.id() == TypeId::kNull) {
      bound = bound->type.id() == TypeId::kNull ? CastTo(bound, LogicalType::Varchar()) : bound;
    }
    for (const ScopeColumn& known : result.scope.columns) {
      if (types::IdentifierEquals(known.name, measure.name.name)) {
        Error(base::ErrorCode::kBind,
              fmt::format("duplicate output column '{}' of MATCH_RECOGNIZE", measure.name.name),
              measure.name.span);
        ok = false;
      }
    }
    spec.measures.push_back(bound);
    output->schema.columns.push_back({measure.name.name, bound->type});
    ScopeColumn column(qualifier, measure.name.name, bound->type,
                       static_cast<int32_t>(result.scope.columns.size()));
    // MATCH_ROWTIME() stays an event-time attribute, MATCH_PROCTIME() a processing-time one.
    if (bound->kind == ExprKind::kColumn &&
        spec.measure_accessors[bound->column_index].kind == MatchAccessorKind::kMatchRowtime) {
      column.time_attribute = spec.event_time;
    }
    if (IsProctimeCall(*bound)) column.processing_time = true;
    result.scope.columns.push_back(column);
  }
  if (!ok) return std::nullopt;
  output->match_recognize = std::move(spec);
  result.node = output;
  return result;
}

}  // namespace sluice::compiler::binder
