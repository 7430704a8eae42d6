#pragma once

// Incremental native checkpoints of `rocksdb` state (DESIGN §7).
//
// Layout under a job's checkpoint root (`<checkpoint-dir>/<job>`):
//
//   shared/<unique name>.sst        SST files, each copied once, named by the SST's unique ID
//                                   (the same name wherever RocksDB hard-links it, a different
//                                   one for every file any instance or run writes)
//   chk-<n>/_metadata               format "native"; names every file below and every shared
//                                   file the checkpoint uses (as `../shared/<name>`), each with
//                                   its size and XXH3
//   chk-<n>/native/<k>/             the non-SST files of the k-th distinct backend's captured
//                                   copy (CURRENT, MANIFEST-…, OPTIONS-…) and SLUICE-SHARED-SST:
//                                   one line `<local SST name> <shared name>` per SST file
//
// A shared file belongs to every checkpoint whose `_metadata` names it: deleting a checkpoint
// directory and then RemoveUnreferencedSharedFiles frees exactly the files no retained
// checkpoint names. ReadSnapshot, RestoreInto and ReadRocksDbCheckpoint read such checkpoints
// like native savepoints (materializing `native/<k>` with hard links first).

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "catalog/base/result.h"
#include "runtime/plan/plan_graph.h"
#include "runtime/state/rocksdb_state_backend.h"
#include "runtime/state/snapshot.h"

namespace sluice::runtime::state {

/// What one WriteIncrementalCheckpoint copied into `shared/` and what it found there already.
struct IncrementalCheckpointStats {
  int64_t files_copied = 0;
  int64_t bytes_copied = 0;
  int64_t files_reused = 0;
  int64_t bytes_reused = 0;
  int64_t native_bytes = 0;  // non-SST files written under chk-<n>/native
};

/// Writes an incremental native checkpoint into `directory` (`<root>/chk-<n>`, created; it
/// must not hold a `_metadata`): for each distinct backend of `subtasks` — captured copies
/// (StateBackend::Capture of a `rocksdb` backend; a live `rocksdb` backend is captured here
/// first) — copies each SST file into `shared_directory` unless a file of its unique name is
/// there already, and its other files into `native/<k>`; then writes `_metadata` atomically.
/// `shared_directory` must be `<root>/shared`. Checksums of reused shared files come from the
/// `_metadata` of the other checkpoints under `<root>` (a shared file none names is read once),
/// so the time is proportional to the new SST files. A handle's entries and bytes are RocksDB
/// estimates. Safe to run on another thread than the backends' owner: captured copies do not
/// change.
base::Result<SnapshotMetadata> WriteIncrementalCheckpoint(
    const std::string& directory, const std::string& shared_directory, const plan::PlanGraph& plan,
    const std::vector<SubtaskState>& subtasks, const SnapshotOptions& options = {},
    IncrementalCheckpointStats* stats = nullptr);

/// Deletes every file of `<job_root>/shared` that no `<job_root>/chk-*/_metadata` names (a
/// checkpoint directory without `_metadata` is incomplete and protects nothing). Call it only
/// while no checkpoint of the job is being written — the coordinator does, after deleting the
/// checkpoints beyond the number retained: a checkpoint being written has no `_metadata` yet
/// and would lose its new shared files. An unreadable `_metadata` is an error naming it, and
/// then nothing is deleted.
base::Status RemoveUnreferencedSharedFiles(const std::string& job_root);

/// Restores a `rocksdb` backend for operators `nodes` and key groups [first, last] natively:
/// when every handle of those UIDs in `snapshot` (a native savepoint or incremental
/// checkpoint) that overlaps [first, last] covers exactly [first, last], all lie in the same
/// `native/<k>`, and each has the state signature of a StateSpec of its node, that checkpoint's
/// files become the backend's working directory `options.directory` (SST files hard-linked —
/// copied across file systems — no record read or written; tables of other UIDs dropped).
/// Returns nullptr when that does not hold (another parallelism, a canonical savepoint, a
/// changed state layout, no state of these UIDs): then restore into a new backend with
/// RestoreInto / RestoreOperatorState. An error only for I/O failures and damaged files.
/// `snapshot` must have been verified by ReadSnapshot.
base::Result<std::unique_ptr<StateBackend>> RestoreRocksDbBackendNatively(
    const Snapshot& snapshot, const std::vector<const plan::PlanNode*>& nodes, int32_t first,
    int32_t last, const RocksDbBackendOptions& options);

// ---- building blocks (used by the rocksdb backend and the readers) ----------------------------

/// The name of the list of shared SST files in an incremental checkpoint's `native/<k>`.
constexpr const char* kSharedFileListName = "SLUICE-SHARED-SST";

/// Whether `directory` is an incremental checkpoint's `native/<k>` (it has a shared file list).
bool IsIncrementalRocksDbCheckpoint(const std::string& directory);

/// Makes `target` (must not exist) a RocksDB directory holding the checkpoint `source`: a
/// checkpoint directory, or an incremental checkpoint's `native/<k>` whose SST files are found
/// in `<source>/../../../shared`. SST files are hard-linked (copied when that fails: another
/// file system), other files copied (RocksDB may append to them). A missing shared file is an
/// error naming it; on error `target` is removed.
base::Status MaterializeRocksDbCheckpoint(const std::string& source, const std::string& target);

/// A checkpoint materialized in a scratch directory (next to the checkpoint, so that hard links
/// work, else under the system's temporary directory), removed when destroyed.
class MaterializedCheckpoint {
 public:
  static base::Result<std::unique_ptr<MaterializedCheckpoint>> Make(const std::string& source);
  ~MaterializedCheckpoint();
  MaterializedCheckpoint(const MaterializedCheckpoint&) = delete;
  MaterializedCheckpoint& operator=(const MaterializedCheckpoint&) = delete;

  const std::string& directory() const { return directory_; }

 private:
  explicit MaterializedCheckpoint(std::string directory) : directory_(std::move(directory)) {}
  std::string directory_;
};

}  // namespace sluice::runtime::state
