#include "runtime/connectors/replay_connector.h"

#include <algorithm>

namespace sluice::runtime::connectors {

namespace {

constexpr const char* kWrappedConnector = "replay.connector";
constexpr const char* kStopPrefix = "replay.stop.";

/// The wrapped connector of a replay table and the table as that connector sees it.
base::Result<std::pair<const Connector*, TableDescriptor>> Unwrap(const TableDescriptor& table) {
  auto wrapped = table.options.find(kWrappedConnector);
  const Connector* connector =
      wrapped == table.options.end() ? nullptr : FindConnector(wrapped->second);
  if (connector == nullptr || connector == &ReplayConnectorInstance()) {
    return base::Status::Error(base::ErrorCode::kOption,
                               "table '" + table.name + "': a replay names no connector to replay");
  }
  TableDescriptor inner = table;
  inner.options.clear();
  for (const auto& [key, value] : table.options) {
    if (key.rfind("replay.", 0) == 0) continue;
    inner.options[key] = value;
  }
  inner.options["connector"] = wrapped->second;
  return std::make_pair(connector, std::move(inner));
}

}  // namespace

std::string SplitKey(const SubtaskInfo& split) {
  return std::to_string(split.index) + "/" + std::to_string(std::max(split.parallelism, 1));
}

TableDescriptor ReplayTable(const TableDescriptor& table,
                            const std::map<std::string, std::string>& stops) {
  TableDescriptor replay = table;
  auto connector = table.options.find("connector");
  replay.options[kWrappedConnector] =
      connector == table.options.end() ? std::string() : connector->second;
  replay.options["connector"] = kReplayConnectorName;
  for (const auto& [split, position] : stops) replay.options[kStopPrefix + split] = position;
  return replay;
}

base::Status ReplayConnector::Validate(const TableDescriptor& table, bool as_source) const {
  if (!as_source) {
    return base::Status::Error(base::ErrorCode::kOption,
                               "table '" + table.name + "': a replay cannot be written");
  }
  SLUICE_ASSIGN_OR_RETURN(auto unwrapped, Unwrap(table));
  if (!unwrapped.first->CanReplay(unwrapped.second)) {
    return base::Status::Error(base::ErrorCode::kOption, "table '" + table.name + "': connector '" +
                                                             unwrapped.first->name() +
                                                             "' cannot replay its history");
  }
  return unwrapped.first->Validate(unwrapped.second, /*as_source=*/true);
}

base::Result<std::unique_ptr<SourceReader>> ReplayConnector::CreateReader(
    const TableDescriptor& table, const SubtaskInfo& subtask) const {
  SLUICE_ASSIGN_OR_RETURN(auto unwrapped, Unwrap(table));
  const auto& [connector, inner] = unwrapped;
  if (!connector->CanReplay(inner)) {
    return base::Status::Error(base::ErrorCode::kOption, "table '" + table.name + "': connector '" +
                                                             connector->name() +
                                                             "' cannot replay its history");
  }
  auto stop = table.options.find(kStopPrefix + SplitKey(subtask));
  if (stop == table.options.end()) {
    return base::Status::Error(base::ErrorCode::kData,
                               "table '" + table.name +
                                   "': the snapshot has no position for split " +
                                   SplitKey(subtask) + ", so its replay cannot know where to stop");
  }
  SLUICE_ASSIGN_OR_RETURN(std::unique_ptr<SourceReader> reader,
                          connector->CreateReader(inner, subtask));
  if (!stop->second.empty()) {
    base::Status stopped = reader->StopAt(stop->second);
    if (!stopped.ok()) {
      return base::Status::Error(stopped.code(), "table '" + table.name +
                                                     "': cannot replay up to the snapshot's "
                                                     "position: " +
                                                     stopped.message());
    }
  }
  return reader;
}

const Connector& ReplayConnectorInstance() {
  static const ReplayConnector instance;
  return instance;
}

}  // namespace sluice::runtime::connectors
