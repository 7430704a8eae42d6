#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "runtime/operators/chain_evaluator.h"
#include "runtime/operators/operator.h"
#include "runtime/operators/operator_state.h"
#include "runtime/operators/record_migration.h"
#include "runtime/operators/row_migration.h"
#include "runtime/state/full_row_codec.h"
#include "runtime/state/row_codec.h"

namespace sluice::runtime::operators {

/// Joins two (insert-only or updating) streams on equal keys, as Flink's regular streaming
/// join does: every row is kept in state, and each change on one side is joined with the rows
/// the other side holds for its key. Input 0 is the left side, input 1 the right; an output
/// row is the left row's columns, then the right row's (a semi or anti join: the left row's
/// only). Without key slots every row is in one key group (NOT IN's null-aware anti join).
///
/// State tables "left" and "right": key = the RowCodec-encoded key slots of that side,
/// namespace = the encoded full row, value = little-endian int64s: the number of identical
/// rows; for the left side of a LEFT join, the number of right rows (with multiplicity) the
/// row currently matches; with a state TTL, the processing time the entry was last written.
///
/// +I/+U add a row, -U/-D retract one. An added row emits +I(joined) once per matching stored
/// row of the other side (times its count) whose residual is TRUE; a retracted row emits
/// -D(joined) for the same matches (joins emit +I/-D, never ±U). As in Flink, a retraction
/// emits for the other side's current matches even when its own row is not (or no longer, after
/// TTL) in state. A LEFT join also emits +I(left, NULLs) for a left row without a match,
/// withdraws it (-D) before the first match's +I(left, right), and re-emits it after the last
/// match's -D(left, right). A FULL join does the same for right rows (NULLs, right). A NULL in a
/// key never matches: such rows of an inner side are dropped, such rows of an outer side only
/// emit (or retract) their NULL-padded row, and neither is stored.
///
/// Semi and anti joins (Flink's StreamingSemiAntiJoinOperator) keep association counts for the
/// left rows like a LEFT join but emit left rows only: a semi join emits a left row while it
/// has a match (+I when it gains its first, -D when it loses its last), an anti join while it
/// has none (the reverse); a left row's own +I/-D emits it when it (semi) has or (anti) has no
/// matches. A left row with a NULL key is emitted by an anti join, never by a semi join.
///
/// The LEFT join of a scalar subquery (`JoinSpec::single_right_row`) fails the job when a right
/// row makes its key hold more than one (Flink's SINGLE_VALUE aggregate fails the same way).
///
/// State TTL (`JoinSpec::state_ttl` > 0) is enforced lazily, as Flink's OnCreateAndWrite /
/// NeverReturnExpired: an entry not written for `state_ttl` ms of processing time is ignored and
/// deleted when a lookup meets it. Entries never met again are not reclaimed (no background
/// cleanup yet). Watermarks are forwarded unchanged.
///
/// Restore (what is state, what is rebuilt at Open): the rows and their counts, association
/// counts and write times are state (the TTL clock is the processing time, read per batch).
/// Row expiry (`left/right_expiry`, insert-only inputs whose condition bounds each side's
/// event time by the other side's columns, as `b.t BETWEEN a.t AND a.expires`): a kept row is
/// deleted once the watermark reaches its expiry, when no on-time row of the other side can
/// match it any more; nothing is emitted then (its NULL-padded row, if any, was emitted when it
/// came). An in-memory index of the kept rows by expiry (their keys and rows) is built from
/// the stored rows at the first watermark that reaches one, and kept from then on. A row behind the
/// watermark (late) still joins with the rows kept; rows it would have matched may be gone, as in
/// Flink's interval join.
///
/// With window cleanup (`left/right_window_end_slot`) or row expiry, the index of stored keys
/// by window end or expiry is rebuilt from the rows stored in the owned key groups when the
/// sides are configured (at Open, or at the first batch when the plan carries no state
/// schema). The watermark is not kept: it only drops ended windows and expired rows, which the
/// next watermark after a restore does.
class JoinOperator : public Operator {
 public:
  JoinOperator();
  ~JoinOperator() override;
  base::Status Open(const OperatorContext& context) override;
  base::Status ProcessBatch(int32_t input, BatchPtr batch, Output* out) override;
  /// Drops the state of windows that have ended (JoinSpec::left/right_window_end_slot), then
  /// forwards the watermark.
  base::Status ProcessWatermark(int64_t watermark, Output* out) override;

