#include "runtime/connectors/values_connector.h"

#include <gtest/gtest.h>

#include "runtime/connectors/builtin_connectors.h"
#include "runtime/connectors/print_connector.h"
#include "runtime/expr/collection_value.h"

namespace sluice::runtime::connectors {
namespace {

using types::LogicalType;

TableDescriptor ClicksTable() {
  TableDescriptor table;
  table.name = "clicks";
  table.schema = types::Schema{{{"user_id", LogicalType::Bigint()},
                                {"ts", LogicalType::Timestamp()},
                                {"amount", LogicalType::Decimal(10, 2)},
                                {"page", LogicalType::Varchar()}}};
  table.options = {{"connector", "values"}};
  for (int i = 0; i < 5; ++i) {
    table.inline_rows.push_back({std::to_string(i), "2024-01-01 00:00:0" + std::to_string(i),
                                 i == 2 ? std::nullopt : std::optional<std::string>("1.5"),
                                 "p" + std::to_string(i)});
  }
  return table;
}

using types::SlotTypes;

/// Reads a whole split; returns the printed rows and the size of each batch.
std::vector<std::string> ReadAll(const TableDescriptor& table, SubtaskInfo subtask,
                                 std::vector<int32_t>* batch_sizes = nullptr) {
  auto reader = ValuesConnectorInstance().CreateReader(table, subtask);
  EXPECT_TRUE(reader.ok()) << reader.status().ToString();
  if (!reader.ok()) return {};
  EXPECT_TRUE((*reader)->IsBounded());
  std::vector<std::string> rows;
  while (true) {
    Batch batch(SlotTypes(table.schema));
    auto more = (*reader)->Next(&batch);
    EXPECT_TRUE(more.ok()) << more.status().ToString();
    if (!more.ok() || !*more) {
      EXPECT_EQ(batch.row_count(), 0);
      break;
    }
    if (batch_sizes) batch_sizes->push_back(batch.row_count());
    for (int32_t row = 0; row < batch.row_count(); ++row) {
      rows.push_back(PrintConnector::FormatRow(table.schema, batch, row));
    }
  }
  return rows;
}

TEST(ValuesConnectorTest, ReadsTheInlineRowsOneRowPerBatchByDefault) {
  TableDescriptor table = ClicksTable();
  ASSERT_TRUE(ValuesConnectorInstance().Validate(table, true).ok());
  std::vector<int32_t> sizes;
  std::vector<std::string> rows = ReadAll(table, SubtaskInfo{}, &sizes);
  EXPECT_EQ(rows, (std::vector<std::string>{
                      "+I[0, 2024-01-01 00:00:00.000, 1.50, p0]",
                      "+I[1, 2024-01-01 00:00:01.000, 1.50, p1]",
                      "+I[2, 2024-01-01 00:00:02.000, <NULL>, p2]",
                      "+I[3, 2024-01-01 00:00:03.000, 1.50, p3]",
                      "+I[4, 2024-01-01 00:00:04.000, 1.50, p4]",
                  }));
  EXPECT_EQ(sizes, (std::vector<int32_t>{1, 1, 1, 1, 1}));
}

TEST(ValuesConnectorTest, RowsPerBatchGroupsRows) {
  TableDescriptor table = ClicksTable();
  table.options["rows-per-batch"] = "2";
  std::vector<int32_t> sizes;
  EXPECT_EQ(ReadAll(table, SubtaskInfo{}, &sizes).size(), 5u);
  EXPECT_EQ(sizes, (std::vector<int32_t>{2, 2, 1}));
}

TEST(ValuesConnectorTest, SubtasksTakeEveryPthRowInOrder) {
  TableDescriptor table = ClicksTable();
  std::vector<std::string> first = ReadAll(table, SubtaskInfo{0, 2, "job"});
  std::vector<std::string> second = ReadAll(table, SubtaskInfo{1, 2, "job"});
  ASSERT_EQ(first.size(), 3u);
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(first[0].substr(0, 5), "+I[0,");
  EXPECT_EQ(first[1].substr(0, 5), "+I[2,");
  EXPECT_EQ(first[2].substr(0, 5), "+I[4,");
  EXPECT_EQ(second[0].substr(0, 5), "+I[1,");
  EXPECT_EQ(second[1].substr(0, 5), "+I[3,");
  EXPECT_TRUE(ReadAll(table, SubtaskInfo{5, 6, "job"}).empty());
}

TEST(ValuesConnectorTest, AnUnparsableFieldNamesTableRowColumnAndText) {
  TableDescriptor table = ClicksTable();
  table.inline_rows[3][1] = "yesterday";
  base::Status status = ValuesConnectorInstance().Validate(table, true);
  EXPECT_EQ(status.code(), base::ErrorCode::kData);
  EXPECT_EQ(status.message(),
            "table 'clicks': row 4: column 'ts': cannot read 'yesterday' as TIMESTAMP(3)");

  // The reader says the same, with the row's number in the whole table, not in its share.
  auto reader = ValuesConnectorInstance().CreateReader(table, SubtaskInfo{1, 2, "job"});
  ASSERT_TRUE(reader.ok());
  Batch batch(SlotTypes(table.schema));
  ASSERT_TRUE((*reader)->Next(&batch).ok());
  auto failed = (*reader)->Next(&batch);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().message(), status.message());
}

TEST(ValuesConnectorTest, RejectsUnknownOptionsWithASuggestion) {
  TableDescriptor table = ClicksTable();
  table.options["rows-per-bach"] = "2";
  base::Status status = ValuesConnectorInstance().Validate(table, true);
  EXPECT_EQ(status.code(), base::ErrorCode::kOption);
  EXPECT_NE(status.message().find("'rows-per-bach'"), std::string::npos) << status.ToString();
  EXPECT_NE(status.message().find("'clicks'"), std::string::npos);
  EXPECT_NE(status.message().find("did you mean 'rows-per-batch'?"), std::string::npos);
}

TEST(ValuesConnectorTest, RejectsBadRowsPerBatch) {
  for (const char* value : {"0", "1025", "ten"}) {
    TableDescriptor table = ClicksTable();
    table.options["rows-per-batch"] = value;
    base::Status status = ValuesConnectorInstance().Validate(table, true);
    EXPECT_EQ(status.code(), base::ErrorCode::kOption) << value;
    EXPECT_NE(status.message().find("rows-per-batch"), std::string::npos);
  }
}

TEST(ValuesConnectorTest, ReadsRowColumnsFromTheirElementBytes) {
  // ROW<x INT, inner ROW<s STRING>> written as the binder writes it: a ROW element's bytes
  // (its fields as a collection's items; a nested row as bytes), in hexadecimal.
  const LogicalType inner = LogicalType::Row({{"s", LogicalType::Varchar()}});
  TableDescriptor table;
  table.name = "nested";
  table.schema =
      types::Schema{{{"id", LogicalType::Int()},
                     {"r", LogicalType::Row({{"x", LogicalType::Int()}, {"inner", inner}})},
                     {"after", LogicalType::Varchar()}}};
  table.options = {{"connector", "values"}};
  auto row_bytes = [](std::optional<int64_t> x, std::optional<std::string> s) {
    expr::CollectionWriter inner_row;
    expr::Item text;
    if (s) {
      text.tag = expr::ItemTag::kBytes;
      text.bytes = *s;
    }
    inner_row.Add(text);
    const std::string inner_bytes = inner_row.Finish(1);
    expr::CollectionWriter row;
    expr::Item number;
    if (x) {
      number.tag = expr::ItemTag::kInteger;
      number.integer = *x;
    }
    row.Add(number);
    expr::Item nested;
    nested.tag = expr::ItemTag::kBytes;
    nested.bytes = inner_bytes;
    row.Add(nested);
    return expr::EncodeHex(row.Finish(2));
  };
  table.inline_rows = {{"1", row_bytes(7, "a"), "z"},
                       {"2", std::nullopt, "y"},
                       {"3", row_bytes(std::nullopt, std::nullopt), std::nullopt}};
  ASSERT_TRUE(ValuesConnectorInstance().Validate(table, true).ok());
  EXPECT_EQ(ReadAll(table, SubtaskInfo{}),
            (std::vector<std::string>{"+I[1, +I[7, +I[a]], z]", "+I[2, <NULL>, y]",
                                      "+I[3, +I[<NULL>, +I[<NULL>]], <NULL>]"}));
}

TEST(ValuesConnectorTest, RejectsMalformedRowsAndWrongFieldCountsAndWriting) {
  TableDescriptor table = ClicksTable();
  table.schema.columns.push_back({"nested", LogicalType::Row({{"x", LogicalType::Int()}})});
  for (auto& row : table.inline_rows) row.push_back("zz");
  base::Status row_status = ValuesConnectorInstance().Validate(table, true);
  EXPECT_EQ(row_status.message(),
            "table 'clicks': row 1: column 'nested': not an encoded ROW<x INT>");

  TableDescriptor short_row = ClicksTable();
  short_row.inline_rows[0].pop_back();
  EXPECT_EQ(ValuesConnectorInstance().Validate(short_row, true).message(),
            "table 'clicks': row 1: has 3 values, expected 4");

  EXPECT_FALSE(ValuesConnectorInstance().Validate(ClicksTable(), false).ok());
  EXPECT_FALSE(ValuesConnectorInstance().SupportsSink());
}

}  // namespace
}  // namespace sluice::runtime::connectors
