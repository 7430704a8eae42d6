// Checkpoints of growing RocksDB state: incremental native checkpoints (Capture +
// WriteIncrementalCheckpoint), native restores (RestoreRocksDbBackendNatively), and a canonical
// savepoint (WriteCanonicalSnapshot, RestoreInto) against the disk's own sequential speed.
// Usage: checkpoint_bench [gigabytes=2] [steps=4] [value-bytes=100] [work-directory=/tmp]
//
// One subtask's state (one table, 128 key groups) grows by random 16-byte keys and
// value-bytes values of random letters (put one by one, as operators do) in `steps` equal
// steps; after each step, and after each of three 1% changes, a checkpoint: the synchronous Capture
// and the asynchronous write, with the bytes copied into shared/. The last two checkpoints are
// retained (RemoveUnreferencedSharedFiles after each). "Data" counts key + value bytes.
#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "runtime/state/incremental_checkpoint.h"
#include "runtime/state/rocksdb_state_backend.h"
#include "runtime/state/snapshot.h"

namespace {

namespace fs = std::filesystem;
using namespace sluice::runtime;
using namespace sluice::runtime::state;
using Clock = std::chrono::steady_clock;

constexpr int32_t kKeyGroups = 128;
constexpr double kMB = 1e6;

/// CPU seconds of the calling thread (RocksDB's background threads not included).
double ThreadCpuSeconds() {
  timespec now{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

template <typename T>
T Check(sluice::base::Result<T> result, const char* what) {
  if (!result.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, result.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(result).value();
}

void Check(const sluice::base::Status& status, const char* what) {
  if (!status.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, status.ToString().c_str());
    std::exit(1);
  }
}

int64_t DirectoryBytes(const fs::path& directory) {
  int64_t bytes = 0;
  for (const auto& entry : fs::recursive_directory_iterator(directory)) {
    if (entry.is_regular_file()) bytes += static_cast<int64_t>(entry.file_size());
  }
  return bytes;
}

/// Sequential write (fsync included) and read (page cache dropped first) of a file, in MB/s.
std::pair<double, double> DiskSpeed(const std::string& path, int64_t bytes) {
  std::vector<char> buffer(4 << 20);
  std::mt19937_64 random(7);
  for (size_t i = 0; i < buffer.size(); i += 8) {
    uint64_t value = random();
    std::memcpy(buffer.data() + i, &value, 8);
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  auto start = Clock::now();
  for (int64_t written = 0; written < bytes;) {
    ssize_t n = ::write(fd, buffer.data(), buffer.size());
    if (n <= 0) std::exit(1);
    written += n;
  }
  ::fsync(fd);
  double write_seconds = Seconds(start);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  ::close(fd);
  fd = ::open(path.c_str(), O_RDONLY);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  start = Clock::now();
  while (::read(fd, buffer.data(), buffer.size()) > 0) {
  }
  double read_seconds = Seconds(start);
  ::close(fd);
  fs::remove(path);
  return {bytes / kMB / write_seconds, bytes / kMB / read_seconds};
}

/// Drops the page cache of every file under `directory` (so restores read from the disk).
void DropCache(const fs::path& directory) {
  for (const auto& entry : fs::recursive_directory_iterator(directory)) {
    if (!entry.is_regular_file()) continue;
    int fd = ::open(entry.path().c_str(), O_RDONLY);
    if (fd < 0) continue;
    ::fdatasync(fd);
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
  }
}

plan::PlanGraph BenchPlan() {
  plan::PlanGraph plan;
  plan.job_name = "bench";
  plan.max_parallelism = kKeyGroups;
  plan::PlanNode node;
  node.id = 0;
  node.uid = "op";
  node.kind = plan::OperatorKind::kGroupAggregate;
  plan::StateSpec spec;
  spec.name = "state";
  node.state.push_back(spec);
  plan.nodes = {node};
  return plan;
}

/// Puts `bytes` of random records (16-byte keys) into `table`.
void Grow(StateTable* table, int64_t bytes, int32_t value_bytes, std::mt19937_64* random) {
  std::string key(16, '\0');
  std::string value(static_cast<size_t>(value_bytes), '\0');
  static const char kLetters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  for (int64_t done = 0; done < bytes; done += 16 + value_bytes) {
    uint64_t a = (*random)(), b = (*random)();
    std::memcpy(key.data(), &a, 8);
    std::memcpy(key.data() + 8, &b, 8);
    for (size_t i = 0; i < value.size(); i += 8) {
      uint64_t bits = (*random)();
      for (size_t c = i; c < i + 8 && c < value.size(); ++c) {
        value[c] = kLetters[(bits >> (8 * (c - i))) % 62];
      }
    }
    table->Put(static_cast<int32_t>(a % kKeyGroups), key, {}, value);
  }
}

}  // namespace

int main(int argc, char** argv) {
  double gigabytes = argc > 1 ? std::atof(argv[1]) : 2;
  const int steps = argc > 2 ? std::atoi(argv[2]) : 4;
  const int32_t value_bytes = argc > 3 ? std::atoi(argv[3]) : 100;
  const std::string work = argc > 4 ? argv[4] : "/tmp";
  struct statvfs disk {};
  ::statvfs(work.c_str(), &disk);
  double free_gb = static_cast<double>(disk.f_bavail) * disk.f_frsize / 1e9;
  // Live state, shared/ (with compaction churn), a savepoint, a restore: about 3x the data.
  if (free_gb < gigabytes * 3 + 2) {
    double scaled = std::max(0.1, (free_gb - 2) / 3);
    std::printf("# only %.1f GB free under %s: scaled down from %.1f GB to %.1f GB\n", free_gb,
                work.c_str(), gigabytes, scaled);
    gigabytes = scaled;
  }
  const fs::path base = fs::path(work) / ("sluice-checkpoint-bench-" + std::to_string(::getpid()));
  fs::create_directories(base);
  const std::string root = (base / "checkpoints" / "bench").string();
  auto [disk_write, disk_read] = DiskSpeed((base / "disk-test").string(), 1000 * 1000 * 1000);
  std::printf("# disk under %s: sequential write+fsync %.0f MB/s, read %.0f MB/s (1 GB file)\n",
              work.c_str(), disk_write, disk_read);

  plan::PlanGraph plan = BenchPlan();
  RocksDbBackendOptions options;
  options.directory = (base / "live").string();
  auto live = Check(MakeRocksDbStateBackend(options), "open");
  StateTable* table = Check(live->GetTable("op", "state"), "table");
  std::mt19937_64 random(42);
  const auto step_bytes = static_cast<int64_t>(gigabytes * 1e9 / steps);

  std::printf(
      "\n| step | data | checkpointed SSTs | grow | capture (sync) | write checkpoint | copied "
      "into "
      "shared/ | shared/ total | verify (ReadSnapshot) | native restore |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|\n");
  int64_t data = 0;
  // Then three changes of 1% of the full state: the first also pays for the compactions the
  // last growth step left running.
  constexpr int kSmallSteps = 3;
  for (int step = 1; step <= steps + kSmallSteps; ++step) {
    bool small = step > steps;
    int64_t grow = small ? data / 100 : step_bytes;
    auto start = Clock::now();
    Grow(table, grow, value_bytes, &random);
    double grow_seconds = Seconds(start);
    data += grow;
    Check(live->status(), "puts");

    start = Clock::now();
    auto captured = Check(live->Capture((base / "capture").string()), "capture");
    double capture_seconds = Seconds(start);
    std::string chk = root + "/chk-" + std::to_string(step);
    IncrementalCheckpointStats stats;
    start = Clock::now();
    Check(WriteIncrementalCheckpoint(chk, root + "/shared", plan,
                                     {{"op", 0, captured.get(), 0, kKeyGroups - 1}}, {}, &stats),
          "checkpoint");
    double write_seconds = Seconds(start);
    int64_t checkpointed_bytes = stats.bytes_copied + stats.bytes_reused;
    captured.reset();
    if (step > 2) fs::remove_all(root + "/chk-" + std::to_string(step - 2));
    Check(RemoveUnreferencedSharedFiles(root), "cleanup");

    DropCache(root);
    start = Clock::now();
    auto snapshot = Check(ReadSnapshot(chk), "read");
    double verify_seconds = Seconds(start);
    RocksDbBackendOptions restore_options;
    restore_options.directory = (base / "restored").string();
    start = Clock::now();
    auto restored = Check(RestoreRocksDbBackendNatively(snapshot, {&plan.nodes[0]}, 0,
                                                        kKeyGroups - 1, restore_options),
                          "native restore");
    double restore_seconds = Seconds(start);
    if (restored == nullptr) std::exit(1);
    std::string probe;
    restored->GetTable("op", "state").value()->Get(0, "absent", {}, &probe);
    restored.reset();

    std::printf(
        "| %s | %.0f MB | %.0f MB | %.1f s | %.2f s | %.2f s | %.0f MB (%lld files) | %.0f "
        "MB | %.2f s | %.3f s |\n",
        small ? "+1%" : std::to_string(step).c_str(), data / kMB, checkpointed_bytes / kMB,
        grow_seconds, capture_seconds, write_seconds, stats.bytes_copied / kMB,
        static_cast<long long>(stats.files_copied), DirectoryBytes(root + "/shared") / kMB,
        verify_seconds, restore_seconds);
    std::fflush(stdout);
  }

  // A canonical savepoint of the final state, and its restore into RocksDB.
  auto captured = Check(live->Capture((base / "capture").string()), "capture");
  std::string savepoint = (base / "savepoint").string();
  auto start = Clock::now();
  double cpu = ThreadCpuSeconds();
  Check(WriteCanonicalSnapshot(savepoint, plan, {{"op", 0, captured.get(), 0, kKeyGroups - 1}}),
        "savepoint");
  double savepoint_seconds = Seconds(start);
  double savepoint_cpu = ThreadCpuSeconds() - cpu;
  captured.reset();
  int64_t savepoint_bytes = DirectoryBytes(savepoint);
  DropCache(savepoint);
  options.directory = (base / "canonical-restore").string();
  auto target = Check(MakeRocksDbStateBackend(options), "open");
  start = Clock::now();
  cpu = ThreadCpuSeconds();
  auto snapshot = Check(ReadSnapshot(savepoint), "read savepoint");
  double verify_seconds = Seconds(start);
  Check(RestoreInto(snapshot, "op", "state", target.get(), 0, kKeyGroups - 1), "restore");
  double restore_seconds = Seconds(start);
  double restore_cpu = ThreadCpuSeconds() - cpu;
  std::printf("\ncanonical savepoint of %.0f MB of data: %.0f MB of state files\n", data / kMB,
              savepoint_bytes / kMB);
  std::printf("| | time | CPU of the thread | MB/s (state files) | %% of disk |\n");
  std::printf("|---|---|---|---|---|\n");
  std::printf("| write (WriteCanonicalSnapshot) | %.1f s | %.1f s | %.0f | %.0f%% of write |\n",
              savepoint_seconds, savepoint_cpu, savepoint_bytes / kMB / savepoint_seconds,
              100 * savepoint_bytes / kMB / savepoint_seconds / disk_write);
  // A restore reads the state files and writes SST files of about their size.
  std::printf(
      "| restore (ReadSnapshot + RestoreInto rocksdb) | %.1f s | %.1f s | %.0f | %.0f%% of read, "
      "%.0f%% of write |\n",
      restore_seconds, restore_cpu, savepoint_bytes / kMB / restore_seconds,
      100 * savepoint_bytes / kMB / restore_seconds / disk_read,
      100 * savepoint_bytes / kMB / restore_seconds / disk_write);
  std::printf("(of the restore, %.1f s verify the checksums: ReadSnapshot)\n", verify_seconds);
  target.reset();
  live.reset();
  fs::remove_all(base);
  return 0;
}
