#pragma once

// The `rocksdb` backend's classes and key encoding, shared by rocksdb_state_backend.cpp (the
// instance: open, capture, checkpoint files) and rocksdb_table.cpp (table operations and
// bulk loading). Not part of the public surface: use rocksdb_state_backend.h.

#include <fmt/format.h>
#include <rocksdb/cache.h>
#include <rocksdb/db.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/state/rocksdb_state_backend.h"
#include "runtime/state/varint.h"

namespace sluice::runtime::state::rocksdb_backend {

// ---- key encoding ----------------------------------------------------------------------------

inline void AppendKeyGroup(std::string* out, int32_t key_group) {
  out->push_back(static_cast<char>((key_group >> 8) & 0xff));
  out->push_back(static_cast<char>(key_group & 0xff));
}

inline int32_t ReadKeyGroup(std::string_view bytes) {
  return (static_cast<uint8_t>(bytes[0]) << 8) | static_cast<uint8_t>(bytes[1]);
}

/// `[key group][key length][key]`: the prefix every namespace of one key shares.
inline std::string KeyPrefix(int32_t key_group, std::string_view key) {
  std::string out;
  out.reserve(2 + 5 + key.size());
  AppendKeyGroup(&out, key_group);
  AppendVarint(key.size(), &out);
  out.append(key);
  return out;
}

inline std::string EntryKey(int32_t key_group, std::string_view key, std::string_view ns) {
  std::string out = KeyPrefix(key_group, key);
  out.append(ns);
  return out;
}

inline std::string NamespacePrefix(std::string_view ns) {
  std::string out;
  AppendVarint(ns.size(), &out);
  out.append(ns);
  return out;
}

/// An entry key split into its parts (views into the encoded bytes).
struct DecodedKey {
  int32_t key_group = 0;
  std::string_view key;
  std::string_view ns;
};

inline bool DecodeEntryKey(std::string_view bytes, DecodedKey* out) {
  if (bytes.size() < 3) return false;
  out->key_group = ReadKeyGroup(bytes);
  size_t position = 2;
  uint64_t length = 0;
  if (!ReadVarint(bytes, &position, &length) || length > bytes.size() - position) return false;
  out->key = bytes.substr(position, length);
  out->ns = bytes.substr(position + length);
  return true;
}

/// The smallest key greater than every key starting with `prefix` (empty: no bound).
inline std::string PrefixEnd(std::string prefix) {
  while (!prefix.empty()) {
    auto last = static_cast<uint8_t>(prefix.back());
    if (last != 0xff) {
      prefix.back() = static_cast<char>(last + 1);
      return prefix;
    }
    prefix.pop_back();
  }
  return prefix;
}

/// The column family of table `state_name` of `uid`: the UID's length makes the name
/// unambiguous whatever characters a UID hint holds.
inline std::string FamilyName(const std::string& uid, const std::string& state_name) {
  return fmt::format("{}:{}/{}", uid.size(), uid, state_name);
}

inline constexpr std::string_view kIndexSuffix = "#ns";

/// The inverse of FamilyName; false for a name it cannot have made.
inline bool ParseFamilyName(const std::string& name, std::string* uid, std::string* state_name) {
  size_t colon = name.find(':');
  if (colon == std::string::npos || colon == 0 || colon > 9) return false;
  size_t length = 0;
  for (size_t i = 0; i < colon; ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
    length = length * 10 + static_cast<size_t>(name[i] - '0');
  }
  size_t slash = colon + 1 + length;
  if (slash >= name.size() || name[slash] != '/') return false;
  *uid = name.substr(colon + 1, length);
  *state_name = name.substr(slash + 1);
  return true;
}

/// The namespace index of a table holds this key once it is complete (EnsureIndex ran): a
/// reopened table knows whether its index can be trusted. Index keys are never empty.
inline constexpr std::string_view kIndexCompleteKey = "";

inline std::string_view View(const rocksdb::Slice& slice) {
  return {slice.data(), slice.size()};
}
inline rocksdb::Slice AsSlice(std::string_view view) {
  return {view.data(), view.size()};
}

// ---- the backend -----------------------------------------------------------------------------

class RocksDbBackend;

class RocksDbTable final : public StateTable {
 public:
  RocksDbTable(RocksDbBackend* backend, rocksdb::ColumnFamilyHandle* entries,
               rocksdb::ColumnFamilyHandle* namespaces)
      : backend_(backend), entries_(entries), namespaces_(namespaces) {}

  bool Get(int32_t key_group, std::string_view key, std::string_view ns,
           std::string* value) const override;
  void Put(int32_t key_group, std::string_view key, std::string_view ns,
           std::string_view value) override;
  void Delete(int32_t key_group, std::string_view key, std::string_view ns) override;
  void ForEachInNamespace(std::string_view ns, const EntryVisitor& visitor) const override;
  void DeleteNamespace(std::string_view ns) override;
  void ForEachOfKey(int32_t key_group, std::string_view key,
                    const EntryVisitor& visitor) const override;
  void ForEachInKeyGroups(int32_t first, int32_t last, const EntryVisitor& visitor) const override;
  int64_t EntryCount() const override;
  int64_t BytesUsed() const override;

