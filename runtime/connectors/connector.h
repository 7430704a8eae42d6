#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "catalog/base/result.h"
#include "catalog/types/schema.h"
#include "runtime/batch/batch.h"

namespace sluice::runtime::connectors {

/// A column whose value the connector reads or writes beside the record's fields.
struct MetadataColumn {
  std::string column;  // the column's name in TableDescriptor::schema
  std::string key;     // `FROM 'key'`, or the column's name when there is no FROM
  bool is_virtual = false;
};

/// A metadata key a connector offers (Connector::SupportedMetadata).
struct MetadataKey {
  std::string key;          // `offset`, `timestamp`, `headers`, …
  types::LogicalType type;  // the column's declared type must be this one
  bool writable = false;    // a sink takes it (else a column of it must be VIRTUAL to be written)
};

/// Describes a table as a connector sees it: the physical columns (computed columns and
/// watermarks are the runtime's business) and the `WITH` options, keys lower-cased as written.
struct TableDescriptor {
  std::string name;
  types::Schema schema;
  std::map<std::string, std::string> options;
  /// Rows of a `values` table, filled by the compiler from `INSERT INTO t VALUES (…)`
  /// statements that target it: one vector per row, one field per physical column, each the
  /// text `CAST(literal AS VARCHAR)` gives (SEMANTICS.md), nullopt for NULL. ROW columns
  /// are not allowed in values tables.
  std::vector<std::vector<std::optional<std::string>>> inline_rows;
  /// `PARTITIONED BY (a, b)`: names of physical, non-ROW columns, in declared order; empty for
  /// an unpartitioned table. Only the filesystem connector takes them (the planner rejects
  /// them for every other connector): a sink writes each row under `<path>/a=<v>/b=<w>/`,
  /// without the partition columns inside the files.
  std::vector<std::string> partition_keys = {};
  /// The columns declared `name TYPE METADATA [FROM 'key'] [VIRTUAL]`, in declared order.
  /// They are part of `schema` like the other physical columns (same slots in every batch),
  /// but the connector, not the format, fills them when reading (Kafka: `offset`,
  /// `timestamp`, …) and takes them when writing; a VIRTUAL one is read-only: rows written to
  /// the table have NULL there and the connector ignores it. The compiler checks every one
  /// against Connector::SupportedMetadata (compiler/binder/bind_metadata.cpp), so a connector
  /// only ever sees keys it offers.
  std::vector<MetadataColumn> metadata_columns = {};
  /// `PRIMARY KEY (…) NOT ENFORCED`: column names in key order; empty when none is declared.
  /// `upsert-kafka` writes them as the record key.
  std::vector<std::string> primary_key = {};
};

/// Which slice of a source or sink one subtask owns.
struct SubtaskInfo {
  int32_t index = 0;
  int32_t parallelism = 1;
  std::string job_name;
  /// The job's id (scheduler::JobOptions::job_id): sinks scope what they leave behind (part
  /// files) to it, so that two jobs writing one table never touch each other's files.
  std::string job_id = {};
  /// A directory of this operator's own under the job's checkpoint directory, for what a sink
  /// must keep across a crash beside the checkpoint (the Kafka sink's epoch spool); empty when
  /// the job takes no checkpoints.
  std::string spool_directory = {};
  /// The session time zone (`table.local-time-zone`, resolved): sinks that show values to
  /// people (print, collect) show a TIMESTAMP_LTZ as a wall time in it.
  std::string local_time_zone = "UTC";
};

/// Reads one subtask's share of a source, a batch at a time.
class SourceReader {
 public:
  virtual ~SourceReader() = default;
  /// Fills `batch` (built with the flattened slot types of the table's physical schema) with
  /// up to kBatchCapacity rows. Returns false once the split is exhausted (batch left empty).
  /// Returning true with an empty batch means "nothing to read right now": the scheduler polls
  /// again a little later (on a timer, without spinning), and after
  /// `table.exec.source.idle-timeout` without records the split is marked idle.
  virtual base::Result<bool> Next(Batch* batch) = 0;
  /// Tells whether the source ends by itself (a bounded source gets a final watermark).
  virtual bool IsBounded() const = 0;
  /// Whether the source holds its watermark back until it has given its last row (a bounded
  /// sample that comes all at once, as a few rows come to Flink before its first periodic
  /// watermark): no row of it is late, whatever the order of its rows.
  virtual bool HoldsWatermarkToTheEnd() const { return false; }

