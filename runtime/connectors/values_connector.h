#pragma once

#include "runtime/connectors/connector.h"

namespace sluice::runtime::connectors {

/// `'connector' = 'values'`: a bounded source of the rows the compiler collected from
/// `INSERT INTO t VALUES (…)` (TableDescriptor::inline_rows), each field parsed as
/// CAST(text AS column type). Option `rows-per-batch` (default 1, so that event-time tests see
/// a watermark after every row; at most 1024). Subtask i of p reads rows i, i+p, … in order.
class ValuesConnector final : public Connector {
 public:
  std::string name() const override { return "values"; }
  base::Status Validate(const TableDescriptor& table, bool as_source) const override;
  bool SupportsSource() const override { return true; }
  bool CanBeReadCompletely(const TableDescriptor&) const override { return true; }
  bool CanReplay(const TableDescriptor&) const override { return true; }
  bool SupportsSink() const override { return false; }
  base::Result<std::unique_ptr<SourceReader>> CreateReader(
      const TableDescriptor& table, const SubtaskInfo& subtask) const override;
};

}  // namespace sluice::runtime::connectors
