#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "runtime/connectors/formats/field_slots.h"
#include "runtime/connectors/formats/format.h"
#include "runtime/connectors/print_connector.h"

namespace sluice::runtime::connectors::formats {
namespace {

using types::LogicalType;

using types::SlotTypes;

/// The format over every column of `schema`, spelled `<format>.<key>` in errors.
std::unique_ptr<Format> Make(const std::string& format, const types::Schema& schema,
                             const FormatOptions& options = {}) {
  auto created = CreateFormat(format, AllColumns(schema), options, format + ".");
  EXPECT_TRUE(created.ok()) << created.status().ToString();
  return created.ok() ? std::move(*created) : nullptr;
}

std::string CreateError(const std::string& format, const types::Schema& schema,
                        const FormatOptions& options, const std::string& prefix = "") {
  auto created =
      CreateFormat(format, AllColumns(schema), options, prefix.empty() ? format + "." : prefix);
  EXPECT_FALSE(created.ok());
  if (created.ok()) return "";
  EXPECT_EQ(created.status().code(), base::ErrorCode::kOption);
  return created.status().message();
}

/// Decodes each record into one batch and prints the rows (with their kinds).
std::vector<std::string> DecodeAll(const Format& format, const types::Schema& schema,
                                   const std::vector<std::optional<std::string>>& records) {
  Batch batch(SlotTypes(schema));
  for (const std::optional<std::string>& record : records) {
    std::optional<std::string_view> view;
    if (record) view = *record;
    base::Status status = format.Decode(view, &batch);
    EXPECT_TRUE(status.ok()) << status.ToString() << " for " << record.value_or("<null>");
  }
  std::vector<std::string> rows;
  for (int32_t row = 0; row < batch.row_count(); ++row) {
    rows.push_back(PrintConnector::FormatRow(schema, batch, row));
  }
  return rows;
}

/// Decodes one record that must fail, and checks it appended nothing.
std::string DecodeError(const Format& format, const types::Schema& schema,
                        std::optional<std::string> record) {
  Batch batch(SlotTypes(schema));
  std::optional<std::string_view> view;
  if (record) view = *record;
  base::Status status = format.Decode(view, &batch);
  EXPECT_FALSE(status.ok()) << record.value_or("<null>");
  EXPECT_EQ(status.code(), base::ErrorCode::kData);
  EXPECT_EQ(batch.row_count(), 0);
  return status.message();
}

/// Sets row `row` of a batch of (k VARCHAR, n BIGINT); nullopt for NULL.
void SetRow(Batch* batch, int32_t row, std::optional<std::string> k, std::optional<int64_t> n,
            RowKind kind = RowKind::kInsert) {
  if (k) {
    batch->column(0).values<StringRef>()[row] = batch->arena().Copy(*k);
    batch->column(0).validity()[row] = 1;
  }
  if (n) {
    batch->column(1).values<int64_t>()[row] = *n;
    batch->column(1).validity()[row] = 1;
  }
  if (kind != RowKind::kInsert) batch->EnableRowKinds()[row] = static_cast<uint8_t>(kind);
  batch->set_row_count(std::max(batch->row_count(), row + 1));
}

std::vector<std::string> EncodeAll(const Format& format, const Batch& batch) {
  std::vector<std::string> records;
  for (int32_t row = 0; row < batch.row_count(); ++row) {
    std::string out;
    base::Status status = format.Encode(batch, row, &out);
    EXPECT_TRUE(status.ok()) << status.ToString();
    records.push_back(out);
  }
  return records;
}

const types::Schema kKeyValue{{{"k", LogicalType::Varchar()}, {"n", LogicalType::Bigint()}}};

// ---- the factory ------------------------------------------------------------------------------

TEST(FormatsTest, NamesAndOptionKeys) {
  EXPECT_EQ(FormatNames(), (std::vector<std::string>{"json", "csv", "raw", "changelog-json",
                                                     "debezium-json", "canal-json"}));
  for (const std::string& name : FormatNames()) {
    EXPECT_FALSE(FormatOptionKeys(name).empty()) << name;
    EXPECT_EQ(Make(name, name == "raw" ? types::Schema{{{"v", LogicalType::Varchar()}}} : kKeyValue)
                  ->name(),
              name);
  }
  EXPECT_TRUE(FormatOptionKeys("avro").empty());
  EXPECT_EQ(CreateError("jsn", kKeyValue, {}),
            "unknown format 'jsn'; expected one of 'json', 'csv', 'raw', 'changelog-json', "
            "'debezium-json', 'canal-json' (did you mean 'json'?)");
}

TEST(FormatsTest, UnknownOptionsAreNamedAsTheTableSpellsThem) {
  auto created =
      CreateFormat("json", AllColumns(kKeyValue), {{"ignore-parse-error", "true"}}, "value.json.");
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().message(),
            "unknown option 'value.json.ignore-parse-error' for format 'json'; did you mean "
            "'value.json.ignore-parse-errors'?");
  EXPECT_EQ(created.status().subject(), "value.json.ignore-parse-error");
  EXPECT_EQ(CreateError("json", kKeyValue, {{"ignore-parse-errors", "yes"}}, "key.json."),
            "invalid value 'yes' for option 'key.json.ignore-parse-errors': expected 'true' or "
            "'false'");
}

TEST(FormatsTest, FieldsAreASubsetOfTheTableColumns) {
  // A key format over column 2 of three: it writes only that column's slots.
  types::Schema table{{{"a", LogicalType::Bigint()},
                       {"r", LogicalType::Row({{"x", LogicalType::Int()}})},
                       {"id", LogicalType::Varchar()}}};
  FormatFields fields;
  fields.fields = types::Schema{{{"id", LogicalType::Varchar()}}};
  fields.columns = {2};
  fields.table_schema = table;
  auto format = CreateFormat("json", fields, {}, "key.json.");
  ASSERT_TRUE(format.ok()) << format.status().ToString();
  Batch batch(SlotTypes(table));
  batch.column(0).values<int64_t>()[0] = 42;
  batch.column(0).validity()[0] = 1;
  ASSERT_TRUE((*format)->Decode(R"({"id":"k1","a":7})", &batch).ok());
  ASSERT_EQ(batch.row_count(), 1);
  EXPECT_EQ(batch.column(3).values<StringRef>()[0].view(), "k1");
  EXPECT_EQ(batch.column(0).values<int64_t>()[0], 42);  // not the format's: left alone
  std::string out;
  ASSERT_TRUE((*format)->Encode(batch, 0, &out).ok());
  EXPECT_EQ(out, R"({"id":"k1"})");
}

// ---- json -------------------------------------------------------------------------------------

TEST(FormatsTest, JsonGoldenRecords) {
  types::Schema schema{{{"k", LogicalType::Varchar()},
                        {"n", LogicalType::Bigint()},
                        {"ts", LogicalType::Timestamp()}}};
  auto format = Make("json", schema);
  EXPECT_FALSE(format->IsChangelog());
  EXPECT_EQ(DecodeAll(*format, schema,
                      {R"({"k":"a","n":1,"ts":"2024-01-02 03:04:05.678"})",
                       R"({"n":2,"ts":"2024-01-02T03:04:05"})", std::nullopt}),
            (std::vector<std::string>{"+I[a, 1, 2024-01-02 03:04:05.678]",
                                      "+I[<NULL>, 2, 2024-01-02 03:04:05.000]"}));

  Batch batch(SlotTypes(schema));
  ASSERT_TRUE(format->Decode(R"({"k":"a","n":1,"ts":1000})", &batch).ok());
  EXPECT_EQ(EncodeAll(*format, batch),
            (std::vector<std::string>{R"({"k":"a","n":1,"ts":"1970-01-01 00:00:01.000"})"}));

  auto iso =
      Make("json", schema,
           {{"timestamp-format.standard", "ISO-8601"}, {"encode.ignore-null-fields", "true"}});
  Batch sparse(SlotTypes(schema));
  ASSERT_TRUE(iso->Decode(R"({"ts":"2024-01-02 03:04:05.678"})", &sparse).ok());
  EXPECT_EQ(EncodeAll(*iso, sparse),
            (std::vector<std::string>{R"({"ts":"2024-01-02T03:04:05.678"})"}));

  // An insert-only format refuses retractions (the planner keeps them away: a bug).
  Batch updates(SlotTypes(kKeyValue));
  SetRow(&updates, 0, "a", 1, RowKind::kDelete);
  std::string out;
  EXPECT_EQ(Make("json", kKeyValue)->Encode(updates, 0, &out).code(), base::ErrorCode::kPlan);
}

TEST(FormatsTest, JsonIgnoreParseErrorsSkipsAndCountsBadRecordsAndNullsBadValues) {
  auto strict = Make("json", kKeyValue);
  EXPECT_EQ(DecodeError(*strict, kKeyValue, R"({"k":"a","n":"x"})"),
            "column 'n': cannot read 'x' as BIGINT");
  EXPECT_EQ(DecodeError(*strict, kKeyValue, R"([1])"), "expected a JSON object, found an array");
  EXPECT_EQ(strict->skipped_records(), 0);

  auto lenient = Make("json", kKeyValue, {{"ignore-parse-errors", "true"}});
  EXPECT_EQ(DecodeAll(*lenient, kKeyValue,
                      {R"({"k":"a","n":"x"})", "{not json", R"([1])", R"({"k":"b","n":2})"}),
            (std::vector<std::string>{"+I[a, <NULL>]", "+I[b, 2]"}));
  EXPECT_EQ(lenient->skipped_records(), 2);
}

TEST(FormatsTest, JsonFailOnMissingField) {
  auto format = Make("json", kKeyValue, {{"fail-on-missing-field", "true"}});
  EXPECT_EQ(DecodeError(*format, kKeyValue, R"({"k":"a"})"),
            "column 'n': missing from the record (and fail-on-missing-field is true)");
  EXPECT_EQ(DecodeAll(*format, kKeyValue, {R"({"k":"a","n":null})"}),
            (std::vector<std::string>{"+I[a, <NULL>]"}));
  EXPECT_EQ(CreateError("json", kKeyValue,
                        {{"fail-on-missing-field", "true"}, {"ignore-parse-errors", "true"}}),
            "options 'json.fail-on-missing-field' and 'json.ignore-parse-errors' cannot both "
            "be true");
}

TEST(FormatsTest, JsonChecksOptionsItCannotUse) {
  EXPECT_TRUE(Make("json", kKeyValue,
                   {{"map-null-key.mode", "literal"},
                    {"map-null-key.literal", "null"},
                    {"encode.decimal-as-plain-number", "true"},
                    {"decode.json-parser.enabled", "false"}}) != nullptr);
  EXPECT_EQ(CreateError("json", kKeyValue, {{"map-null-key.mode", "KEEP"}}),
            "invalid value 'KEEP' for option 'json.map-null-key.mode': expected 'FAIL', 'DROP' "
            "or 'LITERAL'");
  EXPECT_EQ(CreateError("json", kKeyValue, {{"timestamp-format.standard", "RFC"}}),
            "invalid value 'RFC' for option 'json.timestamp-format.standard': expected 'SQL' or "
            "'ISO-8601'");
}

// ---- csv --------------------------------------------------------------------------------------

TEST(FormatsTest, CsvGoldenRecordsWithDefaultOptions) {
  auto format = Make("csv", kKeyValue);
  EXPECT_EQ(DecodeAll(*format, kKeyValue, {"a,1", "\"b,c\",", ",3", "\"\",4"}),
            (std::vector<std::string>{"+I[a, 1]", "+I[b,c, <NULL>]", "+I[<NULL>, 3]", "+I[, 4]"}));
  Batch batch(SlotTypes(kKeyValue));
  SetRow(&batch, 0, "x\"y", 1);
  SetRow(&batch, 1, std::nullopt, 2);
  SetRow(&batch, 2, "", std::nullopt);
  EXPECT_EQ(EncodeAll(*format, batch), (std::vector<std::string>{"\"x\"\"y\",1", ",2", "\"\","}));
  EXPECT_EQ(DecodeError(*format, kKeyValue, "a"), "expected 2 fields, found 1");
  EXPECT_EQ(DecodeError(*format, kKeyValue, "a,b"), "column 'n': cannot read 'b' as BIGINT");
}

TEST(FormatsTest, CsvDelimiterQuoteEscapeNullLiteralAndComments) {
  auto tabs = Make("csv", kKeyValue,
                   {{"field-delimiter", "\\t"},
                    {"quote-character", "'"},
                    {"null-literal", "NULL"},
                    {"allow-comments", "true"}});
  EXPECT_EQ(DecodeAll(*tabs, kKeyValue, {"a\t1", "# a comment", "'b\tc'\tNULL", "NULL\t'3'"}),
            (std::vector<std::string>{"+I[a, 1]", "+I[b\tc, <NULL>]", "+I[<NULL>, 3]"}));
  Batch batch(SlotTypes(kKeyValue));
  SetRow(&batch, 0, "it's", std::nullopt);
  SetRow(&batch, 1, "#1", 2);
  EXPECT_EQ(EncodeAll(*tabs, batch), (std::vector<std::string>{"'it''s'\tNULL", "'#1'\t2"}));

  auto escaped =
      Make("csv", kKeyValue, {{"disable-quote-character", "true"}, {"escape-character", "\\\\"}});
  EXPECT_EQ(DecodeAll(*escaped, kKeyValue, {R"(a\,b,1)", R"("q",2)"}),
            (std::vector<std::string>{"+I[a,b, 1]", "+I[\"q\", 2]"}));
  Batch commas(SlotTypes(kKeyValue));
  SetRow(&commas, 0, "a,b\\c", 1);
  EXPECT_EQ(EncodeAll(*escaped, commas), (std::vector<std::string>{R"(a\,b\\c,1)"}));
}

TEST(FormatsTest, CsvIgnoreParseErrorsSkipsAndCounts) {
  auto format = Make("csv", kKeyValue, {{"ignore-parse-errors", "true"}});
  EXPECT_EQ(DecodeAll(*format, kKeyValue, {"a,1", "b", "c,x", "\"d", "e,5"}),
            (std::vector<std::string>{"+I[a, 1]", "+I[e, 5]"}));
  EXPECT_EQ(format->skipped_records(), 3);
}

TEST(FormatsTest, CsvOptionErrors) {
  EXPECT_EQ(CreateError("csv", kKeyValue, {{"field-delimiter", ";;"}}),
            "invalid value ';;' for option 'csv.field-delimiter': expected a single character (an "
            "ASCII one; '\\t' for a tab)");
  EXPECT_EQ(CreateError("csv", kKeyValue,
                        {{"quote-character", "'"}, {"disable-quote-character", "true"}}),
            "options 'csv.quote-character' and 'csv.disable-quote-character' = 'true' "
            "contradict each other: a format cannot define a quote character and disable it");
  // Flink's CSV: an ARRAY or ROW of scalars only; no MAP.
  types::Schema nested{{{"r", LogicalType::Row({{"x", LogicalType::Array(LogicalType::Int())}})}}};
  EXPECT_EQ(CreateError("csv", nested, {}),
            "format 'csv' cannot hold column 'r' of type ROW<x ARRAY<INT>>: as Flink's, it takes "
            "an ARRAY or a ROW of scalars (joined by 'csv.array-element-delimiter'), no MAP or "
            "MULTISET and no deeper nesting; use 'format' = 'json'");
  types::Schema map{{{"m", LogicalType::Map(LogicalType::Varchar(), LogicalType::Int())}}};
  EXPECT_NE(CreateError("csv", map, {}).find("cannot hold column 'm' of type MAP<VARCHAR, INT>"),
            std::string::npos);
  EXPECT_TRUE(Make("csv", kKeyValue,
                   {{"array-element-delimiter", "|"},
                    {"write-bigdecimal-in-scientific-notation", "false"}}) != nullptr);
}

// ---- raw --------------------------------------------------------------------------------------

TEST(FormatsTest, RawIsTheRecordsBytes) {
  types::Schema schema{{{"line", LogicalType::Varchar()}}};
  auto format = Make("raw", schema, {{"charset", "UTF-8"}, {"endianness", "little-endian"}});
  EXPECT_EQ(DecodeAll(*format, schema, {"{\"not\": json}", "", std::nullopt}),
            (std::vector<std::string>{"+I[{\"not\": json}]", "+I[]", "+I[<NULL>]"}));

  Batch batch(SlotTypes(schema));
  ASSERT_TRUE(format->Decode(std::string_view("a\0b", 3), &batch).ok());
  ASSERT_TRUE(format->Decode(std::nullopt, &batch).ok());
  std::string out;
  ASSERT_TRUE(format->Encode(batch, 0, &out).ok());
  EXPECT_EQ(out, std::string("a\0b", 3));
  EXPECT_FALSE(format->EncodesAsNull(batch, 0));
  EXPECT_TRUE(format->EncodesAsNull(batch, 1));
}

TEST(FormatsTest, RawOptionAndSchemaErrors) {
  types::Schema schema{{{"line", LogicalType::Varchar()}}};
  EXPECT_EQ(CreateError("raw", schema, {{"charset", "ISO-8859-1"}}),
            "invalid value 'ISO-8859-1' for option 'raw.charset': only 'UTF-8' is supported");
  EXPECT_EQ(CreateError("raw", schema, {{"endianness", "middle"}}),
            "invalid value 'middle' for option 'raw.endianness': expected 'big-endian' or "
            "'little-endian'");
  EXPECT_EQ(CreateError("raw", kKeyValue, {}),
            "format 'raw' reads and writes exactly one column, but there are 2 (k, n)");
  EXPECT_EQ(CreateError("raw", types::Schema{{{"n", LogicalType::Bigint()}}}, {}),
            "format 'raw' supports only a VARCHAR (STRING) or BYTES column, but 'n' is BIGINT "
            "(numeric raw values, which 'raw.endianness' is about, are not supported)");
}

TEST(FormatsTest, RawBytesAreTheRecordsBytesUnchanged) {
  types::Schema schema{{{"payload", LogicalType::Binary()}}};
  auto format = Make("raw", schema);
  const std::string binary("\xff\x00\x80", 3);  // not UTF-8
  EXPECT_EQ(DecodeAll(*format, schema, {binary, "", std::nullopt}),
            (std::vector<std::string>{"+I[x'ff0080']", "+I[x'']", "+I[<NULL>]"}));
  Batch batch(SlotTypes(schema));
  ASSERT_TRUE(format->Decode(binary, &batch).ok());
  std::string out;
  ASSERT_TRUE(format->Encode(batch, 0, &out).ok());
  EXPECT_EQ(out, binary);
}

// Flink's JSON and CSV formats write BYTES as base64 and read them back; text that is not
// base64 is a bad record like any other.
TEST(FormatsTest, JsonAndCsvCarryBytesAsBase64) {
  types::Schema schema{{{"id", LogicalType::Int()}, {"b", LogicalType::Binary()}}};
  auto json = Make("json", schema);
  std::vector<std::optional<std::string>> records = {R"({"id":1,"b":"aGVsbG8="})",
                                                     R"({"id":2,"b":"/wCA"})", R"({"id":3,"b":""})",
                                                     R"({"id":4,"b":null})"};
  EXPECT_EQ(DecodeAll(*json, schema, records),
            (std::vector<std::string>{"+I[1, x'68656c6c6f']", "+I[2, x'ff0080']", "+I[3, x'']",
                                      "+I[4, <NULL>]"}));
  Batch batch(SlotTypes(schema));
  for (const auto& record : records) ASSERT_TRUE(json->Decode(*record, &batch).ok());
  std::vector<std::string> encoded = EncodeAll(*json, batch);
  EXPECT_EQ(encoded,
            (std::vector<std::string>{R"({"id":1,"b":"aGVsbG8="})", R"({"id":2,"b":"/wCA"})",
                                      R"({"id":3,"b":""})", R"({"id":4,"b":null})"}));
  EXPECT_EQ(DecodeError(*json, schema, R"({"id":5,"b":"no base64!"})"),
            "column 'b': cannot read 'no base64!' as BYTES");
  EXPECT_EQ(DecodeError(*json, schema, R"({"id":5,"b":"abcde"})"),
            "column 'b': cannot read 'abcde' as BYTES");

  auto csv = Make("csv", schema);
  EXPECT_EQ(DecodeAll(*csv, schema, {"1,aGVsbG8=", "2,/wCA", "3,\"\"", "4,"}),
            (std::vector<std::string>{"+I[1, x'68656c6c6f']", "+I[2, x'ff0080']", "+I[3, x'']",
                                      "+I[4, <NULL>]"}));
  Batch csv_batch(SlotTypes(schema));
  for (const char* record : {"1,aGVsbG8=", "2,/wCA"}) {
    ASSERT_TRUE(csv->Decode(std::string_view(record), &csv_batch).ok());
  }
  EXPECT_EQ(EncodeAll(*csv, csv_batch), (std::vector<std::string>{"1,aGVsbG8=", "2,/wCA"}));
  EXPECT_EQ(DecodeError(*csv, schema, "5,*"), "column 'b': cannot read '*' as BYTES");
}

// ---- changelog-json ---------------------------------------------------------------------------

TEST(FormatsTest, ChangelogJsonReadsWhatItWrites) {
  auto format = Make("changelog-json", kKeyValue);
  EXPECT_TRUE(format->IsChangelog());
  std::vector<std::optional<std::string>> records = {
      R"({"op":"+I","k":"a","n":1})", R"({"op":"-U","k":"a","n":1})",
      R"({"op":"+U","k":"a","n":2})", R"({"op":"-D","k":"a","n":2})"};
  EXPECT_EQ(DecodeAll(*format, kKeyValue, records),
            (std::vector<std::string>{"+I[a, 1]", "-U[a, 1]", "+U[a, 2]", "-D[a, 2]"}));

  Batch batch(SlotTypes(kKeyValue));
  for (const auto& record : records) ASSERT_TRUE(format->Decode(*record, &batch).ok());
  std::vector<std::string> encoded = EncodeAll(*format, batch);
  EXPECT_EQ(std::vector<std::optional<std::string>>(encoded.begin(), encoded.end()), records);

  EXPECT_EQ(DecodeError(*format, kKeyValue, R"({"op":"x","k":"a"})"),
            "expected \"op\" to be \"+I\", \"-U\", \"+U\" or \"-D\", found \"x\"");
  EXPECT_EQ(DecodeError(*format, kKeyValue, R"({"k":"a"})"),
            "expected \"op\" to be \"+I\", \"-U\", \"+U\" or \"-D\", found no \"op\" key");
  EXPECT_EQ(CreateError("changelog-json", types::Schema{{{"OP", LogicalType::Varchar()}}}, {}),
            "format 'changelog-json' uses the key \"op\" for the row kind, so a column cannot be "
            "named 'OP'");
}

// ---- debezium-json ----------------------------------------------------------------------------

TEST(FormatsTest, DebeziumInsertsUpdatesDeletesAndTombstones) {
  auto format = Make("debezium-json", kKeyValue);
  EXPECT_TRUE(format->IsChangelog());
  EXPECT_EQ(format->MaxRowsPerRecord(), 2);
  EXPECT_EQ(DecodeAll(*format, kKeyValue,
                      {R"({"before":null,"after":{"k":"a","n":1},"op":"r","source":{"db":"x"}})",
                       R"({"before":null,"after":{"k":"b","n":2},"op":"c","ts_ms":1})",
                       R"({"before":{"k":"a","n":1},"after":{"k":"a","n":3},"op":"u"})",
                       R"({"before":{"k":"b","n":2},"after":null,"op":"d"})",
                       std::nullopt,                    // the tombstone after a delete
                       "",                              // an empty value is one too
                       R"({"ts_ms":1589362330904})"}),  // a heartbeat
            (std::vector<std::string>{"+I[a, 1]", "+I[b, 2]", "-U[a, 1]", "+U[a, 3]", "-D[b, 2]"}));
}

TEST(FormatsTest, DebeziumErrors) {
  auto format = Make("debezium-json", kKeyValue);
  EXPECT_EQ(DecodeError(*format, kKeyValue, R"({"before":null,"after":{"k":"a"},"op":"u"})"),
            "the \"before\" field of an UPDATE event is null; if you are using Debezium's "
            "Postgres connector, set the table's REPLICA IDENTITY to FULL");
  EXPECT_EQ(DecodeError(*format, kKeyValue, R"({"after":null,"op":"d"})"),
            "the \"before\" field of a DELETE event is null; if you are using Debezium's "
            "Postgres connector, set the table's REPLICA IDENTITY to FULL");
  EXPECT_EQ(DecodeError(*format, kKeyValue, R"({"before":null,"after":{"k":"a"},"op":"t"})"),
            "unknown \"op\" value \"t\" (expected c, r, u or d)");
  EXPECT_EQ(DecodeError(*format, kKeyValue, R"({"before":null,"after":{"k":"a"}})"),
            "the event has no \"op\"");
  EXPECT_EQ(
      DecodeError(*format, kKeyValue, R"({"schema":{},"payload":{"after":{"k":"a"},"op":"c"}})"),
      "the record has \"schema\" and \"payload\" keys; set "
      "'debezium-json.schema-include' = 'true' to read it");
  EXPECT_EQ(
      DecodeError(*format, kKeyValue, R"({"before":null,"after":{"k":"a","n":"x"},"op":"c"})"),
      "column 'n': cannot read 'x' as BIGINT");

  auto lenient = Make("debezium-json", kKeyValue, {{"ignore-parse-errors", "true"}});
  EXPECT_EQ(DecodeAll(*lenient, kKeyValue,
                      {R"({"before":null,"after":{"k":"a"},"op":"u"})", "{",
                       R"({"after":{"k":"b","n":"x"},"op":"c"})"}),
            (std::vector<std::string>{"+I[b, <NULL>]"}));
  EXPECT_EQ(lenient->skipped_records(), 2);
}

TEST(FormatsTest, DebeziumSchemaIncludeReadsThePayload) {
  auto format = Make("debezium-json", kKeyValue, {{"schema-include", "true"}});
  EXPECT_EQ(DecodeAll(*format, kKeyValue,
                      {R"({"schema":{"type":"struct"},"payload":{"before":null,)"
                       R"("after":{"k":"a","n":1},"op":"c"}})"}),
            (std::vector<std::string>{"+I[a, 1]"}));
  EXPECT_EQ(DecodeError(*format, kKeyValue, R"({"after":{"k":"a"},"op":"c"})"),
            "expected a \"payload\" object, as 'debezium-json.schema-include' is true");
  base::Status encodable = format->CheckEncodable();
  EXPECT_EQ(encodable.code(), base::ErrorCode::kOption);
  EXPECT_EQ(encodable.subject(), "debezium-json.schema-include");
  Batch batch(SlotTypes(kKeyValue));
  SetRow(&batch, 0, "a", 1);
  std::string out;
  EXPECT_EQ(format->Encode(batch, 0, &out).code(), base::ErrorCode::kOption);
}

TEST(FormatsTest, DebeziumEncodesAsFlinkDoes) {
  auto format = Make("debezium-json", kKeyValue);
  EXPECT_TRUE(format->CheckEncodable().ok());
  Batch batch(SlotTypes(kKeyValue));
  SetRow(&batch, 0, "a", 1, RowKind::kInsert);
  SetRow(&batch, 1, "a", 1, RowKind::kUpdateBefore);
  SetRow(&batch, 2, "a", 2, RowKind::kUpdateAfter);
  SetRow(&batch, 3, "a", std::nullopt, RowKind::kDelete);
  EXPECT_EQ(EncodeAll(*format, batch),
            (std::vector<std::string>{R"({"before":null,"after":{"k":"a","n":1},"op":"c"})",
                                      R"({"before":{"k":"a","n":1},"after":null,"op":"d"})",
                                      R"({"before":null,"after":{"k":"a","n":2},"op":"c"})",
                                      R"({"before":{"k":"a","n":null},"after":null,"op":"d"})"}));
}

TEST(FormatsTest, AnUpdateThatDoesNotFitAsksForAnEmptyBatch) {
  auto format = Make("debezium-json", kKeyValue);
  Batch batch(SlotTypes(kKeyValue));
  batch.set_row_count(kBatchCapacity - 1);
  base::Status status =
      format->Decode(R"({"before":{"k":"a"},"after":{"k":"b"},"op":"u"})", &batch);
  EXPECT_TRUE(NeedsEmptyBatch(status)) << status.ToString();
  EXPECT_EQ(batch.row_count(), kBatchCapacity - 1);
  // An insert still fits.
  ASSERT_TRUE(format->Decode(R"({"after":{"k":"c"},"op":"c"})", &batch).ok());
  EXPECT_EQ(batch.row_count(), kBatchCapacity);
  EXPECT_FALSE(NeedsEmptyBatch(base::Status::Error(base::ErrorCode::kData, "other")));
}

// ---- canal-json -------------------------------------------------------------------------------

TEST(FormatsTest, CanalRecordsHoldSeveralRows) {
  auto format = Make("canal-json", kKeyValue);
  EXPECT_TRUE(format->IsChangelog());
  EXPECT_EQ(format->MaxRowsPerRecord(), kBatchCapacity);
  EXPECT_EQ(
      DecodeAll(*format, kKeyValue,
                {R"({"data":[{"k":"a","n":"1"},{"k":"b","n":"2"}],"database":"shop","table":"t",)"
                 R"("isDdl":false,"old":null,"type":"INSERT"})",
                 // old holds the changed fields only; "n" of b was null before
                 R"({"data":[{"k":"a","n":"10"},{"k":"b","n":"20"}],)"
                 R"("old":[{"n":"1"},{"n":null}],"type":"UPDATE"})",
                 R"({"data":[{"k":"a","n":"10"}],"old":null,"type":"DELETE"})",
                 R"({"data":null,"isDdl":true,"sql":"ALTER TABLE t ADD c INT","type":"ALTER"})",
                 R"({"data":null,"type":"CREATE"})", std::nullopt}),
      (std::vector<std::string>{"+I[a, 1]", "+I[b, 2]", "-U[a, 1]", "+U[a, 10]", "-U[b, <NULL>]",
                                "+U[b, 20]", "-D[a, 10]"}));
}

TEST(FormatsTest, CanalFiltersDatabasesAndTables) {
  auto format = Make("canal-json", kKeyValue,
                     {{"database.include", "shop|inventory"}, {"table.include", "order.*"}});
  EXPECT_EQ(
      DecodeAll(*format, kKeyValue,
                {R"({"data":[{"k":"a"}],"database":"shop","table":"orders","type":"INSERT"})",
                 R"({"data":[{"k":"b"}],"database":"shop","table":"users","type":"INSERT"})",
                 R"({"data":[{"k":"c"}],"database":"shops","table":"orders","type":"INSERT"})",
                 R"({"data":[{"k":"d"}],"type":"INSERT"})"}),
      (std::vector<std::string>{"+I[a, <NULL>]"}));
  EXPECT_EQ(format->skipped_records(), 0);  // filtered, not skipped
  std::string error = CreateError("canal-json", kKeyValue, {{"table.include", "(order"}});
  EXPECT_EQ(error.rfind("invalid value '(order' for option 'canal-json.table.include': not a "
                        "regular expression: ",
                        0),
            0u)
      << error;
}

TEST(FormatsTest, CanalErrorsAndBatchRoom) {
  auto format = Make("canal-json", kKeyValue);
  EXPECT_EQ(DecodeError(*format, kKeyValue, R"({"data":[{"k":"a"}],"type":"UPSERT"})"),
            "unknown \"type\" value \"UPSERT\" (expected INSERT, UPDATE or DELETE)");
  EXPECT_EQ(DecodeError(*format, kKeyValue, R"({"data":[{"k":"a"}],"type":"UPDATE"})"),
            "expected \"old\" to be an array of rows, found no such key");
  EXPECT_EQ(DecodeError(*format, kKeyValue, R"({"data":[1],"type":"INSERT"})"),
            "expected element 0 of \"data\" to be an object, found a number");

  std::string rows;
  for (int i = 0; i < 600; ++i) rows += std::string(i == 0 ? "" : ",") + R"({"k":"x"})";
  std::string updates = R"({"data":[)" + rows + R"(],"old":[)" + rows + R"(],"type":"UPDATE"})";
  EXPECT_EQ(DecodeError(*format, kKeyValue, updates),
            "a canal-json UPDATE event of 600 updated rows decodes into 1200 rows, more than a "
            "batch holds (1024)");

  std::string inserts = R"({"data":[)" + rows + R"(],"type":"INSERT"})";
  Batch batch(SlotTypes(kKeyValue));
  batch.set_row_count(500);
  EXPECT_TRUE(NeedsEmptyBatch(format->Decode(inserts, &batch)));
  EXPECT_EQ(batch.row_count(), 500);
  Batch empty(SlotTypes(kKeyValue));
  ASSERT_TRUE(format->Decode(inserts, &empty).ok());
  EXPECT_EQ(empty.row_count(), 600);
}

TEST(FormatsTest, CanalEncodesAsFlinkDoes) {
  auto format = Make("canal-json", kKeyValue);
  Batch batch(SlotTypes(kKeyValue));
  SetRow(&batch, 0, "a", 1, RowKind::kInsert);
  SetRow(&batch, 1, "a", 1, RowKind::kUpdateBefore);
  SetRow(&batch, 2, "a", 2, RowKind::kUpdateAfter);
  SetRow(&batch, 3, "a", 2, RowKind::kDelete);
  EXPECT_EQ(EncodeAll(*format, batch),
            (std::vector<std::string>{R"({"data":[{"k":"a","n":1}],"type":"INSERT"})",
                                      R"({"data":[{"k":"a","n":1}],"type":"DELETE"})",
                                      R"({"data":[{"k":"a","n":2}],"type":"INSERT"})",
                                      R"({"data":[{"k":"a","n":2}],"type":"DELETE"})"}));
}

}  // namespace
}  // namespace sluice::runtime::connectors::formats
