#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/base/result.h"
#include "runtime/operators/aggregate/call_layout.h"
#include "runtime/operators/record_migration.h"
#include "runtime/plan/plan_graph.h"

namespace sluice::runtime::operators::aggregate {

/// Rewrites Aggregator accumulators of one list of calls as accumulators of another, for a
/// state migration (an accumulator added, removed, reordered or widened; see aggregator.h for
/// the bytes). The row count is kept. A call that continues an old one keeps its state,
/// converted where its argument type widened (a SUM over BIGINT becomes a DOUBLE sum, a
/// MIN/MAX key or DISTINCT value of an INT/BIGINT becomes a DOUBLE key, DECIMALs rescale); a
/// new call starts exactly as in a fresh accumulator: COUNT at 0, SUM, AVG, MIN and MAX empty
/// (NULL until a row arrives), DISTINCT sets empty. An old call nobody continues is dropped.
class AccumulatorMigration {
 public:
  /// `origins[i]`: the index in `old_calls` that new call i continues, or -1. Fails (kPlan)
  /// when a continued call is another function or keeps its state in a way the new one
  /// cannot take over (an argument type that does not widen).
  static base::Result<std::unique_ptr<AccumulatorMigration>> Create(
      const std::vector<plan::AggregateCall>& old_calls,
      const std::vector<plan::AggregateCall>& new_calls, const std::vector<int32_t>& origins);

  /// The accumulator bytes stay the same.
  bool identity() const { return identity_; }
  /// Converts one accumulator; a kData error when `old_accumulator` is corrupt.
  base::Status Convert(std::string_view old_accumulator, std::string* out) const;

 private:
  /// How one new call's state is made from its old call's.
  enum class Step : uint8_t { kFresh, kCopy, kSumToDouble, kRescaleSum, kConvertKey, kRebuild };

  AccumulatorMigration() = default;
  /// Converts a fixed-width value key of old call `old_call` into new call `new_call`'s.
  bool ConvertKey(size_t new_call, int64_t in, int64_t* out) const;

  std::vector<plan::AggregateCall> old_calls_;
  std::vector<plan::AggregateCall> new_calls_;
  AccumulatorLayout old_layout_;
  AccumulatorLayout new_layout_;
  std::vector<int32_t> origins_;
  std::vector<Step> steps_;
  bool identity_ = false;
};

/// The migration of a table whose value is one accumulator (a group aggregate's "groups", a
/// window aggregate's "slices"); the namespace is kept.
std::unique_ptr<RecordMigration> MigrateAccumulatorValues(
    std::unique_ptr<AccumulatorMigration> accumulators);

}  // namespace sluice::runtime::operators::aggregate
