#pragma once

#include <string>
#include <string_view>

#include "catalog/base/status.h"
#include "runtime/state/state_backend.h"

namespace sluice::runtime::operators {

/// Rewrites the records of one state table from the layout an older plan of the same operator
/// (same UID) wrote into the layout of the new plan, as `sluice check`'s `migrated` verdict
/// promises (runtime/operators/operator_restore.h). The key never changes: a changed key is
/// incompatible state. Each operator that owns a layout provides its migration next to its
/// code (group and window aggregates, joins, Top-N).
class RecordMigration {
 public:
  virtual ~RecordMigration() = default;
  /// Converts one record's namespace and value; a kData error on bytes the old layout does
  /// not decode.
  virtual base::Status Convert(std::string_view ns, std::string_view value, std::string* new_ns,
                               std::string* new_value) = 0;
  /// Whether two old records of one key may become one (a row that lost a column was the
  /// namespace): then the restore merges them with Merge.
  virtual bool MayCollide() const { return false; }
  /// Merges the converted value `other` into `value` (records that became the same).
  virtual base::Status Merge(std::string* value, std::string_view other);
};

/// Passes `records` to `sink`, each converted by `migration`, keeping the sink's contract
/// (ascending key groups, each record at most once): when records may collide, one key
/// group at a time is gathered and merged before it is passed on.
base::Status MigrateRecords(const state::SortedRecords& records, const state::RecordSink& sink,
                            RecordMigration* migration);

}  // namespace sluice::runtime::operators
