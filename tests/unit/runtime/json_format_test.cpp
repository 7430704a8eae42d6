#include "runtime/connectors/formats/json_format.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "runtime/connectors/print_connector.h"

namespace sluice::runtime::connectors::formats {
namespace {

using types::LogicalType;

using types::SlotTypes;

void SetBigint(Batch* batch, size_t column, int32_t row, int64_t value) {
  batch->column(column).values<int64_t>()[row] = value;
  batch->column(column).validity()[row] = 1;
}

/// Encodes rows [0, count) of `batch`, one line each.
std::string EncodeLines(const Format& format, const Batch& batch, int32_t count) {
  std::string out;
  for (int32_t row = 0; row < count; ++row) {
    base::Status status = format.Encode(batch, row, &out);
    EXPECT_TRUE(status.ok()) << status.ToString();
    out.push_back('\n');
  }
  return out;
}

/// Decodes `record` into row `row` of `batch` (which must have `row` rows).
base::Status DecodeAt(const Format& format, std::string_view record, Batch* batch, int32_t row) {
  batch->set_row_count(row);
  return format.Decode(record, batch);
}

TEST(JsonFormatTest, WritesOneObjectPerLineWithTypedValues) {
  types::Schema schema{{{"auction", LogicalType::Bigint()},
                        {"price", LogicalType::Bigint()},
                        {"dateTime", LogicalType::Timestamp()},
                        {"extra", LogicalType::Varchar()}}};
  Batch batch(SlotTypes(schema));
  SetBigint(&batch, 0, 0, 1000);
  SetBigint(&batch, 1, 0, 5);
  SetBigint(&batch, 2, 0, 1436918400100);  // 2015-07-15 00:00:00.100
  batch.set_row_count(1);

  EXPECT_EQ(EncodeLines(JsonFormat(schema), batch, 1),
            "{\"auction\":1000,\"price\":5,\"dateTime\":\"2015-07-15 00:00:00.100\","
            "\"extra\":null}\n");
}

// A TIMESTAMP_LTZ is an instant: written in UTC with a `Z` (Flink's SQL form), read with or
// without it; the print sink shows it as the session zone's wall time.
TEST(JsonFormatTest, WritesTimestampLtzInUtcWithAZAndReadsItBack) {
  types::Schema schema{{{"ltz", LogicalType::TimestampLtz()}, {"ts", LogicalType::Timestamp()}}};
  Batch batch(SlotTypes(schema));
  SetBigint(&batch, 0, 0, 4001);
  SetBigint(&batch, 1, 0, 4001);
  batch.set_row_count(1);
  JsonFormat format(schema);
  EXPECT_EQ(EncodeLines(format, batch, 1),
            "{\"ltz\":\"1970-01-01 00:00:04.001Z\",\"ts\":\"1970-01-01 00:00:04.001\"}\n");

  Batch read(SlotTypes(schema));
  ASSERT_TRUE(DecodeAt(format, R"({"ltz":"1970-01-01 00:00:04.001Z","ts":null})", &read, 0).ok());
  ASSERT_TRUE(DecodeAt(format, R"({"ltz":"1970-01-01 00:00:05","ts":null})", &read, 1).ok());
  ASSERT_EQ(read.row_count(), 2);
  EXPECT_EQ(read.column(0).values<int64_t>()[0], 4001);
  EXPECT_EQ(read.column(0).values<int64_t>()[1], 5000);

  auto shanghai = expr::TimeZone::Find("Asia/Shanghai");
  ASSERT_NE(shanghai, nullptr);
  EXPECT_EQ(PrintConnector::FormatRow(schema, batch, 0, shanghai.get()),
            "+I[1970-01-01 08:00:04.001, 1970-01-01 00:00:04.001]");
  EXPECT_EQ(PrintConnector::FormatRow(schema, batch, 0),
            "+I[1970-01-01 00:00:04.001, 1970-01-01 00:00:04.001]");
}

TEST(JsonFormatTest, WritesDoublesDecimalsAndBooleans) {
  types::Schema schema{{{"d", LogicalType::Double()},
                        {"m", LogicalType::Decimal(10, 3)},
                        {"b", LogicalType::Boolean()}}};
  Batch batch(SlotTypes(schema));
  const double doubles[] = {0.25, std::numeric_limits<double>::quiet_NaN(),
                            std::numeric_limits<double>::infinity(),
                            -std::numeric_limits<double>::infinity()};
  for (int32_t row = 0; row < 4; ++row) {
    batch.column(0).values<double>()[row] = doubles[row];
    batch.column(0).validity()[row] = 1;
    SetBigint(&batch, 1, row, 1500 * (row % 2 == 0 ? 1 : -1));
    batch.column(2).values<uint8_t>()[row] = row % 2;
    batch.column(2).validity()[row] = 1;
  }
  batch.set_row_count(4);

  EXPECT_EQ(EncodeLines(JsonFormat(schema), batch, 4),
            "{\"d\":0.25,\"m\":1.500,\"b\":false}\n"
            "{\"d\":\"NaN\",\"m\":-1.500,\"b\":true}\n"
            "{\"d\":\"Infinity\",\"m\":1.500,\"b\":false}\n"
            "{\"d\":\"-Infinity\",\"m\":-1.500,\"b\":true}\n");
}

TEST(JsonFormatTest, EscapesStringsAndPassesValidUtf8Through) {
  std::string out;
  JsonFormat::AppendString("q\"b\\n\nt\tc\x01 \x1f é ✓ 😀", &out);
  EXPECT_EQ(out, "\"q\\\"b\\\\n\\nt\\tc\\u0001 \\u001f é ✓ 😀\"");

  out.clear();
  JsonFormat::AppendString("bad \xff\xc3 end", &out);  // a stray byte and a cut sequence
  EXPECT_EQ(out, "\"bad \\ufffd\\ufffd end\"");
}

TEST(JsonFormatTest, WritesRowsAsNestedObjectsAndNullRowsAsNull) {
  LogicalType person =
      LogicalType::Row({{"id", LogicalType::Bigint()}, {"name", LogicalType::Varchar()}});
  types::Schema schema{{{"event_type", LogicalType::Int()}, {"person", person}}};
  Batch batch(SlotTypes(schema));  // slots: event_type, person, person.id, person.name
  ASSERT_EQ(batch.column_count(), 4u);
  for (int32_t row = 0; row < 2; ++row) {
    batch.column(0).values<int32_t>()[row] = row;
    batch.column(0).validity()[row] = 1;
  }
  batch.column(1).validity()[0] = 1;
  SetBigint(&batch, 2, 0, 7);
  batch.column(3).values<StringRef>()[0] = batch.arena().Copy("Ann");
  batch.column(3).validity()[0] = 1;
  batch.set_row_count(2);

  EXPECT_EQ(EncodeLines(JsonFormat(schema), batch, 2),
            "{\"event_type\":0,\"person\":{\"id\":7,\"name\":\"Ann\"}}\n"
            "{\"event_type\":1,\"person\":null}\n");
}

TEST(JsonFormatTest, ReadsBackWhatItWrites) {
  LogicalType bid =
      LogicalType::Row({{"price", LogicalType::Decimal(18, 2)}, {"url", LogicalType::Varchar()}});
  types::Schema schema{{{"id", LogicalType::Bigint()},
                        {"bid", bid},
                        {"ts", LogicalType::Timestamp()},
                        {"d", LogicalType::Double()},
                        {"flag", LogicalType::Boolean()},
                        {"span", LogicalType::Interval()}}};
  JsonFormat format(schema);
  Batch batch(SlotTypes(schema));
  const std::string lines[] = {
      // a decimal past double precision must be read exactly
      R"({"id":1,"bid":{"price":9999999999999999.99,"url":"a\"b\u00e9"},)"
      R"("ts":"2015-07-15 00:00:00.100","d":"NaN","flag":true,"span":"+1 00:00:00.000"})",
      R"({"span":null,"flag":false,"d":-1e+20,"ts":null,"bid":null,"id":-2})",
  };
  for (int32_t row = 0; row < 2; ++row) {
    base::Status status = DecodeAt(format, lines[row], &batch, row);
    ASSERT_TRUE(status.ok()) << status.ToString();
  }
  ASSERT_EQ(batch.row_count(), 2);
  EXPECT_EQ(PrintConnector::FormatRow(schema, batch, 0),
            "+I[1, +I[9999999999999999.99, a\"bé], 2015-07-15 00:00:00.100, NaN, true, "
            "+1 00:00:00.000]");
  EXPECT_EQ(PrintConnector::FormatRow(schema, batch, 1),
            "+I[-2, <NULL>, <NULL>, -1.0E20, false, <NULL>]");

