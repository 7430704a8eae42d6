// A source reader seeked to the Position() of another continues with exactly the records the
// uninterrupted one would have read (nexmark, datagen, values, filesystem).

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "runtime/connectors/connector.h"
#include "runtime/connectors/nexmark/nexmark_generator.h"
#include "runtime/operators/operator_factory.h"
#include "tests/unit/runtime/operator_test_util.h"

namespace sluice::runtime::connectors {
namespace {

namespace fs = std::filesystem;
using types::LogicalType;
using Rows = std::vector<std::string>;

std::vector<LogicalType> SlotTypes(const TableDescriptor& table) {
  std::vector<LogicalType> types;
  for (const types::Slot& slot : types::FlattenSchema(table.schema)) types.push_back(slot.type);
  return types;
}

std::unique_ptr<SourceReader> Reader(const TableDescriptor& table, const SubtaskInfo& subtask) {
  auto reader = FindConnector(table.options.at("connector"))->CreateReader(table, subtask);
  EXPECT_TRUE(reader.ok()) << reader.status().ToString();
  return reader.ok() ? std::move(*reader) : nullptr;
}

/// Renders one row; a ROW slot (nexmark's person/auction/bid) shows only whether it is set.
std::string RowText(const Batch& batch, int32_t row) {
  std::string out;
  for (size_t slot = 0; slot < batch.column_count(); ++slot) {
    const Column& column = batch.column(slot);
    if (slot > 0) out += ", ";
    if (column.IsNull(row)) {
      out += "NULL";
      continue;
    }
    switch (column.type().id()) {
      case types::TypeId::kRow: out += "ROW"; break;
      case types::TypeId::kBoolean: out += column.values<uint8_t>()[row] ? "TRUE" : "FALSE"; break;
      case types::TypeId::kInt: out += std::to_string(column.values<int32_t>()[row]); break;
      case types::TypeId::kDouble: out += std::to_string(column.values<double>()[row]); break;
      case types::TypeId::kVarchar: out += column.values<StringRef>()[row].view(); break;
      default: out += std::to_string(column.values<int64_t>()[row]); break;
    }
  }
  return out;
}

/// Reads up to `batches` non-empty batches (all when negative), rendered row by row.
Rows Read(const TableDescriptor& table, SourceReader* reader, int32_t batches) {
  Rows rows;
  for (int32_t read = 0; batches < 0 || read < batches;) {
    Batch batch(SlotTypes(table));
    auto more = reader->Next(&batch);
    EXPECT_TRUE(more.ok()) << more.status().ToString();
    if (!more.ok() || !*more) break;
    if (batch.row_count() == 0) continue;
    for (int32_t row = 0; row < batch.row_count(); ++row) rows.push_back(RowText(batch, row));
    ++read;
  }
  return rows;
}

/// For every subtask and cut: reads `cut` batches, snapshots the position, and checks that a
/// fresh reader seeked there reads exactly what the first one reads next (and, for a
/// deterministic source, that both equal the rest of an uninterrupted read). `total` bounds an
/// unbounded source.
void CheckSeek(const TableDescriptor& table, int32_t parallelism, int32_t total = -1,
               bool deterministic = true) {
  for (int32_t index = 0; index < parallelism; ++index) {
    SubtaskInfo subtask{index, parallelism, "job"};
    auto whole_reader = Reader(table, subtask);
    ASSERT_TRUE(whole_reader->SupportsPosition());
    Rows whole = Read(table, whole_reader.get(), total);
    ASSERT_FALSE(whole.empty());
    for (int32_t cut : {0, 1, 2, 3}) {
      SCOPED_TRACE(::testing::Message()
                   << "subtask " << index << "/" << parallelism << ", cut " << cut);
      auto first = Reader(table, subtask);
      Rows rows = Read(table, first.get(), cut);
      std::string position = first->Position();
      auto second = Reader(table, subtask);
      base::Status status = second->Seek(position);
      ASSERT_TRUE(status.ok()) << status.ToString();
      EXPECT_EQ(second->Position(), position);
      Rows rest = Read(table, second.get(), total < 0 ? -1 : total - cut);
      EXPECT_EQ(rest, Read(table, first.get(), total < 0 ? -1 : total - cut));
      rows.insert(rows.end(), rest.begin(), rest.end());
      if (deterministic) {
        EXPECT_EQ(rows, whole);
      }
    }
    // A position belongs to its split: another subtask (or parallelism) refuses it.
    auto other =
        Reader(table, SubtaskInfo{(index + 1) % (parallelism + 1), parallelism + 1, "job"});
    EXPECT_FALSE(other->Seek(whole_reader->Position()).ok());
    EXPECT_FALSE(Reader(table, subtask)->Seek("nonsense").ok());
  }
}

TEST(SourcePositionTest, Nexmark) {
  TableDescriptor table;
  table.name = "nexmark";
  table.schema = nexmark::NexmarkSchema();
  table.options = {{"connector", "nexmark"}, {"events.num", "9000"}, {"seed", "3"}};
  CheckSeek(table, 1);
  CheckSeek(table, 3);
  table.options.erase("events.num");  // unbounded
  CheckSeek(table, 2, /*total=*/6);
}

TEST(SourcePositionTest, DatagenSeededAndUnseeded) {
  TableDescriptor table;
  table.name = "gen";
  table.schema.columns = {{"id", LogicalType::Bigint()}, {"name", LogicalType::Varchar()}};
  table.options = {{"connector", "datagen"}, {"number-of-rows", "5000"}, {"rows-per-second", "0"}};
  // Unseeded: each reader draws its own key, which the position carries.
  CheckSeek(table, 1, -1, /*deterministic=*/false);
  CheckSeek(table, 2, -1, /*deterministic=*/false);
  table.options["seed"] = "7";
  table.options["fields.id.kind"] = "sequence";
  table.options["fields.id.start"] = "1";
  table.options["fields.id.end"] = "4000";
  table.options.erase("number-of-rows");
  CheckSeek(table, 3);
}

TEST(SourcePositionTest, Values) {
  TableDescriptor table;
  table.name = "input";
  table.schema.columns = {{"id", LogicalType::Bigint()}, {"name", LogicalType::Varchar()}};
  table.options = {{"connector", "values"}, {"rows-per-batch", "3"}};
  for (int i = 0; i < 40; ++i) {
    table.inline_rows.push_back({std::to_string(i), "name " + std::to_string(i)});
  }
  CheckSeek(table, 1);
  CheckSeek(table, 2);
}

TEST(SourcePositionTest, FilesystemCsvWithHeaderAndMultiLineRecords) {
  std::string pattern = (fs::temp_directory_path() / "sluice-position-test-XXXXXX").string();
  ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
  fs::path root = pattern;
  for (int file = 0; file < 4; ++file) {
    std::ofstream out(root / ("part-" + std::to_string(file) + ".csv"));
    out << "id,name\n";
    for (int i = 0; i < 1300 + file * 100; ++i) {
      out << file * 10000 + i << ",";
      if (i % 97 == 0) {
        out << "\"two\nlines " << i << "\"\n";
      } else {
        out << "row " << i << "\n";
      }
    }
  }
  TableDescriptor table;
  table.name = "files";
  table.schema.columns = {{"id", LogicalType::Bigint()}, {"name", LogicalType::Varchar()}};
  table.options = {{"connector", "filesystem"},
                   {"path", root.string()},
                   {"format", "csv"},
                   {"csv.include-header", "true"}};
  CheckSeek(table, 1);
  CheckSeek(table, 2);
  // Files that changed since the snapshot are an error, not a silent skip.
  auto reader = Reader(table, SubtaskInfo{0, 1, "job"});
  Read(table, reader.get(), 2);
  std::string position = reader->Position();
  fs::rename(root / "part-1.csv", root / "part-9.csv");
  EXPECT_FALSE(Reader(table, SubtaskInfo{0, 1, "job"})->Seek(position).ok());
  fs::remove_all(root);
}

/// A table source (values(ts, name) with a watermark on ts) resumes from its position: the
/// rest of its rows, and no watermark behind the one it had reached.
TEST(SourcePositionTest, TableSourceOperatorResumesRowsAndWatermark) {
  plan::PlanNode node;
  node.uid = "source/events";
  node.kind = plan::OperatorKind::kSource;
  node.output_schema.columns = {{"ts", LogicalType::Timestamp()}, {"name", LogicalType::Varchar()}};
  node.table = TableDescriptor{
      "events", node.output_schema, {{"connector", "values"}, {"rows-per-batch", "4"}}, {}};
  for (int i = 0; i < 30; ++i) {
    // Times go up and down, so a restarted split would fall back behind its watermark.
    int64_t millis = 1000 + (i % 5) * 100 + i * 10;
    node.table->inline_rows.push_back({"1970-01-01 00:00:0" + std::to_string(millis / 1000) + "." +
                                           std::to_string(1000 + millis % 1000).substr(1),
                                       "e" + std::to_string(i)});
  }
  node.watermark = plan::WatermarkSpec{0, plan::Expr::Column(0, LogicalType::Timestamp())};
  operators::OperatorMetrics metrics;
  operators::OperatorContext context;
  context.node = &node;
  context.metrics = &metrics;
  auto open = [&]() {
    auto source = operators::CreateSourceOperator(node);
    EXPECT_TRUE(source.ok()) << source.status().ToString();
    EXPECT_TRUE((*source)->Open(context).ok());
    return std::move(*source);
  };
  auto poll = [](operators::SourceOperator* source, int polls,
                 operators::testing::CollectingOutput* out) {
    for (int i = 0; i != polls; ++i) {
      auto more = source->Poll(out);
      ASSERT_TRUE(more.ok()) << more.status().ToString();
      if (!*more) break;
    }
  };
  operators::testing::CollectingOutput whole;
  poll(open().get(), -1, &whole);
  ASSERT_EQ(whole.rows.size(), 30u);
  ASSERT_GT(whole.watermarks.size(), 3u);
  for (int cut : {1, 3, 5}) {
    SCOPED_TRACE(cut);
    operators::testing::CollectingOutput out;
    auto first = open();
    poll(first.get(), cut, &out);
    std::string position = first->Position();
    ASSERT_FALSE(position.empty());
    auto second = open();
    ASSERT_TRUE(second->Seek(position).ok());
    poll(second.get(), -1, &out);
    EXPECT_EQ(out.rows, whole.rows);
    EXPECT_EQ(out.watermarks, whole.watermarks);
  }
  EXPECT_FALSE(open()->Seek("watermark=x\nvalues 0/1\nnext=1").ok());
}

TEST(SourcePositionTest, AnExhaustedSplitStaysFinishedThroughRestoresAtAnyParallelism) {
  plan::PlanNode node;
  node.uid = "source/small";
  node.kind = plan::OperatorKind::kSource;
  node.output_schema.columns = {{"a", LogicalType::Bigint()}};
  node.table = TableDescriptor{"small",
                               node.output_schema,
                               {{"connector", "datagen"},
                                {"number-of-rows", "10"},
                                {"fields.a.kind", "sequence"},
                                {"fields.a.start", "1"},
                                {"fields.a.end", "10"}},
                               {}};
  operators::OperatorMetrics metrics;
  auto open = [&](int32_t index, int32_t parallelism) {
    operators::OperatorContext context;
    context.node = &node;
    context.metrics = &metrics;
    context.subtask = {index, parallelism, "job", "0a1b2c3d"};
    auto source = operators::CreateSourceOperator(node);
    EXPECT_TRUE(source.ok()) << source.status().ToString();
    EXPECT_TRUE((*source)->Open(context).ok());
    return std::move(*source);
  };
  auto drain = [](operators::SourceOperator* source) {
    operators::testing::CollectingOutput out;
    for (;;) {
      auto more = source->Poll(&out);
      EXPECT_TRUE(more.ok()) << more.status().ToString();
      if (!more.ok() || !*more) break;
    }
    return out.rows.size();
  };
  // Two subtasks read their splits to the end; their positions say so.
  std::vector<std::string> positions;
  size_t read = 0;
  for (int32_t index = 0; index < 2; ++index) {
    auto source = open(index, 2);
    read += drain(source.get());
    std::vector<std::string> own = source->Positions();
    ASSERT_EQ(own.size(), 1u);
    EXPECT_EQ(own[0].rfind("finished\n", 0), 0u) << own[0];
    positions.push_back(own[0]);
  }
  EXPECT_EQ(read, 10u);
  // Restored at parallelism 1 (both splits dealt to one subtask) and then at 3 (dealt out
  // again, one subtask gets none): nothing is read again, and every checkpoint keeps both.
  auto merged = open(0, 1);
  ASSERT_TRUE(merged->Restore(positions).ok());
  EXPECT_EQ(drain(merged.get()), 0u);
  std::vector<std::string> kept = merged->Positions();
  EXPECT_EQ(kept, positions);
  size_t read_again = 0;
  std::vector<std::string> after;
  for (int32_t index = 0; index < 3; ++index) {
    std::vector<std::string> mine;
    for (size_t split = 0; split < kept.size(); ++split) {
      if (static_cast<int32_t>(split % 3) == index) mine.push_back(kept[split]);
    }
    auto source = open(index, 3);
    ASSERT_TRUE(source->Restore(mine).ok());
    read_again += drain(source.get());
    for (const std::string& position : source->Positions()) after.push_back(position);
  }
  EXPECT_EQ(read_again, 0u);
  EXPECT_EQ(after, positions);
}

}  // namespace
}  // namespace sluice::runtime::connectors
