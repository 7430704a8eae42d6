#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "runtime/connectors/connector.h"

namespace sluice::runtime::connectors {

/// `'connector' = 'filesystem'`: reads and writes files of one record per line.
///
/// Options: `path` (required; a directory for a sink, a file or a directory for a source),
/// `format` (required: `json`, `csv` or `changelog-json`, the last for sinks only),
/// `sink.rolling-policy.file-size` (default `128MB`; `1KB`, `64 MB`, `1048576` accepted),
/// `csv.include-header` (default false), `json.ignore-parse-errors` and
/// `csv.ignore-parse-errors` (default false: a malformed record fails the job).
///
/// A sink subtask writes `part-<subtask>-<n>.<ext>` files, hidden as
/// `.part-<subtask>-<n>.<ext>.inprogress` until they roll or the input ends. Numbering starts
/// after the subtask's highest existing part file, so a second run adds files (as Flink does).
/// A source subtask i of p reads the visible files i, i+p, … in name order (digit runs
/// compared as numbers, so `part-0-2` precedes `part-0-10`).
class FilesystemConnector final : public Connector {
 public:
  std::string name() const override { return "filesystem"; }
  base::Status Validate(const TableDescriptor& table, bool as_source) const override;
  bool SupportsSource() const override { return true; }
  bool SupportsSink() const override { return true; }
  /// Only `changelog-json` writes -U/+U/-D rows.
  bool AcceptsUpdates(const TableDescriptor& table) const override;
  base::Result<std::unique_ptr<SourceReader>> CreateReader(
      const TableDescriptor& table, const SubtaskInfo& subtask) const override;
  base::Result<std::unique_ptr<SinkWriter>> CreateWriter(const TableDescriptor& table,
                                                         const SubtaskInfo& subtask) const override;
};

/// The reader CreateReader returns; counts the records it skipped with `*.ignore-parse-errors`.
class FilesystemReader : public SourceReader {
 public:
  virtual int64_t skipped_records() const = 0;
};

/// Parses a memory size as Flink writes it: a whole number with an optional unit of
/// B, KB, MB, GB or TB (or K, M, G, T; any case; powers of 1024; spaces allowed before it).
std::optional<int64_t> ParseMemorySize(const std::string& text);

}  // namespace sluice::runtime::connectors
