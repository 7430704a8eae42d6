#include "compiler/optimizer/state_column_pruning.h"

#include <functional>

#include "catalog/base/check.h"

namespace sluice::compiler::optimizer {

using logical::LogicalKind;
using logical::LogicalNode;
using logical::LogicalNodePtr;
using runtime::plan::Expr;
using runtime::plan::ExprKind;
using runtime::plan::ExprPtr;
using runtime::plan::Value;

namespace {

/// Per output slot of a node: whether a later operator reads it.
using ReadSlots = std::vector<bool>;

void MarkSlot(int32_t slot, ReadSlots* read) {
  if (slot >= 0 && static_cast<size_t>(slot) < read->size()) (*read)[slot] = true;
}

void MarkExpression(const ExprPtr& expression, int32_t delta, ReadSlots* read) {
  if (!expression) return;
  if (expression->kind == ExprKind::kColumn) MarkSlot(expression->column_index + delta, read);
  for (const auto& argument : expression->arguments) MarkExpression(argument, delta, read);
}

void MarkCalls(const std::vector<runtime::plan::AggregateCall>& calls, ReadSlots* read) {
  for (const auto& call : calls) {
    MarkSlot(call.argument_slot, read);
    MarkSlot(call.filter_slot, read);
    MarkSlot(call.default_slot, read);
  }
}

/// The columns of an input that a pruning keeps: every slot of each top-level column any of
/// whose slots is read (a ROW column is kept whole, so no ROW slot is ever made NULL).
struct Pruning {
  std::vector<int32_t> new_slot;  // per old slot: its slot in the pruned input, or -1
  std::vector<int32_t> kept;      // the old slots kept, in order
  types::Schema schema;           // the kept columns
  bool Prunes() const { return kept.size() < new_slot.size(); }
};

Pruning PlanPruning(const types::Schema& schema, const ReadSlots& read) {
  const std::vector<size_t> first = types::FirstSlots(schema);
  Pruning pruning;
  pruning.new_slot.assign(read.size(), -1);
  for (size_t column = 0; column < schema.columns.size(); ++column) {
    const size_t begin = first[column];
    const size_t end = column + 1 < schema.columns.size() ? first[column + 1] : read.size();
    bool keep = schema.columns[column].type.id() == types::TypeId::kRow;
    for (size_t slot = begin; slot < end; ++slot) keep = keep || read[slot];
    // A row keeps one column even when nothing is read (COUNT(*) over a LIMIT): operators
    // hold rows of at least one column.
    keep = keep || (column + 1 == schema.columns.size() && pruning.kept.empty());
    if (!keep) continue;
    pruning.schema.columns.push_back(schema.columns[column]);
    for (size_t slot = begin; slot < end; ++slot) {
      pruning.new_slot[slot] = static_cast<int32_t>(pruning.kept.size());
      pruning.kept.push_back(static_cast<int32_t>(slot));
    }
  }
  return pruning;
}

int32_t Moved(int32_t slot, const std::vector<int32_t>& new_slot) {
  if (slot < 0) return slot;
  SLUICE_CHECK(static_cast<size_t>(slot) < new_slot.size() && new_slot[slot] >= 0,
               "StateColumnPruning dropped slot {} that the operator reads", slot);
  return new_slot[slot];
}

ExprPtr Remap(const ExprPtr& expression, const std::vector<int32_t>& new_slot) {
  if (!expression) return expression;
  if (expression->kind == ExprKind::kColumn) {
    return Expr::Column(Moved(expression->column_index, new_slot), expression->type);
  }
  if (expression->arguments.empty()) return expression;
  auto copy = std::make_shared<Expr>(*expression);
  for (auto& argument : copy->arguments) argument = Remap(argument, new_slot);
  return copy;
}

void RemapCalls(std::vector<runtime::plan::AggregateCall>* calls,
                const std::vector<int32_t>& new_slot) {
  for (auto& call : *calls) {
    call.argument_slot = Moved(call.argument_slot, new_slot);
    call.filter_slot = Moved(call.filter_slot, new_slot);
    call.default_slot = Moved(call.default_slot, new_slot);
  }
}

/// A projection of `input` onto the slots `pruning` keeps.
LogicalNodePtr KeptColumns(const LogicalNodePtr& input, const Pruning& pruning) {
  const std::vector<types::LogicalType> types = logical::SlotTypes(input->schema);
  auto project = std::make_shared<LogicalNode>();
  project->kind = LogicalKind::kProject;
  project->schema = pruning.schema;
  project->span = input->span;
  for (int32_t slot : pruning.kept) project->projections.push_back(Expr::Column(slot, types[slot]));
  project->inputs.push_back(input);
  return project;
}

/// A projection of the pruned `node` back onto the slots of `old_schema`: slot i is the
/// pruned node's `new_slot[i]`, or NULL where that is -1 (a slot nothing reads).
LogicalNodePtr OldSlots(const LogicalNodePtr& node, const types::Schema& old_schema,
                        const std::vector<int32_t>& new_slot) {
  const std::vector<types::LogicalType> types = logical::SlotTypes(old_schema);
  auto project = std::make_shared<LogicalNode>();
  project->kind = LogicalKind::kProject;
  project->schema = old_schema;
  project->span = node->span;
  for (size_t slot = 0; slot < types.size(); ++slot) {
    project->projections.push_back(new_slot[slot] >= 0 ? Expr::Column(new_slot[slot], types[slot])
                                                       : Expr::Literal(Value::Null(types[slot])));
  }
  project->inputs.push_back(node);
  return project;
}

/// The output slots of a Top-N or OVER aggregation after its input was pruned: the kept input
/// slots, then the slots it appends (row number, aggregate results) in their order.
std::vector<int32_t> AppendedAfter(const Pruning& pruning, size_t old_slots) {
  std::vector<int32_t> new_slot = pruning.new_slot;
  const int32_t kept = static_cast<int32_t>(pruning.kept.size());
  for (size_t slot = pruning.new_slot.size(); slot < old_slots; ++slot) {
    new_slot.push_back(kept + static_cast<int32_t>(slot - pruning.new_slot.size()));
  }
  return new_slot;
}

class StateColumnPruning : public Rule {
 public:
  const char* name() const override { return "StateColumnPruning"; }

