#include "runtime/connectors/print_connector.h"

#include <gtest/gtest.h>

#include <regex>
#include <thread>

#include "runtime/connectors/builtin_connectors.h"

namespace sluice::runtime::connectors {
namespace {

using types::LogicalType;

types::Schema BidSchema() {
  return types::Schema{{{"auction", LogicalType::Bigint()},
                        {"price", LogicalType::Bigint()},
                        {"dateTime", LogicalType::Timestamp()},
                        {"extra", LogicalType::Varchar()}}};
}

using types::SlotTypes;

Batch TwoBids() {
  Batch batch(SlotTypes(BidSchema()));
  for (int32_t row = 0; row < 2; ++row) {
    batch.column(0).values<int64_t>()[row] = 1000 + row;
    batch.column(0).validity()[row] = 1;
    batch.column(1).values<int64_t>()[row] = 5;
    batch.column(1).validity()[row] = 1;
    batch.column(2).values<int64_t>()[row] = 1436918400100;
    batch.column(2).validity()[row] = 1;
  }
  batch.column(3).values<StringRef>()[1] = batch.arena().Copy("x, y");
  batch.column(3).validity()[1] = 1;
  batch.set_row_count(2);
  return batch;
}

TableDescriptor PrintTable() {
  TableDescriptor table;
  table.name = "out";
  table.schema = BidSchema();
  table.options = {{"connector", "print"}};
  return table;
}

/// Writes `batch` through a print writer and returns what reached standard output.
std::string PrintToStdout(const TableDescriptor& table, const SubtaskInfo& subtask,
                          const Batch& batch) {
  auto writer = PrintConnectorInstance().CreateWriter(table, subtask);
  EXPECT_TRUE(writer.ok()) << writer.status().ToString();
  if (!writer.ok()) return "";
  testing::internal::CaptureStdout();
  base::Status written = (*writer)->Write(batch);
  base::Status finished = (*writer)->Finish();
  std::string out = testing::internal::GetCapturedStdout();
  EXPECT_TRUE(written.ok() && finished.ok());
  return out;
}

TEST(PrintConnectorTest, PrintsRowsAsFlinkDoes) {
  EXPECT_EQ(PrintToStdout(PrintTable(), {}, TwoBids()),
            "+I[1000, 5, 2015-07-15 00:00:00.100, <NULL>]\n"
            "+I[1001, 5, 2015-07-15 00:00:00.100, x, y]\n");
}

TEST(PrintConnectorTest, PrefixesTheIdentifierAndTheOneBasedSubtask) {
  TableDescriptor table = PrintTable();
  Batch batch = TwoBids();
  batch.set_row_count(1);
  EXPECT_EQ(PrintToStdout(table, SubtaskInfo{1, 2, "job"}, batch),
            "2> +I[1000, 5, 2015-07-15 00:00:00.100, <NULL>]\n");
  table.options["print-identifier"] = "bids";
  EXPECT_EQ(PrintToStdout(table, SubtaskInfo{0, 1, "job"}, batch),
            "bids> +I[1000, 5, 2015-07-15 00:00:00.100, <NULL>]\n");
  EXPECT_EQ(PrintToStdout(table, SubtaskInfo{0, 3, "job"}, batch),
            "bids:1> +I[1000, 5, 2015-07-15 00:00:00.100, <NULL>]\n");
}

TEST(PrintConnectorTest, ShowsRowKindsOfUpdatingRowsAndNestedRows) {
  LogicalType bid =
      LogicalType::Row({{"price", LogicalType::Decimal(5, 2)}, {"ok", LogicalType::Boolean()}});
  types::Schema schema{{{"id", LogicalType::Int()}, {"bid", bid}}};
  Batch batch(SlotTypes(schema));
  uint8_t* kinds = batch.EnableRowKinds();
  for (int32_t row = 0; row < 3; ++row) {
    batch.column(0).values<int32_t>()[row] = row;
    batch.column(0).validity()[row] = 1;
    kinds[row] = static_cast<uint8_t>(row == 0   ? RowKind::kUpdateBefore
                                      : row == 1 ? RowKind::kUpdateAfter
                                                 : RowKind::kDelete);
  }
  batch.column(1).validity()[1] = 1;
  batch.column(2).values<int64_t>()[1] = 150;
  batch.column(2).validity()[1] = 1;
  batch.column(3).values<uint8_t>()[1] = 1;
  batch.column(3).validity()[1] = 1;
  batch.set_row_count(3);

  TableDescriptor table = PrintTable();
  table.schema = schema;
  EXPECT_TRUE(PrintConnectorInstance().AcceptsUpdates(table));
  EXPECT_EQ(PrintToStdout(table, {}, batch),
            "-U[0, <NULL>]\n"
            "+U[1, +I[1.50, true]]\n"
            "-D[2, <NULL>]\n");
}

TEST(PrintConnectorTest, LinesOfConcurrentSubtasksNeverInterleave) {
  TableDescriptor table = PrintTable();
  table.options["print-identifier"] = "concurrent";
  constexpr int kSubtasks = 4;
  constexpr int kBatches = 100;
  std::vector<std::unique_ptr<SinkWriter>> writers;
  for (int index = 0; index < kSubtasks; ++index) {
    auto writer =
        PrintConnectorInstance().CreateWriter(table, SubtaskInfo{index, kSubtasks, "job"});
    ASSERT_TRUE(writer.ok());
    writers.push_back(std::move(writer).value());
  }
  Batch batch = TwoBids();
  testing::internal::CaptureStdout();
  std::vector<std::thread> threads;
  for (int index = 0; index < kSubtasks; ++index) {
    threads.emplace_back([&, index] {
      for (int round = 0; round < kBatches; ++round) EXPECT_TRUE(writers[index]->Write(batch).ok());
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::string out = testing::internal::GetCapturedStdout();

  std::regex line_pattern(
      R"(concurrent:[1-4]> \+I\[100[01], 5, 2015-07-15 00:00:00\.100, (<NULL>|x, y)\])");
  size_t lines = 0;
  size_t start = 0;
  while (start < out.size()) {
    size_t end = out.find('\n', start);
    ASSERT_NE(end, std::string::npos);
    std::string line = out.substr(start, end - start);
    EXPECT_TRUE(std::regex_match(line, line_pattern)) << line;
    ++lines;
    start = end + 1;
  }
  EXPECT_EQ(lines, static_cast<size_t>(kSubtasks * kBatches * 2));
}

TEST(PrintConnectorTest, StandardErrorOptionPrintsToStandardError) {
  TableDescriptor table = PrintTable();
  table.options["standard-error"] = "true";
  auto writer = PrintConnectorInstance().CreateWriter(table, {});
  ASSERT_TRUE(writer.ok());
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  ASSERT_TRUE((*writer)->Write(TwoBids()).ok());
  std::string err = testing::internal::GetCapturedStderr();
  std::string out = testing::internal::GetCapturedStdout();
  EXPECT_EQ(out, "");
  EXPECT_EQ(err.substr(0, err.find('\n')), "+I[1000, 5, 2015-07-15 00:00:00.100, <NULL>]");
}

TEST(PrintConnectorTest, RejectsUnknownOptionsBadValuesAndReading) {
  TableDescriptor table = PrintTable();
  table.options["print-identifer"] = "x";
  base::Status unknown = PrintConnectorInstance().Validate(table, false);
  EXPECT_EQ(unknown.code(), base::ErrorCode::kOption);
  EXPECT_NE(unknown.message().find("did you mean 'print-identifier'?"), std::string::npos)
      << unknown.ToString();
  EXPECT_NE(unknown.message().find("'out'"), std::string::npos);

  table = PrintTable();
  table.options["standard-error"] = "yes";
  EXPECT_EQ(PrintConnectorInstance().Validate(table, false).code(), base::ErrorCode::kOption);
  EXPECT_FALSE(PrintConnectorInstance().Validate(PrintTable(), true).ok());
  EXPECT_FALSE(PrintConnectorInstance().SupportsSource());
}

TEST(BlackholeConnectorTest, DiscardsEverythingAndHasNoOptions) {
  TableDescriptor table = PrintTable();
  table.options = {{"connector", "blackhole"}};
  ASSERT_TRUE(BlackholeConnectorInstance().Validate(table, false).ok());
  EXPECT_TRUE(BlackholeConnectorInstance().AcceptsUpdates(table));
  auto writer = BlackholeConnectorInstance().CreateWriter(table, {});
  ASSERT_TRUE(writer.ok());
  testing::internal::CaptureStdout();
  EXPECT_TRUE((*writer)->Write(TwoBids()).ok());
  EXPECT_TRUE((*writer)->Finish().ok());
  EXPECT_EQ(testing::internal::GetCapturedStdout(), "");

  table.options["path"] = "/tmp";
  base::Status status = BlackholeConnectorInstance().Validate(table, false);
  EXPECT_EQ(status.code(), base::ErrorCode::kOption);
  EXPECT_NE(status.message().find("unknown option 'path'"), std::string::npos);
}

}  // namespace
}  // namespace sluice::runtime::connectors
