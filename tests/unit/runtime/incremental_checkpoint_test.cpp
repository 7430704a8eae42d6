// Incremental native checkpoints: shared SST files copied once and reference-counted through
// `_metadata`, read back at any parallelism, restored natively, and every damage named.

#include "runtime/state/incremental_checkpoint.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <tuple>
#include <vector>

namespace sluice::runtime::state {
namespace {

namespace fs = std::filesystem;
using Record = std::tuple<int32_t, std::string, std::string, std::string>;
constexpr int32_t kMaxParallelism = 128;

plan::PlanGraph TestPlan(int32_t parallelism) {
  plan::PlanGraph plan;
  plan.job_name = "orders";
  plan.max_parallelism = kMaxParallelism;
  plan::PlanNode aggregate;
  aggregate.id = 0;
  aggregate.uid = "agg";
  aggregate.kind = plan::OperatorKind::kGroupAggregate;
  aggregate.parallelism = parallelism;
  plan::StateSpec groups;
  groups.name = "groups";
  groups.key_schema.columns = {{"id", types::LogicalType::Bigint()}};
  aggregate.state.push_back(groups);
  plan::PlanNode join;
  join.id = 1;
  join.uid = "join";
  join.kind = plan::OperatorKind::kWindowJoin;
  join.parallelism = parallelism;
  plan::StateSpec left;
  left.name = "left";
  left.state_namespace = plan::StateNamespace::kWindow;
  join.state.push_back(left);
  plan.nodes = {aggregate, join};
  return plan;
}

/// Records `generation` g of state `state`: keys [0, count), values that name g.
std::vector<Record> Records(const std::string& state, int generation, int count = 3000) {
  std::vector<Record> records;
  for (int i = 0; i < count; ++i) {
    auto key_group = static_cast<int32_t>((i * 2654435761u) % kMaxParallelism);
    std::string ns = state == "groups" ? "" : std::string(8, static_cast<char>('a' + i % 3));
    records.emplace_back(key_group, "key-" + std::to_string(i), ns,
                         state + "-" + std::to_string(generation) + std::string(40, 'v'));
  }
  std::sort(records.begin(), records.end());
  return records;
}

std::vector<Record> TableRecords(const StateTable& table, int32_t first = 0,
                                 int32_t last = kMaxParallelism - 1) {
  std::vector<Record> records;
  table.ForEachInKeyGroups(
      first, last,
      [&](int32_t key_group, std::string_view key, std::string_view ns, std::string_view value) {
        records.emplace_back(key_group, std::string(key), std::string(ns), std::string(value));
      });
  std::sort(records.begin(), records.end());
  return records;
}

class IncrementalCheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = fs::temp_directory_path() /
                 ("sluice-incremental-test-" + std::to_string(::getpid()) + "-" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(directory_);
    fs::create_directories(directory_);
  }
  void TearDown() override {
    captures_.clear();
    backends_.clear();
    fs::remove_all(directory_);
  }

  std::string Path(const std::string& name) const { return (directory_ / name).string(); }
  std::string Root() const { return Path("job"); }
  std::string Chk(int n) const { return Root() + "/chk-" + std::to_string(n); }

  std::unique_ptr<StateBackend> MakeBackend(const std::string& kind) {
    if (kind == "memory") return MakeMemoryStateBackend();
    RocksDbBackendOptions options;
    options.directory = Path("rocksdb-" + std::to_string(next_instance_++));
    return MakeRocksDbStateBackend(options).value();
  }

  /// `parallelism` live rocksdb backends, each holding both operators' state of its key groups.
  std::vector<SubtaskState> Live(const plan::PlanGraph& plan, int32_t parallelism) {
    std::vector<SubtaskState> subtasks;
    for (int32_t subtask = 0; subtask < parallelism; ++subtask) {
      backends_.push_back(MakeBackend("rocksdb"));
      auto [first, last] = KeyGroupRangeOf(subtask, parallelism, kMaxParallelism);
      for (const plan::PlanNode& node : plan.nodes) {
        subtasks.push_back({node.uid, subtask, backends_.back().get(), first, last});
      }
    }
    Write(subtasks, 1);
    return subtasks;
  }

  /// Puts generation `generation` of every state's records (the first `count` keys).
  static void Write(const std::vector<SubtaskState>& subtasks, int generation, int count = 3000) {
    for (const SubtaskState& subtask : subtasks) {
      std::string state = subtask.uid == "agg" ? "groups" : "left";
      StateTable* table = subtask.backend->GetTable(subtask.uid, state).value();
      for (const auto& [key_group, key, ns, value] : Records(state, generation, count)) {
        if (key_group >= subtask.first_key_group && key_group <= subtask.last_key_group) {
          table->Put(key_group, key, ns, value);
        }
      }
    }
  }

