#pragma once

#include <cstdint>
#include <memory>
#include <string>

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
/// StateTable calls cannot return a Status; an I/O failure (a full disk, a corrupt file) is
/// kept as the backend's sticky `status()`, which the runtime checks after every message and
/// fails the job with. A failed Get reads as absent until then.
base::Result<std::unique_ptr<StateBackend>> MakeRocksDbStateBackend(
    const RocksDbBackendOptions& options);

/// Writes a `rocksdb::Checkpoint` of `backend` (hard links of its SST files where possible)
/// into `directory`, which must not exist: the files of a native savepoint. An error when
/// `backend` is not a `rocksdb` backend.
base::Status CheckpointRocksDbBackend(StateBackend* backend, const std::string& directory);

/// Opens such a checkpoint read-only and passes the entries of table `state_name` of `uid` in
/// key groups [first, last] to `sink`, key group by key group (within one, in the order of
/// their encoded keys): the restore of a native savepoint through StateBackend::LoadSorted.
/// A checkpoint without that table passes nothing.
base::Status ReadRocksDbCheckpoint(const std::string& directory, const std::string& uid,
                                   const std::string& state_name, int32_t first, int32_t last,
                                   const RecordSink& sink);

}  // namespace sluice::runtime::state
