#pragma once

// The 128-bit sum of SUM/AVG over DECIMAL never wraps: a step that leaves the 128-bit range
// stores kOverflowedSum, which every later step keeps and which no DECIMAL(38) holds, so the
// result is NULL (Flink's NULL on a DECIMAL overflow). Generated code folds the same way
// (compiler/codegen/jit_accumulator_compiler.cpp).

#include <limits>

namespace sluice::runtime::operators::aggregate {

inline constexpr __int128 kOverflowedSum = std::numeric_limits<__int128>::min();

/// `sum` plus (or minus) `value`; kOverflowedSum when either is it or the result leaves the
/// 128-bit range.
inline __int128 AddToDecimalSum(__int128 sum, __int128 value, bool subtract = false) {
  __int128 result = 0;
  bool overflow = subtract ? __builtin_sub_overflow(sum, value, &result)
                           : __builtin_add_overflow(sum, value, &result);
  if (overflow || sum == kOverflowedSum || value == kOverflowedSum) return kOverflowedSum;
  return result;
}

}  // namespace sluice::runtime::operators::aggregate