  /// Captures every distinct backend (the barrier) and returns the subtasks on the copies.
  std::vector<SubtaskState> Capture(std::vector<SubtaskState> subtasks) {
    std::map<StateBackend*, StateBackend*> copies;
    for (SubtaskState& subtask : subtasks) {
      StateBackend*& copy = copies[subtask.backend];
      if (copy == nullptr) {
        auto captured =
            subtask.backend->Capture(Path("capture-" + std::to_string(next_capture_++)));
        EXPECT_TRUE(captured.ok()) << captured.status().ToString();
        captures_.push_back(std::move(captured).value());
        copy = captures_.back().get();
      }
      subtask.backend = copy;
    }
    return subtasks;
  }

  IncrementalCheckpointStats Checkpoint(int n, const plan::PlanGraph& plan,
                                        const std::vector<SubtaskState>& live) {
    IncrementalCheckpointStats stats;
    auto written =
        WriteIncrementalCheckpoint(Chk(n), Root() + "/shared", plan, Capture(live), {}, &stats);
    EXPECT_TRUE(written.ok()) << written.status().ToString();
    captures_.clear();
    return stats;
  }

  /// Restores every state of `snapshot` at `parallelism` into `kind` and returns it whole.
  std::map<std::string, std::vector<Record>> RestoreAll(const Snapshot& snapshot,
                                                        const plan::PlanGraph& plan,
                                                        int32_t parallelism,
                                                        const std::string& kind) {
    std::map<std::string, std::vector<Record>> restored;
    for (const plan::PlanNode& node : plan.nodes) {
      for (const plan::StateSpec& spec : node.state) {
        for (int32_t subtask = 0; subtask < parallelism; ++subtask) {
          auto [first, last] = KeyGroupRangeOf(subtask, parallelism, kMaxParallelism);
          auto backend = MakeBackend(kind);
          base::Status status =
              RestoreInto(snapshot, node.uid, spec.name, backend.get(), first, last);
          EXPECT_TRUE(status.ok()) << status.ToString();
          auto records = TableRecords(*backend->GetTable(node.uid, spec.name).value());
          for (const Record& record : records) {
            EXPECT_GE(std::get<0>(record), first);
            EXPECT_LE(std::get<0>(record), last);
          }
          auto& all = restored[spec.name];
          all.insert(all.end(), records.begin(), records.end());
        }
        std::sort(restored[spec.name].begin(), restored[spec.name].end());
      }
    }
    return restored;
  }

