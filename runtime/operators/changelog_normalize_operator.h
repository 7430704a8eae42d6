#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/operators/operator.h"
#include "runtime/operators/record_migration.h"
#include "runtime/operators/row_migration.h"
#include "runtime/state/full_row_codec.h"
#include "runtime/state/row_codec.h"

namespace sluice::runtime::operators {

/// Turns an upsert stream into a full changelog, as Flink's ChangelogNormalize (planned after
/// an `upsert-kafka` source, hash-partitioned by the table's PRIMARY KEY). An upsert stream
/// says only "this is now the row of key k" (+I or +U, whole rows) and "key k is gone" (-D,
/// whose non-key columns may be NULL: a Kafka tombstone has no value); consumers that
/// aggregate or join need the previous row retracted, so per key the operator keeps the last
/// row and emits, row by row in input order:
/// * +I/+U for a key without a row: +I(row);
/// * +I/+U for a key with a row: nothing when the row is the same in every column (a
///   re-delivered upsert changes nothing), else -U(previous) then +U(row);
/// * -D/-U for a key with a row: -D(previous) (the stored row, not the tombstone's NULLs);
/// * -D/-U for a key without a row: nothing.
/// Watermarks are forwarded.
///
/// State table "rows": key = RowCodec-encoded key slots, empty namespace, value = a format
/// byte, then the last row (FullRowCodec). Everything is state; nothing is rebuilt at Open.
class ChangelogNormalizeOperator : public Operator {
 public:
  ChangelogNormalizeOperator();
  ~ChangelogNormalizeOperator() override;
  base::Status Open(const OperatorContext& context) override;
  base::Status ProcessBatch(int32_t input, BatchPtr batch, Output* out) override;

 private:
  const plan::PlanNode* node_ = nullptr;
  std::vector<int32_t> key_slots_;
  int32_t max_parallelism_ = 128;
  std::vector<types::LogicalType> types_;
  std::unique_ptr<state::RowCodec> key_codec_;
  std::unique_ptr<state::FullRowCodec> row_codec_;
  state::StateTable* table_ = nullptr;
};

/// The state migration of a changelog normalization whose kept rows changed (`rows`): each
/// key's row is converted; the key (the PRIMARY KEY) cannot change.
std::unique_ptr<RecordMigration> MigrateNormalizedRows(std::unique_ptr<RowMigration> rows);

}  // namespace sluice::runtime::operators
