// Table operations and bulk loading of the `rocksdb` backend (see rocksdb_backend_internal.h).

#include <rocksdb/options.h>
#include <rocksdb/sst_file_writer.h>

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "runtime/state/rocksdb_backend_internal.h"

namespace sluice::runtime::state::rocksdb_backend {

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
    // Fixed-length keys arrive in encoded-key order already: no sort then.
    auto by_key = [](const auto& a, const auto& b) { return a.first < b.first; };
    if (!std::is_sorted(group_.begin(), group_.end(), by_key)) {
      std::sort(group_.begin(), group_.end(), by_key);
    }
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

void RocksDbTable::Scan(const std::string& begin, const std::string& end,
                        const std::function<bool(std::string_view, std::string_view)>& visit,
                        bool one_key) const {
  rocksdb::ReadOptions options = backend_->read_options();
  rocksdb::Slice upper(end);
  if (!end.empty()) options.iterate_upper_bound = &upper;
  // A scan of one key's entries may skip files by their prefix filters; any other reads in
  // total order.
  options.total_order_seek = !one_key;
  options.prefix_same_as_start = one_key;
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
  Scan(
      prefix, PrefixEnd(prefix),
      [&](std::string_view encoded, std::string_view value) {
        visitor(key_group, key, encoded.substr(prefix.size()), value);
        return true;
      },
      /*one_key=*/true);
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

}  // namespace sluice::runtime::state::rocksdb_backend