  static std::vector<std::string> SharedFiles(const std::string& root) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(root + "/shared")) {
      names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  static std::string ReadError(const std::string& directory) {
    auto snapshot = ReadSnapshot(directory);
    EXPECT_FALSE(snapshot.ok());
    return snapshot.ok() ? "" : snapshot.status().message();
  }

  fs::path directory_;
  std::vector<std::unique_ptr<StateBackend>> backends_;
  std::vector<std::unique_ptr<StateBackend>> captures_;
  int next_instance_ = 0;
  int next_capture_ = 0;
};

TEST_F(IncrementalCheckpointTest, RestoresTheCapturedStateAtAnotherParallelism) {
  plan::PlanGraph plan = TestPlan(2);
  std::vector<SubtaskState> live = Live(plan, 2);
  std::vector<SubtaskState> captured = Capture(live);
  Write(live, 2);  // after the barrier: not in the checkpoint
  auto written = WriteIncrementalCheckpoint(Chk(1), Root() + "/shared", plan, captured);
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  auto snapshot = ReadSnapshot(Chk(1), "orders");
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  EXPECT_EQ(snapshot->metadata.format, "native");
  EXPECT_TRUE(fs::exists(Chk(1) + "/native/0/SLUICE-SHARED-SST"));
  EXPECT_TRUE(fs::exists(Chk(1) + "/native/1/CURRENT"));
  EXPECT_FALSE(SharedFiles(Root()).empty());
  int64_t entries = 0;
  for (const StateHandle& handle : snapshot->metadata.handles) entries += handle.entries;
  EXPECT_EQ(entries, 2 * 3000);  // RocksDB's estimate, exact for freshly flushed puts
  for (const char* kind : {"memory", "rocksdb"}) {
    for (int32_t parallelism : {1, 3}) {
      auto restored = RestoreAll(*snapshot, plan, parallelism, kind);
      EXPECT_EQ(restored["groups"], Records("groups", 1)) << kind << parallelism;
      EXPECT_EQ(restored["left"], Records("left", 1)) << kind << parallelism;
    }
  }
  // Nothing of the materialized copies is left behind.
  for (const auto& entry : fs::directory_iterator(Chk(1))) {
    EXPECT_EQ(entry.path().filename().string().rfind(".read-", 0), std::string::npos);
  }
}

TEST_F(IncrementalCheckpointTest, CopiesOnlyNewFiles) {
  plan::PlanGraph plan = TestPlan(1);
  std::vector<SubtaskState> live = Live(plan, 1);
  IncrementalCheckpointStats first = Checkpoint(1, plan, live);
  EXPECT_GT(first.files_copied, 0);
  EXPECT_GT(first.bytes_copied, 0);
  EXPECT_EQ(first.files_reused, 0);

  IncrementalCheckpointStats unchanged = Checkpoint(2, plan, live);
  EXPECT_EQ(unchanged.files_copied, 0);
  EXPECT_EQ(unchanged.bytes_copied, 0);
  EXPECT_EQ(unchanged.files_reused, first.files_copied);

  Write(live, 3, 300);  // a tenth of the keys change
  IncrementalCheckpointStats changed = Checkpoint(3, plan, live);
  EXPECT_GT(changed.files_copied, 0);
  EXPECT_LT(changed.bytes_copied, first.bytes_copied);
  EXPECT_GT(changed.files_reused, 0);

  auto snapshot = ReadSnapshot(Chk(3));
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  std::vector<Record> expected = Records("groups", 1);
  std::vector<Record> changed_records = Records("groups", 3, 300);
  for (Record& record : expected) {
    auto found = std::lower_bound(changed_records.begin(), changed_records.end(), record,
                                  [](const Record& a, const Record& b) {
                                    return std::tie(std::get<0>(a), std::get<1>(a)) <
                                           std::tie(std::get<0>(b), std::get<1>(b));
                                  });
    if (found != changed_records.end() && std::get<1>(*found) == std::get<1>(record) &&
        std::get<0>(*found) == std::get<0>(record)) {
      record = *found;
    }
  }
  EXPECT_EQ(RestoreAll(*snapshot, plan, 2, "memory")["groups"], expected);
}

TEST_F(IncrementalCheckpointTest, ALiveBackendIsCapturedFirst) {
  plan::PlanGraph plan = TestPlan(1);
  std::vector<SubtaskState> live = Live(plan, 1);
  auto written = WriteIncrementalCheckpoint(Chk(1), Root() + "/shared", plan, live);
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  auto snapshot = ReadSnapshot(Chk(1));
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  EXPECT_EQ(RestoreAll(*snapshot, plan, 1, "rocksdb")["left"], Records("left", 1));
  EXPECT_FALSE(fs::exists(Chk(1) + "/.capture-0"));
}

TEST_F(IncrementalCheckpointTest, NeedsRocksDbAndTheJobsSharedDirectory) {
  plan::PlanGraph plan = TestPlan(1);
  auto memory = MakeBackend("memory");
  auto written = WriteIncrementalCheckpoint(Chk(1), Root() + "/shared", plan,
                                            {{"agg", 0, memory.get(), 0, kMaxParallelism - 1}});
  ASSERT_FALSE(written.ok());
  EXPECT_NE(written.status().message().find("needs the rocksdb state backend"), std::string::npos)
      << written.status().message();
  written = WriteIncrementalCheckpoint(Chk(2), Path("elsewhere"), plan, Live(plan, 1));
  ASSERT_FALSE(written.ok());
  EXPECT_NE(written.status().message().find("must be '" + Root() + "/shared'"), std::string::npos)
      << written.status().message();
}

TEST_F(IncrementalCheckpointTest, SharedFilesOutliveTheOlderCheckpoint) {
  plan::PlanGraph plan = TestPlan(1);
  std::vector<SubtaskState> live = Live(plan, 1);
  Checkpoint(1, plan, live);
  std::vector<std::string> first_files = SharedFiles(Root());
  Write(live, 2, 100);
  Checkpoint(2, plan, live);
  fs::remove_all(Chk(1));  // retention: keep the last one
  ASSERT_TRUE(RemoveUnreferencedSharedFiles(Root()).ok());
  std::vector<std::string> left = SharedFiles(Root());
  // The files chk-1 shared with chk-2 survive.
  int64_t kept = std::count_if(first_files.begin(), first_files.end(), [&](const std::string& f) {
    return std::find(left.begin(), left.end(), f) != left.end();
  });
  EXPECT_GT(kept, 0);
  auto snapshot = ReadSnapshot(Chk(2));
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  EXPECT_EQ(RestoreAll(*snapshot, plan, 1, "memory")["left"].size(), 3000u);
}

TEST_F(IncrementalCheckpointTest, RemovesWhatNoCheckpointNames) {
  plan::PlanGraph plan = TestPlan(1);
  std::vector<SubtaskState> old_job = Live(plan, 1);
  Checkpoint(1, plan, old_job);
  std::vector<std::string> old_files = SharedFiles(Root());
  std::vector<SubtaskState> new_job = Live(plan, 1);  // another instance: other files
  Checkpoint(2, plan, new_job);
  std::ofstream(Root() + "/shared/stray.sst") << "left by a crash";
  fs::create_directories(Chk(3));  // incomplete: no _metadata
  fs::remove_all(Chk(1));

  // An unreadable _metadata stops the cleanup before anything is deleted.
  fs::create_directories(Chk(4));
  std::ofstream(Chk(4) + "/_metadata") << "{ not json";
  base::Status status = RemoveUnreferencedSharedFiles(Root());
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find(Chk(4) + "/_metadata"), std::string::npos) << status.message();
  EXPECT_TRUE(fs::exists(Root() + "/shared/stray.sst"));
  fs::remove_all(Chk(4));

