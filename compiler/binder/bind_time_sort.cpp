#include <fmt/format.h>

#include "compiler/binder/binder.h"

namespace sluice::compiler::binder {

using logical::LogicalKind;
using logical::LogicalNode;

std::optional<BoundRelation> Binder::BindTimeSort(BoundRelation input,
                                                  const std::vector<ast::OrderItem>& order_by,
                                                  base::SourceSpan span) {
  runtime::plan::TopNSpec keys;
  bool by_time = false;
  Scope scope = input.scope;
  auto sorted = BindRanking(std::move(input), {}, order_by, &keys, &by_time);
  if (!sorted) return std::nullopt;
  // A full sort of a stream never finishes; Flink sorts by a time attribute the watermark (or
  // the clock) completes, and by other keys only among rows of equal time.
  const runtime::plan::SortKey& first = keys.sort.front();
  const ScopeColumn* time = nullptr;
  std::string first_name = "the first key";
  for (const ScopeColumn& column : scope.columns) {
    if (column.slot != first.slot) continue;
    first_name = "'" + column.name + "'";
    if (column.time_attribute || column.processing_time) time = &column;
  }
  const base::SourceSpan first_span = order_by.front().expression->span;
  if (time == nullptr) {
    Error(base::ErrorCode::kPlan,
          fmt::format("ORDER BY must start with an ascending time attribute on a stream: {} is "
                      "not a time attribute (an event-time column with a WATERMARK, or a "
                      "PROCTIME() column); a full sort never finishes: add a LIMIT for a Top-N",
                      first_name),
          first_span);
    return std::nullopt;
  }
  if (!first.ascending) {
    Error(base::ErrorCode::kPlan,
          fmt::format("ORDER BY must start with an ascending time attribute on a stream: '{}' is "
                      "sorted DESC (add a LIMIT for a Top-N)",
                      time->name),
          first_span);
    return std::nullopt;
  }
  runtime::plan::TimeSortSpec spec;
  spec.time_slot = first.slot;
  spec.event_time = time->time_attribute;
  spec.order_keys.assign(keys.sort.begin() + 1, keys.sort.end());
  // Rows of one processing time are emitted as they arrive: with no other key there is nothing
  // to sort (as Flink, which plans no operator then).
  if (!spec.event_time && spec.order_keys.empty()) {
    return DropComputedSortKeys(std::move(*sorted), scope, span);
  }
  auto node = std::make_shared<LogicalNode>();
  node->kind = LogicalKind::kTimeSort;
  node->inputs.push_back(sorted->node);
  node->schema = sorted->node->schema;
  node->time_sort = spec;
  node->span = span;
  sorted->node = node;
  return DropComputedSortKeys(std::move(*sorted), scope, span);
}

}  // namespace sluice::compiler::binder
