#include <fmt/format.h>

#include <limits>

#include "compiler/binder/binder.h"

namespace sluice::compiler::binder {

using logical::LogicalKind;
using logical::LogicalNode;
using runtime::plan::Expr;
using runtime::plan::ExprKind;
using runtime::plan::ExprPtr;
using types::LogicalType;
using types::TypeId;

std::optional<BoundRelation> Binder::BindRanking(
    BoundRelation input, const std::vector<const ast::Expression*>& partition,
    const std::vector<ast::OrderItem>& order_by, runtime::plan::TopNSpec* spec, bool* by_time) {
  if (input.window) {
    Error(base::ErrorCode::kPlan, "a window TVF must be aggregated before ranking its rows",
          input.window->span);
    return std::nullopt;
  }
  // Keys that are plain columns are used in place; others are computed by a projection that
  // keeps every input column first, so the input's slots stay valid.
  std::vector<ExprPtr> extras;
  int32_t input_slots = static_cast<int32_t>(input.node->SlotCount());
  auto slot_of = [&](const ast::Expression& expression) -> int32_t {
    ExprPtr bound = BindExpression(expression, input.scope);
    if (bound == nullptr) return -1;
    if (bound->type.id() == TypeId::kRow) {
      Error(base::ErrorCode::kBind, "cannot partition or order by a ROW", expression.span);
      return -1;
    }
    if (bound->kind == ExprKind::kColumn) return bound->column_index;
    for (size_t i = 0; i < extras.size(); ++i) {
      if (extras[i]->Equals(*bound)) return input_slots + static_cast<int32_t>(i);
    }
    extras.push_back(bound);
    return input_slots + static_cast<int32_t>(extras.size() - 1);
  };
  for (const ast::Expression* key : partition) {
    int32_t slot = slot_of(*key);
    if (slot < 0) return std::nullopt;
    spec->partition_slots.push_back(slot);
  }
  *by_time = false;
  for (const ast::OrderItem& item : order_by) {
    int32_t slot = slot_of(*item.expression);
    if (slot < 0) return std::nullopt;
    runtime::plan::SortKey key;
    key.slot = slot;
    key.ascending = !item.descending;
    key.nulls_first = item.nulls == ast::NullOrder::kDefault ? key.ascending
                                                             : item.nulls == ast::NullOrder::kFirst;
    spec->sort.push_back(key);
    // Keep-first dedup (Flink's): ordered by a processing-time attribute ascending, the
    // first row to arrive is the first for good. By an event-time attribute a later row may
    // be earlier (Flink's RowTimeDeduplicateFunction updates the row), so that stays a Top-N.
    if (order_by.size() == 1 && key.ascending) {
      for (const ScopeColumn& column : input.scope.columns) {
        if (column.slot == slot && column.processing_time) *by_time = true;
      }
    }
    // Keep-last by processing time: a row ranks above the rows before it, also those of its
    // own batch, which share its time.
    if (spec->sort.size() == 1 && !key.ascending) {
      for (const ScopeColumn& column : input.scope.columns) {
        if (column.slot == slot && column.processing_time) spec->newest_first_on_ties = true;
      }
    }
  }
  if (extras.empty()) return input;
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
    projection->schema.columns.push_back({fmt::format("$sort{}", i), extras[i]->type});
  }
  input.node = projection;  // the scope is unchanged: the extras are not visible by name
  return input;
}

std::optional<BoundRelation> Binder::BindRowNumber(BoundRelation input,
                                                   const ast::FunctionCallExpression& call,
                                                   const ast::WindowSpecification& over,
                                                   runtime::plan::RankFunction function) {
  const char* name = function == runtime::plan::RankFunction::kRowNumber ? "ROW_NUMBER"
                     : function == runtime::plan::RankFunction::kRank    ? "RANK"
                                                                         : "DENSE_RANK";
  if (!call.arguments.empty()) {
    Error(base::ErrorCode::kBind, fmt::format("{}() takes no arguments", name), call.span);
    return std::nullopt;
  }
  if (over.order_by.empty()) {
    Error(base::ErrorCode::kBind, fmt::format("{}() OVER (...) needs an ORDER BY", name),
          over.span);
    return std::nullopt;
  }
  if (over.frame) {
    Error(base::ErrorCode::kBind, fmt::format("{}() takes no window frame", name),
          over.frame->span);
    return std::nullopt;
  }
  runtime::plan::TopNSpec spec;
  spec.limit = 0;  // set by a filter on the row number
  spec.emit_row_number = true;
  spec.function = function;
  std::vector<const ast::Expression*> partition;
  for (const auto& key : over.partition_by) partition.push_back(key.get());
  bool by_time = false;
  auto ranked = BindRanking(std::move(input), partition, over.order_by, &spec, &by_time);
  if (!ranked) return std::nullopt;
  AddTopN(&*ranked, spec, by_time, call.span);
  return ranked;
}