  /// Whether `Position` and `Seek` work (the built-in nexmark, datagen, values and filesystem
  /// readers). A source without them restarts from its beginning after a restore.
  virtual bool SupportsPosition() const { return false; }
  /// Where the reader is, between two `Next` calls, as an opaque string to snapshot: a reader
  /// of the same table for the same subtask and parallelism, created fresh and given it by
  /// `Seek`, continues with exactly the records this one would have read next. It names the
  /// split (subtask / parallelism): rescaling a source to another parallelism is not supported.
  virtual std::string Position() const { return {}; }
  /// Moves a freshly created reader (before its first `Next`) to `position`, from `Position`
  /// of a reader of the same subtask. Errors: malformed, another connector, another split.
  virtual base::Status Seek(const std::string& position) {
    return base::Status::Error(base::ErrorCode::kPlan, "this source cannot seek to a position");
  }
  /// Makes the reader read nothing at or past `position`, a Position of its own split at or
  /// ahead of where it is: once there, Next returns true with an empty batch for ever (nothing
  /// to read yet), and no rate limit holds the reader back on its way there. The replay of a
  /// backfill (scheduler/backfill.h) reads a split's history up to a snapshot's position so.
  /// Errors: malformed, another split, or a reader that cannot (Connector::CanReplay false).
  virtual base::Status StopAt(const std::string& position) {
    return base::Status::Error(base::ErrorCode::kPlan, "this source cannot stop at a position");
  }
  /// Whether the reader is held at its StopAt position (reads nothing more until ClearStop).
  virtual bool AtStop() const { return false; }
  /// Lifts a StopAt: the reader reads on as if none had been set, and a rate limit counts again
  /// from the next poll (the rows read on the way to the stop were not paced). A new version
  /// of a job catching up in shadow with the running one (`sluice upgrade`) is held at the old
  /// version's positions so, then released at the cut.
  virtual void ClearStop() {}

  // Readers of several splits at once (Kafka: one consumer reads the topic-partitions dealt to
  // a subtask). Such a reader fills each batch from one split and says which; the source
  // operator keeps a watermark and an idleness clock per split and checkpoints one position
  // per split, which a restore deals to subtasks by Connector::SplitOwner, so that splits move
  // between subtasks when the parallelism changes. The first line of a split's position names
  // the split.

