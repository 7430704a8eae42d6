#pragma once

#include <string>

#include "runtime/connectors/connector.h"

namespace sluice::runtime::connectors {

/// `'connector' = 'blackhole'`: a sink that discards every row, updating ones included; for
/// benchmarks. It has no options.
class BlackholeConnector final : public Connector {
 public:
  std::string name() const override { return "blackhole"; }
  base::Status Validate(const TableDescriptor& table, bool as_source) const override;
  bool SupportsSource() const override { return false; }
  bool SupportsSink() const override { return true; }
  bool AcceptsUpdates(const TableDescriptor& table) const override { return true; }
  base::Result<std::unique_ptr<SinkWriter>> CreateWriter(const TableDescriptor& table,
                                                         const SubtaskInfo& subtask) const override;
};

}  // namespace sluice::runtime::connectors
