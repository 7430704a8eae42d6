#pragma once

#include <string>
#include <vector>

#include "runtime/connectors/connector.h"
#include "runtime/expr/time_zone.h"

namespace sluice::runtime::connectors {

/// `'connector' = 'print'`: writes each row to standard output as Flink's print sink does,
/// `+I[1000, 5, 2015-07-15 00:00:00.100]`: values in their text forms, NULL as `<NULL>`, a
/// nested ROW as `+I[…]`, updating rows with their kind. With `print-identifier` or more than
/// one subtask, lines start with `identifier:subtask> ` (Flink's prefix: the identifier, then
/// the 1-based subtask number when the parallelism is above one). `standard-error` = `true`
/// prints to standard error. Lines of different subtasks never interleave.
class PrintConnector final : public Connector {
 public:
  std::string name() const override { return "print"; }
  base::Status Validate(const TableDescriptor& table, bool as_source) const override;
  bool SupportsSource() const override { return false; }
  bool SupportsSink() const override { return true; }
  bool AcceptsUpdates(const TableDescriptor& table) const override { return true; }
  base::Result<std::unique_ptr<SinkWriter>> CreateWriter(const TableDescriptor& table,
                                                         const SubtaskInfo& subtask) const override;

  /// Renders row `row` of `batch` (one column per flattened slot of `schema`) as the print
  /// sink does, without prefix or line break; a TIMESTAMP_LTZ as a wall time in `zone` (UTC
  /// when null).
  static std::string FormatRow(const types::Schema& schema, const Batch& batch, int32_t row,
                               const expr::TimeZone* zone = nullptr);
  /// Renders each column of row `row` as FormatRow renders it (`<NULL>` for null), one string
  /// per top-level column: for callers that lay rows out themselves (the REPL's tables).
  static std::vector<std::string> FormatFields(const types::Schema& schema, const Batch& batch,
                                               int32_t row, const expr::TimeZone* zone = nullptr);
};

}  // namespace sluice::runtime::connectors
