#include "runtime/state/rocksdb_state_backend.h"

#include <fmt/format.h>
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/table.h>
#include <rocksdb/unique_id.h>
#include <rocksdb/utilities/checkpoint.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <mutex>
#include <system_error>
#include <utility>
#include <vector>

#include "runtime/state/incremental_checkpoint.h"
#include "runtime/state/varint.h"

namespace sluice::runtime::state {

namespace {

// ---- key encoding ----------------------------------------------------------------------------

void AppendKeyGroup(std::string* out, int32_t key_group) {
  out->push_back(static_cast<char>((key_group >> 8) & 0xff));
  out->push_back(static_cast<char>(key_group & 0xff));
}

int32_t ReadKeyGroup(std::string_view bytes) {
  return (static_cast<uint8_t>(bytes[0]) << 8) | static_cast<uint8_t>(bytes[1]);
}

/// `[key group][key length][key]`: the prefix every namespace of one key shares.
std::string KeyPrefix(int32_t key_group, std::string_view key) {
  std::string out;
  out.reserve(2 + 5 + key.size());
  AppendKeyGroup(&out, key_group);
  AppendVarint(key.size(), &out);
  out.append(key);
  return out;
}

std::string EntryKey(int32_t key_group, std::string_view key, std::string_view ns) {
  std::string out = KeyPrefix(key_group, key);
  out.append(ns);
  return out;
}

std::string NamespacePrefix(std::string_view ns) {
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

bool DecodeEntryKey(std::string_view bytes, DecodedKey* out) {
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
std::string PrefixEnd(std::string prefix) {
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
std::string FamilyName(const std::string& uid, const std::string& state_name) {
  return fmt::format("{}:{}/{}", uid.size(), uid, state_name);
}

constexpr std::string_view kIndexSuffix = "#ns";

/// The inverse of FamilyName; false for a name it cannot have made.
bool ParseFamilyName(const std::string& name, std::string* uid, std::string* state_name) {
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
constexpr std::string_view kIndexCompleteKey = "";

std::string_view View(const rocksdb::Slice& slice) {
  return {slice.data(), slice.size()};
}
rocksdb::Slice AsSlice(std::string_view view) {
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
  /// Visits the entries whose encoded keys lie in [begin, end) (end empty: to the last).
  void Scan(const std::string& begin, const std::string& end,
            const std::function<bool(std::string_view, std::string_view)>& visit) const;
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
  rocksdb::ColumnFamilyOptions TableOptions() const;
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

bool RocksDbBackend::Check(const rocksdb::Status& status, const char* operation) const {
  if (status.ok()) return true;
  std::lock_guard<std::mutex> lock(status_mutex_);
  if (status_.ok()) {
    status_ = base::Status::Error(base::ErrorCode::kIo,
                                  fmt::format("RocksDB state in '{}': {} failed: {}",
                                              options_.directory, operation, status.ToString()));
  }
  return false;
}

void MissingTable::Refuse() const {
  backend_->Check(rocksdb::Status::NotSupported("a captured copy is read-only"), "a write");
}

// Tuning, per table (column family):
// * 32 MB memtables, up to 4 (two may be flushing while the others take writes);
// * level compaction with dynamic level sizes (less space amplification as state grows);
// * LZ4 for levels that are rewritten often, ZSTD for the bottommost (most of the data);
// * block-based tables with 16 KB blocks, a 10-bit Bloom filter per SST (point lookups of
//   absent keys — a new group, a join key without partner — skip the read), index and filter
//   blocks in the shared block cache, pinned for level 0.
rocksdb::ColumnFamilyOptions RocksDbBackend::TableOptions() const {
  rocksdb::ColumnFamilyOptions options;
  options.write_buffer_size = static_cast<size_t>(options_.write_buffer_bytes);
  options.max_write_buffer_number = 4;
  options.level_compaction_dynamic_level_bytes = true;
  options.compression = rocksdb::kLZ4Compression;
  options.bottommost_compression = rocksdb::kZSTD;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = block_cache_;
  table.block_size = 16 * 1024;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  table.format_version = 5;
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return options;
}

base::Status RocksDbBackend::Open() {
  namespace fs = std::filesystem;
  std::error_code error;
  if (!options_.initial_checkpoint.empty()) {
    if (fs::exists(options_.directory, error) && !fs::is_empty(options_.directory, error)) {
      return base::Status::Error(
          base::ErrorCode::kRuntime,
          fmt::format("cannot restore RocksDB state into '{}': the directory is not empty",
                      options_.directory));
    }
    fs::remove(options_.directory, error);
    SLUICE_RETURN_IF_ERROR(
        MaterializeRocksDbCheckpoint(options_.initial_checkpoint, options_.directory));
  }
  if (!read_only_) fs::create_directories(options_.directory, error);
  if (error) {
    return base::Status::Error(base::ErrorCode::kIo,
                               fmt::format("cannot create the RocksDB state directory '{}': {}",
                                           options_.directory, error.message()));
  }
  block_cache_ = rocksdb::NewLRUCache(static_cast<size_t>(options_.block_cache_bytes));
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = 2;
  db_options.max_open_files = -1;  // keep every SST open: no table-cache misses
  db_options.bytes_per_sync = 1 << 20;
  db_options.avoid_flush_during_shutdown = true;  // working state is dropped on close
  db_options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  std::vector<std::string> names;
  if (fs::exists(fs::path(options_.directory) / "CURRENT", error)) {
    rocksdb::Status listed =
        rocksdb::DB::ListColumnFamilies(db_options, options_.directory, &names);
    if (!listed.ok()) {
      return base::Status::Error(base::ErrorCode::kIo,
                                 fmt::format("cannot open RocksDB state in '{}': {}",
                                             options_.directory, listed.ToString()));
    }
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, TableOptions()}};
  for (const std::string& name : names) {
    if (name != rocksdb::kDefaultColumnFamilyName) families.emplace_back(name, TableOptions());
  }
  rocksdb::Status status =
      read_only_
          ? rocksdb::DB::OpenForReadOnly(db_options, options_.directory, families, &handles_, &db_)
          : rocksdb::DB::Open(db_options, options_.directory, families, &handles_, &db_);
  if (!status.ok()) {
    return base::Status::Error(base::ErrorCode::kIo,
                               fmt::format("cannot open RocksDB state in '{}': {}",
                                           options_.directory, status.ToString()));
  }
  // Durability comes from checkpoints, not from a write-ahead log (as in Flink).
  write_options_.disableWAL = true;
  std::vector<std::string> opened;
  for (const auto& family : families) opened.push_back(family.name);
  return AdoptFamilies(opened);
}

base::Status RocksDbBackend::AdoptFamilies(const std::vector<std::string>& names) {
  std::map<std::string, rocksdb::ColumnFamilyHandle*> by_name;
  for (size_t i = 0; i < names.size(); ++i) by_name[names[i]] = handles_[i];
  for (const auto& [name, entries] : by_name) {
    bool is_index =
        name.size() > kIndexSuffix.size() &&
        std::string_view(name).substr(name.size() - kIndexSuffix.size()) == kIndexSuffix;
    if (name == rocksdb::kDefaultColumnFamilyName || is_index) continue;
    std::string uid, state_name;
    if (!ParseFamilyName(name, &uid, &state_name)) {
      return base::Status::Error(
          base::ErrorCode::kData,
          fmt::format("RocksDB state in '{}' has a column family '{}' Sluice did not write",
                      options_.directory, name));
    }
    rocksdb::ColumnFamilyHandle* namespaces = nullptr;
    auto index = by_name.find(name + std::string(kIndexSuffix));
    if (index != by_name.end()) {
      namespaces = index->second;
    } else if (read_only_) {
      return base::Status::Error(base::ErrorCode::kData,
                                 fmt::format("RocksDB state in '{}' has no namespace index of '{}'",
                                             options_.directory, name));
    } else {
      rocksdb::Status status =
          db_->CreateColumnFamily(TableOptions(), name + std::string(kIndexSuffix), &namespaces);
      if (!status.ok()) {
        return base::Status::Error(base::ErrorCode::kIo,
                                   fmt::format("cannot open RocksDB state in '{}': {}",
                                               options_.directory, status.ToString()));
      }
      handles_.push_back(namespaces);
    }
    auto table = std::make_unique<RocksDbTable>(this, entries, namespaces);
    std::string marker;
    table->indexed_ = db_->Get(read_options_, namespaces, AsSlice(kIndexCompleteKey), &marker).ok();
    tables_.emplace(std::make_pair(uid, state_name), std::move(table));
  }
  return base::Status::Ok();
}

base::Result<std::unique_ptr<StateBackend>> RocksDbBackend::Capture(
    const std::string& scratch_directory) {
  namespace fs = std::filesystem;
  SLUICE_RETURN_IF_ERROR(status());
  std::error_code error;
  if (fs::exists(scratch_directory, error)) {
    return base::Status::Error(
        base::ErrorCode::kRuntime,
        fmt::format("cannot capture RocksDB state into '{}': it exists", scratch_directory));
  }
  fs::path parent = fs::path(scratch_directory).parent_path();
  if (!parent.empty()) fs::create_directories(parent, error);
  RocksDbBackendOptions options;
  options.directory = scratch_directory;
  options.remove_on_close = true;
  options.block_cache_bytes = std::min<int64_t>(options_.block_cache_bytes, 16 << 20);
  if (read_only_) {
    // A copy of a copy: its directory is a checkpoint already.
    options.initial_checkpoint = options_.directory;
  } else {
    SLUICE_RETURN_IF_ERROR(CheckpointRocksDbBackend(this, scratch_directory));
  }
  auto captured = std::make_unique<RocksDbBackend>(std::move(options), true);
  base::Status opened = captured->Open();
  if (!opened.ok()) return opened;  // the destructor removes the directory
  return std::unique_ptr<StateBackend>(std::move(captured));
}

RocksDbBackend::~RocksDbBackend() {
  tables_.clear();
  if (db_ != nullptr) {
    // Without a write-ahead log, a directory kept for a later backend needs its memtables.
    if (!options_.remove_on_close && !read_only_) db_->Flush(rocksdb::FlushOptions(), handles_);
    for (rocksdb::ColumnFamilyHandle* handle : handles_) db_->DestroyColumnFamilyHandle(handle);
    db_->Close();
    delete db_;
  }
  if (options_.remove_on_close && !options_.directory.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(options_.directory, ignored);
  }
}

base::Result<StateTable*> RocksDbBackend::GetTable(const std::string& uid,
                                                   const std::string& state_name) {
  auto key = std::make_pair(uid, state_name);
  auto found = tables_.find(key);
  if (found != tables_.end()) return found->second.get();
  if (read_only_) {
    auto& missing = missing_tables_[key];
    if (missing == nullptr) missing = std::make_unique<MissingTable>(this);
    return static_cast<StateTable*>(missing.get());
  }
  std::string family = FamilyName(uid, state_name);
  rocksdb::ColumnFamilyHandle* entries = nullptr;
  rocksdb::ColumnFamilyHandle* namespaces = nullptr;
  rocksdb::Status status = db_->CreateColumnFamily(TableOptions(), family, &entries);
  if (status.ok()) {
    handles_.push_back(entries);
    status = db_->CreateColumnFamily(TableOptions(), family + "#ns", &namespaces);
    if (status.ok()) handles_.push_back(namespaces);
  }
  if (!status.ok()) {
    return base::Status::Error(base::ErrorCode::kIo,
                               fmt::format("cannot create RocksDB state '{}' of '{}' in '{}': {}",
                                           state_name, uid, options_.directory, status.ToString()));
  }
  auto table = std::make_unique<RocksDbTable>(this, entries, namespaces);
  StateTable* result = table.get();
  tables_.emplace(std::move(key), std::move(table));
  return result;
}

base::Result<CapturedRocksDbFiles> RocksDbBackend::CapturedFiles() const {
  namespace fs = std::filesystem;
  // Every SST's unique ID (DB id, session id, file number, kept in its table properties) names
  // it across instances and runs, however often it is hard-linked or ingested.
  std::map<std::string, std::string> unique_names;
  for (rocksdb::ColumnFamilyHandle* family : handles_) {
    rocksdb::TablePropertiesCollection properties;
    rocksdb::Status status = db_->GetPropertiesOfAllTables(family, &properties);
    if (!status.ok()) {
      return base::Status::Error(base::ErrorCode::kIo,
                                 fmt::format("cannot list the SST files of '{}': {}",
                                             options_.directory, status.ToString()));
    }
    for (const auto& [path, table] : properties) {
      std::string id;
      status = rocksdb::GetUniqueIdFromTableProperties(*table, &id);
      if (!status.ok()) {
        return base::Status::Error(
            base::ErrorCode::kIo,
            fmt::format("SST file '{}' has no unique ID: {}", path, status.ToString()));
      }
      std::string name;
      for (char c : id) name += fmt::format("{:02x}", static_cast<uint8_t>(c));
      unique_names[fs::path(path).filename().string()] = name + ".sst";
    }
  }
  CapturedRocksDbFiles files;
  files.directory = options_.directory;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(options_.directory, error)) {
    if (!entry.is_regular_file()) continue;
    std::string name = entry.path().filename().string();
    if (name == "LOCK" || name.rfind("LOG", 0) == 0) continue;  // not part of the state
    if (entry.path().extension() != ".sst") {
      files.other_files.push_back(name);
      continue;
    }
    auto found = unique_names.find(name);
    if (found == unique_names.end()) {
      return base::Status::Error(base::ErrorCode::kIo,
                                 fmt::format("'{}/{}' is not a live SST file of the captured copy",
                                             options_.directory, name));
    }
    files.sst_files.emplace_back(name, found->second);
  }
  if (error) {
    return base::Status::Error(
        base::ErrorCode::kIo,
        fmt::format("cannot list '{}': {}", options_.directory, error.message()));
  }
  std::sort(files.other_files.begin(), files.other_files.end());
  std::sort(files.sst_files.begin(), files.sst_files.end());
  return files;
}

RocksDbTableEstimate RocksDbBackend::Estimate(const std::string& uid,
                                              const std::string& state_name) const {
  RocksDbTableEstimate estimate;
  auto found = tables_.find(std::make_pair(uid, state_name));
  if (found == tables_.end()) return estimate;
  uint64_t value = 0;
  if (db_->GetIntProperty(found->second->entries_, "rocksdb.estimate-num-keys", &value)) {
    estimate.entries = static_cast<int64_t>(value);
  }
  if (db_->GetIntProperty(found->second->entries_, "rocksdb.estimate-live-data-size", &value)) {
    estimate.bytes = static_cast<int64_t>(value);
  }
  return estimate;
}

base::Status RocksDbBackend::RetainTables(const std::set<std::string>& uids) {
  for (auto it = tables_.begin(); it != tables_.end();) {
    if (uids.count(it->first.first) != 0) {
      ++it;
      continue;
    }
    for (rocksdb::ColumnFamilyHandle* family : {it->second->entries_, it->second->namespaces_}) {
      rocksdb::Status status = db_->DropColumnFamily(family);
      if (!status.ok()) {
        return base::Status::Error(
            base::ErrorCode::kIo,
            fmt::format("cannot drop state '{}' of '{}' in '{}': {}", it->first.second,
                        it->first.first, options_.directory, status.ToString()));
      }
      handles_.erase(std::find(handles_.begin(), handles_.end(), family));
      db_->DestroyColumnFamilyHandle(family);
    }
    it = tables_.erase(it);
  }
  return base::Status::Ok();
}

// ---- bulk loading ----------------------------------------------------------------------------

/// Turns sorted records into SST files of one table, written in key order with SstFileWriter
/// under `<instance>/ingest/`, then ingested (moved) into the table's column families.
///
/// The canonical order (key group, key, namespace) is not the order of encoded keys (the key's
/// varint length comes first), so the records of one key group are buffered and sorted by
/// encoded key before they are written; key groups arrive in order, so memory is one key
/// group's records. Namespace index keys (key bytes only) are sorted at the end.
class BulkLoader {
 public:
  BulkLoader(RocksDbBackend* backend, rocksdb::ColumnFamilyHandle* entries,
             rocksdb::ColumnFamilyHandle* namespaces)
      : backend_(backend), entries_(entries), namespaces_(namespaces) {}
  ~BulkLoader() {
    std::error_code ignored;
    if (!directory_.empty()) std::filesystem::remove_all(directory_, ignored);
  }

  base::Status Add(int32_t key_group, std::string_view key, std::string_view ns,
                   std::string_view value) {
    if (key_group != key_group_) {
      if (key_group < key_group_) {
        return Error(
            fmt::format("records out of order: key group {} after {}", key_group, key_group_));
      }
      SLUICE_RETURN_IF_ERROR(FlushKeyGroup());
      key_group_ = key_group;
    }
    group_.emplace_back(EntryKey(key_group, key, ns), std::string(value));
    if (!ns.empty()) index_keys_.push_back(NamespacePrefix(ns) + KeyPrefix(key_group, key));
    return base::Status::Ok();
  }

  base::Status Finish() {
    SLUICE_RETURN_IF_ERROR(FlushKeyGroup());
    SLUICE_RETURN_IF_ERROR(CloseFile(&entries_writer_));
    std::sort(index_keys_.begin(), index_keys_.end());
    index_keys_.erase(std::unique(index_keys_.begin(), index_keys_.end()), index_keys_.end());
    for (const std::string& key : index_keys_) {
      SLUICE_RETURN_IF_ERROR(Append(namespaces_, &index_writer_, &index_files_, key, {}));
    }
    SLUICE_RETURN_IF_ERROR(CloseFile(&index_writer_));
    std::vector<rocksdb::IngestExternalFileArg> args;
    for (auto [family, files] :
         {std::make_pair(entries_, &entry_files_), std::make_pair(namespaces_, &index_files_)}) {
      if (files->empty()) continue;
      rocksdb::IngestExternalFileArg arg;
      arg.column_family = family;
      arg.external_files = *files;
      arg.options.move_files = true;  // hard links: no copy of the data
      args.push_back(std::move(arg));
    }
    if (args.empty()) return base::Status::Ok();
    return Check(backend_->db()->IngestExternalFiles(args), "IngestExternalFiles");
  }

 private:
  static constexpr uint64_t kFileBytes = 256 << 20;  // start a new SST file after this

  base::Status FlushKeyGroup() {
    std::sort(group_.begin(), group_.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (size_t i = 0; i < group_.size(); ++i) {
      if (i > 0 && group_[i].first == group_[i - 1].first) {
        return Error(fmt::format("a duplicate record in key group {}", key_group_));
      }
      SLUICE_RETURN_IF_ERROR(
          Append(entries_, &entries_writer_, &entry_files_, group_[i].first, group_[i].second));
    }
    group_.clear();
    return base::Status::Ok();
  }

  base::Status Append(rocksdb::ColumnFamilyHandle* family,
                      std::unique_ptr<rocksdb::SstFileWriter>* writer,
                      std::vector<std::string>* files, const std::string& key,
                      std::string_view value) {
    if (*writer != nullptr && (*writer)->FileSize() >= kFileBytes) {
      SLUICE_RETURN_IF_ERROR(CloseFile(writer));
    }
    if (*writer == nullptr) SLUICE_RETURN_IF_ERROR(OpenFile(family, writer, files));
    return Check((*writer)->Put(key, AsSlice(value)), "SstFileWriter::Put");
  }

  base::Status OpenFile(rocksdb::ColumnFamilyHandle* family,
                        std::unique_ptr<rocksdb::SstFileWriter>* writer,
                        std::vector<std::string>* files) {
    if (directory_.empty()) {
      directory_ = backend_->directory() + "/ingest";
      std::error_code error;
      std::filesystem::create_directories(directory_, error);
      if (error) return Error(fmt::format("cannot create '{}': {}", directory_, error.message()));
    }
    rocksdb::Options options(backend_->db()->GetDBOptions(), backend_->db()->GetOptions(family));
    // Fast to write; compaction recompresses the bottommost level with ZSTD later.
    options.compression = rocksdb::kLZ4Compression;
    options.bottommost_compression = rocksdb::kLZ4Compression;
    *writer = std::make_unique<rocksdb::SstFileWriter>(rocksdb::EnvOptions(), options, family);
    std::string path = fmt::format("{}/{}.sst", directory_, next_file_++);
    files->push_back(path);
    return Check((*writer)->Open(path), "SstFileWriter::Open");
  }

  base::Status CloseFile(std::unique_ptr<rocksdb::SstFileWriter>* writer) {
    if (*writer == nullptr) return base::Status::Ok();
    rocksdb::Status status = (*writer)->Finish();
    writer->reset();
    return Check(status, "SstFileWriter::Finish");
  }

  base::Status Check(const rocksdb::Status& status, const char* operation) const {
    if (status.ok()) return base::Status::Ok();
    return Error(fmt::format("{} failed: {}", operation, status.ToString()));
  }
  base::Status Error(const std::string& what) const {
    return base::Status::Error(
        base::ErrorCode::kIo,
        fmt::format("bulk load into RocksDB state in '{}': {}", backend_->directory(), what));
  }

  RocksDbBackend* backend_;
  rocksdb::ColumnFamilyHandle* entries_;
  rocksdb::ColumnFamilyHandle* namespaces_;
  std::string directory_;
  int next_file_ = 0;
  int32_t key_group_ = -1;
  std::vector<std::pair<std::string, std::string>> group_;
  std::vector<std::string> index_keys_;
  std::unique_ptr<rocksdb::SstFileWriter> entries_writer_;
  std::unique_ptr<rocksdb::SstFileWriter> index_writer_;
  std::vector<std::string> entry_files_;
  std::vector<std::string> index_files_;
};

base::Status RocksDbBackend::LoadSorted(const std::string& uid, const std::string& state_name,
                                        const SortedRecords& records) {
  if (read_only_) {
    return base::Status::Error(
        base::ErrorCode::kInternal,
        fmt::format("cannot load state into the captured copy '{}'", options_.directory));
  }
  SLUICE_ASSIGN_OR_RETURN(StateTable * table, GetTable(uid, state_name));
  auto* rocks_table = static_cast<RocksDbTable*>(table);
  BulkLoader loader(this, rocks_table->entries_, rocks_table->namespaces_);
  SLUICE_RETURN_IF_ERROR(
      records([&loader](int32_t key_group, std::string_view key, std::string_view ns,
                        std::string_view value) { return loader.Add(key_group, key, ns, value); }));
  return loader.Finish();
}

// ---- table operations ------------------------------------------------------------------------

bool RocksDbTable::Get(int32_t key_group, std::string_view key, std::string_view ns,
                       std::string* value) const {
  rocksdb::Status status =
      backend_->db()->Get(backend_->read_options(), entries_, EntryKey(key_group, key, ns), value);
  if (status.IsNotFound()) return false;
  return backend_->Check(status, "Get");
}

void RocksDbTable::Put(int32_t key_group, std::string_view key, std::string_view ns,
                       std::string_view value) {
  rocksdb::WriteBatch batch;
  batch.Put(entries_, EntryKey(key_group, key, ns), AsSlice(value));
  if (indexed_ && !ns.empty()) {
    batch.Put(namespaces_, IndexKey(key_group, key, ns), rocksdb::Slice());
  }
  backend_->Check(backend_->db()->Write(backend_->write_options(), &batch), "Put");
}

void RocksDbTable::Delete(int32_t key_group, std::string_view key, std::string_view ns) {
  rocksdb::WriteBatch batch;
  batch.Delete(entries_, EntryKey(key_group, key, ns));
  if (indexed_ && !ns.empty()) batch.Delete(namespaces_, IndexKey(key_group, key, ns));
  backend_->Check(backend_->db()->Write(backend_->write_options(), &batch), "Delete");
}

void RocksDbTable::Scan(
    const std::string& begin, const std::string& end,
    const std::function<bool(std::string_view, std::string_view)>& visit) const {
  rocksdb::ReadOptions options = backend_->read_options();
  rocksdb::Slice upper(end);
  if (!end.empty()) options.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(backend_->db()->NewIterator(options, entries_));
  for (it->Seek(begin); it->Valid(); it->Next()) {
    if (!visit(View(it->key()), View(it->value()))) break;
  }
  backend_->Check(it->status(), "a scan");
}

void RocksDbTable::EnsureIndex() const {
  if (indexed_) return;
  rocksdb::WriteBatch batch;
  Scan({}, {}, [&](std::string_view encoded, std::string_view) {
    DecodedKey decoded;
    if (DecodeEntryKey(encoded, &decoded) && !decoded.ns.empty()) {
      batch.Put(namespaces_, IndexKey(decoded.key_group, decoded.key, decoded.ns),
                rocksdb::Slice());
    }
    return true;
  });
  batch.Put(namespaces_, AsSlice(kIndexCompleteKey), rocksdb::Slice());
  backend_->Check(backend_->db()->Write(backend_->write_options(), &batch), "an index build");
  indexed_ = true;
}

void RocksDbTable::ScanNamespace(
    std::string_view ns, const std::function<void(int32_t, std::string_view)>& visit) const {
  EnsureIndex();
  std::string prefix = NamespacePrefix(ns);
  std::string end = PrefixEnd(prefix);
  rocksdb::ReadOptions options = backend_->read_options();
  rocksdb::Slice upper(end);
  if (!end.empty()) options.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(backend_->db()->NewIterator(options, namespaces_));
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    std::string_view rest = View(it->key()).substr(prefix.size());
    DecodedKey decoded;
    if (!DecodeEntryKey(rest, &decoded) || !decoded.ns.empty()) {
      backend_->Check(rocksdb::Status::Corruption("malformed namespace index key"), "a scan");
      return;
    }
    visit(decoded.key_group, decoded.key);
  }
  backend_->Check(it->status(), "a namespace scan");
}

void RocksDbTable::ForEachInNamespace(std::string_view ns, const EntryVisitor& visitor) const {
  // A read-only copy cannot build its index: it scans instead.
  if (ns.empty() || (!indexed_ && backend_->read_only())) {
    Scan({}, {}, [&](std::string_view encoded, std::string_view value) {
      DecodedKey decoded;
      if (DecodeEntryKey(encoded, &decoded) && decoded.ns == ns) {
        visitor(decoded.key_group, decoded.key, decoded.ns, value);
      }
      return true;
    });
    return;
  }
  std::string value;
  ScanNamespace(ns, [&](int32_t key_group, std::string_view key) {
    if (Get(key_group, key, ns, &value)) visitor(key_group, key, ns, value);
  });
}

void RocksDbTable::DeleteNamespace(std::string_view ns) {
  std::vector<std::pair<int32_t, std::string>> keys;
  if (ns.empty()) {
    Scan({}, {}, [&](std::string_view encoded, std::string_view) {
      DecodedKey decoded;
      if (DecodeEntryKey(encoded, &decoded) && decoded.ns.empty()) {
        keys.emplace_back(decoded.key_group, std::string(decoded.key));
      }
      return true;
    });
  } else {
    ScanNamespace(ns, [&](int32_t key_group, std::string_view key) {
      keys.emplace_back(key_group, std::string(key));
    });
  }
  rocksdb::WriteBatch batch;
  for (const auto& [key_group, key] : keys) {
    batch.Delete(entries_, EntryKey(key_group, key, ns));
    if (!ns.empty()) batch.Delete(namespaces_, IndexKey(key_group, key, ns));
  }
  backend_->Check(backend_->db()->Write(backend_->write_options(), &batch), "DeleteNamespace");
}

void RocksDbTable::ForEachOfKey(int32_t key_group, std::string_view key,
                                const EntryVisitor& visitor) const {
  std::string prefix = KeyPrefix(key_group, key);
  Scan(prefix, PrefixEnd(prefix), [&](std::string_view encoded, std::string_view value) {
    visitor(key_group, key, encoded.substr(prefix.size()), value);
    return true;
  });
}

void RocksDbTable::ForEachInKeyGroups(int32_t first, int32_t last,
                                      const EntryVisitor& visitor) const {
  if (first > last) return;
  std::string begin, end;
  AppendKeyGroup(&begin, first);
  if (last < 0xffff) AppendKeyGroup(&end, last + 1);
  Scan(begin, end, [&](std::string_view encoded, std::string_view value) {
    DecodedKey decoded;
    if (!DecodeEntryKey(encoded, &decoded)) {
      backend_->Check(rocksdb::Status::Corruption("malformed state key"), "a key-group scan");
      return false;
    }
    visitor(decoded.key_group, decoded.key, decoded.ns, value);
    return true;
  });
}

int64_t RocksDbTable::EntryCount() const {
  // Exact (tests and metrics rely on it), so it counts: O(entries).
  int64_t count = 0;
  Scan({}, {}, [&](std::string_view, std::string_view) {
    ++count;
    return true;
  });
  return count;
}

int64_t RocksDbTable::BytesUsed() const {
  uint64_t live = 0, memtables = 0;
  for (rocksdb::ColumnFamilyHandle* family : {entries_, namespaces_}) {
    uint64_t value = 0;
    if (backend_->db()->GetIntProperty(family, "rocksdb.estimate-live-data-size", &value)) {
      live += value;
    }
    if (backend_->db()->GetIntProperty(family, "rocksdb.cur-size-all-mem-tables", &value)) {
      memtables += value;
    }
  }
  return static_cast<int64_t>(live + memtables);
}

}  // namespace

base::Result<std::unique_ptr<StateBackend>> MakeRocksDbStateBackend(
    const RocksDbBackendOptions& options) {
  auto backend = std::make_unique<RocksDbBackend>(options, false);
  SLUICE_RETURN_IF_ERROR(backend->Open());
  return std::unique_ptr<StateBackend>(std::move(backend));
}

bool IsRocksDbBackend(const StateBackend* backend) {
  return dynamic_cast<const RocksDbBackend*>(backend) != nullptr;
}

base::Result<CapturedRocksDbFiles> ListCapturedRocksDbFiles(const StateBackend* backend) {
  auto* rocks = dynamic_cast<const RocksDbBackend*>(backend);
  if (rocks == nullptr || !rocks->read_only()) {
    return base::Status::Error(base::ErrorCode::kInternal,
                               "not a captured copy of a rocksdb state backend");
  }
  return rocks->CapturedFiles();
}

RocksDbTableEstimate EstimateRocksDbTable(const StateBackend* backend, const std::string& uid,
                                          const std::string& state_name) {
  auto* rocks = dynamic_cast<const RocksDbBackend*>(backend);
  return rocks == nullptr ? RocksDbTableEstimate{} : rocks->Estimate(uid, state_name);
}

base::Status RetainRocksDbTables(StateBackend* backend, const std::set<std::string>& uids) {
  auto* rocks = dynamic_cast<RocksDbBackend*>(backend);
  if (rocks == nullptr) {
    return base::Status::Error(base::ErrorCode::kInternal, "not a rocksdb state backend");
  }
  return rocks->RetainTables(uids);
}

}  // namespace sluice::runtime::state

namespace sluice::runtime::state {

base::Status ReadRocksDbCheckpoint(const std::string& checkpoint, const std::string& uid,
                                   const std::string& state_name, int32_t first, int32_t last,
                                   const RecordSink& sink) {
  // An incremental checkpoint's SST files live in the job's shared/ area: RocksDB needs them
  // in one directory, so they are hard-linked into a scratch copy first.
  std::unique_ptr<MaterializedCheckpoint> materialized;
  std::string directory = checkpoint;
  if (IsIncrementalRocksDbCheckpoint(checkpoint)) {
    SLUICE_ASSIGN_OR_RETURN(materialized, MaterializedCheckpoint::Make(checkpoint));
    directory = materialized->directory();
  }
  auto error = [&](const rocksdb::Status& status) {
    return base::Status::Error(
        base::ErrorCode::kIo,
        fmt::format("cannot read the RocksDB checkpoint '{}': {}", checkpoint, status.ToString()));
  };
  std::vector<std::string> names;
  rocksdb::DBOptions db_options;
  db_options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  rocksdb::Status status = rocksdb::DB::ListColumnFamilies(db_options, directory, &names);
  if (!status.ok()) return error(status);
  std::string wanted = FamilyName(uid, state_name);
  auto found = std::find(names.begin(), names.end(), wanted);
  if (found == names.end()) return base::Status::Ok();
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()},
      {wanted, rocksdb::ColumnFamilyOptions()}};
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  status = rocksdb::DB::OpenForReadOnly(db_options, directory, families, &handles, &db);
  if (!status.ok()) return error(status);
  std::string begin, end;
  AppendKeyGroup(&begin, first);
  if (last < 0xffff) AppendKeyGroup(&end, last + 1);
  rocksdb::ReadOptions options;
  rocksdb::Slice upper(end);
  if (!end.empty()) options.iterate_upper_bound = &upper;
  options.fill_cache = false;
  base::Status result = base::Status::Ok();
  {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(options, handles[1]));
    for (it->Seek(begin); it->Valid() && result.ok(); it->Next()) {
      DecodedKey decoded;
      if (!DecodeEntryKey(View(it->key()), &decoded)) {
        result = error(rocksdb::Status::Corruption("malformed state key"));
        break;
      }
      result = sink(decoded.key_group, decoded.key, decoded.ns, View(it->value()));
    }
    if (result.ok() && !it->status().ok()) result = error(it->status());
  }
  for (rocksdb::ColumnFamilyHandle* handle : handles) db->DestroyColumnFamilyHandle(handle);
  delete db;
  return result;
}

base::Status CheckpointRocksDbBackend(StateBackend* backend, const std::string& directory) {
  auto* rocks = dynamic_cast<RocksDbBackend*>(backend);
  if (rocks == nullptr) {
    return base::Status::Error(base::ErrorCode::kRuntime,
                               "a native savepoint needs the rocksdb state backend "
                               "(state.backend.type = 'rocksdb')");
  }
  // A captured copy is a checkpoint already (and read-only: rocksdb::Checkpoint needs a
  // writable instance).
  if (rocks->read_only()) return MaterializeRocksDbCheckpoint(rocks->directory(), directory);
  rocksdb::Checkpoint* checkpoint = nullptr;
  rocksdb::Status status = rocksdb::Checkpoint::Create(rocks->db(), &checkpoint);
  if (status.ok()) {
    status = checkpoint->CreateCheckpoint(directory);
    delete checkpoint;
  }
  if (!status.ok()) {
    return base::Status::Error(base::ErrorCode::kIo,
                               fmt::format("cannot checkpoint RocksDB state of '{}' into '{}': {}",
                                           rocks->directory(), directory, status.ToString()));
  }
  return base::Status::Ok();
}

}  // namespace sluice::runtime::state