  /// Whether this reader reads several splits (the calls below then work).
  virtual bool ReadsSeveralSplits() const { return false; }
  /// The split the rows of the last Next came from (the first line of its position).
  virtual std::string LastSplit() const { return {}; }
  /// The splits still being read (not finished), by name; it changes only when
  /// `splits_version` does.
  virtual std::vector<std::string> LiveSplits() const { return {}; }
  /// Increases whenever a split is added (discovered) or finishes.
  virtual int64_t splits_version() const { return 0; }
  /// One position per split the reader has, finished ones included (a bounded split read to
  /// its end stays finished after a restore), between two Next calls.
  virtual std::vector<std::string> SplitPositions() const { return {}; }
  /// On a fresh reader, before its first Next: continues the splits at `positions` (from
  /// SplitPositions of any subtask at any parallelism, those SplitOwner deals to this one;
  /// possibly none) instead of starting afresh. Splits the reader finds later that no position
  /// names are new ones (they start where newly discovered splits do).
  virtual base::Status RestoreSplits(const std::vector<std::string>& positions) {
    return base::Status::Error(base::ErrorCode::kPlan, "this source reads one split");
  }
  /// Holds each split at its position among `positions` (SplitPositions of any subtask; the
  /// ones of splits this reader does not read are ignored, a split they do not name is held
  /// where it is, and a split found later is held at its start): the reader reads every split
  /// up to there and no further, until ClearStop; AtStop says when every split is there.
  /// Called again with positions further on, it reads on to those. An error for a position
  /// behind the split's.
  virtual base::Status StopSplitsAt(const std::vector<std::string>& positions) {
    return base::Status::Error(base::ErrorCode::kPlan, "this source cannot stop at positions");
  }
  /// A checkpoint that recorded `positions` (this reader's SplitPositions then) is complete:
  /// Kafka commits the offsets to the consumer group for monitoring. Default: nothing.
  virtual base::Status OnCheckpointComplete(const std::vector<std::string>& positions) {
    return base::Status::Ok();
  }
};

/// The text of a source position: `<connector> <subtask>/<parallelism>` then one
/// `\n<field>=<value>` per field (values must not contain a line break).
std::string EncodeSourcePosition(const std::string& connector, const SubtaskInfo& subtask,
                                 const std::vector<std::pair<std::string, std::string>>& fields);
/// Reads a position written by EncodeSourcePosition for `connector` and checks that it
/// belongs to `subtask` (same index and parallelism); returns its fields.
base::Result<std::map<std::string, std::string>> DecodeSourcePosition(const std::string& position,
                                                                      const std::string& connector,
                                                                      const SubtaskInfo& subtask);
/// The split a position written by EncodeSourcePosition names (its subtask and parallelism),
/// to create the reader that can Seek to it.
base::Result<SubtaskInfo> SplitOfPosition(const std::string& position);
/// Reads a non-negative integer field of a decoded position.
base::Result<int64_t> PositionField(const std::map<std::string, std::string>& fields,
                                    const std::string& name);

/// Writes one subtask's share of a sink. Rows may carry row kinds when the input is updating.
class SinkWriter {
 public:
  virtual ~SinkWriter() = default;
  virtual base::Status Write(const Batch& batch) = 0;
  /// Called once when the input has ended: flush, and make output visible. In transactional
  /// mode it only closes what is open: the runtime then takes a final checkpoint whose
  /// PreCommit and Commit make the rest visible (a crash before that loses nothing).
  virtual base::Status Finish() = 0;

  // Exactly-once delivery (DESIGN §8). A writer that supports it is switched into
  // transactional mode by EnableTransactions before its first Write when the job takes
  // checkpoints; from then on nothing it writes is visible until Commit. The runtime calls,
  // all on the sink's own task except Recover (called during job setup):
  //   Recover (on restore) → Write… → PreCommit(1) → Write… → Commit(1) … → Finish.
  // Commit(n) may come after later writes and even after PreCommit(n + 1).

  /// Outside transactional mode, at every checkpoint barrier: makes everything written so far
  /// visible (at a stop-with-savepoint barrier the job writes nothing after it); an error fails
  /// the checkpoint (the Kafka sink's at-least-once). Default: nothing to do.
  virtual base::Status Flush() { return base::Status::Ok(); }

