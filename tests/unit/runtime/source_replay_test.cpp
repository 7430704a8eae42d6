// A source read again from its beginning through the replay connector (a backfill's replay)
// stops at exactly the Position() another reader had reached: the same rows, none past it,
// and the same position (nexmark, datagen, values, filesystem).

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "runtime/connectors/connector.h"
#include "runtime/connectors/nexmark/nexmark_generator.h"
#include "runtime/connectors/replay_connector.h"

namespace sluice::runtime::connectors {
namespace {

namespace fs = std::filesystem;
using types::LogicalType;

std::vector<LogicalType> SlotTypes(const TableDescriptor& table) {
  std::vector<LogicalType> types;
  for (const types::Slot& slot : types::FlattenSchema(table.schema)) types.push_back(slot.type);
  return types;
}

/// Renders the non-ROW slots of one row.
std::string RowText(const Batch& batch, int32_t row) {
  std::string out;
  for (size_t slot = 0; slot < batch.column_count(); ++slot) {
    const Column& column = batch.column(slot);
    out += slot > 0 ? "," : "";
    if (column.IsNull(row)) {
      out += "NULL";
    } else if (column.type().id() == types::TypeId::kVarchar) {
      out += column.values<StringRef>()[row].view();
    } else if (column.type().id() == types::TypeId::kBigint ||
               column.type().id() == types::TypeId::kTimestamp) {
      out += std::to_string(column.values<int64_t>()[row]);
    }
  }
  return out;
}

/// Reads with `reader` until `batches` non-empty batches were read, it ends (`*ended`), or it
/// gives an empty batch (`*held`: nothing to read now).
std::vector<std::string> Read(const TableDescriptor& table, SourceReader* reader, int32_t batches,
                              bool* ended = nullptr, bool* held = nullptr) {
  std::vector<std::string> rows;
  for (int32_t read = 0; batches < 0 || read < batches; ++read) {
    Batch batch(SlotTypes(table));
    auto more = reader->Next(&batch);
    EXPECT_TRUE(more.ok()) << more.status().ToString();
    if (!more.ok()) break;
    for (int32_t row = 0; row < batch.row_count(); ++row) rows.push_back(RowText(batch, row));
    if (!*more) {
      if (ended != nullptr) *ended = true;
      break;
    }
    if (batch.row_count() == 0) {
      if (held != nullptr) *held = true;
      break;
    }
  }
  return rows;
}

/// For every subtask and cut: a reader reads `cut` batches; a replay of the table stopping at
/// its position reads exactly those rows, then holds there with the same position.
void CheckReplay(const TableDescriptor& table, int32_t parallelism) {
  for (int32_t index = 0; index < parallelism; ++index) {
    SubtaskInfo split{index, parallelism, "job"};
    for (int32_t cut : {0, 1, 3}) {
      SCOPED_TRACE(table.name + " split " + SplitKey(split) + " cut " + std::to_string(cut));
      const Connector* connector = FindConnector(table.options.at("connector"));
      ASSERT_TRUE(connector->CanReplay(table));
      auto first = connector->CreateReader(table, split);
      ASSERT_TRUE(first.ok()) << first.status().ToString();
      std::vector<std::string> expected = Read(table, first->get(), cut);
      std::string position = (*first)->Position();

      TableDescriptor replay = ReplayTable(table, {{SplitKey(split), position}});
      ASSERT_TRUE(FindConnector(replay.options.at("connector"))->Validate(replay, true).ok());
      auto again = FindConnector(replay.options.at("connector"))->CreateReader(replay, split);
      ASSERT_TRUE(again.ok()) << again.status().ToString();
      bool ended = false;
      bool held = false;
      std::vector<std::string> replayed = Read(replay, again->get(), -1, &ended, &held);
      EXPECT_TRUE(held);
      EXPECT_FALSE(ended);
      EXPECT_EQ(replayed, expected);
      EXPECT_EQ((*again)->Position(), position);
      // Held for good: nothing past the stop, however often it is asked.
      EXPECT_TRUE(Read(replay, again->get(), 3).empty());
      EXPECT_EQ((*again)->Position(), position);
    }
  }
}

TEST(SourceReplayTest, Nexmark) {
  TableDescriptor table;
  table.name = "nexmark";
  table.schema = nexmark::NexmarkSchema();
  table.options = {{"connector", "nexmark"}, {"events.num", "9000"}, {"seed", "3"}};
  CheckReplay(table, 1);
  CheckReplay(table, 3);
}

TEST(SourceReplayTest, DatagenUnseededReplaysTheKeyItDrew) {
  TableDescriptor table;
  table.name = "gen";
  table.schema.columns = {{"id", LogicalType::Bigint()}, {"name", LogicalType::Varchar()}};
  table.options = {{"connector", "datagen"}, {"number-of-rows", "5000"}, {"rows-per-second", "0"}};
  CheckReplay(table, 1);
  CheckReplay(table, 2);
}

TEST(SourceReplayTest, Values) {
  TableDescriptor table;
  table.name = "input";
  table.schema.columns = {{"id", LogicalType::Bigint()}, {"name", LogicalType::Varchar()}};
  table.options = {{"connector", "values"}, {"rows-per-batch", "3"}};
  for (int i = 0; i < 40; ++i) {
    table.inline_rows.push_back({std::to_string(i), "name " + std::to_string(i)});
  }
  CheckReplay(table, 1);
  CheckReplay(table, 2);
}

TEST(SourceReplayTest, FilesystemStopsInsideAFileAndAtItsEnd) {
  std::string pattern = (fs::temp_directory_path() / "sluice-replay-test-XXXXXX").string();
  ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
  fs::path root = pattern;
  for (int file = 0; file < 3; ++file) {
    std::ofstream out(root / ("part-" + std::to_string(file) + ".csv"));
    out << "id,name\n";
    // 1024 + 100·file records: a batch boundary falls inside a file and at a file's end.
    for (int i = 0; i < 1024 + file * 100; ++i) out << file * 10000 + i << ",row " << i << "\n";
  }
  TableDescriptor table;
  table.name = "files";
  table.schema.columns = {{"id", LogicalType::Bigint()}, {"name", LogicalType::Varchar()}};
  table.options = {{"connector", "filesystem"},
                   {"path", root.string()},
                   {"format", "csv"},
                   {"csv.include-header", "true"}};
  CheckReplay(table, 1);
  CheckReplay(table, 2);
  fs::remove_all(root);
}

TEST(SourceReplayTest, AnEndedSplitIsReadToItsEndAndOthersNeedAPosition) {
  TableDescriptor table;
  table.name = "input";
  table.schema.columns = {{"id", LogicalType::Bigint()}, {"name", LogicalType::Varchar()}};
  table.options = {{"connector", "values"}};
  for (int i = 0; i < 5; ++i) table.inline_rows.push_back({std::to_string(i), "x"});
  TableDescriptor replay = ReplayTable(table, {{"0/1", ""}});
  auto reader = ReplayConnectorInstance().CreateReader(replay, SubtaskInfo{0, 1, "job"});
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  bool ended = false;
  EXPECT_EQ(Read(replay, reader->get(), -1, &ended).size(), 5u);
  EXPECT_TRUE(ended);
  // A split the snapshot did not have: no stop, no replay.
  auto other = ReplayConnectorInstance().CreateReader(replay, SubtaskInfo{1, 2, "job"});
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.status().message().find("no position for split 1/2"), std::string::npos);
  // A connector that cannot replay (a sink-only one) is refused by name.
  TableDescriptor sink;
  sink.name = "out";
  sink.options = {{"connector", "blackhole"}};
  auto refused = ReplayConnectorInstance().Validate(ReplayTable(sink, {}), true);
  EXPECT_NE(refused.message().find("connector 'blackhole' cannot replay its history"),
            std::string::npos)
      << refused.message();
}

}  // namespace
}  // namespace sluice::runtime::connectors