  ASSERT_TRUE(RemoveUnreferencedSharedFiles(Root()).ok());
  std::vector<std::string> left = SharedFiles(Root());
  EXPECT_FALSE(left.empty());
  for (const std::string& file : old_files) {
    EXPECT_EQ(std::find(left.begin(), left.end(), file), left.end()) << file;
  }
  EXPECT_FALSE(fs::exists(Root() + "/shared/stray.sst"));
  auto snapshot = ReadSnapshot(Chk(2));
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  EXPECT_EQ(RestoreAll(*snapshot, plan, 1, "memory")["groups"], Records("groups", 1));
}

TEST_F(IncrementalCheckpointTest, DamagedOrMissingSharedFilesAreNamed) {
  plan::PlanGraph plan = TestPlan(1);
  Checkpoint(1, plan, Live(plan, 1));
  std::vector<std::string> shared = SharedFiles(Root());
  ASSERT_GE(shared.size(), 2u);
  std::string first = Root() + "/shared/" + shared[0];
  {
    std::fstream stream(first, std::ios::in | std::ios::out | std::ios::binary);
    stream.seekp(10);
    stream.put('\x5a');
  }
  std::string error = ReadError(Chk(1));
  EXPECT_NE(error.find("'" + first + "' is corrupt: checksum"), std::string::npos) << error;

  fs::remove(first);
  error = ReadError(Chk(1));
  EXPECT_NE(error.find("'" + first + "' named by '" + Chk(1) + "/_metadata' is missing"),
            std::string::npos)
      << error;
}

TEST_F(IncrementalCheckpointTest, EveryUsedSharedFileMustBeNamed) {
  plan::PlanGraph plan = TestPlan(1);
  Checkpoint(1, plan, Live(plan, 1));
  std::string path = Chk(1) + "/_metadata";
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  SnapshotMetadata metadata = SnapshotMetadataFromJson(text, path).value();
  auto shared = std::find_if(metadata.files.begin(), metadata.files.end(),
                             [](const SnapshotFile& f) { return f.path.rfind("../", 0) == 0; });
  ASSERT_NE(shared, metadata.files.end());
  std::string name = shared->path.substr(10);
  metadata.files.erase(shared);
  std::ofstream(path, std::ios::trunc) << SnapshotMetadataToJson(metadata);
  std::string error = ReadError(Chk(1));
  EXPECT_NE(error.find("uses shared file '" + name + "', which it does not name"),
            std::string::npos)
      << error;
}

TEST_F(IncrementalCheckpointTest, AFileGoneAfterVerificationFailsTheRestore) {
  plan::PlanGraph plan = TestPlan(1);
  Checkpoint(1, plan, Live(plan, 1));
  auto snapshot = ReadSnapshot(Chk(1));
  ASSERT_TRUE(snapshot.ok());
  for (const std::string& file : SharedFiles(Root())) fs::remove(Root() + "/shared/" + file);
  auto backend = MakeBackend("memory");
  base::Status status = RestoreInto(*snapshot, "agg", "groups", backend.get(), 0, 127);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("shared file '" + Root() + "/shared/"), std::string::npos)
      << status.message();
  EXPECT_NE(status.message().find("is missing"), std::string::npos) << status.message();
}

