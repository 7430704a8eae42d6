#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/operators/operator.h"
#include "runtime/operators/record_migration.h"
#include "runtime/operators/row_migration.h"
#include "runtime/operators/row_writer.h"
#include "runtime/state/full_row_codec.h"
#include "runtime/state/row_codec.h"

namespace sluice::runtime::operators {

/// Keeps the first `limit` rows of each partition by the sort keys, as Flink's Rank operator
/// with ROW_NUMBER does, and emits them as a changelog. Ties keep arrival order (an earlier
/// row ranks first). Output: the input columns, then the row number (BIGINT, 1-based) when
/// `emit_row_number` is set.
///
/// Every input row is applied on its own, in input order (no mini-batch folding):
/// * +I/+U add the row. When it lands within the top N: -D for the row it pushes out (if the
///   partition was full), with row numbers -U(row, old rn) / +U(row, new rn) for each row it
///   shifts down (bottom-up), then +I for the new row.
/// * -U/-D remove one stored row equal in every column (the earliest such row; a retraction of
///   a row that is not stored is ignored). When it was within the top N: -D for it, with row
///   numbers -U / +U for each row that moves up (top-down), then +I for the row that moves into
///   the top N (if any).
/// These orders keep an upsert consumer keyed by (partition, rn) correct, not only one that
/// matches whole rows.
///
/// State table "ranks": key = RowCodec-encoded partition slots, empty namespace, value = a
/// format byte, then the partition's rows in rank order, each as (order-preserving sort key,
/// encoded row, count of identical adjacent rows). The stored order itself is the tie order,
/// so no sequence numbers are needed. A partition's state is decoded once per input batch
/// that touches it and written back once at the end of the batch.
///
/// Retractions need every row of a partition, so all rows are kept, except while the input is
/// insert-only: as long as no input batch has carried row kinds, rows beyond `limit` are never
/// stored (Flink's AppendOnlyTopN). The first batch with row kinds turns this off for good;
/// rows dropped before it cannot come back, so the planner must not mix insert-only and
/// updating batches on one Top-N input.
///
/// RANK and DENSE_RANK (`function`): ties share a rank (RANK skips after a tie, DENSE_RANK
/// counts distinct sort keys), and every row whose rank is <= limit is kept in the output, so
/// a partition may show more than `limit` rows. Each input row is applied, then the
/// partition's visible (row, rank) multiset before and after is compared: -D for rows that
/// left, -U/+U for rows whose rank changed (when the rank is emitted), +I for rows that
/// entered. While the input is insert-only, rows ranked beyond `limit` are dropped (ranks only
/// grow on inserts).
///
/// `keep_first_only` (over an insert-only input): emits +I for the first `limit` rows of each
/// partition as they arrive and drops every later one; the state is a count per partition (an
/// empty marker for one row) and the output carries no row kinds. Retractions are ignored
/// there. Watermarks are forwarded.
///
/// Restore (what is state, what is rebuilt at Open): everything is state ("ranks"); nothing is
/// cached across batches. Whether the input has carried row kinds is not stored: it is set
/// again by the first batch after a restore, since the planner never mixes insert-only and
/// updating batches on one input.
class TopNOperator : public Operator {
 public:
  TopNOperator();
  ~TopNOperator() override;
  base::Status Open(const OperatorContext& context) override;
  base::Status ProcessBatch(int32_t input, BatchPtr batch, Output* out) override;

 private:
  struct Entry;
  struct Partition;

  base::Status ProcessKeepFirst(const Batch& batch, Output* out);
  base::Status ProcessRanked(const Batch& batch, Output* out);
  void EncodeSortKey(const Batch& batch, int32_t row, std::string* out) const;
  base::Status Insert(Partition* partition, Entry entry, bool drop_beyond_limit, RowWriter* writer);
  base::Status Retract(Partition* partition, const Entry& entry, RowWriter* writer);
  /// Applies one row under RANK / DENSE_RANK and emits the change of the visible rows.
  base::Status ApplyRanked(Partition* partition, Entry entry, bool retract, bool drop_beyond_limit,
                           RowWriter* writer);
  base::Status Write(RowWriter* writer, RowKind kind, std::string_view row, int64_t row_number);
  base::Status LoadPartition(Partition* partition) const;
  void StorePartition(const Partition& partition);

  const plan::PlanNode* node_ = nullptr;
  plan::TopNSpec spec_;
  int32_t max_parallelism_ = 128;
  size_t input_width_ = 0;
  std::vector<types::LogicalType> input_types_;
  std::vector<types::LogicalType> output_types_;
  std::unique_ptr<state::RowCodec> partition_codec_;
  std::unique_ptr<state::FullRowCodec> row_codec_;
  state::StateTable* table_ = nullptr;
  /// Set by the first input batch with row kinds: from then on every row is kept.
  bool seen_row_kinds_ = false;
};

/// The state migration of a Top-N's "ranks" whose kept rows changed (`rows`): every entry's
/// row is converted, its sort key (the order, which cannot change) and count kept; adjacent
/// entries that became the same row with the same sort key merge. A keep-first marker (empty
/// value) stays as it is.
std::unique_ptr<RecordMigration> MigrateTopNRows(std::unique_ptr<RowMigration> rows);

}  // namespace sluice::runtime::operators
