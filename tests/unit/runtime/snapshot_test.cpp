// Savepoints: write → read → restore at another parallelism into either backend, bulk loading
// equal to puts, and every kind of damage reported with an error naming the file or cause.

#include "runtime/state/snapshot.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "runtime/scheduler/key_group.h"
#include "runtime/state/rocksdb_state_backend.h"

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
  aggregate.uid = "agg/1";
  aggregate.kind = plan::OperatorKind::kGroupAggregate;
  aggregate.parallelism = parallelism;
  plan::StateSpec groups;
  groups.name = "groups";
  groups.key_schema.columns = {{"id", types::LogicalType::Bigint()}};
  groups.value_schema.columns = {{"total", types::LogicalType::Bigint()}};
  aggregate.state.push_back(groups);
  plan::PlanNode join;
  join.id = 1;
  join.uid = "join";
  join.kind = plan::OperatorKind::kWindowJoin;
  join.parallelism = parallelism;
  for (const char* side : {"left", "right"}) {
    plan::StateSpec spec;
    spec.name = side;
    spec.state_namespace = plan::StateNamespace::kWindow;
    join.state.push_back(spec);
  }
  plan.nodes = {aggregate, join};
  return plan;
}

/// The records of one test state: binary keys, namespaces for the join's window state.
std::vector<Record> TestRecords(const std::string& state) {
  std::vector<Record> records;
  for (int i = 0; i < 600; ++i) {
    std::string key = "key-" + std::to_string(i);
    key.push_back('\0');
    int32_t key_group = static_cast<int32_t>((i * 2654435761u) % kMaxParallelism);
    std::string ns;
    if (state != "groups") {
      uint64_t window_end = 1000 * static_cast<uint64_t>(i % 4 + 1);
      for (int shift = 56; shift >= 0; shift -= 8)
        ns.push_back(static_cast<char>(window_end >> shift));
    }
    records.emplace_back(key_group, key, ns, state + std::string(static_cast<size_t>(i % 50), 'v'));
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

class SnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = fs::temp_directory_path() /
                 ("sluice-snapshot-test-" + std::to_string(::getpid()) + "-" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(directory_);
    fs::create_directories(directory_);
  }
  void TearDown() override {
    backends_.clear();
    fs::remove_all(directory_);
  }

  std::string Path(const std::string& name) const { return (directory_ / name).string(); }

  std::unique_ptr<StateBackend> MakeBackend(const std::string& kind) {
    if (kind == "memory") return MakeMemoryStateBackend();
    RocksDbBackendOptions options;
    options.directory = Path("rocksdb-" + std::to_string(next_instance_++));
    auto backend = MakeRocksDbStateBackend(options);
    EXPECT_TRUE(backend.ok()) << backend.status().ToString();
    return std::move(backend).value();
  }

  /// Fills `parallelism` backends of `kind` with the test records of each subtask's key
  /// groups, as running operators would, and returns their subtask states.
  std::vector<SubtaskState> FillSubtasks(const plan::PlanGraph& plan, int32_t parallelism,
                                         const std::string& kind = "memory") {
    std::vector<SubtaskState> subtasks;
    for (int32_t subtask = 0; subtask < parallelism; ++subtask) {
      backends_.push_back(MakeBackend(kind));
      StateBackend* backend = backends_.back().get();
      auto [first, last] = KeyGroupRangeOf(subtask, parallelism, kMaxParallelism);
      for (const plan::PlanNode& node : plan.nodes) {
        for (const plan::StateSpec& spec : node.state) {
          StateTable* table = backend->GetTable(node.uid, spec.name).value();
          for (const auto& [key_group, key, ns, value] : TestRecords(spec.name)) {
            if (key_group >= first && key_group <= last) table->Put(key_group, key, ns, value);
          }
        }
        subtasks.push_back({node.uid, subtask, backend, first, last});
      }
    }
    return subtasks;
  }

  /// Writes a canonical snapshot of the test plan at parallelism 2 into `name`.
  std::string WriteTestSnapshot(const std::string& name = "savepoint") {
    plan::PlanGraph plan = TestPlan(2);
    auto written = WriteCanonicalSnapshot(Path(name), plan, FillSubtasks(plan, 2));
    EXPECT_TRUE(written.ok()) << written.status().ToString();
    return Path(name);
  }

  /// The message of ReadSnapshot's error (fails the test when it succeeds).
  static std::string ReadError(const std::string& directory, const std::string& job = {}) {
    auto snapshot = ReadSnapshot(directory, job);
    EXPECT_FALSE(snapshot.ok());
    return snapshot.ok() ? "" : snapshot.status().message();
  }

  fs::path directory_;
  std::vector<std::unique_ptr<StateBackend>> backends_;
  int next_instance_ = 0;
};

// ---- round trips -----------------------------------------------------------------------------

struct Rescale {
  int32_t from;
  int32_t to;
  const char* backend;
};

class SnapshotRescaleTest : public SnapshotTest, public ::testing::WithParamInterface<Rescale> {};

TEST_P(SnapshotRescaleTest, RestoresEveryKeyGroupRangeAtAnotherParallelism) {
  const Rescale& rescale = GetParam();
  plan::PlanGraph plan = TestPlan(rescale.from);
  auto written = WriteCanonicalSnapshot(Path("savepoint"), plan, FillSubtasks(plan, rescale.from));
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  auto snapshot = ReadSnapshot(Path("savepoint"), "orders");
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();

  for (const plan::PlanNode& node : plan.nodes) {
    for (const plan::StateSpec& spec : node.state) {
      std::vector<Record> restored;
      for (int32_t subtask = 0; subtask < rescale.to; ++subtask) {
        auto [first, last] = KeyGroupRangeOf(subtask, rescale.to, kMaxParallelism);
        std::unique_ptr<StateBackend> backend = MakeBackend(rescale.backend);
        base::Status status =
            RestoreInto(*snapshot, node.uid, spec.name, backend.get(), first, last);
        ASSERT_TRUE(status.ok()) << status.ToString();
        std::vector<Record> records = TableRecords(*backend->GetTable(node.uid, spec.name).value());
        for (const Record& record : records) {
          EXPECT_GE(std::get<0>(record), first);
          EXPECT_LE(std::get<0>(record), last);
        }
        restored.insert(restored.end(), records.begin(), records.end());
      }
      std::sort(restored.begin(), restored.end());
      EXPECT_EQ(restored, TestRecords(spec.name)) << node.uid << " " << spec.name;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Parallelism, SnapshotRescaleTest,
                         ::testing::Values(Rescale{1, 3, "memory"}, Rescale{1, 3, "rocksdb"},
                                           Rescale{3, 1, "memory"}, Rescale{3, 1, "rocksdb"},
                                           Rescale{2, 3, "rocksdb"}),
                         [](const ::testing::TestParamInfo<Rescale>& info) {
                           return std::to_string(info.param.from) + "to" +
                                  std::to_string(info.param.to) + "_" + info.param.backend;
                         });

TEST_F(SnapshotTest, KeepsTheMetadata) {
  plan::PlanGraph plan = TestPlan(2);
  SnapshotOptions options;
  options.id = "sp-1";
  options.source_offsets["source"] = {"offset-0", "offset-1"};
  options.pending_sink_transactions["sink"] = {"txn-7"};
  auto written = WriteCanonicalSnapshot(Path("savepoint"), plan, FillSubtasks(plan, 2), options);
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  auto snapshot = ReadSnapshot(Path("savepoint"));
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  const SnapshotMetadata& metadata = snapshot->metadata;
  EXPECT_EQ(metadata.format_version, kSnapshotFormatVersion);
  EXPECT_EQ(metadata.format, "canonical");
  EXPECT_EQ(metadata.engine_version, kEngineVersion);
  EXPECT_EQ(metadata.job_name, "orders");
  EXPECT_EQ(metadata.id, "sp-1");
  EXPECT_GT(metadata.created_millis, 0);
  EXPECT_EQ(plan::PlanToJson(metadata.plan), plan::PlanToJson(plan));
  EXPECT_EQ(metadata.source_offsets, options.source_offsets);
  EXPECT_EQ(metadata.pending_sink_transactions, options.pending_sink_transactions);
  ASSERT_EQ(metadata.handles.size(), 6u);  // 3 states x 2 subtasks
  ASSERT_EQ(metadata.files.size(), 6u);
  int64_t entries = 0;
  for (const StateHandle& handle : metadata.handles) {
    entries += handle.entries;
    EXPECT_EQ(handle.signature, StateSignature(plan.nodes[handle.uid == "join"], [&] {
                for (const auto& spec : plan.nodes[handle.uid == "join"].state) {
                  if (spec.name == handle.state_name) return spec;
                }
                return plan::StateSpec{};
              }()));
  }
  EXPECT_EQ(entries, 3 * 600);
}

TEST_F(SnapshotTest, SignaturesChangeWithTheStateLayout) {
  plan::PlanGraph plan = TestPlan(1);
  std::string before = StateSignature(plan.nodes[0], plan.nodes[0].state[0]);
  plan::StateSpec changed = plan.nodes[0].state[0];
  changed.value_schema.columns.push_back({"count", types::LogicalType::Bigint()});
  EXPECT_NE(StateSignature(plan.nodes[0], changed), before);
  EXPECT_EQ(StateSignature(plan.nodes[0], plan.nodes[0].state[0]), before);
}

TEST_F(SnapshotTest, KeyGroupRangesMatchTheSchedulersAssignment) {
  for (int32_t parallelism = 1; parallelism <= 9; ++parallelism) {
    for (int32_t subtask = 0; subtask < parallelism; ++subtask) {
      auto [first, last] = KeyGroupRangeOf(subtask, parallelism, kMaxParallelism);
      for (int32_t key_group = 0; key_group < kMaxParallelism; ++key_group) {
        bool inside = key_group >= first && key_group <= last;
        EXPECT_EQ(inside,
                  scheduler::SubtaskOfKeyGroup(key_group, kMaxParallelism, parallelism) == subtask);
      }
    }
  }
}

TEST_F(SnapshotTest, RefusesToOverwriteASavepoint) {
  WriteTestSnapshot();
  plan::PlanGraph plan = TestPlan(2);
  auto again = WriteCanonicalSnapshot(Path("savepoint"), plan, FillSubtasks(plan, 2));
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.status().message().find("already holds a savepoint"), std::string::npos);
}

TEST_F(SnapshotTest, RejectsAUidThePlanDoesNotHave) {
  plan::PlanGraph plan = TestPlan(1);
  std::vector<SubtaskState> subtasks = FillSubtasks(plan, 1);
  subtasks[0].uid = "ghost";
  auto written = WriteCanonicalSnapshot(Path("savepoint"), plan, subtasks);
  ASSERT_FALSE(written.ok());
  EXPECT_NE(written.status().message().find("no operator with UID 'ghost'"), std::string::npos);
}

TEST_F(SnapshotTest, CanonicalSnapshotOfACapturedCopyHoldsItsMoment) {
  plan::PlanGraph plan = TestPlan(2);
  std::vector<SubtaskState> live = FillSubtasks(plan, 2, "rocksdb");
  std::vector<std::unique_ptr<StateBackend>> copies;
  std::vector<SubtaskState> captured = live;
  std::map<StateBackend*, StateBackend*> copy_of;
  for (SubtaskState& subtask : captured) {
    if (copy_of.count(subtask.backend) == 0) {
      auto copy = subtask.backend->Capture(Path("capture-" + std::to_string(copies.size())));
      ASSERT_TRUE(copy.ok()) << copy.status().ToString();
      copies.push_back(std::move(copy).value());
      copy_of[subtask.backend] = copies.back().get();
    }
    subtask.backend = copy_of[subtask.backend];
  }
  // The live state changes after the barrier; the snapshot must not see it.
  for (const SubtaskState& subtask : live) {
    for (const plan::StateSpec& spec : plan.nodes[subtask.uid == "join"].state) {
      StateTable* table = subtask.backend->GetTable(subtask.uid, spec.name).value();
      table->Put(subtask.first_key_group, "late", "", "late");
      for (const auto& [key_group, key, ns, value] : TestRecords(spec.name)) {
        if (key_group >= subtask.first_key_group && key_group <= subtask.last_key_group) {
          table->Delete(key_group, key, ns);
        }
      }
    }
  }
  auto written = WriteCanonicalSnapshot(Path("savepoint"), plan, captured);
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  auto snapshot = ReadSnapshot(Path("savepoint"));
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  for (const plan::PlanNode& node : plan.nodes) {
    for (const plan::StateSpec& spec : node.state) {
      auto backend = MakeBackend("rocksdb");
      ASSERT_TRUE(
          RestoreInto(*snapshot, node.uid, spec.name, backend.get(), 0, kMaxParallelism - 1).ok());
      EXPECT_EQ(TableRecords(*backend->GetTable(node.uid, spec.name).value()),
                TestRecords(spec.name));
    }
  }
}

// ---- bad input and faults --------------------------------------------------------------------

TEST_F(SnapshotTest, MissingMetadataIsAnError) {
  std::string directory = WriteTestSnapshot();
  fs::remove(fs::path(directory) / "_metadata");
  std::string error = ReadError(directory);
  EXPECT_NE(error.find(directory + "/_metadata' is missing"), std::string::npos) << error;
}

TEST_F(SnapshotTest, MissingDirectoryIsAnError) {
  std::string error = ReadError(Path("nowhere"));
  EXPECT_NE(error.find("'" + Path("nowhere") + "' does not exist"), std::string::npos) << error;
}

TEST_F(SnapshotTest, TruncatedStateFileIsNamed) {
  std::string directory = WriteTestSnapshot();
  auto snapshot = ReadSnapshot(directory).value();
  fs::path file = fs::path(directory) / snapshot.metadata.files[1].path;
  fs::resize_file(file, fs::file_size(file) - 10);
  std::string error = ReadError(directory);
  EXPECT_NE(error.find("'" + file.string() + "' is corrupt"), std::string::npos) << error;
  EXPECT_NE(error.find("truncated"), std::string::npos) << error;
}

TEST_F(SnapshotTest, BitFlippedStateFileIsNamed) {
  std::string directory = WriteTestSnapshot();
  auto snapshot = ReadSnapshot(directory).value();
  fs::path file = fs::path(directory) / snapshot.metadata.files[2].path;
  std::fstream stream(file, std::ios::in | std::ios::out | std::ios::binary);
  stream.seekg(100);
  char byte = 0;
  stream.read(&byte, 1);
  byte ^= 0x10;
  stream.seekp(100);
  stream.write(&byte, 1);
  stream.close();
  std::string error = ReadError(directory);
  EXPECT_NE(error.find("'" + file.string() + "' is corrupt: checksum"), std::string::npos) << error;
}

TEST_F(SnapshotTest, MissingStateFileIsNamed) {
  std::string directory = WriteTestSnapshot();
  auto snapshot = ReadSnapshot(directory).value();
  fs::path file = fs::path(directory) / snapshot.metadata.files[0].path;
  fs::remove(file);
  std::string error = ReadError(directory);
  EXPECT_NE(error.find("'" + file.string() + "' named by '" + directory + "/_metadata' is missing"),
            std::string::npos)
      << error;
}

/// Rewrites `_metadata` through `edit` and a fresh checksum (a well-formed but different one).
void EditMetadata(const std::string& directory,
                  const std::function<void(SnapshotMetadata*)>& edit) {
  std::string path = directory + "/_metadata";
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  SnapshotMetadata metadata = SnapshotMetadataFromJson(text, path).value();
  edit(&metadata);
  std::ofstream(path, std::ios::trunc) << SnapshotMetadataToJson(metadata);
}

TEST_F(SnapshotTest, NewerFormatVersionIsRefused) {
  std::string directory = WriteTestSnapshot();
  EditMetadata(directory, [](SnapshotMetadata* metadata) { metadata->format_version = 2; });
  std::string error = ReadError(directory);
  EXPECT_NE(error.find(directory + "/_metadata' has format version 2; this Sluice"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("reads versions up to 1"), std::string::npos) << error;
}

TEST_F(SnapshotTest, SavepointOfAnotherJobIsRefusedWithACodeAndTheJobAsSubject) {
  std::string directory = WriteTestSnapshot();
  EXPECT_TRUE(ReadSnapshot(directory, "orders").ok());
  EXPECT_TRUE(ReadSnapshot(directory).ok());  // asked for no job: any job's snapshot reads
  auto other = ReadSnapshot(directory, "payments");
  ASSERT_FALSE(other.ok());
  // Callers act on the code and the subject, never on the text.
  EXPECT_EQ(other.status().code(), base::ErrorCode::kWrongJob);
  EXPECT_EQ(other.status().subject(), "orders");
  EXPECT_NE(other.status().message().find("savepoint '" + directory +
                                          "' is of job 'orders', not of job 'payments'"),
            std::string::npos)
      << other.status().message();
}

// ---- paths the file system refuses: errors, never exceptions ---------------------------------

TEST_F(SnapshotTest, OverlongOrLoopingPathsAreErrorsNamingThePath) {
  // ENAMETOOLONG and ELOOP (a link to itself) fail for root too; the throwing std::filesystem
  // overloads would throw here.
  std::string overlong = Path(std::string(5000, 'x'));
  fs::create_symlink(Path("loop"), Path("loop"));
  for (const std::string& directory : {overlong, Path("loop"), Path("loop") + "/savepoint"}) {
    std::string error = ReadError(directory);
    EXPECT_NE(error.find("cannot read savepoint directory '" + directory + "': "),
              std::string::npos)
        << error.substr(0, 200);
    auto written = WriteCanonicalSnapshot(directory, TestPlan(1), {});
    ASSERT_FALSE(written.ok());
    EXPECT_EQ(written.status().code(), base::ErrorCode::kIo);
    EXPECT_NE(written.status().message().find(directory), std::string::npos)
        << written.status().message().substr(0, 200);
  }
  std::ofstream(Path("file")) << "not a directory";
  EXPECT_EQ(ReadError(Path("file")),
            "'" + Path("file") + "' is not a directory, so not a savepoint");
  EXPECT_NE(ReadError(Path("file") + "/savepoint").find("does not exist"), std::string::npos);
}

TEST_F(SnapshotTest, AStateFileThatVanishesAfterVerificationFailsTheRestoreNamingIt) {
  std::string directory = WriteTestSnapshot();
  auto snapshot = ReadSnapshot(directory).value();
  const StateHandle& handle = snapshot.metadata.handles[0];
  fs::path file = fs::path(directory) / handle.file;
  fs::remove(file);
  auto backend = MakeBackend("memory");
  base::Status status =
      RestoreInto(snapshot, handle.uid, handle.state_name, backend.get(), 0, kMaxParallelism - 1);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find(file.string()), std::string::npos) << status.message();
  // And the whole directory gone: a clear error again.
  fs::remove_all(directory);
  EXPECT_NE(ReadError(directory).find("'" + directory + "' does not exist"), std::string::npos);
}

TEST_F(SnapshotTest, BitFlippedMetadataIsNamed) {
  std::string directory = WriteTestSnapshot();
  std::string path = directory + "/_metadata";
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t at = text.find("\"entries\": ") + 11;
  text[at] = text[at] == '1' ? '2' : '1';  // still valid JSON, a different entry count
  std::ofstream(path, std::ios::trunc) << text;
  std::string error = ReadError(directory);
  EXPECT_NE(error.find("'" + path + "' is corrupt: its checksum does not match"), std::string::npos)
      << error;
}

TEST_F(SnapshotTest, DamageAfterVerificationStillFailsTheRestore) {
  std::string directory = WriteTestSnapshot();
  auto snapshot = ReadSnapshot(directory).value();
  const StateHandle& handle = snapshot.metadata.handles[0];
  fs::path file = fs::path(directory) / handle.file;
  fs::resize_file(file, fs::file_size(file) / 2);
  auto backend = MakeBackend("rocksdb");
  base::Status status =
      RestoreInto(snapshot, handle.uid, handle.state_name, backend.get(), 0, kMaxParallelism - 1);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("'" + file.string() + "' is corrupt"), std::string::npos)
      << status.message();
  EXPECT_TRUE(TableRecords(*backend->GetTable(handle.uid, handle.state_name).value()).empty());
}

// ---- bulk loading ----------------------------------------------------------------------------

SortedRecords FromVector(const std::vector<Record>& records) {
  return [&records](const RecordSink& sink) {
    for (const auto& [key_group, key, ns, value] : records) {
      SLUICE_RETURN_IF_ERROR(sink(key_group, key, ns, value));
    }
    return base::Status::Ok();
  };
}

/// Every observable view of a table: by key groups, by namespace, by key.
std::vector<std::string> Views(const StateTable& table, const std::vector<Record>& records) {
  std::vector<std::string> views;
  for (const Record& record : TableRecords(table)) {
    views.push_back("entry " + std::to_string(std::get<0>(record)) + std::get<1>(record) + "|" +
                    std::get<2>(record) + "|" + std::get<3>(record));
  }
  std::set<std::string> namespaces;
  for (const Record& record : records) namespaces.insert(std::get<2>(record));
  for (const std::string& ns : namespaces) {
    std::vector<std::string> entries;
    table.ForEachInNamespace(ns, [&](int32_t key_group, std::string_view key, std::string_view,
                                     std::string_view value) {
      entries.push_back(std::to_string(key_group) + std::string(key) + "=" + std::string(value));
    });
    std::sort(entries.begin(), entries.end());
    for (const std::string& entry : entries) views.push_back("ns " + ns + " " + entry);
  }
  for (const Record& record : records) {
    std::vector<std::string> entries;
    table.ForEachOfKey(std::get<0>(record), std::get<1>(record),
                       [&](int32_t, std::string_view, std::string_view ns, std::string_view value) {
                         entries.push_back(std::string(ns) + "=" + std::string(value));
                       });
    std::sort(entries.begin(), entries.end());
    for (const std::string& entry : entries) views.push_back("key " + entry);
  }
  views.push_back("count " + std::to_string(table.EntryCount()));
  return views;
}

TEST_F(SnapshotTest, IngestionEqualsPuts) {
  std::vector<Record> records = TestRecords("left");
  std::vector<Record> groups = TestRecords("groups");
  records.insert(records.end(), groups.begin(), groups.end());  // empty and window namespaces
  std::sort(records.begin(), records.end());

  auto by_puts = MakeBackend("rocksdb");
  StateTable* put_table = by_puts->GetTable("op", "s").value();
  for (const auto& [key_group, key, ns, value] : records) put_table->Put(key_group, key, ns, value);
  auto ingested = MakeBackend("rocksdb");
  ASSERT_TRUE(ingested->LoadSorted("op", "s", FromVector(records)).ok());
  auto memory = MakeBackend("memory");
  ASSERT_TRUE(memory->LoadSorted("op", "s", FromVector(records)).ok());

  std::vector<std::string> expected = Views(*put_table, records);
  EXPECT_EQ(Views(*ingested->GetTable("op", "s").value(), records), expected);
  EXPECT_EQ(Views(*memory->GetTable("op", "s").value(), records), expected);
  EXPECT_EQ(TableRecords(*put_table), records);

  // The ingested table keeps working as a table: updates, deletes, namespace deletes.
  StateTable* table = ingested->GetTable("op", "s").value();
  const auto& [key_group, key, ns, value] = records[5];
  table->Put(key_group, key, ns, "changed");
  std::string read;
  ASSERT_TRUE(table->Get(key_group, key, ns, &read));
  EXPECT_EQ(read, "changed");
  table->DeleteNamespace(std::get<2>(records.back()));
  EXPECT_LT(table->EntryCount(), static_cast<int64_t>(records.size()));
  EXPECT_TRUE(ingested->status().ok());
}

TEST_F(SnapshotTest, IngestionReplacesExistingEntries) {
  std::vector<Record> records = TestRecords("groups");
  auto backend = MakeBackend("rocksdb");
  StateTable* table = backend->GetTable("op", "s").value();
  const auto& [key_group, key, ns, value] = records[0];
  table->Put(key_group, key, ns, "old");
  table->Put(key_group, key + "-other", ns, "kept");
  ASSERT_TRUE(backend->LoadSorted("op", "s", FromVector(records)).ok());
  std::string read;
  ASSERT_TRUE(table->Get(key_group, key, ns, &read));
  EXPECT_EQ(read, value);
  ASSERT_TRUE(table->Get(key_group, key + "-other", ns, &read));
  EXPECT_EQ(read, "kept");
  EXPECT_EQ(table->EntryCount(), static_cast<int64_t>(records.size()) + 1);
}

TEST_F(SnapshotTest, IngestionRejectsUnsortedKeyGroups) {
  std::vector<Record> records = {{5, "a", "", "1"}, {3, "b", "", "2"}};
  auto backend = MakeBackend("rocksdb");
  base::Status status = backend->LoadSorted("op", "s", FromVector(records));
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("out of order: key group 3 after 5"), std::string::npos)
      << status.message();
  EXPECT_EQ(backend->GetTable("op", "s").value()->EntryCount(), 0);
}