  /// Whether this writer can give exactly-once output (the filesystem sink can).
  virtual bool SupportsTransactions() const { return false; }
  /// Switches to transactional mode; only called when SupportsTransactions().
  virtual base::Status EnableTransactions() { return base::Status::Ok(); }
  /// At the barrier of checkpoint `checkpoint_id`: closes everything written since the last
  /// barrier so it can be committed later (in-progress → pending) and returns the transaction
  /// that names it: an opaque single-line string kept in the checkpoint's `_metadata`; empty
  /// when nothing was written. Nothing becomes visible here.
  virtual base::Result<std::string> PreCommit(int64_t checkpoint_id) { return std::string(); }
  /// Checkpoint `checkpoint_id` is complete: makes visible every transaction pre-committed up
  /// to and including it. Idempotent.
  virtual base::Status Commit(int64_t checkpoint_id) { return base::Status::Ok(); }
  /// On restore, before the first Write: `transactions` are the transactions the restored
  /// snapshot recorded for this sink (those of every old subtask, whatever the parallelism
  /// was). Commits them idempotently (a file already committed stays as it is) and discards
  /// whatever the sink left pending or in progress that they do not name (output of
  /// checkpoints that never completed). Called on every subtask; only subtask 0 acts, so the
  /// files of old subtasks beyond the new parallelism are handled too.
  virtual base::Status Recover(const std::vector<std::string>& transactions) {
    return base::Status::Ok();
  }
};

/// A kind of table (`'connector' = 'nexmark'`). Stateless; one instance per process.
class Connector {
 public:
  virtual ~Connector() = default;
  virtual std::string name() const = 0;
  /// Checks options and schema without side effects; errors name the option and the table.
  virtual base::Status Validate(const TableDescriptor& table, bool as_source) const = 0;
  /// Whether the connector can be read. Sinks-only connectors return false.
  virtual bool SupportsSource() const = 0;
  virtual bool SupportsSink() const = 0;
  /// Whether a reader of the table ends by itself after reading all of it, so it can be the
  /// lookup table of a lookup join (`FOR SYSTEM_TIME AS OF`). Default: no.
  virtual bool CanBeReadCompletely(const TableDescriptor& table) const { return false; }
  /// Whether a reader of `table` created afresh reads the same records in the same order as
  /// the first time and can stop at a position (SourceReader::StopAt): its history can be
  /// replayed to backfill new state (values, filesystem, nexmark, datagen). Default: no.
  virtual bool CanReplay(const TableDescriptor& table) const { return false; }
  /// Whether a reader of `table` can be held at given positions and released
  /// (SourceReader::StopAt or StopSplitsAt, ClearStop): a new version of a job catching up in
  /// shadow with the running one (`sluice upgrade`) reads so. Default: CanReplay.
  virtual bool CanHold(const TableDescriptor& table) const { return CanReplay(table); }
  /// For a source whose readers read several splits: the subtask (of `parallelism`) that owns
  /// the split `split` names (the first line of its position) — the rule the readers use to
  /// claim the splits they discover, so that a restore at any parallelism deals each split to
  /// the subtask that would have claimed it. Default: nullopt (positions are dealt by index).
  virtual std::optional<int32_t> SplitOwner(const TableDescriptor& table, const std::string& split,
                                            int32_t parallelism) const {
    return std::nullopt;
  }
  /// Whether the sink accepts updating rows (-U/+U/-D).
  virtual bool AcceptsUpdates(const TableDescriptor& table) const { return false; }
  /// Whether the source's rows carry row kinds (an updating table: `upsert-kafka`, a
  /// `debezium-json` topic). Default: insert-only.
  virtual bool ProducesUpdates(const TableDescriptor& table) const { return false; }
  /// Whether those rows are upserts keyed by the table's PRIMARY KEY (`upsert-kafka`): +I/+U
  /// carry a key's latest row, -D only its key, and no -U precedes an update. The planner
  /// then normalizes them into a full changelog (plan::ChangelogNormalizeSpec). Default: no.
  virtual bool ProducesUpserts(const TableDescriptor& table) const { return false; }
  /// The metadata keys a table of this connector can declare (`… METADATA FROM 'key'`), with
  /// their types and whether a sink writes them; the compiler checks every metadata column
  /// against it (unknown key, wrong type, read-only key in a non-VIRTUAL column of a sink).
  /// Default: none.
  virtual std::vector<MetadataKey> SupportedMetadata(const TableDescriptor& table) const {
    return {};
  }
  virtual base::Result<std::unique_ptr<SourceReader>> CreateReader(
      const TableDescriptor& table, const SubtaskInfo& subtask) const {
    return base::Status::Error(base::ErrorCode::kPlan, "connector '" + name() + "' cannot be read");
  }
  virtual base::Result<std::unique_ptr<SinkWriter>> CreateWriter(const TableDescriptor& table,
                                                                 const SubtaskInfo& subtask) const {
    return base::Status::Error(base::ErrorCode::kPlan,
                               "connector '" + name() + "' cannot be written");
  }
};

/// Finds a connector by name; null when unknown.
const Connector* FindConnector(const std::string& name);
/// Lists the registered connector names, for "did you mean" and --help.
std::vector<std::string> ConnectorNames();
/// Makes FindConnector find `connector` (by its name, before the built-in ones) for the rest
/// of the process; not listed by ConnectorNames. Tests only.
void RegisterConnectorForTesting(const Connector& connector);

}  // namespace sluice::runtime::connectors
