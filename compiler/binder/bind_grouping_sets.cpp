#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "compiler/binder/binder.h"

namespace sluice::compiler::binder {

using logical::LogicalKind;
using logical::LogicalNode;
using runtime::plan::Expr;
using runtime::plan::ExprPtr;
using runtime::plan::Value;
using types::LogicalType;

namespace {

/// Flink's planner expands a CUBE of 12 columns; more sets than that is a mistake, and each
/// input row is copied once per set.
constexpr size_t kMaxGroupingSets = 4096;
/// A set's id is its absent columns' bits plus 2^n times the number of equal sets before it
/// (fewer than kMaxGroupingSets): n + 12 bits must fit a positive BIGINT.
constexpr size_t kMaxGroupingColumns = 50;
/// At most this many expressions in one set (repeats counted): a hostile ROLLUP(a, a, …) or a
/// product of long sets is refused before its sets are built, not after they fill memory.
constexpr size_t kMaxSetMembers = 4 * kMaxGroupingColumns;

using Set = std::vector<const ast::Expression*>;

std::string Upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

const char* KindName(ast::GroupingKind kind) {
  switch (kind) {
    case ast::GroupingKind::kRollup: return "ROLLUP";
    case ast::GroupingKind::kCube: return "CUBE";
    case ast::GroupingKind::kGroupingSets: break;
  }
  return "GROUPING SETS";
}

/// `ROLLUP(a)` where only an expression may stand parses as a call of a function ROLLUP.
const ast::FunctionCallExpression* MisplacedGrouping(const ast::Expression& expression) {
  const auto* call = expression.As<ast::FunctionCallExpression>();
  if (call == nullptr || call->over || call->over_window_name) return nullptr;
  std::string name = Upper(call->name.Last().name);
  return name == "ROLLUP" || name == "CUBE" ? call : nullptr;
}

}  // namespace

std::optional<GroupingSets> Binder::ExpandGroupingSets(
    const std::vector<const ast::Expression*>& items) {
  GroupingSets result;
  std::vector<Set> product{Set{}};
  bool listed = false;
  bool failed = false;
  auto check_plain = [&](const ast::Expression& expression) {
    if (const auto* call = MisplacedGrouping(expression)) {
      Error(base::ErrorCode::kPlan,
            fmt::format("{}(...) is only supported as an item of a SELECT's GROUP BY or in its "
                        "GROUPING SETS (...), not nested in ROLLUP or CUBE or in |> AGGREGATE",
                        Upper(call->name.Last().name)),
            call->span);
      failed = true;
    }
  };
  auto too_long = [&](base::SourceSpan span) {
    Error(base::ErrorCode::kPlan,
          fmt::format("a grouping set of GROUP BY lists more than {} expressions; at most {} are "
                      "supported",
                      kMaxSetMembers, kMaxSetMembers),
          span);
    failed = true;
  };
  auto too_many = [&](size_t count, base::SourceSpan span) {
    Error(base::ErrorCode::kPlan,
          fmt::format("GROUP BY makes {} grouping sets (GROUPING SETS, ROLLUP and CUBE multiply); "
                      "at most {} are supported",
                      count, kMaxGroupingSets),
          span);
    failed = true;
  };
  // The sets one GROUPING SETS / ROLLUP / CUBE item stands for; empty after an error.
  std::function<std::vector<Set>(const ast::GroupingSetsExpression&)> sets_of =
      [&](const ast::GroupingSetsExpression& grouping) -> std::vector<Set> {
    std::vector<Set> sets;
    const auto& elements = grouping.elements;
    size_t members = 0;
    for (const auto& element : elements) members += element.size();
    if (grouping.grouping_kind != ast::GroupingKind::kGroupingSets && members > kMaxSetMembers) {
      too_long(grouping.span);
      return {};
    }
    switch (grouping.grouping_kind) {
      case ast::GroupingKind::kGroupingSets:
        for (const auto& element : elements) {
          const auto* nested =
              element.size() == 1 ? element.front()->As<ast::GroupingSetsExpression>() : nullptr;
          if (nested != nullptr) {
            std::vector<Set> inner = sets_of(*nested);
            if (failed) return {};
            sets.insert(sets.end(), inner.begin(), inner.end());
          } else {
            if (element.size() > kMaxSetMembers) {
              too_long(grouping.span);
              return {};
            }
            Set set;
            for (const auto& expression : element) {
              check_plain(*expression);
              set.push_back(expression.get());
            }
            sets.push_back(std::move(set));
          }
          if (sets.size() > kMaxGroupingSets) {
            too_many(sets.size(), grouping.span);
            return {};
          }
        }
        break;
      case ast::GroupingKind::kRollup:
        // (e1, …, en), (e1, …, en-1), …, ().
        for (size_t length = elements.size() + 1; length-- > 0;) {
          Set set;
          for (size_t i = 0; i < length; ++i) {
            for (const auto& expression : elements[i]) set.push_back(expression.get());
          }
          sets.push_back(std::move(set));
        }
        break;
      case ast::GroupingKind::kCube: {
        if (elements.size() >= 64 || (size_t{1} << elements.size()) > kMaxGroupingSets) {
          Error(base::ErrorCode::kPlan,
                fmt::format("CUBE of {} elements makes 2^{} grouping sets; at most {} are "
                            "supported (a CUBE of 12)",
                            elements.size(), elements.size(), kMaxGroupingSets),
                grouping.span);
          failed = true;
          return {};
        }
        // Every subset, the whole list first and () last.
        for (uint64_t absent = 0; absent < (uint64_t{1} << elements.size()); ++absent) {
          Set set;
          for (size_t i = 0; i < elements.size(); ++i) {
            if ((absent >> (elements.size() - 1 - i) & 1) != 0) continue;
            for (const auto& expression : elements[i]) set.push_back(expression.get());
          }
          sets.push_back(std::move(set));
        }
        break;
      }
    }
    if (grouping.grouping_kind != ast::GroupingKind::kGroupingSets) {
      for (const auto& element : elements) {
        for (const auto& expression : element) check_plain(*expression);
      }
    }
    return sets;
  };

  for (const ast::Expression* item : items) {
    const auto* grouping = item->As<ast::GroupingSetsExpression>();
    if (grouping == nullptr) {
      check_plain(*item);
      result.keys.push_back(item);
      continue;
    }
    if (!listed) result.span = grouping->span;
    listed = true;
    std::vector<Set> sets = sets_of(*grouping);
    if (failed) return std::nullopt;
    if (product.size() * sets.size() > kMaxGroupingSets) {
      too_many(product.size() * sets.size(), grouping->span);
      return std::nullopt;
    }
    std::vector<Set> next;
    for (const Set& left : product) {
      for (const Set& right : sets) {
        if (left.size() + right.size() > kMaxSetMembers) {
          too_long(grouping->span);
          return std::nullopt;
        }
        Set both = left;
        both.insert(both.end(), right.begin(), right.end());
        next.push_back(std::move(both));
      }
    }
    product = std::move(next);
  }
  if (failed) return std::nullopt;
  if (!listed) return result;
  std::set<const ast::Expression*> seen(result.keys.begin(), result.keys.end());
  for (const Set& set : product) {
    for (const ast::Expression* expression : set) {
      if (seen.insert(expression).second) result.keys.push_back(expression);
    }
  }
  // One set is a plain GROUP BY of the items and that set's expressions (all keys).
  if (product.size() > 1) result.sets = std::move(product);
  return result;
}

std::optional<GroupingLayout> Binder::LayOutGroupingSets(
    const GroupingSets& sets, const std::vector<BoundGroupingKey>& keys) {
  std::map<const ast::Expression*, int32_t> slot_of;
  for (const BoundGroupingKey& key : keys) slot_of[key.expression] = key.pre_slot;
  GroupingLayout layout;
  for (const BoundGroupingKey& key : keys) {
    if (std::find(layout.key_pre_slots.begin(), layout.key_pre_slots.end(), key.pre_slot) ==
        layout.key_pre_slots.end()) {
      layout.key_pre_slots.push_back(key.pre_slot);
    }
  }
  // Each set's keys, as pre-projection slots; the plain items are in every set.
  std::set<int32_t> common;
  for (const ast::Expression* key : sets.keys) {
    bool in_a_set = false;
    for (const auto& set : sets.sets) {
      in_a_set |= std::find(set.begin(), set.end(), key) != set.end();
    }
    if (!in_a_set && slot_of.count(key)) common.insert(slot_of.at(key));
  }
  std::vector<std::set<int32_t>> present;
  for (const auto& set : sets.sets) {
    std::set<int32_t> slots = common;
    for (const ast::Expression* expression : set) {
      auto found = slot_of.find(expression);
      if (found == slot_of.end()) {
        Error(base::ErrorCode::kPlan,
              fmt::format("'{}' cannot be grouped inside GROUPING SETS, ROLLUP or CUBE; group by "
                          "window_start and window_end outside them, e.g. GROUP BY window_start, "
                          "window_end, ROLLUP(a, b)",
                          expression->ToString()),
              expression->span);
        return std::nullopt;
      }
      slots.insert(found->second);
    }
    present.push_back(std::move(slots));
  }
  // Every key gets a column of its own in the Expand (NULL where a set lacks it), and a bit in
  // the ids even when every set has it: then adding a set leaves the others' ids, and so their
  // groups' state, as they were.
  for (int32_t slot : layout.key_pre_slots) {
    bool everywhere = true;
    for (const auto& slots : present) everywhere &= slots.count(slot) > 0;
    layout.in_every_set.push_back(everywhere);
    layout.expand.grouping_slots.push_back(slot);
  }
  const size_t columns = layout.expand.grouping_slots.size();
  if (columns > kMaxGroupingColumns) {
    Error(base::ErrorCode::kPlan,
          fmt::format("GROUPING SETS, ROLLUP and CUBE over {} grouping columns are not supported "
                      "(at most {})",
                      columns, kMaxGroupingColumns),
          sets.span);
    return std::nullopt;
  }
  std::map<int64_t, int64_t> equal_sets_before;  // absent bits → sets seen with them
  for (const auto& slots : present) {
    runtime::plan::ExpandSet set;
    int64_t bits = 0;
    for (size_t i = 0; i < columns; ++i) {
      if (slots.count(layout.expand.grouping_slots[i]) > 0) continue;
      set.absent.push_back(static_cast<int32_t>(i));
      bits |= int64_t{1} << (columns - 1 - i);
    }
    set.id = bits + (equal_sets_before[bits]++ << columns);
    layout.expand.sets.push_back(std::move(set));
  }
  return layout;
}

logical::LogicalNodePtr Binder::MakeExpand(logical::LogicalNodePtr input,
                                           const GroupingLayout& layout, base::SourceSpan span) {
  auto expand = std::make_shared<LogicalNode>();
  expand->kind = LogicalKind::kExpand;
  expand->span = span;
  expand->schema = input->schema;
  auto types = logical::SlotTypes(input->schema);
  const auto& slots = layout.expand.grouping_slots;
  for (size_t i = 0; i < slots.size(); ++i) {
    expand->schema.columns.push_back({fmt::format("$g{}", i), types[slots[i]]});
  }
  expand->schema.columns.push_back({"$e", LogicalType::Bigint()});
  expand->expand = layout.expand;
  expand->inputs.push_back(std::move(input));
  return expand;
}

bool Binder::BindGroupingCalls(const std::vector<const ast::Expression*>& roots, const Scope& scope,
                               const std::vector<ExprPtr>& pre,
                               const std::vector<int32_t>& key_pre_slots,
                               const GroupingLayout* layout, int32_t id_slot,
                               std::map<const ast::Expression*, ExprPtr>* replacements) {
  const size_t errors_before = diagnostics_.size();
  auto bigint = [](int64_t value) { return Expr::Literal(Value::Bigint(value)); };
  auto call = [](functions::FunctionId function, ExprPtr left, ExprPtr right) {
    return Expr::Call(function, LogicalType::Bigint(), {std::move(left), std::move(right)});
  };
  // GROUPING(key): 1 when the row's set lacks the key.
  auto grouping_of = [&](size_t key) -> ExprPtr {
    if (layout == nullptr || layout->in_every_set[key]) return nullptr;  // always 0
    const int64_t columns = static_cast<int64_t>(layout->expand.grouping_slots.size());
    ExprPtr id = Expr::Column(id_slot, LogicalType::Bigint());
    int64_t shift = columns - 1 - static_cast<int64_t>(key);
    ExprPtr shifted =
        shift == 0 ? id : call(functions::FunctionId::kDivide, id, bigint(int64_t{1} << shift));
    return call(functions::FunctionId::kModulo, shifted, bigint(2));
  };
  for (const ast::Expression* root : roots) {
    VisitExpressionTree(*root, [&](const ast::Expression& node) {
      const auto* grouping = node.As<ast::FunctionCallExpression>();
      if (grouping == nullptr || grouping->over || grouping->over_window_name) return;
      std::string name = Upper(grouping->name.Last().name);
      if (name == "GROUP_ID" && grouping->name.parts.size() == 1) {
        // GROUP_ID(): which copy of a repeated grouping set the row's set is, 0 for the first
        // (Flink's DecomposeGroupingSetsRule); the set id's bits past the key bits count them.
        if (!grouping->arguments.empty() || grouping->distinct || grouping->filter) {
          Error(base::ErrorCode::kBind, "GROUP_ID() takes no arguments", grouping->span);
          return;
        }
        ExprPtr id = Expr::Column(id_slot, LogicalType::Bigint());
        const int64_t columns =
            layout == nullptr ? 0 : static_cast<int64_t>(layout->expand.grouping_slots.size());
        (*replacements)[&node] = layout == nullptr ? bigint(0)
                                                   : call(functions::FunctionId::kDivide, id,
                                                          bigint(int64_t{1} << columns));
        return;
      }
      if (name != "GROUPING" && name != "GROUPING_ID") return;
      if (grouping->arguments.empty() || grouping->arguments.size() > 63 || grouping->distinct ||
          grouping->filter) {
        Error(base::ErrorCode::kBind,
              fmt::format("{} takes 1 to 63 grouping columns, e.g. {}(a, b)", name, name),
              grouping->span);
        return;
      }
      // GROUPING(a, b) = GROUPING_ID(a, b) = GROUPING(a) * 2 + GROUPING(b) (Calcite's).
      ExprPtr sum;
      const size_t count = grouping->arguments.size();
      for (size_t position = 0; position < count; ++position) {
        const ast::Expression& argument = *grouping->arguments[position];
        ExprPtr bound =
            argument.Is<ast::StarExpression>() ? nullptr : BindExpression(argument, scope);
        std::optional<size_t> key;
        for (size_t k = 0; bound != nullptr && k < key_pre_slots.size(); ++k) {
          if (pre[key_pre_slots[k]]->Equals(*bound)) key = k;
        }
        if (!key) {
          if (bound != nullptr || argument.Is<ast::StarExpression>()) {
            Error(base::ErrorCode::kBind,
                  fmt::format("the arguments of {} must be grouping columns (GROUP BY items); "
                              "'{}' is not one",
                              name, argument.ToString()),
                  argument.span);
          }
          return;
        }
        ExprPtr term = grouping_of(*key);
        if (term == nullptr) continue;
        const size_t weight = count - 1 - position;
        if (weight > 0)
          term = call(functions::FunctionId::kMultiply, term, bigint(int64_t{1} << weight));
        sum = sum == nullptr ? term : call(functions::FunctionId::kAdd, sum, term);
      }
      (*replacements)[&node] = sum != nullptr ? sum : bigint(0);
    });
  }
  return diagnostics_.size() == errors_before;
}

}  // namespace sluice::compiler::binder
