#include "runtime/operators/aggregate/call_layout.h"

#include <string>

namespace sluice::runtime::operators::aggregate {

namespace {

using plan::AggregateKind;
using types::TypeId;

constexpr size_t kRowCountSize = 8;

bool IsSummable(TypeId type) {
  return type == TypeId::kInt || type == TypeId::kBigint || type == TypeId::kInterval ||
         type == TypeId::kDecimal || type == TypeId::kDouble || type == TypeId::kNull;
}

bool IsFixedWidthKey(TypeId type) {
  switch (type) {
    case TypeId::kBoolean:
    case TypeId::kInt:
    case TypeId::kBigint:
    case TypeId::kDouble:
    case TypeId::kDecimal:
    case TypeId::kTimestamp:
    case TypeId::kInterval:
    case TypeId::kDate:
    case TypeId::kTime: return true;
    case TypeId::kNull:
    case TypeId::kArray:
    case TypeId::kMap:
    case TypeId::kBinary:
    case TypeId::kMultiset:
    case TypeId::kVarchar:
    case TypeId::kRow: return false;
  }
  return false;
}

bool IsExactNumber(TypeId type) {
  return type == TypeId::kInt || type == TypeId::kBigint || type == TypeId::kDecimal ||
         type == TypeId::kNull;
}

}  // namespace

const char* AggregateFunctionName(AggregateKind kind) {
  switch (kind) {
    case AggregateKind::kCountStar: return "COUNT(*)";
    case AggregateKind::kCount: return "COUNT";
    case AggregateKind::kSum: return "SUM";
    case AggregateKind::kMin: return "MIN";
    case AggregateKind::kMax: return "MAX";
    case AggregateKind::kAvg: return "AVG";
    case AggregateKind::kStddevPop: return "STDDEV_POP";
    case AggregateKind::kStddevSamp: return "STDDEV_SAMP";
    case AggregateKind::kVarPop: return "VAR_POP";
    case AggregateKind::kVarSamp: return "VAR_SAMP";
    case AggregateKind::kBoolAnd: return "BOOL_AND";
    case AggregateKind::kBoolOr: return "BOOL_OR";
    case AggregateKind::kFirstValue: return "FIRST_VALUE";
    case AggregateKind::kLastValue: return "LAST_VALUE";
    case AggregateKind::kCollect: return "COLLECT";
    case AggregateKind::kArrayAgg: return "ARRAY_AGG";
    case AggregateKind::kListAgg: return "LISTAGG";
    case AggregateKind::kLag: return "LAG";
  }
  return "?";
}

size_t FixedSlotSize(AccumulatorKind kind) {
  switch (kind) {
    case AccumulatorKind::kCount: return 8;
    case AccumulatorKind::kSumInteger: return 16;
    case AccumulatorKind::kSumDecimal: return 24;
    case AccumulatorKind::kSumDouble: return 16;
    case AccumulatorKind::kExtremeFixed: return 9;
    case AccumulatorKind::kExtremeString: return 1;
    case AccumulatorKind::kValueCounts: return 0;
    case AccumulatorKind::kMomentsExact: return 40;
    case AccumulatorKind::kMomentsDouble: return 24;
    case AccumulatorKind::kBoolCounts: return 16;
    case AccumulatorKind::kValueList:
    case AccumulatorKind::kLag: return 0;
  }
  return 0;
}

bool IsFixedSlotCall(const CallLayout& layout) {
  switch (layout.kind) {
    case AccumulatorKind::kCount:
      // Reads only the argument's validity.
      return layout.argument_slot < 0 || layout.argument_type != TypeId::kRow;
    case AccumulatorKind::kSumInteger:
      return layout.argument_type == TypeId::kInt || layout.argument_type == TypeId::kBigint ||
             layout.argument_type == TypeId::kInterval;
    case AccumulatorKind::kSumDecimal: return layout.argument_type == TypeId::kDecimal;
    case AccumulatorKind::kSumDouble: return layout.argument_type == TypeId::kDouble;
    case AccumulatorKind::kExtremeFixed: return IsFixedWidthKey(layout.argument_type);
    case AccumulatorKind::kMomentsExact:
      return layout.argument_type == TypeId::kInt || layout.argument_type == TypeId::kBigint ||
             layout.argument_type == TypeId::kDecimal;
    case AccumulatorKind::kMomentsDouble: return layout.argument_type == TypeId::kDouble;
    case AccumulatorKind::kBoolCounts: return layout.argument_type == TypeId::kBoolean;
    case AccumulatorKind::kExtremeString:
    case AccumulatorKind::kValueCounts:
    case AccumulatorKind::kValueList:
    case AccumulatorKind::kLag: return false;
  }
  return false;
}

AccumulatorLayout LayOutAccumulators(const std::vector<plan::AggregateCall>& calls) {
  AccumulatorLayout result;
  size_t offset = kRowCountSize;
  for (const auto& call : calls) {
    CallLayout layout;
    TypeId type = call.argument_type.id();
    bool counts_rows = call.kind == AggregateKind::kCountStar ||
                       (call.kind == AggregateKind::kCount && call.argument_slot < 0);
    layout.argument_slot = counts_rows ? -1 : call.argument_slot;
    layout.filter_slot = call.filter_slot;
    layout.argument_type = counts_rows ? TypeId::kNull : type;
    layout.wide_decimal_argument = !counts_rows && call.argument_type.IsWideDecimal();
    // Wide DECIMAL keys are kept as strings of EncodeWideKey's 16 bytes (value_counts.h).
    layout.string_values =
        !counts_rows &&
        (type == TypeId::kVarchar || type == TypeId::kArray || type == TypeId::kMap ||
         type == TypeId::kMultiset || type == TypeId::kBinary || layout.wide_decimal_argument);
    layout.double_values = !counts_rows && type == TypeId::kDouble;
    layout.decimal_values = !counts_rows && type == TypeId::kDecimal;
    layout.is_min = call.kind == AggregateKind::kMin;
    layout.retractable = call.retractable;
    std::string problem;
    if (!counts_rows && (call.argument_slot < 0 || type == TypeId::kRow)) {
      problem = "needs a non-ROW argument";
    }
    switch (call.kind) {
      case AggregateKind::kCountStar:
      case AggregateKind::kCount:
        layout.kind =
            call.distinct && !counts_rows ? AccumulatorKind::kValueCounts : AccumulatorKind::kCount;
        break;
      case AggregateKind::kSum:
      case AggregateKind::kAvg:
        if (!IsSummable(type)) problem = "does not take " + call.argument_type.ToString();
        if (call.distinct) {
          layout.kind = AccumulatorKind::kValueCounts;
        } else if (type == TypeId::kDouble) {
          layout.kind = AccumulatorKind::kSumDouble;
        } else if (type == TypeId::kDecimal) {
          layout.kind = AccumulatorKind::kSumDecimal;
        } else {
          layout.kind = AccumulatorKind::kSumInteger;
        }
        break;
      case AggregateKind::kMin:
      case AggregateKind::kMax:
        if (call.retractable) {
          layout.kind = AccumulatorKind::kValueCounts;
        } else {
          layout.kind = layout.string_values ? AccumulatorKind::kExtremeString
                                             : AccumulatorKind::kExtremeFixed;
          result.has_non_retractable_extreme = true;
        }
        break;
      case AggregateKind::kStddevPop:
      case AggregateKind::kStddevSamp:
      case AggregateKind::kVarPop:
      case AggregateKind::kVarSamp:
        if (type == TypeId::kDouble) {
          layout.kind = AccumulatorKind::kMomentsDouble;
        } else {
          // Squares of 38-digit unscaled values do not fit the 128-bit sums.
          if (!IsExactNumber(type) || layout.wide_decimal_argument) {
            problem = "does not take " + call.argument_type.ToString();
          }
          layout.kind = AccumulatorKind::kMomentsExact;
        }
        if (call.distinct) problem = "does not take DISTINCT";
        break;
      case AggregateKind::kBoolAnd:
      case AggregateKind::kBoolOr:
        if (type != TypeId::kBoolean && type != TypeId::kNull) {
          problem = "does not take " + call.argument_type.ToString();
        }
        if (call.distinct) problem = "does not take DISTINCT";
        layout.kind = AccumulatorKind::kBoolCounts;
        break;
      case AggregateKind::kFirstValue:
      case AggregateKind::kLastValue:
      case AggregateKind::kListAgg:
      case AggregateKind::kCollect:
      case AggregateKind::kArrayAgg:
        if (call.kind == AggregateKind::kListAgg && type != TypeId::kVarchar &&
            type != TypeId::kNull) {
          problem = "does not take " + call.argument_type.ToString();
        }
        if ((call.kind == AggregateKind::kCollect || call.kind == AggregateKind::kArrayAgg) &&
            layout.wide_decimal_argument) {
          problem = "does not take " + call.argument_type.ToString();  // 64-bit elements
        }
        if (call.distinct) problem = "does not take DISTINCT";
        layout.kind = AccumulatorKind::kValueList;
        // Insert-only FIRST_VALUE/LAST_VALUE keep one value and cannot take a retraction.
        if (!call.retractable && !KeepsEveryValue(call.kind)) {
          result.has_non_retractable_extreme = true;
        }
        break;
      case AggregateKind::kLag:
        if (call.distinct) problem = "does not take DISTINCT";
        if (call.offset < 0) problem = "has a negative LAG offset " + std::to_string(call.offset);
        layout.kind = AccumulatorKind::kLag;
        layout.default_slot = call.default_slot;
        break;
    }
    if (!problem.empty() && result.unsupported.ok()) {
      result.unsupported = base::Status::Error(
          base::ErrorCode::kPlan, "unsupported aggregate call: argument " +
                                      std::to_string(call.argument_slot) + " " + problem);
    }
    layout.fixed_offset = static_cast<uint32_t>(offset);
    offset += FixedSlotSize(layout.kind);
    if (layout.kind == AccumulatorKind::kExtremeString ||
        layout.kind == AccumulatorKind::kValueCounts ||
        layout.kind == AccumulatorKind::kValueList || layout.kind == AccumulatorKind::kLag) {
      layout.section_index = result.section_count++;
    }
    result.calls.push_back(layout);
  }
  result.fixed_size = offset;
  return result;
}

}  // namespace sluice::runtime::operators::aggregate
