// Event-time temporal joins: `JOIN v FOR SYSTEM_TIME AS OF l.rowtime` against a versioned table
// (Flink's): a table with a PRIMARY KEY and a WATERMARK, or a view keeping each key's latest
// row by an event-time attribute.
#include <fmt/format.h>

#include <functional>
#include <map>

#include "compiler/binder/binder.h"
#include "compiler/logical/interval_bounds.h"

namespace sluice::compiler::binder {

using logical::LogicalKind;
using logical::LogicalNode;
using logical::LogicalNodePtr;
using runtime::plan::ExprKind;
using runtime::plan::ExprPtr;

namespace {

/// The node below `node`'s projections and filters, and for each output slot of `node` the
/// slot of that node it passes on unchanged (-1: computed).
const LogicalNode* TraceSlots(const LogicalNode& node, std::vector<int32_t>* slots) {
  slots->clear();
  for (size_t i = 0; i < node.SlotCount(); ++i) slots->push_back(static_cast<int32_t>(i));
  const LogicalNode* current = &node;
  while (current->kind == LogicalKind::kProject || current->kind == LogicalKind::kFilter) {
    if (current->kind == LogicalKind::kProject) {
      for (int32_t& slot : *slots) {
        if (slot < 0) continue;
        const ExprPtr& projection = current->projections[slot];
        slot = projection->kind == ExprKind::kColumn ? projection->column_index : -1;
      }
    }
    current = current->inputs[0].get();
  }
  return current;
}

/// Whether a filter between `view` and its Top-N `top_n` keeps the first row only (`rn = 1`,
/// `rn <= 1` or `rn < 2` on the row number).
bool KeepsFirstRow(const LogicalNode& view, const LogicalNode& top_n) {
  const int32_t rank_slot = static_cast<int32_t>(top_n.SlotCount()) - 1;
  for (const LogicalNode* current = &view; current != &top_n; current = current->inputs[0].get()) {
    if (current->kind != LogicalKind::kFilter) continue;
    // Filters sit directly over the Top-N or over projections that keep the row number's slot.
    std::vector<int32_t> slots;
    const LogicalNode* below = TraceSlots(*current->inputs[0], &slots);
    if (below != &top_n) continue;
    std::vector<ExprPtr> conjuncts;
    logical::ConjunctsOf(current->predicate, &conjuncts);
    for (const ExprPtr& conjunct : conjuncts) {
      if (conjunct->kind != ExprKind::kCall || conjunct->arguments.size() != 2) continue;
      auto uncast = [](ExprPtr expression) {
        while (expression->kind == ExprKind::kCast) expression = expression->arguments[0];
        return expression;
      };
      const ExprPtr column = uncast(conjunct->arguments[0]);
      const ExprPtr bound = uncast(conjunct->arguments[1]);
      if (column->kind != ExprKind::kColumn || bound->kind != ExprKind::kLiteral ||
          bound->literal.is_null || !bound->type.IsInteger()) {
        continue;
      }
      if (column->column_index >= static_cast<int32_t>(slots.size()) ||
          slots[column->column_index] != rank_slot) {
        continue;
      }
      int64_t value = bound->literal.integer;
      auto function = conjunct->function;
      if ((function == functions::FunctionId::kEqual && value == 1) ||
          (function == functions::FunctionId::kLessEqual && value == 1) ||
          (function == functions::FunctionId::kLess && value == 2)) {
        return true;
      }
    }
  }
  return false;
}

/// `expression` with every column in `rank_slots` replaced by the literal 1 (a version's row
/// number), and whether it read one.
ExprPtr WithRankOne(const ExprPtr& expression, const std::vector<bool>& rank_slots, bool* read) {
  if (expression->kind == ExprKind::kColumn) {
    if (expression->column_index < static_cast<int32_t>(rank_slots.size()) &&
        rank_slots[expression->column_index]) {
      *read = true;
      return runtime::plan::Expr::Literal(runtime::plan::Value::Bigint(1));
    }
    return expression;
  }
  if (expression->arguments.empty()) return expression;
  auto copy = std::make_shared<runtime::plan::Expr>(*expression);
  for (auto& argument : copy->arguments) argument = WithRankOne(argument, rank_slots, read);
  return copy;
}

/// The projections and filters of `node` down to `top_n`, over `top_n`'s input instead: every
/// input row is a version of a deduplicating view (each is its key's latest row from its time
/// on), so the view's row number is 1 and its condition on it goes.
LogicalNodePtr WithoutTopN(const LogicalNodePtr& node, const LogicalNode* top_n) {
  if (node.get() == top_n) return top_n->inputs[0];
  auto copy = std::make_shared<LogicalNode>(*node);
  copy->inputs[0] = WithoutTopN(node->inputs[0], top_n);
  std::vector<int32_t> slots;
  TraceSlots(*node->inputs[0], &slots);
  const int32_t rank_slot = static_cast<int32_t>(top_n->SlotCount()) - 1;
  std::vector<bool> rank_slots;
  for (int32_t slot : slots) rank_slots.push_back(slot == rank_slot);
  if (node->kind == LogicalKind::kProject) {
    bool read = false;
    for (auto& projection : copy->projections)
      projection = WithRankOne(projection, rank_slots, &read);
    return copy;
  }
  // A filter: its conditions on the row number keep the first row, which every version is.
  std::vector<ExprPtr> conjuncts, kept;
  logical::ConjunctsOf(node->predicate, &conjuncts);
  for (const ExprPtr& conjunct : conjuncts) {
    bool read = false;
    WithRankOne(conjunct, rank_slots, &read);
    if (!read) kept.push_back(conjunct);
  }
  // Directly over the Top-N the filter's rows lose the row number column.
  if (copy->inputs[0].get() == top_n->inputs[0].get()) copy->schema = top_n->inputs[0]->schema;
  if (kept.empty()) return copy->inputs[0];
  copy->predicate = kept.front();
  for (size_t i = 1; i < kept.size(); ++i) {
    copy->predicate = runtime::plan::Expr::Call(
        functions::FunctionId::kAnd, types::LogicalType::Boolean(), {copy->predicate, kept[i]});
  }
  return copy;
}

}  // namespace

std::optional<Binder::VersionedTable> Binder::FindVersionedTable(const BoundRelation& right,
                                                                 const std::string& name,
                                                                 base::SourceSpan span) {
  std::vector<int32_t> slots;
  const LogicalNode* base = TraceSlots(*right.node, &slots);
  std::vector<int32_t> key_slots;  // of `base`
  std::vector<std::string> key_names;
  int32_t time_slot = -1;  // of `base`
  const std::string shape =
      "a versioned table is a table with a PRIMARY KEY and a WATERMARK, or a view keeping each "
      "key's latest row: SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY ts "
      "DESC) AS rn FROM t) WHERE rn = 1";
  if (base->kind == LogicalKind::kScan) {
    const auto& descriptor = base->table->descriptor;
    if (descriptor.primary_key.empty()) {
      Error(base::ErrorCode::kPlan,
            fmt::format("'{}' has no PRIMARY KEY, so it is not a versioned table and cannot be "
                        "joined FOR SYSTEM_TIME AS OF an event-time attribute (an event-time "
                        "temporal join); {}",
                        name, shape),
            span);
      return std::nullopt;
    }
    if (!base->table->watermark) {
      Error(base::ErrorCode::kPlan,
            fmt::format("'{}' has no WATERMARK, so it is not a versioned table and cannot be "
                        "joined FOR SYSTEM_TIME AS OF an event-time attribute (an event-time "
                        "temporal join); {}",
                        name, shape),
            span);
      return std::nullopt;
    }
    auto first_slots = types::FirstSlots(base->schema);
    for (const std::string& column : descriptor.primary_key) {
      auto index = base->schema.Find(column);
      if (!index) continue;  // the planner reports a PRIMARY KEY that names no column
      key_slots.push_back(static_cast<int32_t>(first_slots[*index]));
      key_names.push_back(column);
    }
    time_slot = base->table->watermark->rowtime_slot;
  } else if (base->kind == LogicalKind::kTopN && base->top_n && base->top_n->emit_row_number &&
             !base->top_n->partition_slots.empty() && base->top_n->sort.size() == 1 &&
             !base->top_n->sort[0].ascending &&
             base->top_n->function == runtime::plan::RankFunction::kRowNumber &&
             KeepsFirstRow(*right.node, *base)) {
    // A deduplicating view: its versions are its input's rows, latest by the ordering time.
    const LogicalNode& input = *base->inputs[0];
    const int32_t order_slot = base->top_n->sort[0].slot;
    std::vector<int32_t> input_slots;
    const LogicalNode* scan = TraceSlots(input, &input_slots);
    bool by_time = scan->kind == LogicalKind::kScan && scan->table->watermark &&
                   order_slot < static_cast<int32_t>(input_slots.size()) &&
                   input_slots[order_slot] == scan->table->watermark->rowtime_slot;
    if (!by_time) {
      Error(base::ErrorCode::kPlan,
            fmt::format("the view '{}' keeps each key's latest row, but not by an event-time "
                        "attribute (the WATERMARK FOR column of its table), so it is not a "
                        "versioned table; {}",
                        name, shape),
            span);
      return std::nullopt;
    }
    auto names = types::FlattenSchema(base->schema);
    for (int32_t slot : base->top_n->partition_slots) {
      key_slots.push_back(slot);
      key_names.push_back(names[slot].path);
    }
    time_slot = order_slot;
  } else {
    Error(base::ErrorCode::kPlan,
          fmt::format("'{}' is not a versioned table, so it cannot be joined FOR SYSTEM_TIME AS "
                      "OF an event-time attribute (an event-time temporal join); {}",
                      name, shape),
          span);
    return std::nullopt;
  }

  // Where the key and the time are in the view's (or table's) output.
  auto output_slot = [&](int32_t base_slot) {
    for (size_t i = 0; i < slots.size(); ++i) {
      if (slots[i] == base_slot) return static_cast<int32_t>(i);
    }
    return -1;
  };
  VersionedTable versioned;
  if (base->kind == LogicalKind::kTopN) {
    versioned.versions = WithoutTopN(right.node, base);
    if (versioned.versions->SlotCount() != right.node->SlotCount()) {
      // The view is the filtered Top-N itself: put its row number (1) back.
      auto project = std::make_shared<LogicalNode>();
      project->kind = LogicalKind::kProject;
      project->schema = right.node->schema;
      project->inputs = {versioned.versions};
      auto types = logical::SlotTypes(right.node->schema);
      const int32_t rank_slot = static_cast<int32_t>(base->SlotCount()) - 1;
      for (size_t i = 0; i < types.size(); ++i) {
        project->projections.push_back(
            slots[i] == rank_slot ? runtime::plan::Expr::Literal(runtime::plan::Value::Bigint(1))
                                  : runtime::plan::Expr::Column(static_cast<int32_t>(i), types[i]));
      }
      versioned.versions = project;
    }
  }
  versioned.time_slot = output_slot(time_slot);
  if (versioned.time_slot < 0) {
    Error(base::ErrorCode::kPlan,
          fmt::format("the versioned table '{}' must select its event-time attribute unchanged, "
                      "for the time of its versions",
                      name),
          span);
    return std::nullopt;
  }
  for (size_t i = 0; i < key_slots.size(); ++i) {
    int32_t slot = output_slot(key_slots[i]);
    if (slot < 0) {
      Error(base::ErrorCode::kPlan,
            fmt::format("the versioned table '{}' must select its key column '{}' unchanged", name,
                        key_names[i]),
            span);
      return std::nullopt;
    }
    versioned.key_slots.push_back(slot);
    versioned.key_names.push_back(key_names[i]);
  }
  return versioned;
}

std::optional<BoundRelation> Binder::BindTemporalJoin(BoundRelation left,
                                                      const ast::BaseTableRef& ref,
                                                      int32_t left_time_slot, ast::JoinType type,
                                                      const ast::Expression* condition,
                                                      base::SourceSpan span) {
  const std::string name = ref.name.Last().name;
  const std::string qualifier = ref.alias ? ref.alias->name : name;
  auto right = BindTableName(ref.name, qualifier, ref.span, &ref.hints);
  if (!right) return std::nullopt;
  auto versioned = FindVersionedTable(*right, name, ref.name.Last().span);
  if (!versioned) return std::nullopt;
  if (condition == nullptr) {
    Error(base::ErrorCode::kBind, "an event-time temporal join needs an ON condition", span);
    return std::nullopt;
  }
  const int32_t left_slots = static_cast<int32_t>(left.node->SlotCount());
  Scope scope = left.scope;
  for (ScopeColumn column : right->scope.columns) {
    column.slot += left_slots;
    scope.columns.push_back(column);
  }
  ExprPtr predicate = BindPredicate(*condition, scope, "ON");
  if (predicate == nullptr) return std::nullopt;

  // Every column of the versioned table's key must be equal to an expression of the left side.
  std::vector<bool> covered(versioned->key_slots.size(), false);
  std::vector<ExprPtr> conjuncts;
  logical::ConjunctsOf(predicate, &conjuncts);
  auto only_left = [&](const ExprPtr& expression) {
    bool left_only = true;
    std::function<void(const ExprPtr&)> visit = [&](const ExprPtr& node) {
      if (node->kind == ExprKind::kColumn && node->column_index >= left_slots) left_only = false;
      for (const auto& argument : node->arguments) visit(argument);
    };
    visit(expression);
    return left_only;
  };
  for (const ExprPtr& conjunct : conjuncts) {
    if (conjunct->kind != ExprKind::kCall || conjunct->function != functions::FunctionId::kEqual) {
      continue;
    }
    for (int flip = 0; flip < 2; ++flip) {
      ExprPtr column = conjunct->arguments[flip];
      // A key compared through a cast to a wider type is still the key.
      if (column->kind == ExprKind::kCast && column->arguments.size() == 1) {
        column = column->arguments[0];
      }
      if (column->kind != ExprKind::kColumn || column->column_index < left_slots) continue;
      if (!only_left(conjunct->arguments[1 - flip])) continue;
      for (size_t i = 0; i < versioned->key_slots.size(); ++i) {
        if (versioned->key_slots[i] == column->column_index - left_slots) covered[i] = true;
      }
    }
  }
  std::string missing;
  for (size_t i = 0; i < covered.size(); ++i) {
    if (!covered[i])
      missing += (missing.empty() ? "" : ", ") + qualifier + "." + versioned->key_names[i];
  }
  if (!missing.empty()) {
    Error(base::ErrorCode::kPlan,
          fmt::format("an event-time temporal join needs the primary key of the versioned table "
                      "'{}' equal to the left side in its ON condition; missing: {} (e.g. ON "
                      "o.k = {}.{})",
                      name, missing, qualifier, versioned->key_names[0]),
          condition->span);
    return std::nullopt;
  }

  auto node = std::make_shared<LogicalNode>();
  node->kind = LogicalKind::kJoin;
  node->join_type = type == ast::JoinType::kLeft ? runtime::plan::JoinType::kLeft
                                                 : runtime::plan::JoinType::kInner;
  node->span = span;
  node->inputs = {left.node, versioned->versions ? versioned->versions : right->node};
  node->schema = left.node->schema;
  for (const auto& column : right->node->schema.columns) node->schema.columns.push_back(column);
  node->predicate = predicate;
  runtime::plan::TemporalJoinSpec spec;
  spec.left_time_slot = left_time_slot;
  spec.right_time_slot = versioned->time_slot;
  node->temporal_join = spec;
  // Each output row keeps its left row's time, emitted once the watermark reaches it: the left
  // side's time attributes stay; the versioned table's columns are plain values.
  for (ScopeColumn& column : scope.columns) {
    if (column.slot >= left_slots) {
      column.time_attribute = false;
      column.processing_time = false;
    }
  }
  return BoundRelation{node, scope, std::nullopt};
}

}  // namespace sluice::compiler::binder
