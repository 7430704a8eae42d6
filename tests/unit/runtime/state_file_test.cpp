// The canonical state file format: round trips through both backends, key-group ranges,
// and every kind of damage detected with an error naming the file.

#include "runtime/state/state_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <tuple>
#include <vector>

#include "runtime/state/rocksdb_state_backend.h"

namespace sluice::runtime::state {
namespace {

using Record = std::tuple<int32_t, std::string, std::string, std::string>;

class StateFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = std::filesystem::temp_directory_path() /
                 ("sluice-state-file-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(directory_);
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }

  std::string Path(const std::string& name) const { return (directory_ / name).string(); }

  /// A table with entries in key groups 0..9: binary keys, namespaces, empty values.
  static void Fill(StateTable* table) {
    for (int i = 0; i < 200; ++i) {
      std::string key = "k" + std::to_string(i % 37);
      key.push_back('\0');
      std::string ns = i % 3 == 0 ? "" : "window-" + std::to_string(i % 5);
      table->Put(i % 10, key, ns, i % 7 == 0 ? "" : std::string(static_cast<size_t>(i), 'v'));
    }
  }

  static std::vector<Record> ReadAll(const StateFileReader& reader, int32_t first, int32_t last) {
    std::vector<Record> records;
    base::Status status = reader.Read(
        first, last,
        [&](int32_t key_group, std::string_view key, std::string_view ns, std::string_view value) {
          records.emplace_back(key_group, std::string(key), std::string(ns), std::string(value));
          return base::Status::Ok();
        });
    EXPECT_TRUE(status.ok()) << status.ToString();
    return records;
  }

  static std::vector<Record> TableRecords(const StateTable& table, int32_t first, int32_t last) {
    std::vector<Record> records;
    table.ForEachInKeyGroups(
        first, last,
        [&](int32_t key_group, std::string_view key, std::string_view ns, std::string_view value) {
          records.emplace_back(key_group, std::string(key), std::string(ns), std::string(value));
        });
    std::sort(records.begin(), records.end());
    return records;
  }

  std::filesystem::path directory_;
};

TEST_F(StateFileTest, RoundTripsSortedByKeyGroupKeyAndNamespace) {
  auto memory = MakeMemoryStateBackend();
  StateTable* table = *memory->GetTable("q5/window-aggregate1", "acc");
  Fill(table);
  StateFileHeader header{"q5/window-aggregate1", "acc", R"({"key":["auction BIGINT"]})", 0, 9};
  auto sections = StateFileWriter::Write(Path("acc.state"), header, *table);
  ASSERT_TRUE(sections.ok()) << sections.status().ToString();
  EXPECT_EQ(sections->size(), 10u);

  auto reader = StateFileReader::Open(Path("acc.state"));
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ(reader->header().uid, "q5/window-aggregate1");
  EXPECT_EQ(reader->header().state_name, "acc");
  EXPECT_EQ(reader->header().schema, R"({"key":["auction BIGINT"]})");
  EXPECT_EQ(reader->header().last_key_group, 9);
  std::vector<Record> read = ReadAll(*reader, 0, 9);
  EXPECT_TRUE(std::is_sorted(read.begin(), read.end()));
  EXPECT_EQ(read, TableRecords(*table, 0, 9));
  // A key-group subrange (what a subtask reads when restoring at another parallelism).
  EXPECT_EQ(ReadAll(*reader, 3, 5), TableRecords(*table, 3, 5));
}

TEST_F(StateFileTest, RestoresIntoRocksDbAndBack) {
  auto memory = MakeMemoryStateBackend();
  StateTable* source = *memory->GetTable("op", "rows");
  Fill(source);
  ASSERT_TRUE(StateFileWriter::Write(Path("rows.state"), {"op", "rows", "", 0, 127}, *source).ok());
  RocksDbBackendOptions options;
  options.directory = Path("rocksdb");
  auto rocksdb = MakeRocksDbStateBackend(options);
  ASSERT_TRUE(rocksdb.ok()) << rocksdb.status().ToString();
  StateTable* target = *(*rocksdb)->GetTable("op", "rows");
  auto reader = StateFileReader::Open(Path("rows.state"));
  ASSERT_TRUE(reader.ok());
  ASSERT_TRUE(reader
                  ->Read(0, 127,
                         [&](int32_t key_group, std::string_view key, std::string_view ns,
                             std::string_view value) {
                           target->Put(key_group, key, ns, value);
                           return base::Status::Ok();
                         })
                  .ok());
  EXPECT_EQ(TableRecords(*target, 0, 127), TableRecords(*source, 0, 127));
  // Written again from RocksDB, the file is byte-for-byte the same: the format is canonical.
  ASSERT_TRUE(
      StateFileWriter::Write(Path("again.state"), {"op", "rows", "", 0, 127}, *target).ok());
  std::ifstream a(Path("rows.state"), std::ios::binary), b(Path("again.state"), std::ios::binary);
  std::string first((std::istreambuf_iterator<char>(a)), {});
  std::string second((std::istreambuf_iterator<char>(b)), {});
  EXPECT_EQ(first, second);
}

TEST_F(StateFileTest, EmptyTableGivesAValidFile) {
  auto memory = MakeMemoryStateBackend();
  StateTable* table = *memory->GetTable("op", "empty");
  ASSERT_TRUE(
      StateFileWriter::Write(Path("empty.state"), {"op", "empty", "", 0, 127}, *table).ok());
  auto reader = StateFileReader::Open(Path("empty.state"));
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_TRUE(reader->sections().empty());
  EXPECT_TRUE(ReadAll(*reader, 0, 127).empty());
}

TEST_F(StateFileTest, EveryDamagedByteAndEveryTruncationIsAnError) {
  auto memory = MakeMemoryStateBackend();
  StateTable* table = *memory->GetTable("op", "small");
  table->Put(1, "a", "", "one");
  table->Put(2, "b", "ns", "two");
  std::string path = Path("small.state");
  ASSERT_TRUE(StateFileWriter::Write(path, {"op", "small", "s", 0, 3}, *table).ok());
  std::ifstream in(path, std::ios::binary);
  std::string good((std::istreambuf_iterator<char>(in)), {});

  auto fails = [&](const std::string& bytes) {
    std::string damaged_path = Path("damaged.state");
    std::ofstream(damaged_path, std::ios::binary) << bytes;
    auto reader = StateFileReader::Open(damaged_path);
    if (!reader.ok()) {
      EXPECT_NE(reader.status().ToString().find(damaged_path), std::string::npos);
      return true;
    }
    base::Status status =
        reader->Read(0, 3, [](int32_t, auto, auto, auto) { return base::Status::Ok(); });
    if (!status.ok()) {
      EXPECT_NE(status.ToString().find(damaged_path), std::string::npos);
    }
    return !status.ok();
  };
  for (size_t i = 0; i < good.size(); ++i) {
    std::string flipped = good;
    flipped[i] = static_cast<char>(flipped[i] ^ 0x10);
    EXPECT_TRUE(fails(flipped)) << "a flipped bit at byte " << i << " went unnoticed";
  }
  for (size_t length = 0; length < good.size(); ++length) {
    EXPECT_TRUE(fails(good.substr(0, length))) << "truncation to " << length << " bytes";
  }
  EXPECT_FALSE(fails(good));
  auto missing = StateFileReader::Open(Path("missing.state"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().ToString().find("missing.state"), std::string::npos);
}

}  // namespace
}  // namespace sluice::runtime::state
