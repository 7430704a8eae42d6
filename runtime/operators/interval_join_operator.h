#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "runtime/operators/chain_evaluator.h"
#include "runtime/operators/operator.h"
#include "runtime/operators/operator_state.h"
#include "runtime/operators/record_migration.h"
#include "runtime/operators/row_migration.h"
#include "runtime/state/full_row_codec.h"
#include "runtime/state/row_codec.h"

namespace sluice::runtime::operators {

/// Joins two insert-only streams on equal keys where a left row at event time l matches right
/// rows at time r with l + lower <= r <= l + upper (IntervalJoinSpec), as Flink's interval join
/// does. Input 0 is the left side, input 1 the right; an output row is the left row's columns,
/// then the right row's (NULL for an unmatched row of a LEFT join).
///
/// State tables "left" and "right": key = the RowCodec-encoded key slots of that side,
/// namespace = an event time (8 bytes big-endian), value = that key's rows at that time, each a
/// flag byte (1 once a left row of a LEFT join has matched), a 4-byte little-endian length and
/// the FullRowCodec-encoded row. Expiring a time is then one point delete per key.
///
/// A row is kept until the watermark shows no row of the other side can still match it: a left
/// row until the watermark reaches l + upper, a right row until it reaches r - lower. Then it
/// is deleted, and an unmatched left row of a LEFT join emits its NULL-padded row, so the
/// output is insert-only. A row at or behind the watermark when it arrives is late (the other
/// side's rows it could match may be gone): it is dropped and counted in
/// `late_records_dropped`. A row with a NULL key or time never matches; a LEFT join emits its
/// NULL-padded row at once. The watermark is forwarded held back by max(0, upper, -lower), so
/// that no output row is behind it and both sides' times stay event-time attributes.
///
/// Restore (what is state, what is rebuilt at Open): the rows ("left", "right") and the
/// watermark (table "watermark", see WatermarkState) are state. `Open` rebuilds the expiry
/// timers (which keys hold rows expiring at which watermark) from the rows' namespaces in the
/// owned key groups, and the forwarded watermark from the restored one.
class IntervalJoinOperator : public Operator {
 public:
  IntervalJoinOperator();
  ~IntervalJoinOperator() override;
  base::Status Open(const OperatorContext& context) override;
  base::Status ProcessBatch(int32_t input, BatchPtr batch, Output* out) override;
  /// Deletes expired rows (emitting a LEFT join's unmatched ones), then forwards the watermark
  /// minus the hold-back.
  base::Status ProcessWatermark(int64_t watermark, Output* out) override;

 private:
  struct Side;

  /// The watermark at which a row of `side` at `time` can no longer match.
  int64_t ExpiryOf(int32_t side, int64_t time) const;
  /// The watermark forwarded for `watermark`: held back by max(0, upper, -lower).
  int64_t ForwardedWatermark(int64_t watermark) const;
  /// Appends the NULL-padded output row of the left row `row_bytes`.
  base::Status EmitUnmatched(std::string_view row_bytes, class JoinOutput* output);

  const plan::PlanNode* node_ = nullptr;
  plan::JoinSpec spec_;
  plan::IntervalJoinSpec bounds_;
  bool left_outer_ = false;
  int32_t max_parallelism_ = 128;
  OperatorMetrics* metrics_ = nullptr;
  std::vector<types::LogicalType> output_types_;
  std::vector<std::unique_ptr<Side>> sides_;  // left, right
  std::unique_ptr<ChainEvaluator> residual_;
  int64_t watermark_ = kMinWatermark;
  int64_t emitted_watermark_ = kMinWatermark;
  WatermarkState watermark_state_;
};

/// The state migration of an interval join's "left" / "right" table whose kept rows changed
/// (`rows`): each stored row of a value is converted, its matched flag and the namespace (its
/// event time) kept.
std::unique_ptr<RecordMigration> MigrateIntervalJoinRows(std::unique_ptr<RowMigration> rows);

}  // namespace sluice::runtime::operators