  bool Apply(LogicalNodePtr& node) override {
    // Runs on the sink: what a node's output must carry depends on every node above it.
    if (node->kind != LogicalKind::kSink) return false;
    bool changed = false;
    LogicalNodePtr input = node->inputs[0];
    input = Prune(input, ReadSlots(input->SlotCount(), true), &changed);
    if (changed) node->inputs[0] = input;
    return changed;
  }

 private:
  /// Rewrites the subtree of `node`, of which the output slots `read` are read above; the
  /// result has `node`'s output schema.
  LogicalNodePtr Prune(const LogicalNodePtr& node, const ReadSlots& read, bool* changed) {
    switch (node->kind) {
      case LogicalKind::kScan: return node;
      case LogicalKind::kFilter: {
        ReadSlots below = read;
        MarkExpression(node->predicate, 0, &below);
        return WithInputs(node, {below}, changed);
      }
      case LogicalKind::kProject: {
        ReadSlots below(node->inputs[0]->SlotCount(), false);
        for (size_t slot = 0; slot < node->projections.size(); ++slot) {
          if (slot < read.size() && read[slot]) MarkExpression(node->projections[slot], 0, &below);
        }
        return WithInputs(node, {below}, changed);
      }
      case LogicalKind::kAggregate: return PruneAggregate(node, changed);
      case LogicalKind::kTopN: return PruneTopN(node, read, changed);
      case LogicalKind::kOver: return PruneOver(node, read, changed);
      case LogicalKind::kJoin:
        if (!node->window_join && !node->temporal_join) return PruneJoin(node, read, changed);
        break;
      default: break;
    }
    // Any other operator reads every slot of its inputs.
    std::vector<ReadSlots> all;
    for (const auto& input : node->inputs) all.emplace_back(input->SlotCount(), true);
    return WithInputs(node, all, changed);
  }

  /// `node` with each input pruned for the slots `read` of it.
  LogicalNodePtr WithInputs(const LogicalNodePtr& node, const std::vector<ReadSlots>& read,
                            bool* changed) {
    std::vector<LogicalNodePtr> inputs = node->inputs;
    bool any = false;
    for (size_t i = 0; i < inputs.size(); ++i) {
      bool input_changed = false;
      inputs[i] = Prune(inputs[i], read[i], &input_changed);
      any = any || input_changed;
    }
    if (!any) return node;
    *changed = true;
    auto copy = std::make_shared<LogicalNode>(*node);
    copy->inputs = std::move(inputs);
    return copy;
  }