TEST_F(IncrementalCheckpointTest, PathsOutsideTheJobAreRefused) {
  plan::PlanGraph plan = TestPlan(1);
  Checkpoint(1, plan, Live(plan, 1));
  std::string path = Chk(1) + "/_metadata";
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const char* bad : {"../../outside.sst", "/etc/passwd", "../shared/../x", "native/../../x"}) {
    SnapshotMetadata metadata = SnapshotMetadataFromJson(text, path).value();
    metadata.files.back().path = bad;
    std::ofstream(path, std::ios::trunc) << SnapshotMetadataToJson(metadata);
    std::string error = ReadError(Chk(1));
    EXPECT_NE(error.find(std::string("file '") + bad + "' lies outside"), std::string::npos)
        << error;
  }
}

TEST_F(IncrementalCheckpointTest, RestoresNativelyWhenTheKeyGroupsMatch) {
  plan::PlanGraph plan = TestPlan(2);
  std::vector<SubtaskState> live = Live(plan, 2);
  Checkpoint(1, plan, live);
  Write(live, 2);
  auto snapshot = ReadSnapshot(Chk(1));
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  std::vector<const plan::PlanNode*> nodes = {&plan.nodes[0], &plan.nodes[1]};

  auto [first, last] = KeyGroupRangeOf(1, 2, kMaxParallelism);
  RocksDbBackendOptions options;
  options.directory = Path("restored");
  auto restored = RestoreRocksDbBackendNatively(*snapshot, nodes, first, last, options);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  ASSERT_NE(*restored, nullptr);
  StateBackend* backend = restored->get();
  std::vector<Record> expected;
  for (const Record& record : Records("left", 1)) {
    if (std::get<0>(record) >= first && std::get<0>(record) <= last) expected.push_back(record);
  }
  EXPECT_EQ(TableRecords(*backend->GetTable("join", "left").value()), expected);
  // The window index came along: a namespace visit needs no rebuild and sees every entry.
  size_t in_namespace = 0;
  backend->GetTable("join", "left")
      .value()
      ->ForEachInNamespace(std::string(8, 'a'), [&](int32_t, std::string_view, std::string_view,
                                                    std::string_view) { ++in_namespace; });
  EXPECT_EQ(in_namespace, static_cast<size_t>(std::count_if(
                              expected.begin(), expected.end(),
                              [](const Record& r) { return std::get<2>(r)[0] == 'a'; })));
  // It works as a live backend, and the next checkpoint reuses the restored files.
  std::vector<SubtaskState> resumed = {{"agg", 1, backend, first, last},
                                       {"join", 1, backend, first, last}};
  Write(resumed, 5, 30);
  EXPECT_TRUE(backend->status().ok()) << backend->status().ToString();
  IncrementalCheckpointStats stats = Checkpoint(2, plan, resumed);
  EXPECT_GT(stats.files_reused, 0);

  // Only one operator of the two: the other's tables are dropped.
  restored->reset();
  options.directory = Path("restored-agg");
  auto agg_only = RestoreRocksDbBackendNatively(*snapshot, {&plan.nodes[0]}, first, last, options);
  ASSERT_TRUE(agg_only.ok() && *agg_only != nullptr);
  EXPECT_GT((*agg_only)->GetTable("agg", "groups").value()->EntryCount(), 0);
  EXPECT_EQ((*agg_only)->GetTable("join", "left").value()->EntryCount(), 0);

  // Another key-group range, or a changed state layout: no native restore.
  options.directory = Path("restored-other");
  auto [all_first, all_last] = KeyGroupRangeOf(0, 1, kMaxParallelism);
  auto other = RestoreRocksDbBackendNatively(*snapshot, nodes, all_first, all_last, options);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(*other, nullptr);
  plan::PlanGraph changed = plan;
  changed.nodes[0].state[0].value_schema.columns.push_back({"n", types::LogicalType::Bigint()});
  auto migrated =
      RestoreRocksDbBackendNatively(*snapshot, {&changed.nodes[0]}, first, last, options);
  ASSERT_TRUE(migrated.ok());
  EXPECT_EQ(*migrated, nullptr);
  EXPECT_FALSE(fs::exists(Path("restored-other")));
}

}  // namespace
}  // namespace sluice::runtime::state
