#include "runtime/state/rocksdb_state_backend.h"

#include <fmt/format.h>
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/memtablerep.h>
#include <rocksdb/options.h>
#include <rocksdb/slice_transform.h>
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
#include "runtime/state/rocksdb_backend_internal.h"

namespace sluice::runtime::state {
namespace rocksdb_backend {

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
//   absent keys — a new group, a join key without partner — skip the read), filter and index
//   partitioned, their blocks in the shared block cache, pinned for level 0.
namespace {

/// The prefix of an entry key every namespace of one key shares, `[key group][key length][key]`
/// (KeyPrefix): a join probe or a group's lookup reads one such prefix.
class KeyPrefixTransform final : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "sluice.KeyPrefix.v1"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    return rocksdb::Slice(key.data(), PrefixSize(key));
  }
  bool InDomain(const rocksdb::Slice& key) const override { return PrefixSize(key) > 0; }

 private:
  /// The prefix's length (through the key, before the namespace), 0 when `key` holds no whole
  /// one.
  static size_t PrefixSize(const rocksdb::Slice& key) {
    DecodedKey decoded;
    if (!DecodeEntryKey(std::string_view(key.data(), key.size()), &decoded)) return 0;
    return static_cast<size_t>(decoded.key.data() - key.data()) + decoded.key.size();
  }
};

}  // namespace

rocksdb::ColumnFamilyOptions RocksDbBackend::TableOptions(bool entries) const {
  rocksdb::ColumnFamilyOptions options;
  if (entries) {
    // A Bloom filter of key prefixes (and whole keys) in each memtable and SST: a Get of an
    // absent entry or the scan of an absent key skips them. Scans across keys read in total
    // order (RocksDbTable::Scan).
    static const std::shared_ptr<const rocksdb::SliceTransform> kKeyPrefix =
        std::make_shared<KeyPrefixTransform>();
    options.prefix_extractor = kKeyPrefix;
    options.memtable_prefix_bloom_size_ratio = 0.05;
    options.memtable_whole_key_filtering = true;
    options.memtable_factory.reset(rocksdb::NewHashSkipListRepFactory(1 << 16, 12, 4));
  }
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
  // Filters and indexes in partitions of about metadata_block_size (4 KB), found through a
  // small top-level index pinned in the cache. A whole-file filter grows with the keys of its
  // SST (10 bits a key: 1 MB at 840 K keys), and a block larger than one shard of the block
  // cache (64 MB in 64 shards) is never kept: every Get then read and checksummed the whole
  // filter again (q7 at 2 M events: 4x the CPU once its rows got small enough to put that
  // many keys in one file).
  table.partition_filters = true;
  table.index_type = rocksdb::BlockBasedTableOptions::kTwoLevelIndexSearch;
  table.pin_top_level_index_and_filter = true;
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
  db_options.allow_concurrent_memtable_write = false;  // the hash-skiplist memtable's need
  db_options.max_open_files = -1;                      // keep every SST open: no table-cache misses
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
      {rocksdb::kDefaultColumnFamilyName, TableOptions(false)}};
  for (const std::string& name : names) {
    if (name == rocksdb::kDefaultColumnFamilyName) continue;
    bool index = name.size() > kIndexSuffix.size() &&
                 std::string_view(name).substr(name.size() - kIndexSuffix.size()) == kIndexSuffix;
    families.emplace_back(name, TableOptions(!index));
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
  if (read_only_) {
    // A captured copy is scanned once, front to back, by a snapshot writer.
    read_options_.readahead_size = 2 << 20;
    read_options_.fill_cache = false;
  }
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
      rocksdb::Status status = db_->CreateColumnFamily(
          TableOptions(false), name + std::string(kIndexSuffix), &namespaces);
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
  rocksdb::Status status = db_->CreateColumnFamily(TableOptions(true), family, &entries);
  if (status.ok()) {
    handles_.push_back(entries);
    status = db_->CreateColumnFamily(TableOptions(false), family + "#ns", &namespaces);
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
  for (fs::directory_iterator entry(options_.directory, error), end; !error && entry != end;
       entry.increment(error)) {
    std::error_code type_error;
    if (!entry->is_regular_file(type_error)) continue;
    std::string name = entry->path().filename().string();
    if (name == "LOCK" || name.rfind("LOG", 0) == 0) continue;  // not part of the state
    if (entry->path().extension() != ".sst") {
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

}  // namespace rocksdb_backend

using rocksdb_backend::AppendKeyGroup;
using rocksdb_backend::DecodedKey;
using rocksdb_backend::DecodeEntryKey;
using rocksdb_backend::FamilyName;
using rocksdb_backend::RocksDbBackend;
using rocksdb_backend::View;

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