  EXPECT_EQ(EncodeLines(format, batch, 1),
            "{\"id\":1,\"bid\":{\"price\":9999999999999999.99,\"url\":\"a\\\"bé\"},"
            "\"ts\":\"2015-07-15 00:00:00.100\",\"d\":\"NaN\",\"flag\":true,"
            "\"span\":\"+1 00:00:00.000\"}\n");
}

TEST(JsonFormatTest, IgnoresUnknownKeysAndReadsMissingKeysAsNull) {
  types::Schema schema{{{"a", LogicalType::Bigint()}, {"Name", LogicalType::Varchar()}}};
  JsonFormat format(schema);
  Batch batch(SlotTypes(schema));
  // Leftovers of an earlier row must not survive.
  SetBigint(&batch, 0, 0, 99);
  ASSERT_TRUE(DecodeAt(format, R"({"zzz":[1,{"x":2}],"name":"lower-case key"})", &batch, 0).ok());
  ASSERT_EQ(batch.row_count(), 1);
  EXPECT_EQ(PrintConnector::FormatRow(schema, batch, 0), "+I[<NULL>, lower-case key]");
  EXPECT_EQ(batch.column(0).values<int64_t>()[0], 0);  // NULL values are zeroed
}

TEST(JsonFormatTest, MalformedLinesSayWhatIsWrong) {
  LogicalType row = LogicalType::Row({{"x", LogicalType::Int()}});
  types::Schema schema{{{"a", LogicalType::Bigint()}, {"r", row}}};
  JsonFormat format(schema);
  Batch batch(SlotTypes(schema));
  auto error_of = [&](const std::string& line) {
    base::Status status = DecodeAt(format, line, &batch, 0);
    EXPECT_EQ(batch.row_count(), 0) << line;  // nothing appended
    EXPECT_EQ(status.code(), base::ErrorCode::kData) << line;
    return status.message();
  };
  EXPECT_EQ(error_of(R"({"a":"12x"})"), "column 'a': cannot read '12x' as BIGINT");
  EXPECT_EQ(error_of(R"({"a":1.5})"), "column 'a': cannot read 1.5 as BIGINT");
  EXPECT_EQ(error_of(R"({"a":[1]})"), "column 'a': expected BIGINT, found an array");
  EXPECT_EQ(error_of(R"({"r":{"x":true}})"), "column 'r.x': expected INT, found a boolean");
  EXPECT_EQ(error_of(R"({"r":3})"), "column 'r': expected an object, found a number");
  EXPECT_EQ(error_of("[1,2]"), "expected a JSON object, found an array");
  std::string syntax = error_of(R"({"a":1)");
  EXPECT_EQ(syntax.rfind("invalid JSON: parse error at line 1, column 7", 0), 0u) << syntax;
  EXPECT_EQ(error_of(R"({"a":1} x)").rfind("invalid JSON: ", 0), 0u);
}

}  // namespace
}  // namespace sluice::runtime::connectors::formats
