#include "compiler/optimizer/optimizer.h"

#include <algorithm>
#include <cstring>
#include <functional>

#include "compiler/optimizer/state_column_pruning.h"
#include "runtime/expr/interpreter.h"
#include "runtime/expr/user_function.h"

namespace sluice::compiler::optimizer {

using logical::LogicalKind;
using logical::LogicalNode;
using logical::LogicalNodePtr;
using runtime::plan::Expr;
using runtime::plan::ExprKind;
using runtime::plan::ExprPtr;
using runtime::plan::Value;

namespace {

bool IsLiteral(const ExprPtr& expression) {
  return expression->kind == ExprKind::kLiteral;
}

bool IsTrueLiteral(const ExprPtr& expression) {
  return IsLiteral(expression) && !expression->literal.is_null &&
         expression->type.id() == types::TypeId::kBoolean && expression->literal.integer != 0;
}

class ConstantFolding : public Rule {
 public:
  const char* name() const override { return "ConstantFolding"; }
  bool Apply(LogicalNodePtr& node) override {
    bool changed = false;
    auto fold = [&](ExprPtr& expression) {
      ExprPtr folded = FoldConstants(expression);
      if (!folded->Equals(*expression)) {
        expression = folded;
        changed = true;
      }
    };
    if (node->kind == LogicalKind::kFilter) fold(node->predicate);
    if (node->kind == LogicalKind::kProject) {
      for (ExprPtr& projection : node->projections) fold(projection);
    }
    return changed;
  }
};

// Filter(Filter(x, a), b) → Filter(x, a AND b)
class FilterMerge : public Rule {
 public:
  const char* name() const override { return "FilterMerge"; }
  bool Apply(LogicalNodePtr& node) override {
    if (node->kind != LogicalKind::kFilter || node->inputs[0]->kind != LogicalKind::kFilter) {
      return false;
    }
    const LogicalNodePtr& inner = node->inputs[0];
    auto merged = std::make_shared<LogicalNode>(*inner);
    merged->predicate = Expr::Call(functions::FunctionId::kAnd, types::LogicalType::Boolean(),
                                   {inner->predicate, node->predicate});
    node = merged;
    return true;
  }
};

// Filter(Project(x, p), c) → Project(Filter(x, c[p]), p): filters run before projections,
// next to the source, so fewer rows are projected.
class FilterPushdown : public Rule {
 public:
  const char* name() const override { return "FilterPushdown"; }
  bool Apply(LogicalNodePtr& node) override {
    if (node->kind != LogicalKind::kFilter || node->inputs[0]->kind != LogicalKind::kProject) {
      return false;
    }
    const LogicalNodePtr& project = node->inputs[0];
    auto filter = std::make_shared<LogicalNode>();
    filter->kind = LogicalKind::kFilter;
    filter->schema = project->inputs[0]->schema;
    filter->predicate = Substitute(node->predicate, project->projections);
    filter->span = node->span;
    filter->inputs.push_back(project->inputs[0]);
    auto moved = std::make_shared<LogicalNode>(*project);
    moved->inputs = {filter};
    node = moved;
    return true;
  }
};

// Project(Project(x, inner), outer) → Project(x, outer[inner])
class ProjectMerge : public Rule {
 public:
  const char* name() const override { return "ProjectMerge"; }
  bool Apply(LogicalNodePtr& node) override {
    if (node->kind != LogicalKind::kProject || node->inputs[0]->kind != LogicalKind::kProject) {
      return false;
    }
    const LogicalNodePtr& inner = node->inputs[0];
    auto merged = std::make_shared<LogicalNode>(*node);
    merged->projections.clear();
    for (const ExprPtr& projection : node->projections) {
      merged->projections.push_back(Substitute(projection, inner->projections));
    }
    merged->inputs = inner->inputs;
    node = merged;
    return true;
  }
};

void SplitConjuncts(const ExprPtr& expression, std::vector<ExprPtr>* out) {
  if (expression->kind == ExprKind::kCall && expression->function == functions::FunctionId::kAnd) {
    for (const auto& argument : expression->arguments) SplitConjuncts(argument, out);
    return;
  }
  out->push_back(expression);
}

ExprPtr Conjunction(const std::vector<ExprPtr>& conjuncts) {
  ExprPtr out;
  for (const ExprPtr& conjunct : conjuncts) {
    out = out ? Expr::Call(functions::FunctionId::kAnd, types::LogicalType::Boolean(),
                           {out, conjunct})
              : conjunct;
  }
  return out;
}

/// The range of slots an expression reads: [minimum, maximum], or {-1, -1} for none.
std::pair<int32_t, int32_t> SlotRange(const ExprPtr& expression) {
  std::pair<int32_t, int32_t> range{-1, -1};
  std::function<void(const ExprPtr&)> visit = [&](const ExprPtr& node) {
    if (node->kind == ExprKind::kColumn) {
      if (range.first < 0 || node->column_index < range.first) range.first = node->column_index;
      range.second = std::max(range.second, node->column_index);
    }
    for (const auto& argument : node->arguments) visit(argument);
  };
  visit(expression);
  return range;
}

LogicalNodePtr FilterOver(const LogicalNodePtr& input, const ExprPtr& predicate) {
  auto filter = std::make_shared<LogicalNode>();
  filter->kind = LogicalKind::kFilter;
  filter->schema = input->schema;
  filter->predicate = predicate;
  filter->inputs.push_back(input);
  return filter;
}

// Filter(Join(l, r, on), c): for an inner join c joins the ON condition; for a LEFT, semi or
// anti join (whose output is the left rows) the conjuncts of c that read only the left side
// move below the join. A FULL or (window) RIGHT join keeps the filter above it.
class FilterIntoJoin : public Rule {
 public:
  const char* name() const override { return "FilterIntoJoin"; }
  bool Apply(LogicalNodePtr& node) override {
    if (node->kind != LogicalKind::kFilter || node->inputs[0]->kind != LogicalKind::kJoin) {
      return false;
    }
    if (node->inputs[0]->join_type == runtime::plan::JoinType::kFull ||
        node->inputs[0]->join_type == runtime::plan::JoinType::kRight) {
      return false;
    }
    auto join = std::make_shared<LogicalNode>(*node->inputs[0]);
    if (join->join_type == runtime::plan::JoinType::kInner) {
      join->predicate =
          join->predicate ? Conjunction({join->predicate, node->predicate}) : node->predicate;
      node = join;
      return true;
    }
    int32_t left_slots = static_cast<int32_t>(join->inputs[0]->SlotCount());
    std::vector<ExprPtr> conjuncts, kept, pushed;
    SplitConjuncts(node->predicate, &conjuncts);
    for (const ExprPtr& conjunct : conjuncts) {
      auto range = SlotRange(conjunct);
      (range.second >= 0 && range.second < left_slots ? pushed : kept).push_back(conjunct);
    }
    if (pushed.empty()) return false;
    join->inputs[0] = FilterOver(join->inputs[0], Conjunction(pushed));
    if (kept.empty()) {
      node = join;
    } else {
      auto filter = std::make_shared<LogicalNode>(*node);
      filter->predicate = Conjunction(kept);
      filter->inputs = {join};
      node = filter;
    }
    return true;
  }
};

// Join(l, r, on): conjuncts of ON that read one side only filter that side before the join,
// where a row failing them could only be unmatched: the left side of an inner or semi join, the
// right side of any join but FULL (whose unmatched rows of either side are still emitted).
class JoinConditionPushdown : public Rule {
 public:
  const char* name() const override { return "JoinConditionPushdown"; }
  bool Apply(LogicalNodePtr& node) override {
    if (node->kind != LogicalKind::kJoin || !node->predicate) return false;
    // A window join's condition also reads the window columns it computes: keep it whole.
    if (node->window_join) return false;
    if (node->join_type == runtime::plan::JoinType::kFull ||
        node->join_type == runtime::plan::JoinType::kRight) {
      return false;
    }
    int32_t left_slots = static_cast<int32_t>(node->inputs[0]->SlotCount());
    bool inner = node->join_type == runtime::plan::JoinType::kInner ||
                 node->join_type == runtime::plan::JoinType::kSemi;
    std::vector<ExprPtr> conjuncts, kept, left, right;
    SplitConjuncts(node->predicate, &conjuncts);
    for (const ExprPtr& conjunct : conjuncts) {
      auto range = SlotRange(conjunct);
      if (range.first < 0) {
        kept.push_back(conjunct);  // constants are folded elsewhere
      } else if (inner && range.second < left_slots) {
        left.push_back(conjunct);
      } else if (range.first >= left_slots && !node->temporal_join) {
        // (A temporal join checks its condition on the version valid at the left row's time:
        // filtering versions first would make an older one valid instead.)
        right.push_back(logical::ShiftColumns(conjunct, -left_slots));
      } else {
        kept.push_back(conjunct);
      }
    }
    if (left.empty() && right.empty()) return false;
    auto join = std::make_shared<LogicalNode>(*node);
    if (!left.empty()) join->inputs[0] = FilterOver(join->inputs[0], Conjunction(left));
    if (!right.empty()) join->inputs[1] = FilterOver(join->inputs[1], Conjunction(right));
    join->predicate = kept.empty() ? nullptr : Conjunction(kept);
    node = join;
    return true;
  }
};

// Filter(TopN(x), rn <= N AND c) → Filter(TopN(x) LIMIT N, c): a filter on the row number of
// a ROW_NUMBER() ranking is what makes it a Top-N.
class TopNLimit : public Rule {
 public:
  const char* name() const override { return "TopNLimit"; }
  bool Apply(LogicalNodePtr& node) override {
    if (node->kind != LogicalKind::kFilter || node->inputs[0]->kind != LogicalKind::kTopN) {
      return false;
    }
    const LogicalNode& top_n = *node->inputs[0];
    if (top_n.top_n->limit != 0 || !top_n.top_n->emit_row_number) return false;
    const int32_t rank_slot = static_cast<int32_t>(top_n.SlotCount()) - 1;
    std::vector<ExprPtr> conjuncts, kept;
    SplitConjuncts(node->predicate, &conjuncts);
    int64_t limit = 0;
    for (const ExprPtr& conjunct : conjuncts) {
      int64_t bound = RankBound(conjunct, rank_slot);
      if (bound > 0 && (limit == 0 || bound < limit)) {
        limit = bound;
        // rn <= N leaves nothing more to check; rn = 1 too (row numbers start at 1).
        continue;
      }
      kept.push_back(conjunct);
    }
    if (limit == 0) return false;
    auto limited = std::make_shared<LogicalNode>(top_n);
    limited->top_n->limit = limit;
    if (kept.empty()) {
      node = limited;
    } else {
      auto filter = std::make_shared<LogicalNode>(*node);
      filter->predicate = Conjunction(kept);
      filter->inputs = {limited};
      node = filter;
    }
    return true;
  }

