#include <fmt/format.h>

#include <cctype>

#include "compiler/binder/binder.h"

namespace sluice::compiler::binder {

using logical::LogicalKind;
using logical::LogicalNode;
using runtime::plan::AggregateKind;
using runtime::plan::Expr;
using runtime::plan::ExprKind;
using runtime::plan::ExprPtr;
using runtime::plan::RankFunction;
using types::LogicalType;
using types::TypeId;

namespace {

std::string Upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

std::optional<RankFunction> RankFunctionOf(const std::string& upper) {
  if (upper == "ROW_NUMBER") return RankFunction::kRowNumber;
  if (upper == "RANK") return RankFunction::kRank;
  if (upper == "DENSE_RANK") return RankFunction::kDenseRank;
  return std::nullopt;
}

std::optional<AggregateKind> OverAggregateKind(const std::string& upper) {
  if (upper == "LAG") return AggregateKind::kLag;
  return AggregateKindOf(upper);
}

}  // namespace

std::optional<BoundRelation> Binder::BindWindowCalls(
    BoundRelation input, const std::vector<ast::SelectItem>& items,
    std::vector<const ast::Expression*>* replaced) {
  std::vector<const ast::FunctionCallExpression*> calls;
  for (const ast::SelectItem& item : items) FindOverCalls(*item.expression, &calls);
  if (calls.empty()) return input;
  if (input.window) {
    Error(base::ErrorCode::kPlan, "a window TVF must be aggregated before an OVER window",
          input.window->span);
    return std::nullopt;
  }
  const ast::FunctionCallExpression* ranking = nullptr;
  std::vector<const ast::FunctionCallExpression*> aggregates;
  for (const ast::FunctionCallExpression* call : calls) {
    if (!RankFunctionOf(Upper(call->name.Last().name))) {
      aggregates.push_back(call);
      continue;
    }
    if (ranking != nullptr) {
      Error(base::ErrorCode::kPlan,
            "only one ROW_NUMBER(), RANK() or DENSE_RANK() per SELECT is supported", call->span);
      return std::nullopt;
    }
    ranking = call;
  }
  if (ranking != nullptr && !aggregates.empty()) {
    Error(base::ErrorCode::kPlan,
          "a ranking function and an OVER aggregation in one SELECT are not supported; rank in "
          "a subquery",
          aggregates.front()->span);
    return std::nullopt;
  }
  const ast::FunctionCallExpression* first = ranking != nullptr ? ranking : aggregates.front();
  const ast::WindowSpecification* over = WindowOf(*first);
  if (over == nullptr) return std::nullopt;
  if (!aggregates.empty()) {
    return BindOverAggregates(std::move(input), aggregates, *over, replaced);
  }
  auto function = RankFunctionOf(Upper(ranking->name.Last().name));
  auto ranked = BindRowNumber(std::move(input), *ranking, *over, *function);
  if (!ranked) return std::nullopt;
  ranked->node->uid_hint = window_uid_hint_;
  auto rank_slot = static_cast<int32_t>(ranked->node->SlotCount()) - 1;
  replacements_[ranking] = Expr::Column(rank_slot, LogicalType::Bigint());
  replaced->push_back(ranking);
  return ranked;
}

const ast::WindowSpecification* Binder::WindowOf(const ast::FunctionCallExpression& call) {
  if (call.over) return call.over.get();
  if (named_windows_ != nullptr) {
    for (const ast::NamedWindow& window : *named_windows_) {
      if (types::IdentifierEquals(window.name.name, call.over_window_name->name)) {
        return window.specification.get();
      }
    }
  }
  Error(base::ErrorCode::kBind,
        fmt::format("window '{}' is not defined (add WINDOW {} AS (...) after the SELECT's "
                    "FROM, WHERE, GROUP BY and HAVING)",
                    call.over_window_name->name, call.over_window_name->name),
        call.over_window_name->span);
  return nullptr;
}

bool Binder::BindOverFrame(const ast::WindowSpecification& over,
                           runtime::plan::OverAggregateSpec* spec) {
  using ast::FrameBoundKind;
  if (!over.frame) {
    // Flink's default with ORDER BY: RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW.
    spec->unit = runtime::plan::OverFrameUnit::kRange;
    spec->preceding = -1;
    return true;
  }
  const ast::WindowFrame& frame = *over.frame;
  spec->unit = frame.unit == ast::FrameUnit::kRows ? runtime::plan::OverFrameUnit::kRows
                                                   : runtime::plan::OverFrameUnit::kRange;
  for (const ast::FrameBound* bound : {&frame.start, &frame.end}) {
    if (bound->kind == FrameBoundKind::kFollowing ||
        bound->kind == FrameBoundKind::kUnboundedFollowing) {
      Error(base::ErrorCode::kPlan,
            "OVER windows on a stream end at CURRENT ROW: FOLLOWING bounds are not supported",
            bound->span);
      return false;
    }
  }
  if (frame.end.kind != FrameBoundKind::kCurrentRow) {
    Error(base::ErrorCode::kPlan,
          "OVER windows on a stream end at CURRENT ROW (… PRECEDING AND CURRENT ROW)",
          frame.end.span);
    return false;
  }
  switch (frame.start.kind) {
    case FrameBoundKind::kUnboundedPreceding: spec->preceding = -1; return true;
    case FrameBoundKind::kCurrentRow: spec->preceding = 0; return true;
    default: break;
  }
  ExprPtr offset = BindExpression(*frame.start.offset, Scope{});
  if (offset == nullptr) return false;
  bool literal = offset->kind == ExprKind::kLiteral && !offset->literal.is_null;
  if (frame.unit == ast::FrameUnit::kRows) {
    if (!literal || !offset->type.IsInteger() || offset->literal.integer < 0) {
      Error(base::ErrorCode::kBind,
            "ROWS frames take a whole number of rows: ROWS BETWEEN 10 PRECEDING AND CURRENT ROW",
            frame.start.offset->span);
      return false;
    }
  } else if (!literal || offset->type.id() != TypeId::kInterval || offset->literal.integer < 0) {
    Error(base::ErrorCode::kBind,
          "RANGE frames over time take an INTERVAL: RANGE BETWEEN INTERVAL '10' SECOND "
          "PRECEDING AND CURRENT ROW",
          frame.start.offset->span);
    return false;
  }
  spec->preceding = offset->literal.integer;
  return true;
}

std::optional<BoundRelation> Binder::BindOverAggregates(
    BoundRelation input, const std::vector<const ast::FunctionCallExpression*>& calls,
    const ast::WindowSpecification& over, std::vector<const ast::Expression*>* replaced) {
  for (const ast::FunctionCallExpression* call : calls) {
    const ast::WindowSpecification* window = WindowOf(*call);
    if (window == nullptr) return std::nullopt;
    if (window->ToString() != over.ToString()) {
      Error(base::ErrorCode::kPlan,
            "all OVER aggregations of one SELECT must use the same window (PARTITION BY, "
            "ORDER BY and frame)",
            call->over ? call->over->span : call->over_window_name->span);
      return std::nullopt;
    }
  }
  if (over.order_by.size() != 1) {
    Error(base::ErrorCode::kPlan,
          over.order_by.empty()
              ? "an OVER aggregation needs ORDER BY a time attribute: OVER (PARTITION BY … ORDER "
                "BY ts ROWS BETWEEN 10 PRECEDING AND CURRENT ROW)"
              : "an OVER aggregation orders by one time attribute only",
          over.order_by.empty() ? over.span : over.order_by[1].span);
    return std::nullopt;
  }
  const ast::OrderItem& order = over.order_by.front();
  if (order.descending) {
    Error(base::ErrorCode::kPlan,
          "an OVER window on a stream is ordered ascending by time; ORDER BY … DESC is not "
          "supported",
          order.span);
    return std::nullopt;
  }
  runtime::plan::OverAggregateSpec spec;
  if (!BindOverFrame(over, &spec)) return std::nullopt;

  // Keys and arguments that are plain columns are used in place; others are computed by a
  // projection that keeps every input column first.
  std::vector<ExprPtr> extras;
  auto input_slots = static_cast<int32_t>(input.node->SlotCount());
  auto slot_of = [&](const ExprPtr& bound) -> int32_t {
    if (bound->kind == ExprKind::kColumn) return bound->column_index;
    for (size_t i = 0; i < extras.size(); ++i) {
      if (extras[i]->Equals(*bound)) return input_slots + static_cast<int32_t>(i);
    }
    extras.push_back(bound);
    return input_slots + static_cast<int32_t>(extras.size() - 1);
  };
  for (const auto& key : over.partition_by) {
    ExprPtr bound = BindExpression(*key, input.scope);
    if (bound == nullptr) return std::nullopt;
    if (bound->type.id() == TypeId::kRow) {
      Error(base::ErrorCode::kBind, "cannot partition by a ROW", key->span);
      return std::nullopt;
    }
    spec.partition_slots.push_back(slot_of(bound));
  }
  ExprPtr order_key = BindExpression(*order.expression, input.scope);
  if (order_key == nullptr) return std::nullopt;
  if (order_key->type.id() == TypeId::kRow) {
    Error(base::ErrorCode::kBind, "cannot order by a ROW", order.span);
    return std::nullopt;
  }
  spec.order_slot = slot_of(order_key);
  bool by_time = false;
  for (const ScopeColumn& column : input.scope.columns) {
    if (order_key->kind == ExprKind::kColumn && column.slot == spec.order_slot &&
        (column.time_attribute || column.processing_time)) {
      by_time = true;
      spec.processing_time = column.processing_time;
    }
  }
  // Per call: the TINYINT, SMALLINT or FLOAT its result is narrowed back to (ComputedWide).
  std::vector<LogicalType> narrowed_results(calls.size());
  for (size_t i = 0; i < calls.size(); ++i) {
    const ast::FunctionCallExpression* call = calls[i];
    std::string name = Upper(call->name.Last().name);
    if (name == "LEAD") {
      // Flink: "LEAD Function is not supported in stream mode." (a row's result would wait
      // for rows that have not arrived yet).
      Error(base::ErrorCode::kPlan,
            "LEAD(...) OVER is not supported on a stream (as in Flink): a row's result would "
            "wait for rows that have not arrived yet",
            call->name.span);
      return std::nullopt;
    }
    auto kind = OverAggregateKind(name);
    if (!kind) {
      Error(
          base::ErrorCode::kPlan,
          fmt::format("{}(...) OVER is not supported (OVER aggregations: COUNT, SUM, MIN, MAX, "
                      "AVG, STDDEV_POP, STDDEV_SAMP, STDDEV, VAR_POP, VAR_SAMP, VARIANCE, "
                      "BOOL_AND, BOOL_OR, FIRST_VALUE, LAST_VALUE, LISTAGG, COLLECT, LAG; ranking: "
                      "ROW_NUMBER, RANK, DENSE_RANK)",
                      name),
          call->name.span);
      return std::nullopt;
    }
    // DISTINCT (kept values with their counts, so a bounded frame takes them out again) and
    // FILTER, as in a GROUP BY.
    if (call->distinct && *kind != AggregateKind::kCount && *kind != AggregateKind::kSum &&
        *kind != AggregateKind::kAvg && *kind != AggregateKind::kMin &&
        *kind != AggregateKind::kMax) {
      Error(base::ErrorCode::kPlan, fmt::format("{}(DISTINCT …) is not supported", name),
            call->span);
      return std::nullopt;
    }
    runtime::plan::AggregateCall bound_call;
    bound_call.kind = *kind;
    bound_call.distinct = call->distinct;
    if (call->filter) {
      ExprPtr filter = BindPredicate(*call->filter, input.scope, "FILTER (WHERE ...)");
      if (filter == nullptr) return std::nullopt;
      bound_call.filter_slot = slot_of(filter);
    }
    bool star = !call->arguments.empty() && call->arguments[0]->Is<ast::StarExpression>();
    size_t most_arguments = *kind == AggregateKind::kLag       ? 3
                            : *kind == AggregateKind::kListAgg ? 2
                                                               : 1;
    if (star && *kind == AggregateKind::kCount && call->arguments.size() == 1) {
      bound_call.kind = AggregateKind::kCountStar;
    } else if (call->arguments.empty() || call->arguments.size() > most_arguments || star) {
      Error(base::ErrorCode::kBind,
            *kind == AggregateKind::kLag ? "LAG takes (expression [, offset [, default]])"
            : *kind == AggregateKind::kListAgg
                ? "LISTAGG takes an expression and an optional separator"
                : fmt::format("{} takes one argument", name),
            call->span);
      return std::nullopt;
    } else {
      ExprPtr argument = BindExpression(*call->arguments[0], input.scope);
      if (argument == nullptr) return std::nullopt;
      if (argument->type.IsNarrowNumeric() && ComputedWide(bound_call.kind)) {
        narrowed_results[i] = argument->type;  // computed wide, narrowed back
        argument = CastTo(argument, argument->type.Widened());
      }
      bound_call.argument_slot = slot_of(argument);
      bound_call.argument_type = argument->type;
    }
    if (*kind == AggregateKind::kListAgg && call->arguments.size() == 2) {
      // Checked as written first: a column is not "not found" but not a literal.
      const ast::Expression& written = *call->arguments[1];
      ExprPtr separator =
          written.Is<ast::LiteralExpression>() ? BindExpression(written, Scope{}) : nullptr;
      if (separator == nullptr || separator->kind != ExprKind::kLiteral ||
          separator->type.id() != TypeId::kVarchar || separator->literal.is_null) {
        Error(base::ErrorCode::kBind,
              "the LISTAGG separator must be a string literal, e.g. LISTAGG(name, '; ')",
              call->arguments[1]->span);
        return std::nullopt;
      }
      bound_call.separator = separator->literal.text;
    }
    if (*kind == AggregateKind::kLag && call->arguments.size() >= 2) {
      const ast::Expression& written = *call->arguments[1];
      ExprPtr offset =
          written.Is<ast::LiteralExpression>() ? BindExpression(written, Scope{}) : nullptr;
      if (offset == nullptr || offset->kind != ExprKind::kLiteral || !offset->type.IsInteger() ||
          offset->literal.is_null || offset->literal.integer < 0 ||
          offset->literal.integer > 1000000) {
        Error(base::ErrorCode::kBind,
              "the LAG offset must be a whole number literal between 0 and 1000000, e.g. "
              "LAG(x, 2)",
              call->arguments[1]->span);
        return std::nullopt;
      }
      bound_call.offset = offset->literal.integer;
    }
    if (*kind == AggregateKind::kLag && call->arguments.size() == 3) {
      ExprPtr fallback = BindExpression(*call->arguments[2], input.scope);
      if (fallback == nullptr) return std::nullopt;
      bool null_literal = fallback->kind == ExprKind::kLiteral && fallback->literal.is_null;
      if (!null_literal) {
        if (fallback->type != bound_call.argument_type) {
          if (!types::IsImplicitlyCastable(fallback->type, bound_call.argument_type)) {
            Error(base::ErrorCode::kBind,
                  fmt::format("the LAG default ({}) must have the type of its expression ({})",
                              fallback->type.ToString(), bound_call.argument_type.ToString()),
                  call->arguments[2]->span);
            return std::nullopt;
          }
          fallback = CastTo(fallback, bound_call.argument_type);
        }
        bound_call.default_slot = slot_of(fallback);
      }
    }
    auto result = bound_call.kind == AggregateKind::kCountStar
                      ? std::optional<LogicalType>(LogicalType::Bigint())
                      : AggregateResultType(bound_call.kind, bound_call.argument_type);
    if (!result) {
      Error(base::ErrorCode::kBind,
            fmt::format("{} does not apply to {}{}", name, bound_call.argument_type.ToString(),
                        bound_call.argument_type.IsWideDecimal() ? kWideDecimalAggregates : ""),
            call->span);
      return std::nullopt;
    }
    bound_call.result_type = *result;
    // A bounded frame takes rows out again: MIN and MAX keep every value they hold.
    bound_call.retractable = spec.preceding >= 0;
    spec.calls.push_back(bound_call);
  }

  logical::LogicalNodePtr below = input.node;
  if (!extras.empty()) {
    auto projection = std::make_shared<LogicalNode>();
    projection->kind = LogicalKind::kProject;
    projection->inputs.push_back(input.node);
    projection->schema = input.node->schema;
    auto types = logical::SlotTypes(input.node->schema);
    for (int32_t slot = 0; slot < input_slots; ++slot) {
      projection->projections.push_back(Expr::Column(slot, types[slot]));
    }
    for (size_t i = 0; i < extras.size(); ++i) {
      projection->projections.push_back(extras[i]);
      projection->schema.columns.push_back({fmt::format("$over_key{}", i), extras[i]->type});
    }
    below = projection;
  }
  auto node = std::make_shared<LogicalNode>();
  node->kind = LogicalKind::kOver;
  node->inputs.push_back(below);
  node->schema = below->schema;
  auto first_result = static_cast<int32_t>(below->SlotCount());
  for (size_t i = 0; i < calls.size(); ++i) {
    node->schema.columns.push_back({fmt::format("$over{}", i), spec.calls[i].result_type});
    replacements_[calls[i]] =
        Expr::Column(first_result + static_cast<int32_t>(i), spec.calls[i].result_type);
    if (narrowed_results[i].IsNarrowNumeric()) {
      replacements_[calls[i]] = Expr::Cast(replacements_[calls[i]], narrowed_results[i]);
    }
    replaced->push_back(calls[i]);
  }
  node->over_aggregate = std::move(spec);
  node->sorted_by_time_attribute = by_time;
  node->span = order.span;
  node->uid_hint = window_uid_hint_;
  input.node = node;  // the scope is unchanged: the new columns are read through replacements_
  return input;
}

}  // namespace sluice::compiler::binder
