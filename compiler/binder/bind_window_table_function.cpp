// A window TVF's rows selected without aggregation.
#include "compiler/binder/binder.h"

namespace sluice::compiler::binder {

types::LogicalType WindowTimeType(const runtime::plan::WindowSpec& spec) {
  return spec.time_zone.empty() ? types::LogicalType::Timestamp()
                                : types::LogicalType::TimestampLtz();
}

std::optional<BoundRelation> Binder::MaterializeWindow(BoundRelation relation) {
  if (!relation.window) return relation;
  const PendingWindow& window = *relation.window;
  if (window.spec.kind == runtime::plan::WindowKind::kSession) {
    Error(base::ErrorCode::kPlan,
          "the rows of a SESSION window TVF cannot be selected without aggregation yet; add "
          "GROUP BY window_start, window_end",
          window.span);
    return std::nullopt;
  }
  auto node = std::make_shared<logical::LogicalNode>();
  node->kind = logical::LogicalKind::kWindowTableFunction;
  node->span = window.span;
  node->window = window.spec;
  node->schema = relation.node->schema;
  node->schema.columns.push_back({"window_start", types::LogicalType::Timestamp()});
  node->schema.columns.push_back({"window_end", types::LogicalType::Timestamp()});
  node->schema.columns.push_back({"window_time", WindowTimeType(window.spec)});
  node->inputs.push_back(relation.node);
  // The scope already has the window columns at these slots.
  Scope scope = relation.scope;
  for (ScopeColumn& column : scope.columns) {
    if (column.slot < window.input_slots) continue;
    if (column.window_property == WindowProperty::kTime) {
      column.time_attribute = !window.spec.processing_time;
      column.processing_time = window.spec.processing_time;
    }
    // A TUMBLE's window columns stay windows: a later GROUP BY window_start, window_end
    // aggregates each of them as a window (see BindAggregation's cascading windows).
    if (window.spec.kind == runtime::plan::WindowKind::kTumble && !window.spec.processing_time &&
        (column.window_property == WindowProperty::kStart ||
         column.window_property == WindowProperty::kEnd)) {
      column.window_origin = window.spec;
    }
  }
  return BoundRelation{node, scope, std::nullopt};
}

}  // namespace sluice::compiler::binder
