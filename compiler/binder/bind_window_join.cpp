#include <fmt/format.h>

#include "compiler/binder/binder.h"
#include "compiler/logical/interval_bounds.h"

namespace sluice::compiler::binder {

using logical::LogicalKind;
using logical::LogicalNode;
using runtime::plan::ExprKind;
using runtime::plan::ExprPtr;
using runtime::plan::WindowKind;
using runtime::plan::WindowSpec;
using types::LogicalType;

namespace {

std::string Duration(int64_t millis) {
  if (millis % 1000 == 0) return fmt::format("{} s", millis / 1000);
  return fmt::format("{} ms", millis);
}

std::string WindowText(const WindowSpec& window) {
  std::string offset = window.offset != 0 ? ", offset " + Duration(window.offset) : "";
  switch (window.kind) {
    case WindowKind::kTumble: return fmt::format("TUMBLE({}{})", Duration(window.size), offset);
    case WindowKind::kHop:
      return fmt::format("HOP(slide {}, size {}{})", Duration(window.step), Duration(window.size),
                         offset);
    case WindowKind::kCumulate:
      return fmt::format("CUMULATE(step {}, size {}{})", Duration(window.step),
                         Duration(window.size), offset);
    case WindowKind::kSession: return fmt::format("SESSION(gap {})", Duration(window.gap));
  }
  return "?";
}

bool SameWindows(const WindowSpec& a, const WindowSpec& b) {
  return a.kind == b.kind && a.size == b.size && a.step == b.step && a.gap == b.gap &&
         a.offset == b.offset;
}

/// `qualifier.name`, or the name alone when there is no qualifier.
std::string Qualified(const ScopeColumn& column) {
  return column.qualifier.empty() ? column.name : column.qualifier + "." + column.name;
}

}  // namespace

bool Binder::CheckWindowJoinSides(const BoundRelation& left, const BoundRelation& right) {
  for (auto [side, other, name] :
       {std::tuple{&left, &right, "right"}, std::tuple{&right, &left, "left"}}) {
    if (side->window && !other->window) {
      Error(base::ErrorCode::kPlan,
            fmt::format("a window join needs a window TVF on both sides, but the {} side is "
                        "not one; apply the same {} to it, or aggregate this window TVF "
                        "(GROUP BY window_start, window_end) before joining",
                        name, WindowText(side->window->spec)),
            side->window->span);
      return false;
    }
  }
  const WindowSpec& window = left.window->spec;
  if (window.kind == WindowKind::kSession || right.window->spec.kind == WindowKind::kSession) {
    Error(base::ErrorCode::kPlan,
          "a window join over SESSION windows is not supported yet; use TUMBLE, HOP or CUMULATE",
          (window.kind == WindowKind::kSession ? left : right).window->span);
    return false;
  }
  if (!SameWindows(window, right.window->spec)) {
    Error(base::ErrorCode::kPlan,
          fmt::format("a window join needs the same window on both sides, but the left side is "
                      "{} and the right side is {}",
                      WindowText(window), WindowText(right.window->spec)),
          right.window->span);
    return false;
  }
  return true;
}

namespace {

/// Both sides' scopes as one, the right side's slots after the left side's window columns.
Scope CombinedScope(const BoundRelation& left, const BoundRelation& right) {
  Scope scope = left.scope;
  const int32_t left_slots = left.window->input_slots + 3;
  for (ScopeColumn column : right.scope.columns) {
    column.slot += left_slots;
    scope.columns.push_back(column);
  }
  return scope;
}

/// Whether `predicate` (over `scope`, left slots below `left_slots`) has the conjuncts
/// L.window_start = R.window_start and L.window_end = R.window_end.
bool PairsWindows(const ExprPtr& predicate, const Scope& scope, int32_t left_slots) {
  auto property_of = [&](const ExprPtr& expression, bool left_side) {
    if (expression->kind != ExprKind::kColumn) return WindowProperty::kNone;
    bool on_left = expression->column_index < left_slots;
    if (on_left != left_side) return WindowProperty::kNone;
    for (const ScopeColumn& column : scope.columns) {
      if (column.slot == expression->column_index) return column.window_property;
    }
    return WindowProperty::kNone;
  };
  bool starts = false, ends = false;
  std::vector<ExprPtr> conjuncts;
  if (predicate) logical::ConjunctsOf(predicate, &conjuncts);
  for (const ExprPtr& conjunct : conjuncts) {
    if (conjunct->kind != ExprKind::kCall || conjunct->function != functions::FunctionId::kEqual) {
      continue;
    }
    for (int flip = 0; flip < 2; ++flip) {
      WindowProperty a = property_of(conjunct->arguments[flip], true);
      WindowProperty b = property_of(conjunct->arguments[1 - flip], false);
      starts |= a == WindowProperty::kStart && b == WindowProperty::kStart;
      ends |= a == WindowProperty::kEnd && b == WindowProperty::kEnd;
    }
  }
  return starts && ends;
}

}  // namespace

bool Binder::PairsJoinedWindows(const BoundRelation& left, const BoundRelation& right,
                                const ExprPtr& predicate) {
  if (!left.window || !right.window) return false;
  return PairsWindows(predicate, CombinedScope(left, right), left.window->input_slots + 3);
}

std::optional<BoundRelation> Binder::BindWindowJoin(BoundRelation left, BoundRelation right,
                                                    ast::JoinType type,
                                                    const ast::Expression* condition,
                                                    base::SourceSpan span) {
  if (!CheckWindowJoinSides(left, right)) return std::nullopt;
  if (condition == nullptr) {
    Error(base::ErrorCode::kBind, "JOIN needs an ON condition", span);
    return std::nullopt;
  }
  const Scope scope = CombinedScope(left, right);
  ExprPtr predicate = BindPredicate(*condition, scope, "ON");
  if (predicate == nullptr) return std::nullopt;
  // The condition must pair the windows: L.window_start = R.window_start AND L.window_end =
  // R.window_end.
  if (!PairsWindows(predicate, scope, left.window->input_slots + 3)) {
    const int32_t left_slots = left.window->input_slots + 3;
    const ScopeColumn* names[2][2] = {};
    for (const ScopeColumn& column : scope.columns) {
      int side = column.slot < left_slots ? 0 : 1;
      if (column.window_property == WindowProperty::kStart) names[side][0] = &column;
      if (column.window_property == WindowProperty::kEnd) names[side][1] = &column;
    }
    Error(base::ErrorCode::kPlan,
          fmt::format("a window join must join the windows of both sides: add {} = {} AND {} = "
                      "{} to the ON condition",
                      Qualified(*names[0][0]), Qualified(*names[1][0]), Qualified(*names[0][1]),
                      Qualified(*names[1][1])),
          condition->span);
    return std::nullopt;
  }
  runtime::plan::JoinType join_type =
      type == ast::JoinType::kLeft    ? runtime::plan::JoinType::kLeft
      : type == ast::JoinType::kRight ? runtime::plan::JoinType::kRight
      : type == ast::JoinType::kFull  ? runtime::plan::JoinType::kFull
                                      : runtime::plan::JoinType::kInner;
  return MakeWindowJoin(std::move(left), std::move(right), join_type, std::move(predicate), span);
}

std::optional<BoundRelation> Binder::MakeWindowJoin(BoundRelation left, BoundRelation right,
                                                    runtime::plan::JoinType type, ExprPtr predicate,
                                                    base::SourceSpan span) {
  const WindowSpec& window = left.window->spec;
  const bool left_only =
      type == runtime::plan::JoinType::kSemi || type == runtime::plan::JoinType::kAnti;
  auto node = std::make_shared<LogicalNode>();
  node->kind = LogicalKind::kJoin;
  node->join_type = type;
  node->span = span;
  node->inputs = {left.node, right.node};
  // Each side: its input's columns, then its window_start, window_end, window_time (a SEMI or
  // ANTI join outputs the left side's only).
  for (const BoundRelation* side : {&left, &right}) {
    if (left_only && side == &right) break;
    for (const auto& column : side->node->schema.columns) node->schema.columns.push_back(column);
    node->schema.columns.push_back({"window_start", LogicalType::Timestamp()});
    node->schema.columns.push_back({"window_end", LogicalType::Timestamp()});
    node->schema.columns.push_back({"window_time", WindowTimeType(side->window->spec)});
  }
  node->predicate = std::move(predicate);

  runtime::plan::WindowJoinSpec spec;
  spec.window = window;
  spec.left_time_slot = window.time_slot;
  spec.right_time_slot = right.window->spec.time_slot;
  spec.window.time_slot = -1;
  node->window_join = spec;
  Scope scope = left_only ? left.scope : CombinedScope(left, right);
  // The windows' columns describe the window (a later GROUP BY window_start, window_end stays
  // a window aggregation); window_time is the only time attribute left.
  for (ScopeColumn& column : scope.columns) {
    column.time_attribute = column.window_property == WindowProperty::kTime;
    if (column.window_property != WindowProperty::kNone) column.window_origin = spec.window;
  }
  return BoundRelation{node, scope, std::nullopt};
}

}  // namespace sluice::compiler::binder
