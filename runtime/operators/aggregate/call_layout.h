#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "catalog/base/status.h"
#include "catalog/types/logical_type.h"
#include "runtime/plan/plan_graph.h"

namespace sluice::runtime::operators::aggregate {

/// LISTAGG, COLLECT and ARRAY_AGG keep every value they see (in arrival order), where an
/// insert-only FIRST_VALUE/LAST_VALUE keeps one; window slices of them are concatenated.
inline bool KeepsEveryValue(plan::AggregateKind kind) {
  return kind == plan::AggregateKind::kListAgg || kind == plan::AggregateKind::kCollect ||
         kind == plan::AggregateKind::kArrayAgg;
}

/// How one aggregate call keeps its accumulator (see the layout in aggregator.h).
enum class AccumulatorKind : uint8_t {
  kCount,          // COUNT(*), COUNT(x): int64 count
  kSumInteger,     // SUM/AVG over INT, BIGINT, INTERVAL: wrapping int64 sum, int64 count
  kSumDecimal,     // SUM/AVG over DECIMAL: int128 unscaled sum, int64 count
  kSumDouble,      // SUM/AVG over DOUBLE: double sum, int64 count
  kExtremeFixed,   // MIN/MAX keeping only the extreme: u8 has_value, int64 key
  kExtremeString,  // the same for VARCHAR: u8 has_value; the bytes live in the call's section
  kValueCounts,    // DISTINCT and retractable MIN/MAX: a value → count multiset in a section
  kMomentsExact,   // STDDEV/VAR over INT, BIGINT, DECIMAL: int64 count, int128 sum, int128
                   // sum of squares (of the unscaled values)
  kMomentsDouble,  // STDDEV/VAR over DOUBLE: int64 count, double mean, double M2 (Welford)
  kBoolCounts,     // BOOL_AND/BOOL_OR: int64 count of TRUE, int64 count of FALSE
  kValueList,      // FIRST_VALUE, LAST_VALUE, LISTAGG, COLLECT, ARRAY_AGG: values in arrival
                   // order in a section
  kLag,            // LAG: the last offset + 1 values (NULLs too) and the default, in a section
};

/// Where and how one call's accumulator lives inside an accumulator string.
struct CallLayout {
  AccumulatorKind kind = AccumulatorKind::kCount;
  bool is_min = false;                 // kMin (vs kMax) for the extreme kinds and value counts
  bool string_values = false;          // VARCHAR keys in a value → count section
  bool double_values = false;          // keys are DOUBLEs mapped to order-preserving int64
  bool decimal_values = false;         // keys are DECIMAL unscaled values (sum as int128)
  bool wide_decimal_argument = false;  // a DECIMAL(p > 18) argument: __int128 values
  bool retractable = false;            // kValueList: keeps every value (else FIRST/LAST keep one)
  int32_t argument_slot = -1;          // -1: COUNT(*)
  int32_t default_slot = -1;           // kLag: the default's slot, -1: NULL
  int32_t filter_slot = -1;
  types::TypeId argument_type = types::TypeId::kNull;
  uint32_t fixed_offset = 0;   // offset of the call's fixed slot in the accumulator
  int32_t section_index = -1;  // index among the variable sections, -1 when none
};

/// The layout of the accumulators of a list of calls: the one layout that the interpreter
/// (Aggregator) and generated code (AccumulatorCompiler) both read and write.
struct AccumulatorLayout {
  std::vector<CallLayout> calls;  // one per call, in call order
  size_t fixed_size = 8;          // the row count and every fixed slot
  int32_t section_count = 0;
  bool has_non_retractable_extreme = false;
  /// kPlan naming the first call the layout cannot hold (SUM over VARCHAR, a ROW argument).
  base::Status unsupported;
};

/// The SQL name of an aggregate function ("COUNT(*)" for COUNT(*)).
const char* AggregateFunctionName(plan::AggregateKind kind);

/// Lays out the accumulators of `calls` (aggregator.h describes the bytes).
AccumulatorLayout LayOutAccumulators(const std::vector<plan::AggregateCall>& calls);

/// The bytes of a call's fixed slot.
size_t FixedSlotSize(AccumulatorKind kind);

/// Tells whether a call's whole state is its fixed slot and its argument (if it reads one) a
/// fixed-width value that generated code can fold in: COUNT, SUM/AVG over INT, BIGINT,
/// INTERVAL, DECIMAL, DOUBLE, and non-retractable MIN/MAX over fixed-width types.
bool IsFixedSlotCall(const CallLayout& layout);

}  // namespace sluice::runtime::operators::aggregate