 private:
  /// N when `conjunct` is `rn <= N`, `rn < N + 1`, `rn = 1` (or mirrored); 0 otherwise.
  static int64_t RankBound(const ExprPtr& conjunct, int32_t rank_slot) {
    if (conjunct->kind != ExprKind::kCall || conjunct->arguments.size() != 2) return 0;
    const ExprPtr& left = conjunct->arguments[0];
    const ExprPtr& right = conjunct->arguments[1];
    auto is_rank = [&](const ExprPtr& e) {
      return e->kind == ExprKind::kColumn && e->column_index == rank_slot;
    };
    auto literal = [](const ExprPtr& e, int64_t* out) {
      if (e->kind != ExprKind::kLiteral || e->literal.is_null || !e->type.IsInteger()) {
        return false;
      }
      *out = e->literal.integer;
      return true;
    };
    int64_t value = 0;
    functions::FunctionId function = conjunct->function;
    if (is_rank(right) && literal(left, &value)) {
      // Mirror `N >= rn` into `rn <= N`.
      switch (function) {
        case functions::FunctionId::kGreaterEqual:
          function = functions::FunctionId::kLessEqual;
          break;
        case functions::FunctionId::kGreater: function = functions::FunctionId::kLess; break;
        case functions::FunctionId::kEqual: break;
        default: return 0;
      }
    } else if (!is_rank(left) || !literal(right, &value)) {
      return 0;
    }
    switch (function) {
      case functions::FunctionId::kLessEqual: return value >= 1 ? value : 0;
      case functions::FunctionId::kLess: return value >= 2 ? value - 1 : 0;
      case functions::FunctionId::kEqual: return value == 1 ? 1 : 0;
      default: return 0;
    }
  }
};

// Filter(x, TRUE) → x
class RemoveTrueFilter : public Rule {
 public:
  const char* name() const override { return "RemoveTrueFilter"; }
  bool Apply(LogicalNodePtr& node) override {
    if (node->kind != LogicalKind::kFilter || !IsTrueLiteral(node->predicate)) return false;
    node = node->inputs[0];
    return true;
  }
};

// Computed columns of a scan that nothing above reads are not computed (they become NULL
// literals in the source's computed-column chain). The watermark's inputs are always kept.
class ProjectionPruning : public Rule {
 public:
  const char* name() const override { return "ProjectionPruning"; }
  bool Apply(LogicalNodePtr& node) override {
    // Runs on the sink: the only node that sees the whole pipeline.
    if (node->kind != LogicalKind::kSink) return false;
    bool changed = false;
    // Walk down the single-input chain collecting the slots each level reads.
    std::vector<LogicalNode*> chain;
    for (LogicalNode* current = node->inputs[0].get();; current = current->inputs[0].get()) {
      chain.push_back(current);
      if (current->inputs.size() != 1) break;
    }
    LogicalNode* scan = chain.back();
    if (scan->kind != LogicalKind::kScan || !scan->table->computed_columns) return false;
    std::vector<bool> used(scan->SlotCount(), chain.size() == 1);
    if (chain.size() > 1) {
      std::function<void(const ExprPtr&)> mark = [&](const ExprPtr& expression) {
        if (expression->kind == ExprKind::kColumn && expression->column_index >= 0 &&
            static_cast<size_t>(expression->column_index) < used.size()) {
          used[expression->column_index] = true;
        }
        for (const auto& argument : expression->arguments) mark(argument);
      };
      LogicalNode* above = chain[chain.size() - 2];
      // Only the node directly above the scan reads scan slots; a projection above it reads
      // through it, so look at that node's expressions (after merging there is one project).
      if (above->kind == LogicalKind::kFilter) {
        mark(above->predicate);
        if (chain.size() > 2) {
          LogicalNode* project = chain[chain.size() - 3];
          if (project->kind != LogicalKind::kProject) return false;
          for (const auto& projection : project->projections) mark(projection);
        } else {
          return false;
        }
      } else if (above->kind == LogicalKind::kProject) {
        for (const auto& projection : above->projections) mark(projection);
      } else {
        return false;
      }
    }
    const auto& watermark = scan->table->watermark;
    if (watermark) {
      used[watermark->rowtime_slot] = true;
      std::function<void(const ExprPtr&)> mark = [&](const ExprPtr& expression) {
        if (expression->kind == ExprKind::kColumn) used[expression->column_index] = true;
        for (const auto& argument : expression->arguments) mark(argument);
      };
      mark(watermark->expression);
    }
    auto pruned = std::make_shared<logical::ScanTable>(*scan->table);
    auto& projections = pruned->computed_columns->projections;
    for (size_t slot = 0; slot < projections.size(); ++slot) {
      if (used[slot] || projections[slot]->kind == ExprKind::kColumn ||
          IsLiteral(projections[slot])) {
        continue;
      }
      projections[slot] = Expr::Literal(Value::Null(projections[slot]->type));
      changed = true;
    }
    if (changed) scan->table = pruned;
    return changed;
  }
};

bool ApplyBottomUp(LogicalNodePtr& node, Rule& rule) {
  bool changed = false;
  for (LogicalNodePtr& input : node->inputs) {
    // Inputs may be shared between plans (a scan); rewrite a private copy.
    LogicalNodePtr copy = std::make_shared<LogicalNode>(*input);
    if (ApplyBottomUp(copy, rule)) {
      input = copy;
      changed = true;
    }
  }
  LogicalNodePtr copy = std::make_shared<LogicalNode>(*node);
  if (rule.Apply(copy)) {
    node = copy;
    changed = true;
  }
  return changed;
}

}  // namespace

std::vector<std::unique_ptr<Rule>> DefaultRules(const RuleOptions& options) {
  std::vector<std::unique_ptr<Rule>> rules;
  rules.push_back(std::make_unique<ConstantFolding>());
  rules.push_back(std::make_unique<FilterMerge>());
  rules.push_back(std::make_unique<FilterPushdown>());
  rules.push_back(std::make_unique<FilterIntoJoin>());
  rules.push_back(std::make_unique<TopNLimit>());
  rules.push_back(std::make_unique<JoinConditionPushdown>());
  rules.push_back(std::make_unique<ProjectMerge>());
  rules.push_back(std::make_unique<RemoveTrueFilter>());
  rules.push_back(std::make_unique<ProjectionPruning>());
  if (options.prune_state_columns) rules.push_back(MakeStateColumnPruning());
  return rules;
}

std::vector<std::string> Optimize(LogicalNodePtr& root,
                                  const std::vector<std::unique_ptr<Rule>>& rules) {
  std::vector<std::string> fired;
  // Sweep the rule list until a whole sweep changes nothing; the bound guards against rules
  // that undo each other.
  for (int sweep = 0; sweep < 16; ++sweep) {
    bool changed = false;
    for (const auto& rule : rules) {
      if (!ApplyBottomUp(root, *rule)) continue;
      changed = true;
      if (std::find(fired.begin(), fired.end(), rule->name()) == fired.end()) {
        fired.push_back(rule->name());
      }
    }
    if (!changed) break;
  }
  return fired;
}

ExprPtr Substitute(const ExprPtr& expression, const std::vector<ExprPtr>& projections) {
  if (expression->kind == ExprKind::kColumn) return projections[expression->column_index];
  if (expression->arguments.empty()) return expression;
  auto copy = std::make_shared<Expr>(*expression);
  for (auto& argument : copy->arguments) argument = Substitute(argument, projections);
  return copy;
}

base::Result<Value> EvaluateConstant(const ExprPtr& expression) {
  runtime::plan::ChainSpec spec;
  spec.projections.push_back(expression);
  runtime::Batch input(std::vector<types::LogicalType>{});
  input.set_row_count(1);
  runtime::Batch output(std::vector<types::LogicalType>{expression->type});
  SLUICE_RETURN_IF_ERROR(runtime::expr::EvaluateChain(spec, input, &output));
  const runtime::Column& column = output.column(0);
  if (column.IsNull(0)) return Value::Null(expression->type);
  Value value;
  value.type = expression->type;
  value.is_null = false;
  switch (expression->type.id()) {
    case types::TypeId::kBoolean: value.integer = column.values<uint8_t>()[0]; break;
    case types::TypeId::kInt:
    case types::TypeId::kDate:
    case types::TypeId::kTime: value.integer = column.values<int32_t>()[0]; break;
    case types::TypeId::kDouble: value.real = column.values<double>()[0]; break;
    case types::TypeId::kVarchar:
    case types::TypeId::kArray:
    case types::TypeId::kMap:
    case types::TypeId::kBinary:
    case types::TypeId::kMultiset:
      value.text = std::string(column.values<runtime::StringRef>()[0].view());
      break;
    case types::TypeId::kRow:
    case types::TypeId::kNull: return Value::Null(expression->type);
    case types::TypeId::kDecimal: {
      __int128 unscaled = column.values<int64_t>()[0];
      if (expression->type.IsWideDecimal()) std::memcpy(&unscaled, column.data(), sizeof(unscaled));
      return Value::Decimal(unscaled, expression->type.precision(), expression->type.scale());
    }
    default: value.integer = column.values<int64_t>()[0]; break;
  }
  return value;
}

namespace {

/// Whether `call` gives the bytes of a ROW element as a VARCHAR: bytes, not text, that must not
/// become a VARCHAR literal of the plan.
bool GivesRowBytes(const Expr& call) {
  if (call.kind != ExprKind::kCall || call.type.id() != types::TypeId::kVarchar) return false;
  auto row_element = [](const types::LogicalType& collection) {
    if (!collection.IsCollection()) return false;
    const types::LogicalType& element = collection.id() == types::TypeId::kMap
                                            ? collection.value_type()
                                            : collection.element_type();
    return element.id() == types::TypeId::kRow;
  };
  switch (call.function) {
    case functions::FunctionId::kRowEncode: return true;
    case functions::FunctionId::kElement:
      return !call.arguments.empty() && row_element(call.arguments[0]->type);
    case functions::FunctionId::kCollectionElementAt:
    case functions::FunctionId::kCollectionMapGet:
      return call.arguments.size() > 1 && row_element(call.arguments[1]->type);
    case functions::FunctionId::kRowField:
      return !call.arguments.empty() && call.arguments[0]->kind == ExprKind::kLiteral &&
             call.arguments[0]->literal.text.rfind('R', 0) == 0;
    default: return false;
  }
}

}  // namespace

ExprPtr FoldConstants(const ExprPtr& expression) {
  if (expression->kind == ExprKind::kColumn || expression->kind == ExprKind::kLiteral) {
    return expression;
  }
  auto copy = std::make_shared<Expr>(*expression);
  bool all_literal = true;
  for (auto& argument : copy->arguments) {
    argument = FoldConstants(argument);
    all_literal &= IsLiteral(argument);
  }
  if (!all_literal || copy->type.id() == types::TypeId::kRow || GivesRowBytes(*copy)) return copy;
  // A user-defined function that is not deterministic runs for every row.
  if (copy->user_function != nullptr && !copy->user_function->deterministic()) return copy;
  if (copy->kind == ExprKind::kCall && !functions::IsDeterministic(copy->function)) return copy;
  auto value = EvaluateConstant(copy);
  if (!value.ok()) return copy;  // the runtime reports it with context
  return Expr::Literal(*value);
}

}  // namespace sluice::compiler::optimizer