 private:
  class RowWriter;
  struct Side;
  struct PendingRow;
  struct Candidate;
  struct StoredValue;

  /// Sets up codecs once the number of left slots is known.
  base::Status Configure(size_t left_width);
  /// Joins the pending input rows with their collected candidates, in input order.
  base::Status Resolve(int32_t input, const Batch& batch, RowWriter* writer);
  base::Status AddCandidate(const Batch& batch, int32_t row, int32_t input,
                            std::string_view other_row, const StoredValue& other_value);
  base::Status ParseValue(std::string_view bytes, bool with_associations, StoredValue* value) const;
  void EncodeValue(const StoredValue& value, bool with_associations, std::string* out) const;
  bool Expired(const StoredValue& value) const;
  /// With `single_right_row`: fails when the right side holds more than one row for key_.
  base::Status CheckSingleRightRow(int32_t key_group);
  /// Reads the rows stored in the owned key groups: indexes them by window end (`windows`,
  /// at restore) and by expiry (`expiries`, at the first expiry due), or else notes the
  /// earliest expiry among them.
  base::Status ScanStoredRows(Side* side, bool windows, bool expiries);
  /// Deletes the rows of `side` that expire at or before `watermark` (row expiry).
  base::Status ExpireRows(Side* side, int64_t watermark);

  const plan::PlanNode* node_ = nullptr;
  plan::JoinSpec spec_;
  /// Which sides keep association counts (an unmatched row emits something): the left side of
  /// a LEFT, FULL, semi or anti join, the right side of a FULL join.
  bool left_outer_ = false;
  bool right_outer_ = false;
  bool semi_ = false;
  bool anti_ = false;
  int32_t max_parallelism_ = 128;
  expr::ChainCompiler* chain_compiler_ = nullptr;
  state::StateBackend* state_backend_ = nullptr;
  bool configured_ = false;
  scheduler::KeyGroupRange owned_key_groups_;
  std::vector<types::LogicalType> output_types_;
  /// A joined row: the left slots, then the right ones (the output, but for a semi or anti
  /// join, whose output is the left slots only).
  std::vector<types::LogicalType> joined_types_;
  std::vector<std::unique_ptr<Side>> sides_;  // left, right
  std::unique_ptr<ChainEvaluator> residual_;
  int64_t now_ = 0;  // processing time of the current batch, when a TTL is set

  // Per batch, reused: the rows waiting for their candidates to be resolved, the candidates
  // (joined rows before the residual) in batches of up to kBatchCapacity, and bytes they refer to.
  std::vector<PendingRow> pending_;
  std::vector<Candidate> candidates_;
  std::vector<std::shared_ptr<Batch>> candidate_batches_;
  std::string pending_bytes_;
  std::string key_;
  std::string row_;
  std::string value_;
  std::string encoded_;
  std::vector<std::string> expired_;
};

/// The state migration of a regular join's "left" / "right" table whose kept rows changed
/// (`rows`: a column added, removed, reordered or widened): the namespace (the row) is
/// converted, the value keeps its counts. Rows that became equal (a dropped column was all
/// that told them apart) merge: their counts add, the association count (`outer`: the left
/// side of a LEFT join) and write time are the larger. A TTL turned on (`new_ttl` > 0 after
/// `old_ttl` == 0) stamps every row with the restore time; turned off drops the stamp.
std::unique_ptr<RecordMigration> MigrateJoinRows(std::unique_ptr<RowMigration> rows, bool outer,
                                                 int64_t old_ttl, int64_t new_ttl);

}  // namespace sluice::runtime::operators
