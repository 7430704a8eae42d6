#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "catalog/base/result.h"

namespace sluice::runtime::state {

/// One named piece of keyed state of one operator subtask (DESIGN §6): a map from
/// (key group, key bytes, namespace bytes) to value bytes. Keys and namespaces are opaque
/// bytes (see RowCodec); the namespace is empty for state that has none, a window's bytes for
/// window state. Not thread-safe: one subtask owns it.
class StateTable {
 public:
  using EntryVisitor = std::function<void(int32_t key_group, std::string_view key,
                                          std::string_view ns, std::string_view value)>;

  virtual ~StateTable() = default;
  /// Copies the value stored under (key_group, key, ns) into `value`; false when absent.
  virtual bool Get(int32_t key_group, std::string_view key, std::string_view ns,
                   std::string* value) const = 0;
  virtual void Put(int32_t key_group, std::string_view key, std::string_view ns,
                   std::string_view value) = 0;
  virtual void Delete(int32_t key_group, std::string_view key, std::string_view ns) = 0;
  /// Calls `update` on the value stored under (key_group, key, ns), in place where the
  /// backend can (no copy of a large accumulator per batch); false, without calling it, when
  /// there is no such value.
  virtual bool Update(int32_t key_group, std::string_view key, std::string_view ns,
                      const std::function<void(std::string* value)>& update) {
    std::string value;
    if (!Get(key_group, key, ns, &value)) return false;
    update(&value);
    Put(key_group, key, ns, value);
    return true;
  }
  /// Calls `upsert` on the value stored under (key_group, key, ns) with `existed` true, or on
  /// an empty value with `existed` false when there is none. The entry then holds what
  /// `upsert` left, or is deleted (or never made) when it returns false. One lookup where the
  /// backend can (a join counting a row in or out of its side).
  virtual void Upsert(int32_t key_group, std::string_view key, std::string_view ns,
                      const std::function<bool(std::string* value, bool existed)>& upsert) {
    std::string value;
    bool existed = Get(key_group, key, ns, &value);
    if (upsert(&value, existed)) {
      Put(key_group, key, ns, value);
    } else if (existed) {
      Delete(key_group, key, ns);
    }
  }
  /// Visits every entry whose namespace is `ns`, in any order. The visitor must not modify
  /// the table; collect what to change and change it afterwards.
  virtual void ForEachInNamespace(std::string_view ns, const EntryVisitor& visitor) const = 0;
  /// Removes every entry whose namespace is `ns`.
  virtual void DeleteNamespace(std::string_view ns) = 0;
  /// Visits every namespace stored for (key_group, key), in any order.
  virtual void ForEachOfKey(int32_t key_group, std::string_view key,
                            const EntryVisitor& visitor) const = 0;
  /// Visits every entry of key groups [first, last], ordered by key group: the unit of
  /// snapshots and rescaling.
  virtual void ForEachInKeyGroups(int32_t first, int32_t last,
                                  const EntryVisitor& visitor) const = 0;
  virtual int64_t EntryCount() const = 0;
  /// Approximate bytes held (keys, namespaces, values and container overhead).
  virtual int64_t BytesUsed() const = 0;
};

/// Receives one record of a bulk load; returns an error to stop it.
using RecordSink = std::function<base::Status(int32_t key_group, std::string_view key,
                                              std::string_view ns, std::string_view value)>;
/// Produces records by calling the sink on each, key group by key group in ascending order
/// (within a key group in any order), each (key group, key, namespace) at most once: e.g. the
/// records of canonical state files (StateFileReader::Read). Returns the first error of the
/// sink or of reading.
using SortedRecords = std::function<base::Status(const RecordSink& sink)>;

/// Where one subtask's state lives (`state.backend.type`). Tables are created on first use
/// and live as long as the backend.
class StateBackend {
 public:
  virtual ~StateBackend() = default;
  /// Returns the table `state_name` of operator `uid`, creating it empty on first use.
  virtual base::Result<StateTable*> GetTable(const std::string& uid,
                                             const std::string& state_name) = 0;
  /// The first failure of a table operation (an I/O error of a disk backend), kept until the
  /// backend is destroyed; StateTable calls cannot return it themselves. Ok for `memory`.
  virtual base::Status status() const { return base::Status::Ok(); }
  /// Loads `records` into table `state_name` of `uid` (restore of a savepoint or checkpoint),
  /// replacing entries with the same (key group, key, namespace). The default puts them one
  /// by one; `rocksdb` writes SST files in key order and ingests them (no key-by-key writes).
  virtual base::Status LoadSorted(const std::string& uid, const std::string& state_name,
                                  const SortedRecords& records);
  /// The synchronous part of a checkpoint, on the owning subtask's task at the barrier: a
  /// frozen copy of every table that later reads — on another thread, while this backend
  /// goes on changing — see as it is now. `memory`: a deep copy. `rocksdb`: a
  /// rocksdb::Checkpoint (memtables flushed, SSTs hard-linked) under `scratch_directory`
  /// (must not exist), opened as a backend of its own that removes it when destroyed.
  virtual base::Result<std::unique_ptr<StateBackend>> Capture(
      const std::string& scratch_directory) = 0;
};

/// The `memory` backend: hash maps on the heap.
std::unique_ptr<StateBackend> MakeMemoryStateBackend();

/// Tells `memory` backends destroyed from now on to leave their entries allocated: the
/// process is about to exit (`sluice run` once its job has ended), and the operating system
/// takes the memory back at once, where freeing a large state entry by entry cost a
/// noticeable share of a run's CPU. Only for a process that exits right after; other backends
/// are destroyed as usual (RocksDB removes its directories).
void LeaveMemoryStateToProcessExit();

}  // namespace sluice::runtime::state