  LogicalNodePtr PruneAggregate(const LogicalNodePtr& node, bool* changed) {
    const runtime::plan::AggregateSpec& spec = *node->aggregate;
    ReadSlots below(node->inputs[0]->SlotCount(), false);
    for (int32_t slot : spec.key_slots) MarkSlot(slot, &below);
    MarkCalls(spec.calls, &below);
    if (spec.window) MarkSlot(spec.window->time_slot, &below);
    LogicalNodePtr pruned = WithInputs(node, {below}, changed);
    Pruning pruning = PlanPruning(node->inputs[0]->schema, below);
    if (!pruning.Prunes()) return pruned;
    *changed = true;
    auto copy = std::make_shared<LogicalNode>(*pruned);
    for (int32_t& slot : copy->aggregate->key_slots) slot = Moved(slot, pruning.new_slot);
    RemapCalls(&copy->aggregate->calls, pruning.new_slot);
    if (copy->aggregate->window) {
      copy->aggregate->window->time_slot =
          Moved(copy->aggregate->window->time_slot, pruning.new_slot);
    }
    copy->inputs[0] = KeptColumns(pruned->inputs[0], pruning);
    return copy;  // its output (keys, window, results) is unchanged
  }

  LogicalNodePtr PruneTopN(const LogicalNodePtr& node, const ReadSlots& read, bool* changed) {
    const runtime::plan::TopNSpec& spec = *node->top_n;
    const size_t input_slots = node->inputs[0]->SlotCount();
    ReadSlots below(read.begin(), read.begin() + static_cast<std::ptrdiff_t>(input_slots));
    for (int32_t slot : spec.partition_slots) MarkSlot(slot, &below);
    for (const auto& key : spec.sort) MarkSlot(key.slot, &below);
    MarkSlot(spec.window_end_slot, &below);
    LogicalNodePtr pruned = WithInputs(node, {below}, changed);
    Pruning pruning = PlanPruning(node->inputs[0]->schema, below);
    if (!pruning.Prunes()) return pruned;
    *changed = true;
    auto copy = std::make_shared<LogicalNode>(*pruned);
    for (int32_t& slot : copy->top_n->partition_slots) slot = Moved(slot, pruning.new_slot);
    for (auto& key : copy->top_n->sort) key.slot = Moved(key.slot, pruning.new_slot);
    copy->top_n->window_end_slot = Moved(copy->top_n->window_end_slot, pruning.new_slot);
    copy->inputs[0] = KeptColumns(pruned->inputs[0], pruning);
    copy->schema = Narrowed(node->schema, input_slots, pruning);
    return OldSlots(copy, node->schema, AppendedAfter(pruning, node->SlotCount()));
  }

  LogicalNodePtr PruneOver(const LogicalNodePtr& node, const ReadSlots& read, bool* changed) {
    const runtime::plan::OverAggregateSpec& spec = *node->over_aggregate;
    const size_t input_slots = node->inputs[0]->SlotCount();
    ReadSlots below(read.begin(), read.begin() + static_cast<std::ptrdiff_t>(input_slots));
    for (int32_t slot : spec.partition_slots) MarkSlot(slot, &below);
    MarkSlot(spec.order_slot, &below);
    MarkCalls(spec.calls, &below);
    LogicalNodePtr pruned = WithInputs(node, {below}, changed);
    Pruning pruning = PlanPruning(node->inputs[0]->schema, below);
    if (!pruning.Prunes()) return pruned;
    *changed = true;
    auto copy = std::make_shared<LogicalNode>(*pruned);
    runtime::plan::OverAggregateSpec& moved = *copy->over_aggregate;
    for (int32_t& slot : moved.partition_slots) slot = Moved(slot, pruning.new_slot);
    moved.order_slot = Moved(moved.order_slot, pruning.new_slot);
    RemapCalls(&moved.calls, pruning.new_slot);
    copy->inputs[0] = KeptColumns(pruned->inputs[0], pruning);
    copy->schema = Narrowed(node->schema, input_slots, pruning);
    return OldSlots(copy, node->schema, AppendedAfter(pruning, node->SlotCount()));
  }

