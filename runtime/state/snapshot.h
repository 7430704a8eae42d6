#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "catalog/base/result.h"
#include "runtime/plan/plan_graph.h"
#include "runtime/state/state_backend.h"

namespace sluice::runtime::state {

/// The version of the `_metadata` format this Sluice writes and the newest it reads.
constexpr int32_t kSnapshotFormatVersion = 1;
/// The engine version recorded in every snapshot.
constexpr const char* kEngineVersion = "0.1.0";

/// One piece of state in a snapshot: table `state_name` of operator `uid` for key groups
/// [first_key_group, last_key_group]. `file` is relative to the snapshot directory: a
/// canonical state file (`state/…`) or, for a native snapshot, the subtask's RocksDB
/// checkpoint directory (`native/<n>`).
struct StateHandle {
  std::string uid;
  std::string state_name;
  std::string signature;  // StateSignature of the writer's StateSpec
  std::string file;
  int32_t first_key_group = 0;
  int32_t last_key_group = 0;
  int64_t entries = 0;
  int64_t bytes = 0;
};

/// A file named by `_metadata`, relative to the snapshot directory, with its size and XXH3.
/// Inside the directory, except in an incremental checkpoint (format "native"): its shared
/// SST files are `../shared/<name>` (see incremental_checkpoint.h).
struct SnapshotFile {
  std::string path;
  int64_t size = 0;
  uint64_t checksum = 0;
};

/// The contents of a snapshot's `_metadata` (DESIGN §7).
struct SnapshotMetadata {
  int32_t format_version = kSnapshotFormatVersion;
  std::string format = "canonical";  // or "native"
  std::string engine_version = kEngineVersion;
  std::string job_name;
  /// The id of the job run that took it (empty in snapshots of older versions): a resumed run
  /// keeps it, so that its sinks recognize what the crashed run left behind.
  std::string job_id;
  std::string id;
  int64_t created_millis = 0;  // since the epoch, UTC
  plan::PlanGraph plan;
  std::vector<StateHandle> handles;
  /// Per source UID, the positions of its splits (SourceOperator::Positions), in subtask
  /// order: a restore deals split k to subtask k mod parallelism.
  std::map<std::string, std::vector<std::string>> source_offsets;
  /// Per sink UID, the transactions its subtasks pre-committed (SinkWriter::PreCommit).
  std::map<std::string, std::vector<std::string>> pending_sink_transactions;
  std::vector<SnapshotFile> files;
};

/// A snapshot read from disk and verified.
struct Snapshot {
  std::string directory;
  SnapshotMetadata metadata;
};

/// The state of one operator subtask to snapshot: the tables of `uid` in `backend`, for its
/// key groups [first_key_group, last_key_group].
struct SubtaskState {
  std::string uid;
  int32_t subtask = 0;
  StateBackend* backend = nullptr;
  int32_t first_key_group = 0;
  int32_t last_key_group = 0;
};

/// What a snapshot records besides state.
struct SnapshotOptions {
  std::string id;  // empty: a random one
  std::string job_id;
  std::map<std::string, std::vector<std::string>> source_offsets;
  std::map<std::string, std::vector<std::string>> pending_sink_transactions;
};

/// After a stop-with-savepoint's sinks committed everything its `_metadata` names: rewrites
/// that `_metadata` (atomically) without the pending sink transactions, so that `sluice check`
/// knows a sink dropped by an upgrade loses nothing. A crash before it leaves them named, and a
/// restore commits them (idempotently).
base::Status ForgetCommittedTransactions(const std::string& directory);

/// The key groups [first, last] subtask `subtask` of `parallelism` owns (the inverse of
/// scheduler::SubtaskOfKeyGroup).
std::pair<int32_t, int32_t> KeyGroupRangeOf(int32_t subtask, int32_t parallelism,
                                            int32_t max_parallelism);

/// The signature of a state's layout: restoring is only allowed into a StateSpec with the same
/// signature. Until the PlanGraph carries signatures of its own, a hash of the operator kind,
/// its version and the StateSpec (name, key and value schemas, namespace).
std::string StateSignature(const plan::PlanNode& node, const plan::StateSpec& spec);

/// Writes a canonical (portable) savepoint into `directory` (created; it must not hold a
/// `_metadata` already): one state file per (UID, state, subtask) under
/// `state/<node>_<uid>/<state>.kg<first>-<last>` for every StateSpec of every stateful node of
/// `plan` found in `subtasks`, then `_metadata` (atomically: temporary file, fsync, rename).
base::Result<SnapshotMetadata> WriteCanonicalSnapshot(const std::string& directory,
                                                      const plan::PlanGraph& plan,
                                                      const std::vector<SubtaskState>& subtasks,
                                                      const SnapshotOptions& options = {});

/// Writes a native savepoint: a `rocksdb::Checkpoint` of each subtask's RocksDB backend under
/// `native/<n>` (n = index in `subtasks`' distinct backends) and `_metadata` with format
/// "native", naming every file of the checkpoints. Every backend must be a `rocksdb` one.
/// Same engine version only (the RocksDB key layout is not a stable format).
base::Result<SnapshotMetadata> WriteNativeSnapshot(const std::string& directory,
                                                   const plan::PlanGraph& plan,
                                                   const std::vector<SubtaskState>& subtasks,
                                                   const SnapshotOptions& options = {});

/// Reads `directory/_metadata` and verifies its own checksum, its format version and the size
/// and checksum of every file it names (a path leaving the directory, other than an
/// incremental checkpoint's `../shared/<name>`, is an error). With `expected_job_name` non-empty, a
/// snapshot of another job is an error with code kWrongJob and the snapshot's job name as its
/// subject (`--resume` looks for its own job; a snapshot named explicitly may be of any job).
/// Every error names the file (or the job) at fault; none throws, whatever the path.
base::Result<Snapshot> ReadSnapshot(const std::string& directory,
                                    const std::string& expected_job_name = {});

/// Loads table `state_name` of `uid` for key groups [first, last] from every state file (or,
/// for a native snapshot or incremental checkpoint, every subtask's RocksDB checkpoint, opened
/// read-only) of `snapshot`
/// that overlaps them — any parallelism on either side — into `backend`, by
/// StateBackend::LoadSorted. Loads nothing, without error, if the snapshot has no such state.
base::Status RestoreInto(const Snapshot& snapshot, const std::string& uid,
                         const std::string& state_name, StateBackend* backend, int32_t first,
                         int32_t last);

/// Passes the records of a restore from `records` to `sink`, rewriting them on the way (a
/// state migration: runtime/operators/operator_restore.h). It must keep the sink's contract.
using RecordRewriter =
    std::function<base::Status(const SortedRecords& records, const RecordSink& sink)>;

/// RestoreInto, with every record passed through `rewrite` (null: unchanged) on its way into
/// StateBackend::LoadSorted: still one streaming bulk load.
base::Status RestoreInto(const Snapshot& snapshot, const std::string& uid,
                         const std::string& state_name, StateBackend* backend, int32_t first,
                         int32_t last, const RecordRewriter& rewrite);

/// Serializes `metadata` as the `_metadata` JSON (with its checksum) and parses it back.
std::string SnapshotMetadataToJson(const SnapshotMetadata& metadata);
base::Result<SnapshotMetadata> SnapshotMetadataFromJson(const std::string& text,
                                                        const std::string& path);

}  // namespace sluice::runtime::state
