#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "runtime/connectors/connector.h"

namespace sluice::runtime::connectors {

/// `'connector' = 'filesystem'`: reads and writes files of one record per line.
///
/// Options: `path` (required; a directory for a sink, a file or a directory for a source; a
/// `file://` prefix is stripped; the compiler makes a relative path relative to the directory
/// of the `.pipe` file), `format` (required: `json`, `csv` or `changelog-json`, the
/// last for sinks only), `sink.rolling-policy.file-size` (default `128MB`; `1KB`, `64 MB`,
/// `1048576` accepted), `sink.rolling-policy.rollover-interval` (default `30 min`: a part file
/// open that long rolls at its next record), `sink.rolling-policy.check-interval` (accepted;
/// the interval is checked on every write), `csv.include-header` (default false),
/// `json.ignore-parse-errors` and `csv.ignore-parse-errors` (default false: a malformed record
/// fails the job).
///
/// A sink subtask writes `part-<subtask>-<n>.<ext>` files, hidden as
/// `.part-<subtask>-<n>.<ext>.inprogress` until they roll or the input ends. Numbering starts
/// after the subtask's highest existing part file, so a second run adds files (as Flink does).
/// A source subtask i of p reads the visible files i, i+p, … in name order (digit runs
/// compared as numbers, so `part-0-2` precedes `part-0-10`).
///
/// Flink's legacy keys `connector.type`, `connector.path` and `format.type` are accepted for
/// `connector`, `path` and `format` (the compiler renames them).
///
/// As the lookup table of a lookup join (`FOR SYSTEM_TIME AS OF`), the table is read whole
/// by every subtask of the join and held in memory (about its size on disk, per subtask).
///
/// A table with `PARTITIONED BY (k1, k2)` (sinks only) writes each row into
/// `<path>/k1=<v1>/k2=<v2>/`, values in their text form with the characters Hive escapes
/// (`/ \ = : % " # ' * ? { [ ] ^`, control characters, DEL) written as `%XX`, NULL and ''
/// as `partition.default-name` (default `__DEFAULT_PARTITION__`); the files hold the other
/// columns only. A subtask keeps one in-progress file per partition and at most 256 open:
/// opening another first rolls (commits) the least recently written one. With
/// `sink.partition-commit.policy.kind` = `success-file`, an empty `_SUCCESS` (or
/// `sink.partition-commit.success-file.name`) is written into every partition directory once
/// all subtasks have committed their files. `sink.partition-commit.trigger`
/// (`process-time` | `partition-time`), `sink.partition-commit.delay` (a duration) and
/// `partition.time-extractor.*` (`kind` = `default`; every `$name` of `timestamp-pattern` a
/// partition key; `timestamp-formatter`) are checked but change nothing: without checkpoints,
/// partitions are committed when the input ends (a bounded job), whatever their time.
class FilesystemConnector final : public Connector {
 public:
  std::string name() const override { return "filesystem"; }
  base::Status Validate(const TableDescriptor& table, bool as_source) const override;
  bool SupportsSource() const override { return true; }
  bool CanBeReadCompletely(const TableDescriptor&) const override { return true; }
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
