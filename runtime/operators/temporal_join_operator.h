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
#include "runtime/state/full_row_codec.h"
#include "runtime/state/row_codec.h"

namespace sluice::runtime::operators {

/// Joins each row of an insert-only stream (input 0) with the version of a versioned table
/// (input 1) valid at the row's event time, as Flink's event-time temporal join
/// (`JOIN r FOR SYSTEM_TIME AS OF l.rowtime`, TemporalJoinSpec): the version of the row's key
/// with the latest time <= the row's time. A row is joined once the watermark (the minimum of
/// both inputs') reaches its time, so that every version up to then has arrived; the output is
/// insert-only: the left row's columns, then the version's (NULL for an unmatched row of a LEFT
/// join: no version yet, the valid version deleted, or the residual condition false).
///
/// The right input may be updating: +I and +U rows are versions from their event time on, a -D
/// row deletes its key from its event time on (for an upsert source, the deleted row's own
/// time), and -U rows are ignored (the +U that follows is the new version).
///
/// State tables "left" and "right": key = the RowCodec-encoded key slots of that side,
/// namespace = an event time (8 bytes big-endian), value = the rows of that key at that time,
/// each a flag byte, a 4-byte little-endian length and the FullRowCodec-encoded row (the
/// interval join's layout, so MigrateIntervalJoinRows converts both). A "left" value lists the
/// left rows waiting for the watermark (flag 0); a "right" value holds one version (flag 1: a
/// deletion), a later version of the same key and time replacing it.
///
/// Once the watermark passes W, a key keeps its latest version at or before W (the one valid
/// for rows still to come) and every newer one; older versions are deleted, and a deletion
/// with nothing older is deleted too. A left row at or behind the watermark when it arrives is
/// late (the version valid at its time may be gone): it is dropped and counted in
/// `late_records_dropped`. A left row with a NULL key or time never matches; a LEFT join emits
/// its NULL-padded row at once. Right rows with a NULL key or time are ignored. The watermark is
/// forwarded as it is, after the rows it completes: the left time stays an event-time attribute.
///
/// Restore (what is state, what is rebuilt at Open): the rows ("left", "right") and the
/// watermark (table "watermark", see WatermarkState) are state. `Open` rebuilds from the
/// namespaces in the owned key groups which keys have left rows due at which time, and which
/// keys have versions that a watermark may make obsolete.
class TemporalJoinOperator : public Operator {
 public:
  TemporalJoinOperator();
  ~TemporalJoinOperator() override;
  base::Status Open(const OperatorContext& context) override;
  base::Status ProcessBatch(int32_t input, BatchPtr batch, Output* out) override;
  /// Joins the left rows due at `watermark`, frees obsolete versions, then forwards it.
  base::Status ProcessWatermark(int64_t watermark, Output* out) override;

 private:
  struct Side;
  using KeyRef = std::pair<int32_t, std::string>;  // (key group, encoded key)

  /// The version of `key` valid at `time`: false when there is none (or it is a deletion).
  bool FindVersion(const KeyRef& key, int64_t time, std::string* row) const;
  /// Deletes the versions of `key` that no row after `watermark` can join with.
  void FreeVersions(const KeyRef& key, int64_t watermark);

  const plan::PlanNode* node_ = nullptr;
  plan::JoinSpec spec_;
  plan::TemporalJoinSpec times_;
  bool left_outer_ = false;
  int32_t max_parallelism_ = 128;
  OperatorMetrics* metrics_ = nullptr;
  std::vector<types::LogicalType> output_types_;
  std::vector<std::unique_ptr<Side>> sides_;  // left, right
  std::unique_ptr<ChainEvaluator> residual_;
  int64_t watermark_ = kMinWatermark;
  WatermarkState watermark_state_;
  /// Left rows' time → the keys that hold left rows of that time.
  std::map<int64_t, std::set<KeyRef>> due_;
  /// Versions' time → the keys that have a version of that time not yet behind the watermark.
  std::map<int64_t, std::set<KeyRef>> versions_;
};

}  // namespace sluice::runtime::operators