// ---- native snapshots ------------------------------------------------------------------------

TEST_F(SnapshotTest, NativeSnapshotRestoresAtAnotherParallelism) {
  plan::PlanGraph plan = TestPlan(2);
  auto written = WriteNativeSnapshot(Path("native"), plan, FillSubtasks(plan, 2, "rocksdb"), {});
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  auto snapshot = ReadSnapshot(Path("native"));
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  EXPECT_EQ(snapshot->metadata.format, "native");
  EXPECT_TRUE(fs::exists(Path("native/native/0/CURRENT")));
  EXPECT_TRUE(fs::exists(Path("native/native/1/CURRENT")));
  int64_t entries = 0;
  for (const StateHandle& handle : snapshot->metadata.handles) entries += handle.entries;
  EXPECT_EQ(entries, 3 * 600);
  for (const char* kind : {"memory", "rocksdb"}) {
    for (const plan::PlanNode& node : plan.nodes) {
      for (const plan::StateSpec& spec : node.state) {
        std::vector<Record> restored;
        for (int32_t subtask = 0; subtask < 3; ++subtask) {
          auto [first, last] = KeyGroupRangeOf(subtask, 3, kMaxParallelism);
          auto backend = MakeBackend(kind);
          base::Status status =
              RestoreInto(*snapshot, node.uid, spec.name, backend.get(), first, last);
          ASSERT_TRUE(status.ok()) << status.ToString();
          auto records = TableRecords(*backend->GetTable(node.uid, spec.name).value(), first, last);
          EXPECT_EQ(TableRecords(*backend->GetTable(node.uid, spec.name).value()), records);
          restored.insert(restored.end(), records.begin(), records.end());
        }
        std::sort(restored.begin(), restored.end());
        EXPECT_EQ(restored, TestRecords(spec.name)) << kind << " " << spec.name;
      }
    }
  }

  fs::remove(Path("native/native/1/CURRENT"));
  std::string error = ReadError(Path("native"));
  EXPECT_NE(error.find("native/1/CURRENT' named by"), std::string::npos) << error;
}

TEST_F(SnapshotTest, NativeSnapshotNeedsRocksDb) {
  plan::PlanGraph plan = TestPlan(1);
  auto written = WriteNativeSnapshot(Path("native"), plan, FillSubtasks(plan, 1, "memory"), {});
  ASSERT_FALSE(written.ok());
  EXPECT_NE(written.status().message().find("rocksdb state backend"), std::string::npos);
}

}  // namespace
}  // namespace sluice::runtime::state
