#pragma once

#include <cstdint>
#include <optional>

#include "runtime/plan/plan_graph.h"

namespace sluice::runtime::operators::aggregate {

/// The STDDEV_POP, STDDEV_SAMP, VAR_POP and VAR_SAMP accumulators (kMomentsExact and
/// kMomentsDouble in call_layout.h), read and written in place at their fixed slot.
///
/// Exact (INT, BIGINT, DECIMAL unscaled values): int64 count, int128 sum, int128 sum of
/// squares, all wrapping; retraction subtracts, so the state never drifts.
/// DOUBLE: int64 count, double mean, double M2 (Welford's update; a retraction runs it
/// backwards; slices merge with Chan's formula). Both NaN-canonicalized, as DOUBLE sums are.
/// Generated code (jit_accumulator_compiler.cpp) runs the same operations in the same order.
namespace moments {

void AddExact(char* slot, int64_t value, bool retract);
void MergeExact(char* slot, const char* other);
void AddDouble(char* slot, double value, bool retract);
void MergeDouble(char* slot, const char* other);

/// The result over DOUBLE; nullopt for NULL (no row; one row for the _SAMP forms).
std::optional<double> DoubleResult(const char* slot, plan::AggregateKind kind);
/// The result over INT/BIGINT, as Flink computes it (its reduction to SUM(x * x), SUM(x),
/// COUNT(x) in the argument's integer type): VAR = (sum_sq - sum * sum / n) / d with integer
/// divisions, d = n (POP) or n - 1 (SAMP); STDDEV = the square root of that, truncated.
/// Computed in int128, so without the overflow Flink's INT arithmetic would have.
std::optional<int64_t> IntegerResult(const char* slot, plan::AggregateKind kind);
/// The result over DECIMAL(p, `scale`) as a DECIMAL of `result_scale`, rounded half up;
/// nullopt also when it does not fit an int64 unscaled value.
std::optional<int64_t> DecimalResult(const char* slot, plan::AggregateKind kind, int32_t scale,
                                     int32_t result_scale);

}  // namespace moments
}  // namespace sluice::runtime::operators::aggregate