void Binder::AddTopN(BoundRelation* ranked, const runtime::plan::TopNSpec& spec, bool by_time,
                     base::SourceSpan span) const {
  auto node = std::make_shared<LogicalNode>();
  node->kind = LogicalKind::kTopN;
  node->inputs.push_back(ranked->node);
  node->schema = ranked->node->schema;
  if (spec.emit_row_number) node->schema.columns.push_back({"$row_number", LogicalType::Bigint()});
  node->top_n = spec;
  node->sorted_by_time_attribute = by_time;
  node->span = span;
  ranked->node = node;
}

std::optional<BoundRelation> Binder::BindOrderByLimit(BoundRelation input,
                                                      const std::vector<ast::OrderItem>& order_by,
                                                      const ast::Expression* limit,
                                                      const ast::Expression* offset,
                                                      base::SourceSpan span) {
  if (limit == nullptr && offset == nullptr) {
    return BindTimeSort(std::move(input), order_by, span);
  }
  // A count of rows: a whole number literal, 0 or more.
  auto rows_of = [&](const ast::Expression& written, const char* clause) -> std::optional<int64_t> {
    ExprPtr bound = BindExpression(written, Scope{});
    if (bound == nullptr) return std::nullopt;
    if (bound->kind != ExprKind::kLiteral || !bound->type.IsInteger() || bound->literal.is_null ||
        bound->literal.integer < 0) {
      Error(base::ErrorCode::kBind,
            fmt::format("{} needs a whole number of rows, 0 or more", clause), written.span);
      return std::nullopt;
    }
    return bound->literal.integer;
  };
  std::optional<int64_t> rows, skipped = 0;
  if (limit != nullptr && !(rows = rows_of(*limit, "LIMIT"))) return std::nullopt;
  if (offset != nullptr && !(skipped = rows_of(*offset, "OFFSET"))) return std::nullopt;
  if (rows && *rows == 0) {
    // LIMIT 0: no row (Flink plans empty values); a filter that is never true.
    auto node = std::make_shared<LogicalNode>();
    node->kind = LogicalKind::kFilter;
    node->schema = input.node->schema;
    node->predicate = Expr::Literal(runtime::plan::Value::Boolean(false));
    node->span = limit->span;
    node->inputs.push_back(input.node);
    return BoundRelation{node, input.scope, input.window};
  }
  if (!rows && !order_by.empty()) {
    // Every row past the offset would stay ranked, and be kept, for good.
    Error(base::ErrorCode::kPlan,
          "ORDER BY … OFFSET without a LIMIT is not supported on a stream (it would keep every "
          "row); add a LIMIT, e.g. LIMIT 10 OFFSET 5",
          offset->span);
    return std::nullopt;
  }
  // Rows ranked offset + 1 to offset + limit (Flink's rank range): the first offset + limit,
  // numbered, then those numbered past the offset. Without ORDER BY nor LIMIT, every row
  // after the first `offset` to arrive (the keep-first count never reaches its limit).
  runtime::plan::TopNSpec spec;
  constexpr int64_t kUnlimited = std::numeric_limits<int64_t>::max() / 2;
  spec.limit = rows ? *rows : kUnlimited;
  if (*skipped > 0) {
    if (rows && spec.limit > kUnlimited - *skipped) {
      Error(base::ErrorCode::kBind, "LIMIT plus OFFSET is too many rows", offset->span);
      return std::nullopt;
    }
    if (rows) spec.limit += *skipped;
    spec.emit_row_number = true;
  }
  bool by_time = false;
  Scope scope = input.scope;
  auto ranked = BindRanking(std::move(input), {}, order_by, &spec, &by_time);
  if (!ranked) return std::nullopt;
  AddTopN(&*ranked, spec, by_time, span);
  if (spec.emit_row_number) {
    const logical::LogicalNodePtr node = ranked->node;
    auto filter = std::make_shared<LogicalNode>();
    filter->kind = LogicalKind::kFilter;
    filter->schema = node->schema;
    const auto row_number = static_cast<int32_t>(node->SlotCount()) - 1;
    filter->predicate = Expr::Call(functions::FunctionId::kGreater, LogicalType::Boolean(),
                                   {Expr::Column(row_number, LogicalType::Bigint()),
                                    Expr::Literal(runtime::plan::Value::Bigint(*skipped))});
    filter->span = offset->span;
    filter->inputs.push_back(node);
    ranked->node = filter;
  }
  return DropComputedSortKeys(std::move(*ranked), scope, span);
}

std::optional<BoundRelation> Binder::DropComputedSortKeys(BoundRelation sorted, const Scope& scope,
                                                          base::SourceSpan span) {
  if (sorted.node->schema.columns.size() == scope.columns.size()) return sorted;
  std::vector<std::string> names;
  std::vector<ExprPtr> expressions;
  std::vector<base::SourceSpan> spans;
  for (const ScopeColumn& column : scope.columns) {
    names.push_back(column.name);
    expressions.push_back(Expr::Column(column.slot, column.type));
    spans.push_back(span);
  }
  return MakeProject(std::move(sorted), names, expressions, spans);
}

}  // namespace sluice::compiler::binder
