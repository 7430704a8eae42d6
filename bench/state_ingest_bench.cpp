// Restoring canonical state into RocksDB: bulk ingestion (StateBackend::LoadSorted: SST files
// written in key order, then IngestExternalFiles) against key-by-key puts of the same records.
// Usage: state_ingest_bench [megabytes=200] [value-bytes=100] [work-directory=/tmp]
//
// Records are generated on the fly in canonical order (128 key groups, 8-byte keys, the empty
// namespace), so the data size is not bounded by memory. MB/s counts key + value bytes.
// Puts are timed until the last Put returns: the memtable flushes and compactions they leave
// behind are not counted (which favours puts).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "runtime/state/rocksdb_state_backend.h"

namespace {

using namespace sluice::runtime::state;

constexpr int32_t kKeyGroups = 128;

struct Generator {
  int64_t per_key_group = 0;
  int32_t value_bytes = 0;

  /// Calls `sink` on every record in (key group, key) order.
  sluice::base::Status Run(const RecordSink& sink) const {
    std::string key(8, '\0');
    std::string value(static_cast<size_t>(value_bytes), '\0');
    uint64_t random = 0x9e3779b97f4a7c15ULL;
    for (int32_t key_group = 0; key_group < kKeyGroups; ++key_group) {
      for (int64_t i = 0; i < per_key_group; ++i) {
        uint64_t id = static_cast<uint64_t>(key_group) * per_key_group + i;
        for (int b = 0; b < 8; ++b) key[b] = static_cast<char>(id >> (56 - 8 * b));
        for (size_t b = 0; b < value.size(); b += 8) {
          random ^= random << 13;
          random ^= random >> 7;
          random ^= random << 17;
          for (size_t c = b; c < b + 8 && c < value.size(); ++c) {
            value[c] = static_cast<char>('a' + (random >> (8 * (c - b))) % 16);
          }
        }
        SLUICE_RETURN_IF_ERROR(sink(key_group, key, {}, value));
      }
    }
    return sluice::base::Status::Ok();
  }
};

std::unique_ptr<StateBackend> Open(const std::string& directory) {
  RocksDbBackendOptions options;
  options.directory = directory;
  auto backend = MakeRocksDbStateBackend(options);
  if (!backend.ok()) {
    std::fprintf(stderr, "%s\n", backend.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(backend).value();
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t megabytes = argc > 1 ? std::atoll(argv[1]) : 200;
  const int32_t value_bytes = argc > 2 ? std::atoi(argv[2]) : 100;
  const std::string work = argc > 3 ? argv[3] : "/tmp";
  Generator generator;
  generator.value_bytes = value_bytes;
  generator.per_key_group = megabytes * 1000 * 1000 / (8 + value_bytes) / kKeyGroups;
  const int64_t records = generator.per_key_group * kKeyGroups;
  const double data_mb = static_cast<double>(records * (8 + value_bytes)) / 1e6;
  const std::string base = work + "/sluice-ingest-bench-" + std::to_string(::getpid());

  double ingest_seconds = 0, put_seconds = 0;
  int64_t ingested_entries = 0, put_entries = 0;
  {
    auto backend = Open(base + "/ingest");
    auto start = std::chrono::steady_clock::now();
    sluice::base::Status status = backend->LoadSorted(
        "op", "state", [&](const RecordSink& sink) { return generator.Run(sink); });
    ingest_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!status.ok()) {
      std::fprintf(stderr, "%s\n", status.ToString().c_str());
      return 1;
    }
    ingested_entries = backend->GetTable("op", "state").value()->EntryCount();
  }
  {
    auto backend = Open(base + "/puts");
    StateTable* table = backend->GetTable("op", "state").value();
    auto start = std::chrono::steady_clock::now();
    sluice::base::Status status = generator.Run(
        [&](int32_t key_group, std::string_view key, std::string_view ns, std::string_view value) {
          table->Put(key_group, key, ns, value);
          return sluice::base::Status::Ok();
        });
    put_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!status.ok() || !backend->status().ok()) return 1;
    put_entries = table->EntryCount();
  }
  std::filesystem::remove_all(base);
  if (ingested_entries != records || put_entries != records) {
    std::fprintf(stderr, "entry counts differ: %lld generated, %lld ingested, %lld put\n",
                 static_cast<long long>(records), static_cast<long long>(ingested_entries),
                 static_cast<long long>(put_entries));
    return 1;
  }
  std::printf(
      "state_ingest: %lld records, %.0f MB (8-byte keys, %d-byte values): ingestion %.2f s = "
      "%.0f MB/s, key-by-key puts %.2f s = %.0f MB/s (%.1fx)\n",
      static_cast<long long>(records), data_mb, value_bytes, ingest_seconds,
      data_mb / ingest_seconds, put_seconds, data_mb / put_seconds, put_seconds / ingest_seconds);
  return 0;
}
