#pragma once

#include <map>
#include <string>

#include "runtime/connectors/connector.h"

namespace sluice::runtime::connectors {

/// The name of the internal connector that replays another table's history (never listed by
/// ConnectorNames, so no DDL offers it).
inline constexpr const char* kReplayConnectorName = "sluice-replay";

/// Reads a table of a connector that can replay (Connector::CanReplay) from its beginning,
/// each split up to a given position, where it holds (SourceReader::StopAt): the sources of
/// a backfill's replay (scheduler/backfill.h). Its readers are the wrapped connector's own,
/// so their positions are the ones that connector writes. Options, set by ReplayTable:
/// `replay.connector` (the wrapped connector) and, per split `<index>/<parallelism>`,
/// `replay.stop.<index>/<parallelism>`: the reader position to stop at, or empty to read the
/// split to its end (a split that had ended).
class ReplayConnector final : public Connector {
 public:
  std::string name() const override { return kReplayConnectorName; }
  base::Status Validate(const TableDescriptor& table, bool as_source) const override;
  bool SupportsSource() const override { return true; }
  bool SupportsSink() const override { return false; }
  base::Result<std::unique_ptr<SourceReader>> CreateReader(
      const TableDescriptor& table, const SubtaskInfo& subtask) const override;
};

/// `table` (whose connector can replay) read through the replay connector, each split stopping
/// at its reader position in `stops` (keyed by `<index>/<parallelism>`; an empty position:
/// read to the end). A split missing from `stops` is an error when it is read.
TableDescriptor ReplayTable(const TableDescriptor& table,
                            const std::map<std::string, std::string>& stops);

/// The key of a split in ReplayTable's `stops`: `<index>/<parallelism>`.
std::string SplitKey(const SubtaskInfo& split);

/// The replay connector's one instance.
const Connector& ReplayConnectorInstance();

}  // namespace sluice::runtime::connectors
