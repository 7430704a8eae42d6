#include "compiler/logical/interval_bounds.h"

#include <algorithm>
#include <functional>
#include <limits>

namespace sluice::compiler::logical {

using functions::FunctionId;
using runtime::plan::ExprKind;
using runtime::plan::ExprPtr;

namespace {

/// `slot + offset`: a time attribute column, plus or minus interval literals.
struct TimeTerm {
  int32_t slot = -1;
  int64_t offset = 0;
};

bool IntervalLiteral(const ExprPtr& expression, int64_t* millis) {
  if (expression->kind != ExprKind::kLiteral || expression->literal.is_null ||
      expression->type.id() != types::TypeId::kInterval) {
    return false;
  }
  *millis = expression->literal.integer;
  return true;
}

std::optional<TimeTerm> ParseTerm(const ExprPtr& expression) {
  if (expression->kind == ExprKind::kColumn) {
    if (expression->type.id() != types::TypeId::kTimestamp) return std::nullopt;
    return TimeTerm{expression->column_index, 0};
  }
  if (expression->kind != ExprKind::kCall || expression->arguments.size() != 2) return std::nullopt;
  bool add = expression->function == FunctionId::kAdd;
  if (!add && expression->function != FunctionId::kSubtract) return std::nullopt;
  int64_t millis = 0;
  if (IntervalLiteral(expression->arguments[1], &millis)) {
    auto term = ParseTerm(expression->arguments[0]);
    if (!term) return std::nullopt;
    // Bounds of a few centuries at most: no overflow below.
    if (std::abs(millis) > (int64_t{1} << 45)) return std::nullopt;
    term->offset += add ? millis : -millis;
    return term;
  }
  if (add && IntervalLiteral(expression->arguments[0], &millis)) {
    auto term = ParseTerm(expression->arguments[1]);
    if (!term || std::abs(millis) > (int64_t{1} << 45)) return std::nullopt;
    term->offset += millis;
    return term;
  }
  return std::nullopt;
}

bool Contains(const std::vector<int32_t>& slots, int32_t slot) {
  return std::find(slots.begin(), slots.end(), slot) != slots.end();
}

}  // namespace

void ConjunctsOf(const ExprPtr& condition, std::vector<ExprPtr>* out) {
  if (condition == nullptr) return;
  if (condition->kind == ExprKind::kCall && condition->function == FunctionId::kAnd) {
    for (const auto& argument : condition->arguments) ConjunctsOf(argument, out);
  } else {
    out->push_back(condition);
  }
}

std::optional<IntervalBounds> FindIntervalBounds(const ExprPtr& condition, int32_t left_slots,
                                                 const std::vector<int32_t>& left_time_slots,
                                                 const std::vector<int32_t>& right_time_slots) {
  std::vector<ExprPtr> conjuncts;
  ConjunctsOf(condition, &conjuncts);
  IntervalBounds bounds;
  constexpr int64_t kNone = std::numeric_limits<int64_t>::min();
  int64_t lower = kNone;
  int64_t upper = kNone;
  for (const ExprPtr& conjunct : conjuncts) {
    bool used = false;
    FunctionId function = conjunct->function;
    bool comparison = conjunct->kind == ExprKind::kCall && conjunct->arguments.size() == 2 &&
                      (function == FunctionId::kEqual || function == FunctionId::kLess ||
                       function == FunctionId::kLessEqual || function == FunctionId::kGreater ||
                       function == FunctionId::kGreaterEqual);
    auto a = comparison ? ParseTerm(conjunct->arguments[0]) : std::nullopt;
    auto b = comparison ? ParseTerm(conjunct->arguments[1]) : std::nullopt;
    if (a && b) {
      bool a_left = a->slot < left_slots;
      bool b_left = b->slot < left_slots;
      const TimeTerm& left = a_left ? *a : *b;
      const TimeTerm& right = a_left ? *b : *a;
      int32_t right_slot = right.slot - left_slots;
      bool sides = a_left != b_left && Contains(left_time_slots, left.slot) &&
                   Contains(right_time_slots, right_slot);
      bool same_pair =
          bounds.spec.left_time_slot < 0 ||
          (bounds.spec.left_time_slot == left.slot && bounds.spec.right_time_slot == right_slot);
      if (sides && same_pair) {
        bounds.spec.left_time_slot = left.slot;
        bounds.spec.right_time_slot = right_slot;
        // Normalize to `right_time OP left_time + delta`.
        int64_t delta = left.offset - right.offset;
        if (!a_left) {
          // a is the right term: `r + ro OP l + lo` is already in that shape.
        } else {
          // `l + lo OP r + ro`: mirror the comparison.
          switch (function) {
            case FunctionId::kLess: function = FunctionId::kGreater; break;
            case FunctionId::kLessEqual: function = FunctionId::kGreaterEqual; break;
            case FunctionId::kGreater: function = FunctionId::kLess; break;
            case FunctionId::kGreaterEqual: function = FunctionId::kLessEqual; break;
            default: break;
          }
        }
        auto raise_lower = [&](int64_t value) {
          lower = lower == kNone ? value : std::max(lower, value);
        };
        auto lower_upper = [&](int64_t value) {
          upper = upper == kNone ? value : std::min(upper, value);
        };
        switch (function) {
          case FunctionId::kEqual:
            raise_lower(delta);
            lower_upper(delta);
            break;
          case FunctionId::kGreaterEqual: raise_lower(delta); break;
          case FunctionId::kGreater: raise_lower(delta + 1); break;
          case FunctionId::kLessEqual: lower_upper(delta); break;
          case FunctionId::kLess: lower_upper(delta - 1); break;
          default: break;
        }
        used = true;
      }
    }
    if (!used) bounds.other_conjuncts.push_back(conjunct);
  }
  if (lower == kNone || upper == kNone) return std::nullopt;
  auto side_of = [&](const ExprPtr& expression) {
    int32_t low = INT32_MAX, high = -1;
    std::function<void(const ExprPtr&)> visit = [&](const ExprPtr& part) {
      if (part->kind == ExprKind::kColumn) {
        low = std::min(low, part->column_index);
        high = std::max(high, part->column_index);
      }
      for (const auto& argument : part->arguments) visit(argument);
    };
    visit(expression);
    return high < 0 ? 0 : high < left_slots ? 1 : low >= left_slots ? 2 : 3;
  };
  for (const ExprPtr& conjunct : bounds.other_conjuncts) {
    if (conjunct->kind != ExprKind::kCall || conjunct->function != FunctionId::kEqual) continue;
    int a = side_of(conjunct->arguments[0]);
    int b = side_of(conjunct->arguments[1]);
    bounds.keyed |= (a == 1 && b == 2) || (a == 2 && b == 1);
  }
  bounds.spec.lower = lower;
  bounds.spec.upper = upper;
  return bounds;
}

RowExpiries FindRowExpiries(const ExprPtr& condition, int32_t left_slots,
                            const std::vector<int32_t>& left_times,
                            const std::vector<int32_t>& right_times) {
  RowExpiries expiries;
  std::vector<ExprPtr> conjuncts;
  ConjunctsOf(condition, &conjuncts);
  // `low + low_offset <= high + high_offset`, one term of each side: when `low` is an event time
  // of its side, a row of the other side expires at high + high_offset - low_offset.
  auto bound = [&](const TimeTerm& low, const TimeTerm& high) {
    bool low_left = low.slot < left_slots;
    const std::vector<int32_t>& times = low_left ? left_times : right_times;
    int32_t low_slot = low_left ? low.slot : low.slot - left_slots;
    if (!Contains(times, low_slot)) return;
    auto& list = low_left ? expiries.right : expiries.left;
    runtime::plan::RowExpiry expiry{low_left ? high.slot - left_slots : high.slot,
                                    high.offset - low.offset};
    for (const auto& existing : list) {
      if (existing.slot == expiry.slot && existing.offset == expiry.offset) return;
    }
    list.push_back(expiry);
  };
  for (const ExprPtr& conjunct : conjuncts) {
    if (conjunct->kind != ExprKind::kCall || conjunct->arguments.size() != 2) continue;
    auto a = ParseTerm(conjunct->arguments[0]);
    auto b = ParseTerm(conjunct->arguments[1]);
    if (!a || !b || (a->slot < left_slots) == (b->slot < left_slots)) continue;
    switch (conjunct->function) {
      case FunctionId::kEqual:
        bound(*a, *b);
        bound(*b, *a);
        break;
      case FunctionId::kLess:
      case FunctionId::kLessEqual: bound(*a, *b); break;
      case FunctionId::kGreater:
      case FunctionId::kGreaterEqual: bound(*b, *a); break;
      default: break;
    }
  }
  return expiries;
}

}  // namespace sluice::compiler::logical
