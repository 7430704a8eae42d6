#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "catalog/base/result.h"
#include "runtime/state/state_backend.h"

namespace sluice::runtime::state {

/// Settings of one `rocksdb` backend instance (one per subtask).
struct RocksDbBackendOptions {
  /// The instance's working directory; created with its parents. It must not hold another
  /// live instance.
  std::string directory;
  /// Remove `directory` when the backend is destroyed (working state that no checkpoint
  /// refers to is worthless once the job ends).
  bool remove_on_close = true;
  /// Memtable size per table before it is flushed to an SST file.
  int64_t write_buffer_bytes = 32 << 20;
  /// The LRU cache of uncompressed blocks, shared by every table of the instance.
  int64_t block_cache_bytes = 64 << 20;
  /// Empty (the default): start from what `directory` holds — nothing, or an instance a
  /// previous backend left (remove_on_close = false), opened with every table it has.
  /// Otherwise a RocksDB checkpoint to start from (a native restore): a checkpoint directory
  /// or an incremental checkpoint's `native/<k>` (see incremental_checkpoint.h). Its SST files
  /// are hard-linked (copied across file systems) into `directory`, which must be empty or
  /// missing, its other files copied; no record is read or written.
  std::string initial_checkpoint;
};

/// The `rocksdb` backend (DESIGN §6): one RocksDB instance per subtask, one column family per
/// (operator UID, state name), plus one per table indexing its non-empty namespaces.
///
/// Key layout of a table: `[key group: u16 big-endian][key length: varint][key][namespace]`, so
/// one key group — and a key-group range — is one contiguous key range (snapshots and
/// rescaling read ranges), and all namespaces of one key share a prefix (ForEachOfKey is one
/// seek). The namespace index maps `[namespace length: varint][namespace][key group][key
/// length][key]` → empty, so a window's entries are found without a scan of the table.
/// Entries with the empty namespace (group aggregates, Top-N) are not indexed; visiting the
/// empty namespace scans the table. The index is built on a table's first visit by namespace
/// (window state) and kept from then on, so tables never visited that way (join rows, groups)
/// pay no index writes.
///
/// Tuning (see docs in the .cpp): no write-ahead log (checkpoints give durability, as in
/// Flink), LZ4 for upper levels and ZSTD for the bottommost, 10-bit Bloom filters, index and
/// filter blocks kept in the block cache, level-style compaction with dynamic level sizes.
///
/// Capture (the synchronous part of a checkpoint) takes a rocksdb::Checkpoint — memtables
/// flushed, SST files hard-linked — into the scratch directory and opens it read-only as a
/// backend of its own with every table: reads work as on the live backend (visiting a
/// namespace of a table never visited by namespace scans it), writes and tables it did not
/// have are errors through `status()`. It removes its directory when destroyed.
///
/// StateTable calls cannot return a Status; an I/O failure (a full disk, a corrupt file) is
/// kept as the backend's sticky `status()`, which the runtime checks after every message and
/// fails the job with. A failed Get reads as absent until then.
base::Result<std::unique_ptr<StateBackend>> MakeRocksDbStateBackend(
    const RocksDbBackendOptions& options);

/// Writes a `rocksdb::Checkpoint` of `backend` (hard links of its SST files where possible)
/// into `directory`, which must not exist: the files of a native savepoint. For a captured
/// copy, hard links (or copies) of its files. An error when `backend` is not a `rocksdb`
/// backend.
base::Status CheckpointRocksDbBackend(StateBackend* backend, const std::string& directory);

/// Opens such a checkpoint (or an incremental checkpoint's `native/<k>`, materialized in a
/// scratch directory first) read-only and passes the entries of table `state_name` of `uid` in
/// key groups [first, last] to `sink`, key group by key group (within one, in the order of
/// their encoded keys): the restore of a native savepoint through StateBackend::LoadSorted.
/// A checkpoint without that table passes nothing.
base::Status ReadRocksDbCheckpoint(const std::string& checkpoint, const std::string& uid,
                                   const std::string& state_name, int32_t first, int32_t last,
                                   const RecordSink& sink);

/// Whether `backend` is a `rocksdb` backend (live or captured).
bool IsRocksDbBackend(const StateBackend* backend);

/// The files of a captured copy of a `rocksdb` backend, for incremental checkpoints.
struct CapturedRocksDbFiles {
  std::string directory;
  /// Names of the files other than SST files (CURRENT, MANIFEST-…, OPTIONS-…, *.log).
  std::vector<std::string> other_files;
  /// (local name, unique name) of every SST file: the unique name (`<hex of the SST's unique
  /// ID>.sst`) is the same wherever the file is hard-linked, and differs between files of any
  /// two instances or runs.
  std::vector<std::pair<std::string, std::string>> sst_files;
};

/// Lists the files of `backend`, which must be a captured copy (StateBackend::Capture) of a
/// `rocksdb` backend.
base::Result<CapturedRocksDbFiles> ListCapturedRocksDbFiles(const StateBackend* backend);

/// RocksDB's estimates of the entries and bytes of a table (zeros when there is no such table).
struct RocksDbTableEstimate {
  int64_t entries = 0;
  int64_t bytes = 0;
};
RocksDbTableEstimate EstimateRocksDbTable(const StateBackend* backend, const std::string& uid,
                                          const std::string& state_name);

/// Drops every table of a `rocksdb` backend whose UID is not in `uids` (state of operators a
/// natively restored plan no longer has).
base::Status RetainRocksDbTables(StateBackend* backend, const std::set<std::string>& uids);

}  // namespace sluice::runtime::state
