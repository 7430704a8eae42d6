#include "runtime/connectors/formats/csv_format.h"

#include <gtest/gtest.h>

#include "runtime/connectors/formats/field_slots.h"

namespace sluice::runtime::connectors::formats {
namespace {

using types::LogicalType;

/// The csv format over every column of `schema`, with the default options.
std::unique_ptr<CsvFormat> DefaultCsv(const types::Schema& schema) {
  auto format = CsvFormat::Create(AllColumns(schema), {}, "csv.");
  EXPECT_TRUE(format.ok()) << format.status().ToString();
  return std::move(*format);
}

TEST(CsvFormatTest, QuotesOnlyWhatNeedsQuotingAndWritesNullAsEmpty) {
  types::Schema schema{{{"a", LogicalType::Bigint()},
                        {"b", LogicalType::Varchar()},
                        {"c", LogicalType::Varchar()},
                        {"d", LogicalType::Varchar()},
                        {"e", LogicalType::Boolean()}}};
  Batch batch({LogicalType::Bigint(), LogicalType::Varchar(), LogicalType::Varchar(),
               LogicalType::Varchar(), LogicalType::Boolean()});
  batch.column(0).values<int64_t>()[0] = -7;
  batch.column(0).validity()[0] = 1;
  batch.column(1).values<StringRef>()[0] = batch.arena().Copy("a,b \"q\"\nnext");
  batch.column(1).validity()[0] = 1;
  batch.column(2).values<StringRef>()[0] = batch.arena().Copy("");
  batch.column(2).validity()[0] = 1;
  // column 3 stays NULL
  batch.column(4).values<uint8_t>()[0] = 1;
  batch.column(4).validity()[0] = 1;
  batch.set_row_count(1);

  std::string out;
  ASSERT_TRUE(DefaultCsv(schema)->Encode(batch, 0, &out).ok());
  EXPECT_EQ(out, "-7,\"a,b \"\"q\"\"\nnext\",\"\",,true");
}

TEST(CsvFormatTest, SplitsQuotedFieldsAndTellsNullFromEmpty) {
  auto fields = CsvDialect{}.SplitRecord("-7,\"a,b \"\"q\"\"\nnext\",\"\",,true");
  ASSERT_TRUE(fields.ok()) << fields.status().ToString();
  ASSERT_EQ(fields->size(), 5u);
  EXPECT_EQ((*fields)[0], "-7");
  EXPECT_EQ((*fields)[1], "a,b \"q\"\nnext");
  EXPECT_EQ((*fields)[2], "");
  EXPECT_EQ((*fields)[3], std::nullopt);
  EXPECT_EQ((*fields)[4], "true");

  auto trailing = CsvDialect{}.SplitRecord("1,");
  ASSERT_TRUE(trailing.ok());
  EXPECT_EQ(trailing->size(), 2u);
  EXPECT_EQ((*trailing)[1], std::nullopt);
}

TEST(CsvFormatTest, MalformedRecordsSayWhatIsWrong) {
  auto unterminated = CsvDialect{}.SplitRecord("1,\"abc");
  ASSERT_FALSE(unterminated.ok());
  EXPECT_EQ(unterminated.status().code(), base::ErrorCode::kData);
  EXPECT_EQ(unterminated.status().message(), "unterminated quoted field starting at column 3");

  auto after_quote = CsvDialect{}.SplitRecord("\"ab\"c,1");
  ASSERT_FALSE(after_quote.ok());
  EXPECT_EQ(after_quote.status().message(),
            "unexpected character 'c' after a closing quote at column 5");

  auto stray_quote = CsvDialect{}.SplitRecord("ab\"c,1");
  ASSERT_FALSE(stray_quote.ok());
  EXPECT_NE(stray_quote.status().message().find("a quote inside an unquoted field at column 3"),
            std::string::npos);
}

TEST(CsvFormatTest, TellsWhenARecordContinuesOnTheNextLine) {
  EXPECT_FALSE(CsvDialect{}.EndsInsideQuotes("1,\"a\"\"b\",c"));
  EXPECT_TRUE(CsvDialect{}.EndsInsideQuotes("1,\"a\"\"b"));
  EXPECT_FALSE(CsvDialect{}.EndsInsideQuotes(""));
}

TEST(CsvFormatTest, ParsesAndFormatsEveryTypeThroughItsTextForm) {
  struct Case {
    LogicalType type;
    std::string text;
    std::string formatted;
  };
  std::vector<Case> cases = {
      {LogicalType::Boolean(), "TRUE", "true"},
      {LogicalType::Int(), " -12 ", "-12"},
      {LogicalType::Bigint(), "9223372036854775807", "9223372036854775807"},
      {LogicalType::Double(), "0.1", "0.1"},
      {LogicalType::Double(), "nan", "NaN"},
      {LogicalType::Double(), "5", "5.0"},
      {LogicalType::Decimal(10, 3), "1.5", "1.500"},
      {LogicalType::Varchar(), "  spaced  ", "  spaced  "},
      {LogicalType::Timestamp(), "2015-07-15 00:00:00.1", "2015-07-15 00:00:00.100"},
      {LogicalType::Interval(), "+1 02:03:04.005", "+1 02:03:04.005"},
      {LogicalType::Interval(), "-0 00:00:01", "-0 00:00:01.000"},
  };
  Arena arena;
  for (const Case& test_case : cases) {
    Column column(test_case.type);
    ASSERT_TRUE(CsvFormat::ParseValue(test_case.text, &column, 3, &arena))
        << test_case.type.ToString() << " '" << test_case.text << "'";
    EXPECT_FALSE(column.IsNull(3));
    std::string out;
    CsvFormat::AppendValue(column, 3, &out);
    EXPECT_EQ(out, test_case.formatted) << test_case.type.ToString();
  }
}

TEST(CsvFormatTest, RejectsTextThatIsNotOfTheType) {
  Arena arena;
  for (const auto& [type, text] : std::vector<std::pair<LogicalType, std::string>>{
           {LogicalType::Bigint(), "12x"},
           {LogicalType::Int(), "3000000000"},
           {LogicalType::Boolean(), "yes"},
           {LogicalType::Timestamp(), "2015-13-01 00:00:00"},
           {LogicalType::Interval(), "1 day"},
           {LogicalType::Decimal(3, 1), "123.4"}}) {
    Column column(type);
    EXPECT_FALSE(CsvFormat::ParseValue(text, &column, 0, &arena)) << type.ToString() << " " << text;
    EXPECT_TRUE(column.IsNull(0));
  }
}

TEST(CsvFormatTest, IntervalsRoundTripAtTheExtremes) {
  Arena arena;
  for (int64_t millis : {INT64_MAX, INT64_MIN + 1, int64_t{0}, int64_t{-86'400'001}}) {
    Column column(LogicalType::Interval());
    column.values<int64_t>()[0] = millis;
    column.validity()[0] = 1;
    std::string text;
    CsvFormat::AppendValue(column, 0, &text);
    Column parsed(LogicalType::Interval());
    ASSERT_TRUE(CsvFormat::ParseValue(text, &parsed, 0, &arena)) << text;
    EXPECT_EQ(parsed.values<int64_t>()[0], millis) << text;
  }
}

TEST(CsvFormatTest, ArraysAndRowsAreOneFieldJoinedByTheArrayDelimiter) {
  // Flink's CSV: ARRAY and ROW of scalars, elements joined by 'csv.array-element-delimiter'.
  LogicalType row = LogicalType::Row({{"x", LogicalType::Int()}, {"y", LogicalType::Varchar()}});
  types::Schema schema{{{"a", LogicalType::Array(LogicalType::Bigint())},
                        {"r", row},
                        {"s", LogicalType::Array(LogicalType::Varchar())}}};
  // Slots: a, r (validity), r.x, r.y, s.
  Batch batch({LogicalType::Array(LogicalType::Bigint()), row, LogicalType::Int(),
               LogicalType::Varchar(), LogicalType::Array(LogicalType::Varchar())});
  auto format = DefaultCsv(schema);
  const char* records[] = {"1;;3,7;x y,\"\"", ",,\"a;b,c\"", "\"\",;,z"};
  for (const char* record : records) ASSERT_TRUE(format->Decode(record, &batch).ok()) << record;
  ASSERT_EQ(batch.row_count(), 3);
  std::vector<std::string> written;
  for (int32_t row_index = 0; row_index < batch.row_count(); ++row_index) {
    std::string out;
    ASSERT_TRUE(format->Encode(batch, row_index, &out).ok());
    written.push_back(out);
  }
  // Row 0: [1, NULL, 3], (7, 'x y'), an empty array. Row 1: NULL, NULL row, ['a', 'b,c'] (the
  // field delimiter inside an element quotes the whole field). Row 2: [], (NULL, NULL), ['z'].
  EXPECT_EQ(written, (std::vector<std::string>{"1;;3,7;x y,\"\"", ",,\"a;b,c\"", "\"\",;,z"}));
  EXPECT_TRUE(batch.column(1).IsNull(1));
  EXPECT_TRUE(batch.column(2).IsNull(2));
  EXPECT_TRUE(batch.column(3).IsNull(2));

  auto bad = CsvFormat::Create(AllColumns(schema), {}, "csv.");
  ASSERT_TRUE(bad.ok());
  Batch other({LogicalType::Array(LogicalType::Bigint()), row, LogicalType::Int(),
               LogicalType::Varchar(), LogicalType::Array(LogicalType::Varchar())});
  base::Status status = (*bad)->Decode(std::string_view("1;x,1;a,b"), &other);
  EXPECT_EQ(status.message(), "column 'a': cannot read '1;x' as ARRAY<BIGINT>");
  status = (*bad)->Decode(std::string_view("1,1;a;b,b"), &other);
  EXPECT_EQ(status.message(), "column 'r': cannot read '1;a;b' as ROW<x INT, y VARCHAR>");
}

TEST(CsvFormatTest, WritesAHeaderOfColumnNames) {
  types::Schema schema{{{"id", LogicalType::Bigint()}, {"a,b", LogicalType::Varchar()}}};
  std::string out;
  DefaultCsv(schema)->AppendHeader(&out);
  EXPECT_EQ(out, "id,\"a,b\"");
}

}  // namespace
}  // namespace sluice::runtime::connectors::formats