 private:
  /// Visits the entries whose encoded keys lie in [begin, end) (end empty: to the last);
  /// `one_key`: all of them share one key's prefix (KeyPrefix), so prefix filters may skip
  /// files.
  void Scan(const std::string& begin, const std::string& end,
            const std::function<bool(std::string_view, std::string_view)>& visit,
            bool one_key = false) const;
  /// Visits the namespace index entries of `ns` as (key group, key).
  void ScanNamespace(std::string_view ns,
                     const std::function<void(int32_t, std::string_view)>& visit) const;
  std::string IndexKey(int32_t key_group, std::string_view key, std::string_view ns) const {
    return NamespacePrefix(ns) + KeyPrefix(key_group, key);
  }
  friend class RocksDbBackend;

  /// Builds the namespace index from the entries the first time a namespace is visited;
  /// until then writes skip it (join and group state is never visited by namespace).
  void EnsureIndex() const;

  RocksDbBackend* backend_;
  rocksdb::ColumnFamilyHandle* entries_;
  rocksdb::ColumnFamilyHandle* namespaces_;
  mutable bool indexed_ = false;
};

/// A table a captured (read-only) copy never had: empty, and every write is an error.
class MissingTable final : public StateTable {
 public:
  explicit MissingTable(RocksDbBackend* backend) : backend_(backend) {}
  bool Get(int32_t, std::string_view, std::string_view, std::string*) const override {
    return false;
  }
  void Put(int32_t, std::string_view, std::string_view, std::string_view) override { Refuse(); }
  void Delete(int32_t, std::string_view, std::string_view) override { Refuse(); }
  void ForEachInNamespace(std::string_view, const EntryVisitor&) const override {}
  void DeleteNamespace(std::string_view) override { Refuse(); }
  void ForEachOfKey(int32_t, std::string_view, const EntryVisitor&) const override {}
  void ForEachInKeyGroups(int32_t, int32_t, const EntryVisitor&) const override {}
  int64_t EntryCount() const override { return 0; }
  int64_t BytesUsed() const override { return 0; }

 private:
  void Refuse() const;
  RocksDbBackend* backend_;
};

class RocksDbBackend final : public StateBackend {
 public:
  /// `read_only`: a captured copy (StateBackend::Capture), opened read-only.
  RocksDbBackend(RocksDbBackendOptions options, bool read_only)
      : options_(std::move(options)), read_only_(read_only) {}
  ~RocksDbBackend() override;

  /// Opens the instance in its directory (after materializing `initial_checkpoint` there):
  /// an existing one with every column family it has, else a new one.
  base::Status Open();
  base::Result<std::unique_ptr<StateBackend>> Capture(
      const std::string& scratch_directory) override;
  base::Result<StateTable*> GetTable(const std::string& uid,
                                     const std::string& state_name) override;
  base::Status status() const override {
    std::lock_guard<std::mutex> lock(status_mutex_);
    return status_;
  }

  rocksdb::DB* db() const { return db_; }
  const rocksdb::ReadOptions& read_options() const { return read_options_; }
  const rocksdb::WriteOptions& write_options() const { return write_options_; }
  /// Keeps the first failure; returns whether `status` was ok.
  bool Check(const rocksdb::Status& status, const char* operation) const;
  base::Status LoadSorted(const std::string& uid, const std::string& state_name,
                          const SortedRecords& records) override;
  const std::string& directory() const { return options_.directory; }
  bool read_only() const { return read_only_; }
  /// The SST and other files of a captured copy (see ListCapturedRocksDbFiles).
  base::Result<CapturedRocksDbFiles> CapturedFiles() const;
  RocksDbTableEstimate Estimate(const std::string& uid, const std::string& state_name) const;
  base::Status RetainTables(const std::set<std::string>& uids);

 private:
  /// A column family's options; `entries`: a table's entries (not its namespace index),
  /// with the key-prefix extractor.
  rocksdb::ColumnFamilyOptions TableOptions(bool entries) const;
  /// Makes a table of every (entries, namespace index) column family pair the instance has.
  base::Status AdoptFamilies(const std::vector<std::string>& names);

  RocksDbBackendOptions options_;
  bool read_only_ = false;
  rocksdb::DB* db_ = nullptr;
  std::shared_ptr<rocksdb::Cache> block_cache_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::map<std::pair<std::string, std::string>, std::unique_ptr<RocksDbTable>> tables_;
  std::map<std::pair<std::string, std::string>, std::unique_ptr<MissingTable>> missing_tables_;
  rocksdb::ReadOptions read_options_;
  rocksdb::WriteOptions write_options_;
  mutable std::mutex status_mutex_;
  mutable base::Status status_;
};

}  // namespace sluice::runtime::state::rocksdb_backend
