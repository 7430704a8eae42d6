#include <fmt/format.h>

#include <functional>

#include "compiler/binder/binder.h"

namespace sluice::compiler::binder {

using logical::LogicalKind;
using logical::LogicalNode;
using runtime::plan::AggregateCall;
using runtime::plan::AggregateKind;
using runtime::plan::Expr;
using runtime::plan::ExprKind;
using runtime::plan::ExprPtr;
using types::LogicalType;
using types::TypeId;

namespace {

std::string Upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

/// Calls `visit` on each direct child expression of `expression`.
void ForEachChild(const ast::Expression& expression,
                  const std::function<void(const ast::Expression&)>& visit) {
  auto maybe = [&](const ast::ExpressionPtr& child) {
    if (child) visit(*child);
  };
  switch (expression.kind()) {
    case ast::ExpressionKind::kUnary: maybe(expression.Cast<ast::UnaryExpression>().operand); break;
    case ast::ExpressionKind::kBinary: {
      const auto& binary = expression.Cast<ast::BinaryExpression>();
      maybe(binary.left);
      maybe(binary.right);
      break;
    }
    case ast::ExpressionKind::kBetween: {
      const auto& between = expression.Cast<ast::BetweenExpression>();
      maybe(between.value);
      maybe(between.lower);
      maybe(between.upper);
      break;
    }
    case ast::ExpressionKind::kInList: {
      const auto& in = expression.Cast<ast::InListExpression>();
      maybe(in.value);
      for (const auto& item : in.list) maybe(item);
      break;
    }
    case ast::ExpressionKind::kLike: {
      const auto& like = expression.Cast<ast::LikeExpression>();
      maybe(like.value);
      maybe(like.pattern);
      maybe(like.escape);
      break;
    }
    case ast::ExpressionKind::kIs: maybe(expression.Cast<ast::IsExpression>().value); break;
    case ast::ExpressionKind::kCase: {
      const auto& case_expression = expression.Cast<ast::CaseExpression>();
      maybe(case_expression.operand);
      for (const auto& when : case_expression.whens) {
        maybe(when.condition);
        maybe(when.result);
      }
      maybe(case_expression.else_result);
      break;
    }
    case ast::ExpressionKind::kCast: maybe(expression.Cast<ast::CastExpression>().operand); break;
    case ast::ExpressionKind::kExtract:
      maybe(expression.Cast<ast::ExtractExpression>().operand);
      break;
    case ast::ExpressionKind::kFunctionCall: {
      const auto& call = expression.Cast<ast::FunctionCallExpression>();
      for (const auto& argument : call.arguments) maybe(argument);
      maybe(call.filter);
      break;
    }
    case ast::ExpressionKind::kFieldAccess:
      maybe(expression.Cast<ast::FieldAccessExpression>().base);
      break;
    case ast::ExpressionKind::kSubscript: {
      const auto& subscript = expression.Cast<ast::SubscriptExpression>();
      maybe(subscript.base);
      maybe(subscript.index);
      break;
    }
    case ast::ExpressionKind::kNamedArgument:
      maybe(expression.Cast<ast::NamedArgumentExpression>().value);
      break;
    default: break;
  }
}

const char* kAggregateFunctions[] = {
    "COUNT",       "SUM",         "MIN",        "MAX",      "AVG",      "STDDEV_POP",
    "STDDEV_SAMP", "STDDEV",      "VAR_POP",    "VAR_SAMP", "VARIANCE", "BOOL_AND",
    "BOOL_OR",     "FIRST_VALUE", "LAST_VALUE", "LISTAGG",  "ARRAY_AGG"};
// Aggregate-like names that are refused with a reason when used without OVER.
const char* kOtherAggregates[] = {"COLLECT", "LAG", "LEAD"};

bool IsAggregateCall(const ast::Expression& expression) {
  const auto* call = expression.As<ast::FunctionCallExpression>();
  if (call == nullptr || call->over || call->over_window_name) return false;
  std::string name = Upper(call->name.Last().name);
  for (const char* known : kAggregateFunctions) {
    if (name == known) return true;
  }
  for (const char* known : kOtherAggregates) {
    if (name == known) return true;
  }
  return false;
}

/// Visits `expression` and all of its descendants, parents first.
void Walk(const ast::Expression& expression,
          const std::function<void(const ast::Expression&)>& visit) {
  visit(expression);
  ForEachChild(expression, [&](const ast::Expression& child) { Walk(child, visit); });
}

/// The interval a window TVF argument gives, in milliseconds; nullopt when it is not one.
std::optional<int64_t> IntervalMillis(const ExprPtr& expression) {
  if (expression == nullptr || expression->kind != ExprKind::kLiteral ||
      expression->type.id() != TypeId::kInterval || expression->literal.is_null) {
    return std::nullopt;
  }
  return expression->literal.integer;
}

}  // namespace

void VisitExpressionTree(const ast::Expression& expression,
                         const std::function<void(const ast::Expression&)>& visit) {
  Walk(expression, visit);
}

std::optional<AggregateKind> AggregateKindOf(const std::string& upper) {
  static const std::pair<const char*, AggregateKind> kNames[] = {
      {"COUNT", AggregateKind::kCount},
      {"SUM", AggregateKind::kSum},
      {"MIN", AggregateKind::kMin},
      {"MAX", AggregateKind::kMax},
      {"AVG", AggregateKind::kAvg},
      {"STDDEV_POP", AggregateKind::kStddevPop},
      {"STDDEV_SAMP", AggregateKind::kStddevSamp},
      {"STDDEV", AggregateKind::kStddevSamp},
      {"VAR_POP", AggregateKind::kVarPop},
      {"VAR_SAMP", AggregateKind::kVarSamp},
      {"VARIANCE", AggregateKind::kVarSamp},
      {"BOOL_AND", AggregateKind::kBoolAnd},
      {"BOOL_OR", AggregateKind::kBoolOr},
      {"FIRST_VALUE", AggregateKind::kFirstValue},
      {"LAST_VALUE", AggregateKind::kLastValue},
      {"LISTAGG", AggregateKind::kListAgg},
      {"COLLECT", AggregateKind::kCollect},
      {"ARRAY_AGG", AggregateKind::kArrayAgg}};
  for (const auto& [name, kind] : kNames) {
    if (upper == name) return kind;
  }
  return std::nullopt;
}

const char* const kWideDecimalAggregates =
    " (not a DECIMAL of precision above 18: STDDEV/VAR keep 128-bit sums of squares, and a "
    "MULTISET's elements are DECIMALs of precision up to 18)";

bool ComputedWide(AggregateKind kind) {
  switch (kind) {
    case AggregateKind::kSum:
    case AggregateKind::kAvg:
    case AggregateKind::kStddevPop:
    case AggregateKind::kStddevSamp:
    case AggregateKind::kVarPop:
    case AggregateKind::kVarSamp: return true;
    default: return false;
  }
}

std::optional<LogicalType> AggregateResultType(AggregateKind kind, const LogicalType& argument) {
  // A DECIMAL above precision 18 is kept as 128-bit values everywhere but in the exact moments
  // (whose sums of squares would overflow 128 bits) and in collections (64-bit elements).
  if (argument.IsWideDecimal() &&
      (kind == AggregateKind::kStddevPop || kind == AggregateKind::kStddevSamp ||
       kind == AggregateKind::kVarPop || kind == AggregateKind::kVarSamp ||
       kind == AggregateKind::kCollect || kind == AggregateKind::kArrayAgg)) {
    return std::nullopt;
  }
  switch (kind) {
    case AggregateKind::kStddevPop:
    case AggregateKind::kStddevSamp:
    case AggregateKind::kVarPop:
    case AggregateKind::kVarSamp:
      // Flink's AVG-like type: the argument's, DECIMAL(p, s) → DECIMAL(38, max(6, s)).
      if (argument.id() == TypeId::kDecimal) {
        return LogicalType::Decimal(38, std::max<int32_t>(6, argument.scale()));
      }
      if (argument.IsInteger() || argument.id() == TypeId::kDouble) return argument;
      return std::nullopt;
    case AggregateKind::kBoolAnd:
    case AggregateKind::kBoolOr:
      if (argument.id() == TypeId::kBoolean) return argument;
      return std::nullopt;
    case AggregateKind::kListAgg:
      if (argument.id() == TypeId::kVarchar) return argument;
      return std::nullopt;
    case AggregateKind::kCollect:
      if (argument.id() == TypeId::kRow || argument.id() == TypeId::kNull ||
          argument.id() == TypeId::kInterval) {
        return std::nullopt;
      }
      return LogicalType::Multiset(argument);
    case AggregateKind::kArrayAgg:
      if (argument.id() == TypeId::kRow || argument.id() == TypeId::kNull ||
          argument.id() == TypeId::kInterval) {
        return std::nullopt;
      }
      return LogicalType::Array(argument);
    case AggregateKind::kFirstValue:
    case AggregateKind::kLastValue:
    case AggregateKind::kLag:
      if (argument.id() == TypeId::kRow || argument.id() == TypeId::kNull) return std::nullopt;
      return argument;
    case AggregateKind::kCountStar:
    case AggregateKind::kCount: return LogicalType::Bigint();
    case AggregateKind::kSum:
      // Flink's findSumAggType and findAvgAggType.
      if (argument.id() == TypeId::kDecimal) return LogicalType::Decimal(38, argument.scale());
      [[fallthrough]];
    case AggregateKind::kAvg:
      if (argument.id() == TypeId::kDecimal) {
        return LogicalType::Decimal(38, std::max<int32_t>(6, argument.scale()));
      }
      if (argument.IsNumeric()) return argument;
      return std::nullopt;
    case AggregateKind::kMin:
    case AggregateKind::kMax:
      switch (argument.id()) {
        case TypeId::kBoolean:
        case TypeId::kInt:
        case TypeId::kBigint:
        case TypeId::kDouble:
        case TypeId::kDecimal:
        case TypeId::kVarchar:
        case TypeId::kTimestamp:
        case TypeId::kDate:
        case TypeId::kTime: return argument;
        default: return std::nullopt;
      }
  }
  return std::nullopt;
}

std::string Binder::UidHint(const std::vector<ast::Hint>& hints) {
  std::string uid;
  for (const ast::Hint& hint : hints) {
    if (Upper(hint.name.name) != "UID") continue;
    if (hint.arguments.size() != 1 || hint.arguments.front().empty()) {
      Error(base::ErrorCode::kBind, "UID takes one name: /*+ UID('my_state') */", hint.span);
      return "";
    }
    uid = hint.arguments.front();
  }
  return uid;
}

std::optional<runtime::plan::WindowSpec> Binder::BindLegacyWindow(
    const ast::FunctionCallExpression& call, const Scope& scope) {
  std::string name = Upper(call.name.Last().name);
  runtime::plan::WindowSpec spec;
  size_t intervals_needed = 1;
  if (name == "TUMBLE") {
    spec.kind = runtime::plan::WindowKind::kTumble;
  } else if (name == "HOP") {
    spec.kind = runtime::plan::WindowKind::kHop;
    intervals_needed = 2;
  } else {
    spec.kind = runtime::plan::WindowKind::kSession;
  }
  if (call.arguments.size() != intervals_needed + 1) {
    Error(base::ErrorCode::kBind,
          fmt::format("GROUP BY {}(time_column, {}) takes {} arguments", name,
                      name == "HOP"      ? "slide, size"
                      : name == "TUMBLE" ? "size"
                                         : "gap",
                      intervals_needed + 1),
          call.span);
    return std::nullopt;
  }
  ExprPtr time = BindExpression(*call.arguments[0], scope);
  if (time == nullptr) return std::nullopt;
  bool time_attribute = false;
  if (time->kind == ExprKind::kColumn) {
    for (const ScopeColumn& column : scope.columns) {
      if (column.slot != time->column_index) continue;
      time_attribute |= column.time_attribute || column.processing_time;
      spec.processing_time |= column.processing_time && !column.time_attribute;
    }
  }
  if (!time_attribute) {
    Error(base::ErrorCode::kBind,
          fmt::format("{}(...) needs a time attribute (a column with a WATERMARK, or a "
                      "PROCTIME() column) as its first argument",
                      name),
          call.arguments[0]->span);
    return std::nullopt;
  }
  if (spec.processing_time && spec.kind == runtime::plan::WindowKind::kSession) {
    Error(base::ErrorCode::kPlan,
          "SESSION windows on processing time are not supported; use an event-time attribute "
          "(a column with a WATERMARK)",
          call.arguments[0]->span);
    return std::nullopt;
  }
  spec.time_slot = time->column_index;
  if (time->type.IsTimestampLtz()) spec.time_zone = local_time_zone();
  std::vector<int64_t> intervals;
  for (size_t i = 1; i < call.arguments.size(); ++i) {
    auto millis = IntervalMillis(BindExpression(*call.arguments[i], Scope{}));
    if (!millis || *millis <= 0) {
      Error(base::ErrorCode::kBind, name + " sizes must be positive INTERVAL literals",
            call.arguments[i]->span);
      return std::nullopt;
    }
    intervals.push_back(*millis);
  }
  switch (spec.kind) {
    case runtime::plan::WindowKind::kTumble: spec.size = intervals[0]; break;
    case runtime::plan::WindowKind::kSession: spec.gap = intervals[0]; break;
    default:
      spec.step = intervals[0];
      spec.size = intervals[1];
      if (spec.size % spec.step != 0) {
        Error(base::ErrorCode::kBind, "HOP: the size must be a multiple of the slide", call.span);
        return std::nullopt;
      }
  }
  return spec;
}

void Binder::FindOverCalls(const ast::Expression& expression,
                           std::vector<const ast::FunctionCallExpression*>* calls) {
  Walk(expression, [&](const ast::Expression& node) {
    const auto* call = node.As<ast::FunctionCallExpression>();
    if (call != nullptr && (call->over || call->over_window_name)) calls->push_back(call);
  });
}

bool Binder::ContainsAggregate(const ast::Expression& expression) {
  bool found = false;
  Walk(expression, [&](const ast::Expression& node) { found |= IsAggregateCall(node); });
  return found;
}

std::vector<std::string> Binder::ReferencedColumnNames(const ast::Expression& expression,
                                                       bool* qualified) {
  std::vector<std::string> names;
  Walk(expression, [&](const ast::Expression& node) {
    if (const auto* column = node.As<ast::ColumnRefExpression>();
        column && !column->parts.empty()) {
      names.push_back(column->parts.back().name);
      if (qualified != nullptr && column->parts.size() >= 2) *qualified = true;
    }
  });
  return names;
}

std::optional<BoundRelation> Binder::BindWindowFunction(const ast::FunctionCallExpression& call,
                                                        std::optional<BoundRelation> input) {
  std::string name = Upper(call.name.Last().name);
  runtime::plan::WindowSpec spec;
  if (name == "TUMBLE") {
    spec.kind = runtime::plan::WindowKind::kTumble;
  } else if (name == "HOP") {
    spec.kind = runtime::plan::WindowKind::kHop;
  } else if (name == "CUMULATE") {
    spec.kind = runtime::plan::WindowKind::kCumulate;
  } else if (name == "SESSION") {
    spec.kind = runtime::plan::WindowKind::kSession;
  } else {
    Error(base::ErrorCode::kBind,
          fmt::format("unknown table function '{}' (window TVFs: TUMBLE, HOP, CUMULATE, "
                      "SESSION)",
                      call.name.Last().name),
          call.name.span);
    return std::nullopt;
  }
  // Arguments: [TABLE t,] DESCRIPTOR(col), then intervals; `name => value` also works.
  std::vector<const ast::Expression*> arguments;
  for (const auto& argument : call.arguments) {
    const ast::Expression* value = argument.get();
    if (const auto* named = argument->As<ast::NamedArgumentExpression>())
      value = named->value.get();
    arguments.push_back(value);
  }
  size_t next = 0;
  if (!input) {
    const auto* table =
        next < arguments.size() ? arguments[next]->As<ast::TableArgumentExpression>() : nullptr;
    if (table == nullptr) {
      Error(base::ErrorCode::kBind,
            name + " needs a TABLE argument first, e.g. " + name +
                "(TABLE bid, DESCRIPTOR(dateTime), ...)",
            call.span);
      return std::nullopt;
    }
    ++next;
    // `TABLE t PARTITION BY k, DESCRIPTOR(ts), ...` parses the arguments after k into the
    // PARTITION BY list; everything from the first non-column there on is an argument.
    std::vector<const ast::Expression*> spilled;
    for (const auto& item : table->partition_by) {
      if (!spilled.empty() || !item->Is<ast::ColumnRefExpression>()) spilled.push_back(item.get());
    }
    arguments.insert(arguments.begin() + static_cast<long>(next), spilled.begin(), spilled.end());
    input = BindTableName(table->table, table->table.Last().name, table->span);
    if (!input) return std::nullopt;
  }
  if (input->window) {
    Error(base::ErrorCode::kPlan, "a window TVF over another window TVF is not supported",
          call.span);
    return std::nullopt;
  }
  // DESCRIPTOR(col); inside a spilled PARTITION BY list it parses as a call named DESCRIPTOR.
  const ast::Identifier* time_identifier = nullptr;
  if (next < arguments.size()) {
    if (const auto* descriptor = arguments[next]->As<ast::DescriptorExpression>()) {
      if (descriptor->columns.size() == 1) time_identifier = &descriptor->columns.front();
    } else if (const auto* call_form = arguments[next]->As<ast::FunctionCallExpression>()) {
      if (Upper(call_form->name.Last().name) == "DESCRIPTOR" && call_form->arguments.size() == 1) {
        if (const auto* ref = call_form->arguments.front()->As<ast::ColumnRefExpression>()) {
          if (ref->parts.size() == 1) time_identifier = &ref->parts.front();
        }
      }
    }
  }
  if (time_identifier == nullptr) {
    Error(base::ErrorCode::kBind, name + " needs DESCRIPTOR(time_column) naming one time attribute",
          call.span);
    return std::nullopt;
  }
  ++next;
  const ast::Identifier& time_name = *time_identifier;
  const ScopeColumn* time_column = nullptr;
  for (const ScopeColumn& column : input->scope.columns) {
    if (types::IdentifierEquals(column.name, time_name.name)) time_column = &column;
  }
  if (time_column == nullptr) {
    Error(base::ErrorCode::kBind, "column not found: '" + time_name.name + "'", time_name.span);
    return std::nullopt;
  }
  if (!time_column->time_attribute && !time_column->processing_time) {
    Error(base::ErrorCode::kBind,
          fmt::format("'{}' is not a time attribute: declare WATERMARK FOR {} on its table "
                      "(or pass the watermarked column through unchanged), or use a "
                      "processing-time column such as `PROCTIME() AS p`",
                      time_name.name, time_name.name),
          time_name.span);
    return std::nullopt;
  }
  spec.processing_time = !time_column->time_attribute;
  if (spec.processing_time && spec.kind == runtime::plan::WindowKind::kSession) {
    Error(base::ErrorCode::kPlan,
          "SESSION windows on processing time are not supported; use an event-time attribute "
          "(a column with a WATERMARK)",
          time_name.span);
    return std::nullopt;
  }
  spec.time_slot = time_column->slot;
  if (time_column->type.IsTimestampLtz()) spec.time_zone = local_time_zone();

  std::vector<int64_t> intervals;
  for (; next < arguments.size(); ++next) {
    ExprPtr bound = BindExpression(*arguments[next], Scope{});
    if (bound == nullptr) return std::nullopt;
    auto millis = IntervalMillis(bound);
    if (!millis || *millis < 0 || (*millis == 0 && intervals.size() < 2)) {
      Error(base::ErrorCode::kBind,
            name + " arguments after the DESCRIPTOR must be positive INTERVAL literals",
            arguments[next]->span);
      return std::nullopt;
    }
    intervals.push_back(*millis);
  }
  size_t needed = spec.kind == runtime::plan::WindowKind::kTumble ||
                          spec.kind == runtime::plan::WindowKind::kSession
                      ? 1
                      : 2;
  if (intervals.size() < needed || intervals.size() > needed + 1 ||
      (spec.kind == runtime::plan::WindowKind::kSession && intervals.size() != 1)) {
    const char* usage = spec.kind == runtime::plan::WindowKind::kTumble ? "size [, offset]"
                        : spec.kind == runtime::plan::WindowKind::kHop  ? "slide, size [, offset]"
                        : spec.kind == runtime::plan::WindowKind::kCumulate
                            ? "step, max size [, offset]"
                            : "gap";
    Error(base::ErrorCode::kBind,
          fmt::format("{}(TABLE t, DESCRIPTOR(ts), {}) got {} interval(s)", name, usage,
                      intervals.size()),
          call.span);
    return std::nullopt;
  }
  switch (spec.kind) {
    case runtime::plan::WindowKind::kTumble: spec.size = intervals[0]; break;
    case runtime::plan::WindowKind::kSession: spec.gap = intervals[0]; break;
    case runtime::plan::WindowKind::kHop:
    case runtime::plan::WindowKind::kCumulate:
      spec.step = intervals[0];
      spec.size = intervals[1];
      if (spec.size % spec.step != 0) {
        Error(base::ErrorCode::kBind,
              fmt::format(
                  "{}: the size ({} ms) must be a multiple of the {} ({} ms)", name, spec.size,
                  spec.kind == runtime::plan::WindowKind::kHop ? "slide" : "step", spec.step),
              call.span);
        return std::nullopt;
      }
      break;
  }
  if (intervals.size() == needed + 1) spec.offset = intervals.back();

  BoundRelation result = std::move(*input);
  int32_t input_slots = static_cast<int32_t>(result.node->SlotCount());
  std::string qualifier =
      result.scope.columns.empty() ? std::string() : result.scope.columns.front().qualifier;
  int32_t slot = input_slots;
  for (auto [column_name, property] : {std::pair{"window_start", WindowProperty::kStart},
                                       std::pair{"window_end", WindowProperty::kEnd},
                                       std::pair{"window_time", WindowProperty::kTime}}) {
    ScopeColumn column{
        qualifier, column_name,
        property == WindowProperty::kTime ? WindowTimeType(spec) : LogicalType::Timestamp(),
        slot++};
    column.window_property = property;
    result.scope.columns.push_back(column);
  }
  result.window = PendingWindow{spec, input_slots, call.span};
  return result;
}

std::optional<BoundRelation> Binder::BindAggregation(
    BoundRelation input, const std::vector<const ast::Expression*>& keys,
    const std::vector<OutputItem>& outputs, const ast::Expression* having,
    const std::string& uid_hint, base::SourceSpan span) {
  const size_t errors_before = diagnostics_.size();
  // GROUPING SETS, ROLLUP and CUBE: their expressions are bound as keys like the plain items.
  std::optional<GroupingSets> grouping_sets = ExpandGroupingSets(keys);
  if (!grouping_sets) return std::nullopt;
  const std::vector<const ast::Expression*>& key_items = grouping_sets->keys;
  const bool has_sets = !grouping_sets->sets.empty();
  // A window TVF grouped without both window_start and window_end (GROUP BY window_start, or a
  // SELECT DISTINCT of it) is no window aggregation: as Flink, a group aggregation of its rows,
  // whose window columns are plain columns.
  if (input.window) {
    bool start = false, end = false;
    for (const ast::Expression* key : key_items) {
      const auto* column = key->As<ast::ColumnRefExpression>();
      if (column == nullptr || column->parts.empty()) continue;
      start |= types::IdentifierEquals(column->parts.back().name, "window_start");
      end |= types::IdentifierEquals(column->parts.back().name, "window_end");
    }
    if (!start || !end) {
      auto rows = MaterializeWindow(std::move(input));
      if (!rows) return std::nullopt;
      input = std::move(*rows);
    }
  }
  // The aggregation's input: a projection of keys, arguments, filters and the time column.
  std::vector<ExprPtr> pre;
  auto add_pre = [&](const ExprPtr& expression) {
    for (size_t i = 0; i < pre.size(); ++i) {
      if (pre[i]->Equals(*expression)) return static_cast<int32_t>(i);
    }
    pre.push_back(expression);
    return static_cast<int32_t>(pre.size() - 1);
  };
  auto uses_window_column = [&](const ExprPtr& expression) {
    if (!input.window) return false;
    bool uses = false;
    std::function<void(const ExprPtr&)> visit = [&](const ExprPtr& node) {
      if (node->kind == ExprKind::kColumn && node->column_index >= input.window->input_slots) {
        uses = true;
      }
      for (const auto& argument : node->arguments) visit(argument);
    };
    visit(expression);
    return uses;
  };

  struct Key {
    int32_t pre_index;
    std::string name;
    std::string qualifier;
    LogicalType type;
    const ast::Expression* expression;
  };
  std::vector<Key> grouped;
  bool window_start = false, window_end = false;
  // A legacy group window: GROUP BY TUMBLE(ts, size) | HOP(ts, slide, size) | SESSION(ts, gap).
  std::optional<runtime::plan::WindowSpec> window;
  if (input.window) window = input.window->spec;
  std::string legacy_name;
  for (const ast::Expression* key : key_items) {
    const auto* call = key->As<ast::FunctionCallExpression>();
    if (call == nullptr) continue;
    std::string name = Upper(call->name.Last().name);
    if (name != "TUMBLE" && name != "HOP" && name != "SESSION") continue;
    if (window) {
      Error(base::ErrorCode::kPlan, "only one window per GROUP BY", key->span);
      return std::nullopt;
    }
    auto legacy = BindLegacyWindow(*call, input.scope);
    if (!legacy) return std::nullopt;
    window = legacy;
    legacy_name = name;
  }
  if (has_sets && !legacy_name.empty()) {
    Error(base::ErrorCode::kPlan,
          "GROUPING SETS, ROLLUP and CUBE are not supported with GROUP BY " + legacy_name +
              "(...); use a window TVF: GROUP BY window_start, window_end, ROLLUP(...)",
          grouping_sets->span);
    return std::nullopt;
  }
  // Cascading windows: grouping by both the window_start and window_end columns of an earlier
  // TUMBLE or HOP aggregation re-aggregates each of its windows, fired by the watermark like
  // any window (so state is freed), instead of an unbounded GROUP BY. A window [s, e) is the
  // tumbling window of the earlier step (HOP: its slide) that ends at e.
  const ScopeColumn* cascade_start = nullptr;
  const ScopeColumn* cascade_end = nullptr;
  if (!window) {
    for (const ast::Expression* key : key_items) {
      const auto* ref = key->As<ast::ColumnRefExpression>();
      if (ref == nullptr) continue;
      ExprPtr bound = BindExpression(*key, input.scope);
      if (bound == nullptr || bound->kind != ExprKind::kColumn) continue;
      for (const ScopeColumn& column : input.scope.columns) {
        if (column.slot != bound->column_index || !column.window_origin) continue;
        if (column.window_property == WindowProperty::kStart) cascade_start = &column;
        if (column.window_property == WindowProperty::kEnd) cascade_end = &column;
      }
    }
    bool cascades = cascade_start && cascade_end &&
                    cascade_start->window_origin->kind == cascade_end->window_origin->kind &&
                    cascade_start->window_origin->size == cascade_end->window_origin->size &&
                    cascade_start->window_origin->step == cascade_end->window_origin->step &&
                    !cascade_end->window_origin->processing_time &&
                    (cascade_end->window_origin->kind == runtime::plan::WindowKind::kTumble ||
                     cascade_end->window_origin->kind == runtime::plan::WindowKind::kHop);
    if (cascades) {
      const auto& origin = *cascade_end->window_origin;
      runtime::plan::WindowSpec spec;
      spec.kind = runtime::plan::WindowKind::kTumble;
      spec.size = origin.kind == runtime::plan::WindowKind::kHop ? origin.step : origin.size;
      spec.offset = origin.offset;
      spec.time_slot = cascade_end->slot;  // rewritten to window_end - 1 ms below
      spec.time_zone = origin.time_zone;
      window = spec;
      window_start = window_end = true;
    } else {
      cascade_start = cascade_end = nullptr;
    }
  }
  for (const ast::Expression* key : key_items) {
    if (!legacy_name.empty()) {
      const auto* call = key->As<ast::FunctionCallExpression>();
      if (call != nullptr && Upper(call->name.Last().name) == legacy_name) continue;
    }
    ExprPtr bound = BindExpression(*key, input.scope);
    if (bound == nullptr) continue;
    if (cascade_end != nullptr && bound->kind == ExprKind::kColumn &&
        (bound->column_index == cascade_start->slot || bound->column_index == cascade_end->slot)) {
      continue;
    }
    if (input.window && bound->kind == ExprKind::kColumn &&
        bound->column_index >= input.window->input_slots) {
      int32_t property = bound->column_index - input.window->input_slots;
      window_start |= property == 0;
      window_end |= property == 1;
      continue;
    }
    if (uses_window_column(bound)) {
      Error(base::ErrorCode::kPlan, "group by window_start and window_end themselves", key->span);
      continue;
    }
    if (bound->type.id() == TypeId::kRow) {
      Error(base::ErrorCode::kBind, "cannot group by a ROW", key->span);
      continue;
    }
    std::string qualifier;
    if (bound->kind == ExprKind::kColumn) {
      for (const ScopeColumn& column : input.scope.columns) {
        if (column.slot == bound->column_index) qualifier = column.qualifier;
      }
    }
    grouped.push_back(
        Key{add_pre(bound), DefaultName(*key, grouped.size()), qualifier, bound->type, key});
  }
  if (input.window && !(window_start && window_end)) {
    Error(base::ErrorCode::kPlan,
          "an aggregation over a window TVF must GROUP BY window_start, window_end",
          input.window->span);
  }
  // Over grouping sets the aggregation's input is their Expand, and each key is grouped once.
  std::optional<GroupingLayout> layout;
  if (has_sets && diagnostics_.size() == errors_before) {
    std::vector<BoundGroupingKey> bound_keys;
    for (const Key& key : grouped) bound_keys.push_back({key.expression, key.pre_index});
    layout = LayOutGroupingSets(*grouping_sets, bound_keys);
    if (!layout) return std::nullopt;
    std::vector<Key> distinct;
    for (const Key& key : grouped) {
      bool seen = false;
      for (const Key& other : distinct) seen |= other.pre_index == key.pre_index;
      if (!seen) distinct.push_back(key);
    }
    grouped = std::move(distinct);
  }

  // Aggregate calls, in order of appearance; equal calls share one output.
  std::vector<AggregateCall> calls;
  std::vector<LogicalType> narrowed_results;  // per call: the TINYINT/SMALLINT/FLOAT result
  std::vector<const ast::Expression*> call_sources;
  std::map<const ast::Expression*, size_t> call_of;
  auto bind_call = [&](const ast::FunctionCallExpression& call) {
    std::string name = Upper(call.name.Last().name);
    AggregateCall bound_call;
    LogicalType narrowed_result;
    if (auto kind = AggregateKindOf(name)) {
      bound_call.kind = *kind;
    } else if (name == "COLLECT") {
      Error(base::ErrorCode::kPlan,
            "aggregate function COLLECT is not supported: it returns a MULTISET, a type Sluice "
            "does not have",
            call.name.span);
      return;
    } else if (name == "LAG" || name == "LEAD") {
      Error(base::ErrorCode::kBind,
            name + "(...) needs an OVER window: " + name +
                "(x) OVER (PARTITION BY … ORDER BY time_attribute)",
            call.span);
      return;
    } else {
      Error(base::ErrorCode::kPlan, "aggregate function " + name + " is not supported yet",
            call.name.span);
      return;
    }
    // COUNT(DISTINCT a, b, …): the distinct combinations of non-NULL values (Flink's).
    const bool distinct_combination =
        bound_call.kind == AggregateKind::kCount && call.distinct && call.arguments.size() > 1;
    if (bound_call.kind == AggregateKind::kListAgg) {
      if (call.arguments.empty() || call.arguments.size() > 2) {
        Error(base::ErrorCode::kBind, "LISTAGG takes an expression and an optional separator",
              call.span);
        return;
      }
      if (call.arguments.size() == 2) {
        // Checked as written first: a column is not "not found" but not a literal.
        const ast::Expression& written = *call.arguments[1];
        ExprPtr separator =
            written.Is<ast::LiteralExpression>() ? BindExpression(written, Scope{}) : nullptr;
        if (separator == nullptr || separator->kind != ExprKind::kLiteral ||
            separator->type.id() != TypeId::kVarchar || separator->literal.is_null) {
          Error(base::ErrorCode::kBind,
                "the LISTAGG separator must be a string literal, e.g. LISTAGG(name, '; ')",
                call.arguments[1]->span);
          return;
        }
        bound_call.separator = separator->literal.text;
      }
    } else if (call.arguments.size() != 1 && !distinct_combination) {
      Error(base::ErrorCode::kBind,
            name == "COUNT" ? std::string("COUNT takes one argument (COUNT(DISTINCT a, b, …) "
                                          "counts distinct combinations)")
                            : name + " takes one argument",
            call.span);
      return;
    }
    if (call.distinct && bound_call.kind != AggregateKind::kCount &&
        bound_call.kind != AggregateKind::kSum && bound_call.kind != AggregateKind::kMin &&
        bound_call.kind != AggregateKind::kMax && bound_call.kind != AggregateKind::kAvg) {
      Error(base::ErrorCode::kPlan, name + "(DISTINCT …) is not supported", call.span);
      return;
    }
    const ast::Expression& argument = *call.arguments.front();
    LogicalType argument_type;
    if (argument.Is<ast::StarExpression>()) {
      if (bound_call.kind != AggregateKind::kCount || call.distinct) {
        Error(base::ErrorCode::kBind, "only COUNT(*) takes '*'", argument.span);
        return;
      }
      bound_call.kind = AggregateKind::kCountStar;
    } else {
      bool nested = false;
      for (const ast::ExpressionPtr& each : call.arguments) {
        Walk(*each, [&](const ast::Expression& node) { nested |= IsAggregateCall(node); });
      }
      if (nested) {
        Error(base::ErrorCode::kBind, "aggregate calls cannot be nested", argument.span);
        return;
      }
      ExprPtr bound = distinct_combination ? BindDistinctCombination(call, input.scope)
                                           : BindExpression(argument, input.scope);
      if (bound == nullptr) return;
      if (uses_window_column(bound)) {
        Error(base::ErrorCode::kPlan, "cannot aggregate window_start, window_end or window_time",
              argument.span);
        return;
      }
      if (bound->type.id() == TypeId::kNull) bound = CastTo(bound, LogicalType::Int());
      if (bound->type.id() == TypeId::kRow && bound_call.kind == AggregateKind::kCount) {
        // A row takes several slots; COUNT needs one value, NULL for a NULL row: its element
        // bytes for DISTINCT (an injective encoding), else TRUE.
        if (call.distinct && (!IsSlotRow(bound) || RowHoldsWideDecimal(bound->type))) {
          Error(
              base::ErrorCode::kPlan,
              fmt::format("COUNT(DISTINCT …) of a {} is not supported yet", bound->type.ToString()),
              argument.span);
          return;
        }
        ExprPtr is_row =
            Expr::Call(functions::FunctionId::kIsNotNull, LogicalType::Boolean(), {bound});
        bound =
            call.distinct
                ? EncodeRow(bound)
                : Expr::Case({is_row, Expr::Literal(runtime::plan::Value::Boolean(true)),
                              Expr::Literal(runtime::plan::Value::Null(LogicalType::Boolean()))},
                             LogicalType::Boolean());
      }
      if (bound->type.IsNarrowNumeric() && ComputedWide(bound_call.kind)) {
        narrowed_result = bound->type;
        bound = CastTo(bound, bound->type.Widened());
      }
      argument_type = bound->type;
      bound_call.argument_slot = add_pre(bound);
    }
    auto result = AggregateResultType(bound_call.kind, argument_type);
    if (!result) {
      Error(base::ErrorCode::kBind,
            fmt::format("{} cannot be applied to {}{}", name, argument_type.ToString(),
                        argument_type.IsWideDecimal() ? kWideDecimalAggregates : ""),
            call.span);
      return;
    }
    bound_call.argument_type = argument_type;
    bound_call.result_type = *result;
    bound_call.distinct = call.distinct;
    if (call.filter) {
      ExprPtr filter = BindPredicate(*call.filter, input.scope, "FILTER (WHERE ...)");
      if (filter == nullptr) return;
      bound_call.filter_slot = add_pre(filter);
    }
    for (size_t i = 0; i < calls.size(); ++i) {
      const AggregateCall& other = calls[i];
      if (other.kind == bound_call.kind && other.argument_slot == bound_call.argument_slot &&
          other.distinct == bound_call.distinct && other.filter_slot == bound_call.filter_slot &&
          other.separator == bound_call.separator) {
        call_of[&call] = i;
        return;
      }
    }
    call_of[&call] = calls.size();
    calls.push_back(bound_call);
    narrowed_results.push_back(narrowed_result);
    call_sources.push_back(&call);
  };
  std::vector<const ast::Expression*> roots;
  for (const OutputItem& item : outputs) roots.push_back(item.expression);
  if (having) roots.push_back(having);
  for (const ast::Expression* root : roots) {
    Walk(*root, [&](const ast::Expression& node) {
      if (IsAggregateCall(node)) bind_call(node.Cast<ast::FunctionCallExpression>());
    });
  }
  if (diagnostics_.size() > errors_before) return std::nullopt;

  int32_t time_pre = -1;
  if (cascade_end != nullptr) {
    // The rows of window [s, e) belong to the tumbling window ending at e: time e - 1 ms.
    // Over a TIMESTAMP_LTZ that wall time is an instant again, as the window's rows were.
    ExprPtr last = Expr::Call(functions::FunctionId::kSubtract, LogicalType::Timestamp(),
                              {Expr::Column(cascade_end->slot, LogicalType::Timestamp()),
                               Expr::Literal(runtime::plan::Value::Interval(1))});
    time_pre = add_pre(window->time_zone.empty() ? last : WallTimeToLtz(last));
  } else if (window) {
    time_pre = add_pre(Expr::Column(window->time_slot, LogicalType::Timestamp()));
  }
  if (pre.empty()) pre.push_back(Expr::Literal(runtime::plan::Value::Boolean(true)));

  auto projection = std::make_shared<LogicalNode>();
  projection->kind = LogicalKind::kProject;
  projection->inputs.push_back(input.node);
  projection->span = span;
  for (size_t i = 0; i < pre.size(); ++i) {
    projection->schema.columns.push_back({fmt::format("${}", i), pre[i]->type});
    projection->projections.push_back(pre[i]);
  }

  runtime::plan::AggregateSpec spec;
  logical::LogicalNodePtr aggregate_input = projection;
  if (layout) {
    // The keys are the Expand's copies (NULL where a set lacks them), then the set's id.
    const auto expanded = static_cast<int32_t>(pre.size());
    for (size_t k = 0; k < grouped.size(); ++k) {
      spec.key_slots.push_back(expanded + static_cast<int32_t>(k));
    }
    spec.key_slots.push_back(expanded + static_cast<int32_t>(layout->expand.grouping_slots.size()));
    aggregate_input = MakeExpand(projection, *layout, span);
  } else {
    for (const Key& key : grouped) spec.key_slots.push_back(key.pre_index);
  }
  spec.calls = calls;
  if (window) {
    spec.window = window;
    spec.window->time_slot = time_pre;
  }
  auto aggregate = std::make_shared<LogicalNode>();
  aggregate->kind = LogicalKind::kAggregate;
  aggregate->inputs.push_back(aggregate_input);
  aggregate->span = span;
  aggregate->aggregate = spec;
  aggregate->uid_hint = uid_hint;

  // The scope after the aggregation: keys, window columns, then the (unnamed) aggregates.
  Scope scope;
  int32_t slot = 0;
  for (const Key& key : grouped) {
    aggregate->schema.columns.push_back({key.name, key.type});
    scope.columns.push_back({key.qualifier, key.name, key.type, slot++});
  }
  // The grouping set's id: read by GROUPING(...) only, so not in the scope.
  const int32_t id_slot = layout ? slot++ : -1;
  if (layout) aggregate->schema.columns.push_back({"$e", LogicalType::Bigint()});
  const auto key_columns = static_cast<int32_t>(slot);
  if (window) {
    for (auto [column_name, property] : {std::pair{"window_start", WindowProperty::kStart},
                                         std::pair{"window_end", WindowProperty::kEnd},
                                         std::pair{"window_time", WindowProperty::kTime}}) {
      const LogicalType type =
          property == WindowProperty::kTime ? WindowTimeType(*window) : LogicalType::Timestamp();
      aggregate->schema.columns.push_back({column_name, type});
      ScopeColumn column{"", column_name, type, slot++};
      // Cascaded windows keep the names (and qualifiers) the query grouped by.
      const ScopeColumn* named = property == WindowProperty::kStart ? cascade_start
                                 : property == WindowProperty::kEnd ? cascade_end
                                                                    : nullptr;
      if (named != nullptr) {
        column.name = named->name;
        column.qualifier = named->qualifier;
      } else if (input.window) {
        // The window TVF's alias still names them: `SELECT t.window_start … AS t`.
        for (const ScopeColumn& tvf_column : input.scope.columns) {
          if (tvf_column.window_property == property &&
              tvf_column.slot >= input.window->input_slots) {
            column.qualifier = tvf_column.qualifier;
          }
        }
      }
      column.window_property = property;
      // window_time is a time attribute of the window's kind (Flink).
      bool processing_time = window->processing_time;
      column.time_attribute = property == WindowProperty::kTime && !processing_time;
      column.processing_time = property == WindowProperty::kTime && processing_time;
      column.window_origin = cascade_end != nullptr ? cascade_end->window_origin : window;
      scope.columns.push_back(column);
    }
  }
  std::map<const ast::Expression*, ExprPtr> replacements;
  int32_t first_call_slot = slot;
  for (size_t i = 0; i < calls.size(); ++i) {
    aggregate->schema.columns.push_back({fmt::format("$agg{}", i), calls[i].result_type});
  }
  for (const auto& [call, index] : call_of) {
    replacements[call] =
        Expr::Column(first_call_slot + static_cast<int32_t>(index), calls[index].result_type);
    if (narrowed_results[index].IsNarrowNumeric()) {
      replacements[call] = Expr::Cast(replacements[call], narrowed_results[index]);
    }
  }
  // Grouped expressions that are not plain columns stand for their key column when repeated
  // (a qualified name too: `GROUP BY r.b` names a ROW field, which the aggregate's output
  // scope knows only as `b`).
  for (size_t k = 0; k < grouped.size(); ++k) {
    const auto* reference = grouped[k].expression->As<ast::ColumnRefExpression>();
    if (reference != nullptr && reference->parts.size() == 1) continue;
    std::string text = grouped[k].expression->ToString();
    for (const ast::Expression* root : roots) {
      Walk(*root, [&](const ast::Expression& node) {
        if (!replacements.count(&node) && node.ToString() == text) {
          replacements[&node] = Expr::Column(static_cast<int32_t>(k), grouped[k].type);
        }
      });
    }
  }
  std::vector<int32_t> key_pre_slots;
  for (const Key& key : grouped) key_pre_slots.push_back(key.pre_index);
  if (!BindGroupingCalls(roots, input.scope, pre, key_pre_slots, layout ? &*layout : nullptr,
                         id_slot, &replacements)) {
    return std::nullopt;
  }
  // TUMBLE_START(ts, ...), HOP_END(...), SESSION_ROWTIME(...) name the legacy window's columns;
  // TUMBLE_PROCTIME(...) is a processing-time attribute: the window's time column when the
  // window is itself over processing time, else the wall clock when the row is emitted.
  if (!legacy_name.empty()) {
    int32_t window_slot = key_columns;
    for (const ast::Expression* root : roots) {
      Walk(*root, [&](const ast::Expression& node) {
        const auto* call = node.As<ast::FunctionCallExpression>();
        if (call == nullptr) return;
        std::string name = Upper(call->name.Last().name);
        for (auto [suffix, offset] :
             {std::pair{"_START", 0}, std::pair{"_END", 1}, std::pair{"_ROWTIME", 2}}) {
          if (name == legacy_name + suffix) {
            replacements[&node] = Expr::Column(
                window_slot + offset,
                offset == 2 && window ? WindowTimeType(*window) : LogicalType::Timestamp());
          }
        }
        if (name == legacy_name + "_PROCTIME") {
          replacements[&node] =
              window && window->processing_time
                  ? Expr::Column(window_slot + 2, WindowTimeType(*window))
                  : Expr::Call(functions::FunctionId::kProctime, LogicalType::TimestampLtz(), {});
        }
      });
    }
  }
  BoundRelation after{aggregate, scope, std::nullopt};
  if (cascade_end != nullptr &&
      cascade_end->window_origin->kind == runtime::plan::WindowKind::kHop) {
    // The re-aggregation's windows are the slide-long windows ending at each e; the original
    // hopping window started a whole size earlier.
    auto fix = std::make_shared<LogicalNode>();
    fix->kind = LogicalKind::kProject;
    fix->inputs.push_back(aggregate);
    fix->schema = aggregate->schema;
    fix->span = span;
    auto types = logical::SlotTypes(aggregate->schema);
    const int32_t start_slot = key_columns;
    for (int32_t slot_index = 0; slot_index < static_cast<int32_t>(types.size()); ++slot_index) {
      ExprPtr value = Expr::Column(slot_index, types[slot_index]);
      if (slot_index == start_slot) {
        value = Expr::Call(
            functions::FunctionId::kSubtract, LogicalType::Timestamp(),
            {Expr::Column(start_slot + 1, LogicalType::Timestamp()),
             Expr::Literal(runtime::plan::Value::Interval(cascade_end->window_origin->size))});
      }
      fix->projections.push_back(value);
    }
    after.node = fix;
  }

  // HAVING and the outputs see the aggregation's output through the replacements.
  auto saved_replacements = std::move(replacements_);
  const Scope* saved_scope = pre_aggregation_scope_;
  replacements_ = std::move(replacements);
  pre_aggregation_scope_ = &input.scope;
  std::optional<BoundRelation> result;
  // Scalar subqueries of the outputs and HAVING (not those in an aggregate's argument) join the
  // aggregated rows, which keep their slots; a correlated one equates its rows with the keys.
  std::vector<const ast::Expression*> subquery_roots;
  for (const OutputItem& item : outputs) {
    CollectScalarSubqueries(*item.expression, &subquery_roots);
  }
  if (having) CollectScalarSubqueries(*having, &subquery_roots);
  std::vector<const ast::Expression*> replaced;
  std::optional<BoundRelation> joined =
      BindScalarSubqueries(std::move(after), subquery_roots, &replaced);
  if (joined && having) {
    auto filtered = BindFilter(std::move(*joined), *having, "HAVING");
    if (filtered) result = BindAggregationOutputs(std::move(*filtered), outputs);
  } else if (joined) {
    result = BindAggregationOutputs(std::move(*joined), outputs);
  }
  replacements_ = std::move(saved_replacements);
  pre_aggregation_scope_ = saved_scope;
  return result;
}

void Binder::CollectScalarSubqueries(const ast::Expression& expression,
                                     std::vector<const ast::Expression*>* subqueries) {
  if (replacements_.count(&expression)) return;
  if (expression.Is<ast::SubqueryExpression>()) {
    subqueries->push_back(&expression);
    return;
  }
  ForEachChild(expression,
               [&](const ast::Expression& child) { CollectScalarSubqueries(child, subqueries); });
}

std::optional<BoundRelation> Binder::BindAggregationOutputs(
    BoundRelation input, const std::vector<OutputItem>& outputs) {
  std::vector<std::string> names;
  std::vector<ExprPtr> expressions;
  std::vector<base::SourceSpan> spans;
  bool failed = false;
  for (const OutputItem& item : outputs) {
    if (item.expression->Is<ast::StarExpression>()) {
      Error(base::ErrorCode::kBind, "'*' cannot be selected with GROUP BY; name the columns",
            item.span);
      failed = true;
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

ExprPtr Binder::BindDistinctCombination(const ast::FunctionCallExpression& call,
                                        const Scope& scope) {
  // One value per combination: the bytes of ROW(a, b, …) as a collection element holds them
  // (an injective encoding of the fields, -0.0 apart from 0.0 as Java's Double.equals keeps
  // them), NULL when any argument is NULL, so that the row is not counted.
  std::vector<ExprPtr> fields;
  std::vector<types::RowField> field_types;
  ExprPtr present;
  for (const ast::ExpressionPtr& argument : call.arguments) {
    ExprPtr bound = BindExpression(*argument, scope);
    if (bound == nullptr) return nullptr;
    if (bound->type.id() == TypeId::kNull) bound = CastTo(bound, LogicalType::Int());
    if (bound->type.id() == TypeId::kRow || bound->type.IsWideDecimal()) {
      Error(base::ErrorCode::kPlan,
            fmt::format("COUNT(DISTINCT a, b, …) of a {} is not supported yet",
                        bound->type.ToString()),
            argument->span);
      return nullptr;
    }
    ExprPtr not_null =
        Expr::Call(functions::FunctionId::kIsNotNull, LogicalType::Boolean(), {bound});
    present = present == nullptr ? not_null
                                 : Expr::Call(functions::FunctionId::kAnd, LogicalType::Boolean(),
                                              {present, not_null});
    field_types.push_back({fmt::format("EXPR${}", fields.size()), bound->type});
    fields.push_back(std::move(bound));
  }
  return EncodeRow(RowValue(present, LogicalType::Row(std::move(field_types)), std::move(fields)));
}

}  // namespace sluice::compiler::binder
