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
/// of the `.pipe` file), `format` (required: `json`, `csv`, `raw`, `changelog-json`,
/// `debezium-json` or `canal-json`, one record per line; see runtime/connectors/formats/),
/// `sink.rolling-policy.file-size` (default `128MB`; `1KB`, `64 MB`, `1048576` accepted),
/// `sink.rolling-policy.rollover-interval` (default `30 min`: a part file open that long rolls
/// at its next record), `sink.rolling-policy.check-interval` (accepted; the interval is
/// checked on every write), `csv.include-header` (default false: a header line of column
/// names is written first and skipped when reading). The format's own options are spelled
/// `<format>.<key>`: `json.ignore-parse-errors`, `csv.field-delimiter`,
/// `debezium-json.schema-include`, … (an error names the file and line of a malformed
/// record; with `*.ignore-parse-errors` such records are skipped and counted).
///
/// With a changelog format (`changelog-json`, `debezium-json`, `canal-json`) the sink takes
/// updating rows and the source is an updating table: its rows carry row kinds. Blank lines
/// are skipped, except where they are a record (`raw`, a one-column `csv` table).
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
///
/// Exactly-once with checkpoints (DESIGN §8, after Flink's FileSink; bookkeeping in
/// filesystem_transactions.h): when the job takes checkpoints the runtime switches each writer
/// into transactional mode. A part file that rolls (size, interval, too many open files) or is
/// open at a checkpoint barrier is closed as hidden `.part-<subtask>-<n>.<ext>.pending`; the
/// barrier's transaction (kept in the checkpoint's `_metadata`) names the pending files, which
/// are renamed visible once that checkpoint completes, so readers only ever see the output of
/// completed checkpoints. Finish only closes files: the job's final checkpoint commits them.
/// On restore, subtask 0 commits the pending files the restored checkpoint names, whatever
/// parallelism wrote them (a file already visible is fine), and deletes every other pending
/// and in-progress part file of the table, partition directories included; a job started
/// afresh over the same path leaves such leftovers hidden. Numbering then counts hidden files
/// too, so no run reuses a name a checkpoint may still commit, and a commit never renames over
/// an existing file. With `success-file`, the success files are written once every subtask
/// has finished and its files are all committed (by the final checkpoint), into every
/// partition the subtasks wrote or recovered; a job that never ends writes none. Without
/// checkpoints none of this applies: files become visible as they roll and when input ends.
class FilesystemConnector final : public Connector {
 public:
  std::string name() const override { return "filesystem"; }
  base::Status Validate(const TableDescriptor& table, bool as_source) const override;
  bool SupportsSource() const override { return true; }
  bool CanBeReadCompletely(const TableDescriptor&) const override { return true; }
  /// As long as the files do not change (a position names its file, and a stop checks it).
  bool CanReplay(const TableDescriptor&) const override { return true; }
  bool SupportsSink() const override { return true; }
  /// Only the changelog formats write -U/+U/-D rows.
  bool AcceptsUpdates(const TableDescriptor& table) const override;
  /// With a changelog format, the files are an updating table.
  bool ProducesUpdates(const TableDescriptor& table) const override;
  base::Result<std::unique_ptr<SourceReader>> CreateReader(
      const TableDescriptor& table, const SubtaskInfo& subtask) const override;
  base::Result<std::unique_ptr<SinkWriter>> CreateWriter(const TableDescriptor& table,
                                                         const SubtaskInfo& subtask) const override;
};

/// The reader CreateReader returns; counts the records its format skipped with
/// `<format>.ignore-parse-errors`.
class FilesystemReader : public SourceReader {
 public:
  virtual int64_t skipped_records() const = 0;
};

/// Parses a memory size as Flink writes it: a whole number with an optional unit of
/// B, KB, MB, GB or TB (or K, M, G, T; any case; powers of 1024; spaces allowed before it).
std::optional<int64_t> ParseMemorySize(const std::string& text);

}  // namespace sluice::runtime::connectors