  LogicalNodePtr PruneJoin(const LogicalNodePtr& node, const ReadSlots& read, bool* changed) {
    const auto left_slots = static_cast<int32_t>(node->inputs[0]->SlotCount());
    const size_t right_slots = node->inputs[1]->SlotCount();
    const bool left_only = node->join_type == runtime::plan::JoinType::kSemi ||
                           node->join_type == runtime::plan::JoinType::kAnti;
    ReadSlots left(read.begin(), read.begin() + left_slots);
    ReadSlots right(right_slots, false);
    if (!left_only) {
      for (size_t slot = 0; slot < right_slots; ++slot) right[slot] = read[left_slots + slot];
    }
    // The condition reads the left slots, then the right ones.
    MarkExpression(node->predicate, 0, &left);
    MarkExpression(node->predicate, -left_slots, &right);
    MarkSlot(node->left_window_end_slot, &left);
    MarkSlot(node->right_window_end_slot, &right);
    // Slots below zero of `right` were the left side's: MarkSlot ignored them.
    LogicalNodePtr pruned = WithInputs(node, {left, right}, changed);
    Pruning left_pruning = PlanPruning(node->inputs[0]->schema, left);
    Pruning right_pruning = PlanPruning(node->inputs[1]->schema, right);
    if (!left_pruning.Prunes() && !right_pruning.Prunes()) return pruned;
    *changed = true;
    // One map over the joined row: left slots, then right slots.
    std::vector<int32_t> joined = left_pruning.new_slot;
    const auto kept_left = static_cast<int32_t>(left_pruning.kept.size());
    for (int32_t slot : right_pruning.new_slot) joined.push_back(slot < 0 ? -1 : slot + kept_left);
    auto copy = std::make_shared<LogicalNode>(*pruned);
    copy->predicate = Remap(node->predicate, joined);
    copy->left_window_end_slot = Moved(node->left_window_end_slot, left_pruning.new_slot);
    copy->right_window_end_slot = Moved(node->right_window_end_slot, right_pruning.new_slot);
    // Time attributes matter only where the condition bounds them (an interval join).
    auto move_attributes = [](std::vector<int32_t>* slots, const std::vector<int32_t>& new_slot) {
      std::vector<int32_t> kept;
      for (int32_t slot : *slots) {
        if (slot >= 0 && static_cast<size_t>(slot) < new_slot.size() && new_slot[slot] >= 0) {
          kept.push_back(new_slot[slot]);
        }
      }
      *slots = kept;
    };
    move_attributes(&copy->left_time_attributes, left_pruning.new_slot);
    move_attributes(&copy->right_time_attributes, right_pruning.new_slot);
    if (left_pruning.Prunes()) copy->inputs[0] = KeptColumns(pruned->inputs[0], left_pruning);
    if (right_pruning.Prunes()) copy->inputs[1] = KeptColumns(pruned->inputs[1], right_pruning);
    copy->schema = left_only ? left_pruning.schema : Joined(left_pruning, right_pruning);
    if (left_only) return OldSlots(copy, node->schema, left_pruning.new_slot);
    return OldSlots(copy, node->schema, joined);
  }

  /// The schema of an operator whose output is its input's columns and then its own, after
  /// its input was pruned.
  static types::Schema Narrowed(const types::Schema& schema, size_t input_slots,
                                const Pruning& pruning) {
    types::Schema out = pruning.schema;
    const std::vector<size_t> first = types::FirstSlots(schema);
    for (size_t column = 0; column < schema.columns.size(); ++column) {
      if (first[column] >= input_slots) out.columns.push_back(schema.columns[column]);
    }
    return out;
  }

  static types::Schema Joined(const Pruning& left, const Pruning& right) {
    types::Schema out = left.schema;
    out.columns.insert(out.columns.end(), right.schema.columns.begin(), right.schema.columns.end());
    return out;
  }
};

}  // namespace

std::unique_ptr<Rule> MakeStateColumnPruning() {
  return std::make_unique<StateColumnPruning>();
}

}  // namespace sluice::compiler::optimizer
