#include "runtime/connectors/filesystem_connector.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "runtime/connectors/builtin_connectors.h"
#include "runtime/connectors/print_connector.h"
#include "runtime/expr/collection_value.h"

namespace sluice::runtime::connectors {
namespace {

namespace fs = std::filesystem;
using types::LogicalType;

using types::SlotTypes;

types::Schema MixedSchema() {
  return types::Schema{{{"auction", LogicalType::Bigint()},
                        {"price", LogicalType::Decimal(10, 3)},
                        {"dateTime", LogicalType::Timestamp()},
                        {"extra", LogicalType::Varchar()},
                        {"ratio", LogicalType::Double()},
                        {"ok", LogicalType::Boolean()}}};
}

/// A values table whose rows exercise NULLs, escaping and special doubles.
TableDescriptor MixedValues() {
  TableDescriptor table;
  table.name = "input";
  table.schema = MixedSchema();
  table.options = {{"connector", "values"}, {"rows-per-batch", "2"}};
  table.inline_rows = {
      {"1000", "5", "2015-07-15 00:00:00.100", std::nullopt, "0.5", "true"},
      {"1001", "1.5", "2015-07-15 00:00:01", "comma, \"quote\"\nnewline", "nan", "false"},
      {"1002", std::nullopt, std::nullopt, "", "-inf", std::nullopt},
      {"1003", "-0.125", "1969-12-31 23:59:59.999", "tab\tctrl\x01 é ✓", "1e+20", "true"},
      {std::nullopt, "0", "2024-02-29 12:00:00", "  spaces  ", "-0", "false"},
  };
  return table;
}

std::vector<std::string> Printed(const types::Schema& schema, const Batch& batch) {
  std::vector<std::string> rows;
  for (int32_t row = 0; row < batch.row_count(); ++row) {
    rows.push_back(PrintConnector::FormatRow(schema, batch, row));
  }
  return rows;
}

/// Reads every row of one subtask of a source, printed; fails the test on an error.
std::vector<std::string> ReadAll(const Connector& connector, const TableDescriptor& table,
                                 SubtaskInfo subtask = {}) {
  auto reader = connector.CreateReader(table, subtask);
  EXPECT_TRUE(reader.ok()) << reader.status().ToString();
  if (!reader.ok()) return {};
  std::vector<std::string> rows;
  while (true) {
    Batch batch(SlotTypes(table.schema));
    auto more = (*reader)->Next(&batch);
    EXPECT_TRUE(more.ok()) << more.status().ToString();
    if (!more.ok() || !*more) break;
    for (const std::string& row : Printed(table.schema, batch)) rows.push_back(row);
  }
  return rows;
}

/// Reads until the reader fails and returns the failure.
base::Status ReadUntilError(const TableDescriptor& table) {
  auto reader = FilesystemConnectorInstance().CreateReader(table, {});
  if (!reader.ok()) return reader.status();
  while (true) {
    Batch batch(SlotTypes(table.schema));
    auto more = (*reader)->Next(&batch);
    if (!more.ok()) return more.status();
    if (!*more) return base::Status::Ok();
  }
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

void WriteFile(const fs::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
}

class FilesystemConnectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "sluice-fs-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
  }
  void TearDown() override {
    std::error_code ignored;
    fs::permissions(root_, fs::perms::owner_all, fs::perm_options::add, ignored);
    fs::remove_all(root_, ignored);
  }

  TableDescriptor FileTable(const std::string& format, const fs::path& path,
                            types::Schema schema = MixedSchema()) {
    TableDescriptor table;
    table.name = "output";
    table.schema = std::move(schema);
    table.options = {{"connector", "filesystem"}, {"path", path.string()}, {"format", format}};
    return table;
  }

  /// Copies the values table into the sink through `parallelism` writers.
  void WriteThrough(const TableDescriptor& input, const TableDescriptor& sink,
                    int32_t parallelism = 1) {
    ASSERT_TRUE(FilesystemConnectorInstance().Validate(sink, false).ok());
    for (int32_t index = 0; index < parallelism; ++index) {
      SubtaskInfo subtask{index, parallelism, "job"};
      auto reader = ValuesConnectorInstance().CreateReader(input, subtask);
      ASSERT_TRUE(reader.ok()) << reader.status().ToString();
      auto writer = FilesystemConnectorInstance().CreateWriter(sink, subtask);
      ASSERT_TRUE(writer.ok()) << writer.status().ToString();
      while (true) {
        Batch batch(SlotTypes(input.schema));
        auto more = (*reader)->Next(&batch);
        ASSERT_TRUE(more.ok()) << more.status().ToString();
        if (!*more) break;
        base::Status written = (*writer)->Write(batch);
        ASSERT_TRUE(written.ok()) << written.ToString();
      }
      base::Status finished = (*writer)->Finish();
      ASSERT_TRUE(finished.ok()) << finished.ToString();
    }
  }

  std::vector<std::string> FileNames(const fs::path& directory) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(directory)) {
      names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  fs::path root_;
};

TEST_F(FilesystemConnectorTest, JsonRoundTripKeepsEveryValue) {
  TableDescriptor input = MixedValues();
  TableDescriptor sink = FileTable("json", root_ / "out" / "nested");  // parents created
  WriteThrough(input, sink);

  EXPECT_EQ(FileNames(root_ / "out" / "nested"), std::vector<std::string>{"part-0-0.json"});
  std::string content = ReadFile(root_ / "out" / "nested" / "part-0-0.json");
  std::string first_line = content.substr(0, content.find('\n'));
  EXPECT_EQ(first_line,
            "{\"auction\":1000,\"price\":5.000,\"dateTime\":\"2015-07-15 00:00:00.100\","
            "\"extra\":null,\"ratio\":0.5,\"ok\":true}");
  EXPECT_NE(content.find("\"extra\":\"comma, \\\"quote\\\"\\nnewline\",\"ratio\":\"NaN\""),
            std::string::npos);
  EXPECT_NE(content.find("\"tab\\tctrl\\u0001 é ✓\""), std::string::npos);

  std::vector<std::string> expected = ReadAll(ValuesConnectorInstance(), input);
  ASSERT_EQ(expected.size(), 5u);
  EXPECT_EQ(ReadAll(FilesystemConnectorInstance(), FileTable("json", sink.options["path"])),
            expected);
}

TEST_F(FilesystemConnectorTest, CsvRoundTripKeepsEveryValueWithAndWithoutHeader) {
  TableDescriptor input = MixedValues();
  for (bool header : {false, true}) {
    fs::path directory = root_ / (header ? "with-header" : "plain");
    TableDescriptor sink = FileTable("csv", directory);
    if (header) sink.options["csv.include-header"] = "true";
    WriteThrough(input, sink);
    std::string content = ReadFile(directory / "part-0-0.csv");
    if (header) {
      EXPECT_EQ(content.substr(0, content.find('\n')), "auction,price,dateTime,extra,ratio,ok");
    } else {
      EXPECT_EQ(content.substr(0, content.find('\n')),
                "1000,5.000,2015-07-15 00:00:00.100,,0.5,true");
      EXPECT_NE(
          content.find("1001,1.500,2015-07-15 00:00:01.000,\"comma, \"\"quote\"\"\nnewline\""),
          std::string::npos);
      EXPECT_NE(content.find("1002,,,\"\",-Infinity,\n"), std::string::npos);  // NULL vs ''
    }
    EXPECT_EQ(ReadAll(FilesystemConnectorInstance(), sink),
              ReadAll(ValuesConnectorInstance(), input))
        << "header " << header;
  }
}

TEST_F(FilesystemConnectorTest, CsvRoundTripKeepsArrays) {
  // Flink's CSV: an ARRAY of scalars is one field, its elements joined by ';'.
  TableDescriptor input;
  input.name = "arrays";
  input.schema = types::Schema{{{"id", LogicalType::Bigint()},
                                {"tags", LogicalType::Array(LogicalType::Varchar())},
                                {"nums", LogicalType::Array(LogicalType::Double())}}};
  input.options = {{"connector", "values"}};
  auto encoded = [](std::vector<expr::Item> items) {
    expr::CollectionWriter writer;
    for (const expr::Item& item : items) writer.Add(item);
    return expr::EncodeHex(writer.Finish(static_cast<uint32_t>(items.size())));
  };
  expr::Item a{expr::ItemTag::kBytes, 0, 0, "a b"}, null_item{};
  expr::Item half{expr::ItemTag::kReal, 0, 0.5, {}};
  input.inline_rows.push_back({"1", encoded({a, null_item}), encoded({half, half})});
  input.inline_rows.push_back({"2", encoded({}), std::nullopt});
  TableDescriptor sink = FileTable("csv", root_, input.schema);
  WriteThrough(input, sink);
  EXPECT_EQ(ReadFile(root_ / "part-0-0.csv"), "1,a b;,0.5;0.5\n2,\"\",\n");
  EXPECT_EQ(ReadAll(FilesystemConnectorInstance(), sink),
            ReadAll(ValuesConnectorInstance(), input));
}

TEST_F(FilesystemConnectorTest, PartFilesAreHiddenUntilFinish) {
  TableDescriptor input = MixedValues();
  TableDescriptor sink = FileTable("json", root_);
  auto reader = ValuesConnectorInstance().CreateReader(input, {});
  ASSERT_TRUE(reader.ok());
  auto writer = FilesystemConnectorInstance().CreateWriter(sink, SubtaskInfo{3, 4, "job"});
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  EXPECT_TRUE(FileNames(root_).empty());  // no empty file for a subtask that writes nothing yet

  Batch batch(SlotTypes(input.schema));
  ASSERT_TRUE((*reader)->Next(&batch).ok());
  ASSERT_TRUE((*writer)->Write(batch).ok());
  EXPECT_EQ(FileNames(root_), std::vector<std::string>{".part-3-0.json.inprogress"});
  // A source never reads hidden files.
  EXPECT_TRUE(ReadAll(FilesystemConnectorInstance(), FileTable("json", root_)).empty());

  ASSERT_TRUE((*writer)->Finish().ok());
  EXPECT_EQ(FileNames(root_), std::vector<std::string>{"part-3-0.json"});
  EXPECT_EQ(ReadAll(FilesystemConnectorInstance(), FileTable("json", root_)).size(), 2u);
}

TEST_F(FilesystemConnectorTest, RollsPartFilesAtTheConfiguredSize) {
  TableDescriptor input;
  input.name = "numbers";
  input.schema = types::Schema{{{"n", LogicalType::Bigint()}, {"text", LogicalType::Varchar()}}};
  input.options = {{"connector", "values"}, {"rows-per-batch", "7"}};
  for (int i = 0; i < 300; ++i) {
    input.inline_rows.push_back({std::to_string(i), std::string(20, 'a' + i % 26)});
  }
  TableDescriptor sink = FileTable("json", root_, input.schema);
  sink.options["sink.rolling-policy.file-size"] = "1KB";
  WriteThrough(input, sink);

  std::vector<std::string> names = FileNames(root_);
  ASSERT_GT(names.size(), 10u);  // past 10 files, name order must still be numeric
  for (const std::string& name : names) {
    EXPECT_EQ(name.rfind("part-0-", 0), 0u) << name;
    // A file rolls once it reaches 1 KB, so it overshoots by less than one record.
    EXPECT_LT(fs::file_size(root_ / name), 1024u + 64u) << name;
  }
  EXPECT_EQ(ReadAll(FilesystemConnectorInstance(), FileTable("json", root_, input.schema)),
            ReadAll(ValuesConnectorInstance(), input));
}

TEST_F(FilesystemConnectorTest, ASecondRunAddsPartFilesInsteadOfOverwriting) {
  TableDescriptor input = MixedValues();
  TableDescriptor sink = FileTable("csv", root_);
  WriteThrough(input, sink, 2);
  WriteThrough(input, sink, 2);
  EXPECT_EQ(FileNames(root_), (std::vector<std::string>{"part-0-0.csv", "part-0-1.csv",
                                                        "part-1-0.csv", "part-1-1.csv"}));
  EXPECT_EQ(ReadAll(FilesystemConnectorInstance(), sink).size(), 10u);
}

TEST_F(FilesystemConnectorTest, SourceSubtasksShareFilesRoundRobinAndSkipHiddenOnes) {
  types::Schema schema{{{"n", LogicalType::Int()}}};
  WriteFile(root_ / "a.json", "{\"n\":1}\n");
  WriteFile(root_ / "b.json", "{\"n\":2}\n");
  WriteFile(root_ / "c.json", "{\"n\":3}\n");
  WriteFile(root_ / ".hidden.json", "{\"n\":4}\n");
  WriteFile(root_ / "_SUCCESS", "not json");
  fs::create_directory(root_ / "subdirectory");
  TableDescriptor source = FileTable("json", root_, schema);
  EXPECT_EQ(ReadAll(FilesystemConnectorInstance(), source, SubtaskInfo{0, 2, "job"}),
            (std::vector<std::string>{"+I[1]", "+I[3]"}));
  EXPECT_EQ(ReadAll(FilesystemConnectorInstance(), source, SubtaskInfo{1, 2, "job"}),
            (std::vector<std::string>{"+I[2]"}));
  // A path may also name one file.
  EXPECT_EQ(ReadAll(FilesystemConnectorInstance(), FileTable("json", root_ / "b.json", schema)),
            (std::vector<std::string>{"+I[2]"}));
}

TEST_F(FilesystemConnectorTest, AnUnwritablePathIsAnIoErrorWithTheOsReason) {
  WriteFile(root_ / "plain-file", "x");
  auto under_file = FilesystemConnectorInstance().CreateWriter(
      FileTable("json", root_ / "plain-file" / "out"), {});
  ASSERT_FALSE(under_file.ok());
  EXPECT_EQ(under_file.status().code(), base::ErrorCode::kIo);
  EXPECT_EQ(
      under_file.status().message(),
      "cannot create directory '" + (root_ / "plain-file" / "out").string() + "': Not a directory");

  auto in_proc = FilesystemConnectorInstance().CreateWriter(
      FileTable("json", "/proc/sluice-no-such-dir/out"), {});
  ASSERT_FALSE(in_proc.ok());
  EXPECT_EQ(in_proc.status().code(), base::ErrorCode::kIo);
  EXPECT_NE(in_proc.status().message().find("'/proc/sluice-no-such-dir/out': "), std::string::npos)
      << in_proc.status().message();

  if (::geteuid() != 0) {  // root may write anywhere
    fs::create_directory(root_ / "read-only");
    fs::permissions(root_ / "read-only", fs::perms::owner_read | fs::perms::owner_exec);
    auto read_only =
        FilesystemConnectorInstance().CreateWriter(FileTable("json", root_ / "read-only"), {});
    ASSERT_FALSE(read_only.ok());
    EXPECT_NE(read_only.status().message().find("Permission denied"), std::string::npos);
  }
}

TEST_F(FilesystemConnectorTest, AFailedWriteIsAnIoErrorNotSilence) {
  // A file size limit makes write() fail with EFBIG, as a full disk fails with ENOSPC.
  TableDescriptor input = MixedValues();
  TableDescriptor sink = FileTable("json", root_);
  auto reader = ValuesConnectorInstance().CreateReader(input, {});
  auto writer = FilesystemConnectorInstance().CreateWriter(sink, {});
  ASSERT_TRUE(reader.ok() && writer.ok());
  Batch batch(SlotTypes(input.schema));
  ASSERT_TRUE((*reader)->Next(&batch).ok());

  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  rlimit tiny = saved;
  tiny.rlim_cur = 16;
  auto previous_handler = std::signal(SIGXFSZ, SIG_IGN);
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &tiny), 0);
  base::Status status = (*writer)->Write(batch);
  ::setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, previous_handler);

  EXPECT_EQ(status.code(), base::ErrorCode::kIo);
  EXPECT_EQ(status.message(), "cannot write '" + (root_ / ".part-0-0.json.inprogress").string() +
                                  "': File too large");
}

TEST_F(FilesystemConnectorTest, AMissingSourcePathIsAnIoError) {
  auto reader = FilesystemConnectorInstance().CreateReader(FileTable("csv", root_ / "missing"), {});
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), base::ErrorCode::kIo);
  EXPECT_EQ(reader.status().message(),
            "cannot read '" + (root_ / "missing").string() + "': No such file or directory");
}

TEST_F(FilesystemConnectorTest, MalformedJsonNamesFileAndLine) {
  types::Schema schema{{{"id", LogicalType::Bigint()}, {"name", LogicalType::Varchar()}}};
  fs::path file = root_ / "input.json";
  WriteFile(file,
            "{\"id\":1,\"name\":\"a\",\"unknown\":true}\n"
            "\n"
            "{\"id\":\"two\"}\n"
            "{\"name\":\"no id\"}\n"
            "{\"id\":4,\n");
  TableDescriptor source = FileTable("json", file, schema);
  base::Status status = ReadUntilError(source);
  EXPECT_EQ(status.code(), base::ErrorCode::kData);
  EXPECT_EQ(status.message(), "table 'output': malformed record at " + file.string() +
                                  ":3: column 'id': cannot read 'two' as BIGINT");

  // As Flink: a value that does not convert is NULL, a line that is not JSON is skipped.
  source.options["json.ignore-parse-errors"] = "true";
  auto reader = FilesystemConnectorInstance().CreateReader(source, {});
  ASSERT_TRUE(reader.ok());
  Batch batch(SlotTypes(schema));
  auto more = (*reader)->Next(&batch);
  ASSERT_TRUE(more.ok()) << more.status().ToString();
  EXPECT_EQ(Printed(schema, batch),
            (std::vector<std::string>{"+I[1, a]", "+I[<NULL>, <NULL>]", "+I[<NULL>, no id]"}));
  EXPECT_EQ(static_cast<FilesystemReader&>(**reader).skipped_records(), 1);
}

TEST_F(FilesystemConnectorTest, MalformedCsvNamesFileAndLine) {
  types::Schema schema{{{"id", LogicalType::Bigint()}, {"name", LogicalType::Varchar()}}};
  fs::path file = root_ / "input.csv";
  WriteFile(file,
            "1,\"two\nlines\"\r\n"
            "2,b\n"
            "3\n"
            "x,c\n"
            "5,\"unterminated\n");
  TableDescriptor source = FileTable("csv", file, schema);
  base::Status status = ReadUntilError(source);
  EXPECT_EQ(status.message(), "table 'output': malformed record at " + file.string() +
                                  ":4: expected 2 fields, found 1");

  WriteFile(file, "1,a\n\"2\",\"b\"\nx,c\n");
  EXPECT_EQ(ReadUntilError(source).message(), "table 'output': malformed record at " +
                                                  file.string() +
                                                  ":3: column 'id': cannot read 'x' as BIGINT");

  WriteFile(file,
            "1,\"two\nlines\"\r\n"
            "2,b\n"
            "3\n"
            "x,c\n"
            "5,\"unterminated\n");
  source.options["csv.ignore-parse-errors"] = "true";
  auto reader = FilesystemConnectorInstance().CreateReader(source, {});
  ASSERT_TRUE(reader.ok());
  Batch batch(SlotTypes(schema));
  ASSERT_TRUE((*reader)->Next(&batch).ok());
  EXPECT_EQ(Printed(schema, batch), (std::vector<std::string>{"+I[1, two\nlines]", "+I[2, b]"}));
  EXPECT_EQ(static_cast<FilesystemReader&>(**reader).skipped_records(), 3);
}

TEST_F(FilesystemConnectorTest, JsonAndCsvRejectUpdatingRowsAndChangelogJsonWritesThem) {
  types::Schema schema{{{"k", LogicalType::Varchar()}, {"total", LogicalType::Bigint()}}};
  Batch batch(SlotTypes(schema));
  const char* keys[] = {"a", "a", "a", "b"};
  const RowKind kinds[] = {RowKind::kInsert, RowKind::kUpdateBefore, RowKind::kUpdateAfter,
                           RowKind::kDelete};
  uint8_t* row_kinds = batch.EnableRowKinds();
  for (int32_t row = 0; row < 4; ++row) {
    batch.column(0).values<StringRef>()[row] = batch.arena().Copy(keys[row]);
    batch.column(0).validity()[row] = 1;
    batch.column(1).values<int64_t>()[row] = row + 1;
    batch.column(1).validity()[row] = 1;
    row_kinds[row] = static_cast<uint8_t>(kinds[row]);
  }
  batch.set_row_count(4);

  for (const char* format : {"json", "csv"}) {
    TableDescriptor sink = FileTable(format, root_ / format, schema);
    EXPECT_FALSE(FilesystemConnectorInstance().AcceptsUpdates(sink));
    auto writer = FilesystemConnectorInstance().CreateWriter(sink, {});
    ASSERT_TRUE(writer.ok());
    base::Status status = (*writer)->Write(batch);
    EXPECT_EQ(status.code(), base::ErrorCode::kData);
    EXPECT_EQ(status.message(), std::string("table 'output': filesystem sink with format '") +
                                    format +
                                    "' cannot write updating results (-U/+U/-D); use 'format' = "
                                    "'changelog-json'");
  }

  TableDescriptor sink = FileTable("changelog-json", root_ / "changelog", schema);
  EXPECT_TRUE(FilesystemConnectorInstance().AcceptsUpdates(sink));
  auto writer = FilesystemConnectorInstance().CreateWriter(sink, {});
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Write(batch).ok());
  ASSERT_TRUE((*writer)->Finish().ok());
  EXPECT_EQ(ReadFile(root_ / "changelog" / "part-0-0.json"),
            "{\"op\":\"+I\",\"k\":\"a\",\"total\":1}\n"
            "{\"op\":\"-U\",\"k\":\"a\",\"total\":2}\n"
            "{\"op\":\"+U\",\"k\":\"a\",\"total\":3}\n"
            "{\"op\":\"-D\",\"k\":\"b\",\"total\":4}\n");
  // Read as plain json, the "op" key is an unknown key and ignored.
  EXPECT_EQ(ReadAll(FilesystemConnectorInstance(), FileTable("json", root_ / "changelog", schema)),
            (std::vector<std::string>{"+I[a, 1]", "+I[a, 2]", "+I[a, 3]", "+I[b, 4]"}));
}

TEST_F(FilesystemConnectorTest, ChangelogFormatsAreUpdatingSourcesAndSinks) {
  types::Schema schema{{{"k", LogicalType::Varchar()}, {"total", LogicalType::Bigint()}}};
  WriteFile(root_ / "changes.json",
            "{\"op\":\"+I\",\"k\":\"a\",\"total\":1}\n"
            "{\"op\":\"-U\",\"k\":\"a\",\"total\":1}\n"
            "{\"op\":\"+U\",\"k\":\"a\",\"total\":2}\n"
            "{\"op\":\"-D\",\"k\":\"a\",\"total\":2}\n");
  TableDescriptor changelog = FileTable("changelog-json", root_ / "changes.json", schema);
  EXPECT_TRUE(FilesystemConnectorInstance().ProducesUpdates(changelog));
  EXPECT_FALSE(FilesystemConnectorInstance().ProducesUpdates(FileTable("json", root_, schema)));
  EXPECT_EQ(ReadAll(FilesystemConnectorInstance(), changelog),
            (std::vector<std::string>{"+I[a, 1]", "-U[a, 1]", "+U[a, 2]", "-D[a, 2]"}));

  WriteFile(root_ / "debezium.json",
            R"({"before":null,"after":{"k":"a","total":1},"op":"c","ts_ms":1})"
            "\n"
            R"({"before":{"k":"a","total":1},"after":{"k":"a","total":2},"op":"u"})"
            "\n"
            R"({"before":{"k":"a","total":2},"after":null,"op":"d"})"
            "\n");
  TableDescriptor debezium = FileTable("debezium-json", root_ / "debezium.json", schema);
  EXPECT_TRUE(FilesystemConnectorInstance().ProducesUpdates(debezium));
  EXPECT_EQ(ReadAll(FilesystemConnectorInstance(), debezium),
            (std::vector<std::string>{"+I[a, 1]", "-U[a, 1]", "+U[a, 2]", "-D[a, 2]"}));

  // A debezium-json sink writes each row as Flink does: c for +I/+U, d for -U/-D.
  TableDescriptor sink = FileTable("debezium-json", root_ / "out", schema);
  EXPECT_TRUE(FilesystemConnectorInstance().AcceptsUpdates(sink));
  auto reader = FilesystemConnectorInstance().CreateReader(changelog, {});
  auto writer = FilesystemConnectorInstance().CreateWriter(sink, {});
  ASSERT_TRUE(reader.ok() && writer.ok());
  Batch batch(SlotTypes(schema));
  ASSERT_TRUE((*reader)->Next(&batch).ok());
  ASSERT_TRUE((*writer)->Write(batch).ok());
  ASSERT_TRUE((*writer)->Finish().ok());
  EXPECT_EQ(ReadFile(root_ / "out" / "part-0-0.json"),
            "{\"before\":null,\"after\":{\"k\":\"a\",\"total\":1},\"op\":\"c\"}\n"
            "{\"before\":{\"k\":\"a\",\"total\":1},\"after\":null,\"op\":\"d\"}\n"
            "{\"before\":null,\"after\":{\"k\":\"a\",\"total\":2},\"op\":\"c\"}\n"
            "{\"before\":{\"k\":\"a\",\"total\":2},\"after\":null,\"op\":\"d\"}\n");
}

TEST_F(FilesystemConnectorTest, ARecordOfSeveralRowsThatDoesNotFitStartsTheNextBatch) {
  types::Schema schema{{{"id", LogicalType::Bigint()}}};
  std::string content;
  for (int i = 0; i < kBatchCapacity - 1; ++i) {
    content += R"({"data":[{"id":")" + std::to_string(i) +
               R"("}],"type":"INSERT"})"
               "\n";
  }
  std::string three_rows = R"({"data":[{"id":"7"},{"id":"8"},{"id":"9"}],"type":"DELETE"})";
  content += three_rows + "\n";
  WriteFile(root_ / "canal.json", content);
  TableDescriptor source = FileTable("canal-json", root_ / "canal.json", schema);

  auto reader = FilesystemConnectorInstance().CreateReader(source, {});
  ASSERT_TRUE(reader.ok());
  Batch first(SlotTypes(schema));
  ASSERT_TRUE((*reader)->Next(&first).ok());
  EXPECT_EQ(first.row_count(), kBatchCapacity - 1);
  // The position between the batches is before the record that did not fit.
  std::string position = (*reader)->Position();
  EXPECT_NE(position.find("line=" + std::to_string(kBatchCapacity - 1)), std::string::npos)
      << position;
  Batch second(SlotTypes(schema));
  ASSERT_TRUE((*reader)->Next(&second).ok());
  EXPECT_EQ(Printed(schema, second), (std::vector<std::string>{"-D[7]", "-D[8]", "-D[9]"}));

  auto restored = FilesystemConnectorInstance().CreateReader(source, {});
  ASSERT_TRUE(restored.ok());
  ASSERT_TRUE((*restored)->Seek(position).ok());
  Batch again(SlotTypes(schema));
  ASSERT_TRUE((*restored)->Next(&again).ok());
  EXPECT_EQ(Printed(schema, again), (std::vector<std::string>{"-D[7]", "-D[8]", "-D[9]"}));
}

TEST_F(FilesystemConnectorTest, CsvOptionsApplyToWritingAndReading) {
  types::Schema schema{{{"id", LogicalType::Bigint()}, {"name", LogicalType::Varchar()}}};
  TableDescriptor input;
  input.name = "input";
  input.schema = schema;
  input.options = {{"connector", "values"}};
  input.inline_rows = {{"1", "a|b"}, {"2", std::nullopt}, {std::nullopt, ""}};
  TableDescriptor sink = FileTable("csv", root_ / "out", schema);
  sink.options["csv.field-delimiter"] = "|";
  sink.options["csv.null-literal"] = "n/a";
  WriteThrough(input, sink);
  EXPECT_EQ(ReadFile(root_ / "out" / "part-0-0.csv"), "1|\"a|b\"\n2|n/a\nn/a|\"\"\n");
  EXPECT_EQ(ReadAll(FilesystemConnectorInstance(), sink),
            (std::vector<std::string>{"+I[1, a|b]", "+I[2, <NULL>]", "+I[<NULL>, ]"}));
}

TEST_F(FilesystemConnectorTest, RawLinesAreOneStringEach) {
  types::Schema schema{{{"line", LogicalType::Varchar()}}};
  WriteFile(root_ / "log.txt", "first {not json}\n\n  spaced\n");
  EXPECT_EQ(ReadAll(FilesystemConnectorInstance(), FileTable("raw", root_ / "log.txt", schema)),
            (std::vector<std::string>{"+I[first {not json}]", "+I[]", "+I[  spaced]"}));
}

TEST_F(FilesystemConnectorTest, OptionErrorsNameOptionAndTable) {
  auto message_of = [](const TableDescriptor& table, bool as_source = false) {
    base::Status status = FilesystemConnectorInstance().Validate(table, as_source);
    EXPECT_EQ(status.code(), base::ErrorCode::kOption);
    return status.message();
  };
  auto contains = [](const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
  };

  TableDescriptor table = FileTable("json", root_);
  table.options.erase("path");
  EXPECT_EQ(message_of(table),
            "table 'output': option 'path' is required for connector 'filesystem'");

  table = FileTable("json", root_);
  table.options.erase("format");
  EXPECT_TRUE(contains(message_of(table), "option 'format' is required"));

  std::string bad_format = message_of(FileTable("jsn", root_));
  EXPECT_TRUE(contains(bad_format, "invalid value 'jsn' for option 'format' of table 'output'"));
  EXPECT_TRUE(contains(bad_format, "did you mean 'json'?")) << bad_format;

  table = FileTable("json", root_);
  table.options["sink.rolling-policy.file-sise"] = "1MB";
  std::string unknown = message_of(table);
  EXPECT_TRUE(contains(unknown, "unknown option 'sink.rolling-policy.file-sise'")) << unknown;
  EXPECT_TRUE(contains(unknown, "'output'"));
  EXPECT_TRUE(contains(unknown, "did you mean 'sink.rolling-policy.file-size'?"));

  table = FileTable("json", root_);
  table.options["sink.rolling-policy.file-size"] = "lots";
  EXPECT_TRUE(contains(message_of(table), "'sink.rolling-policy.file-size'"));

  table = FileTable("json", root_);
  table.options["csv.include-header"] = "true";
  EXPECT_EQ(message_of(table),
            "table 'output': option 'csv.include-header' applies to format 'csv', not 'json'");

  table = FileTable("csv", root_);
  table.options["csv.include-header"] = "maybe";
  EXPECT_TRUE(contains(message_of(table), "expected 'true' or 'false'"));

  table = FileTable("csv", root_);
  table.options["json.ignore-parse-errors"] = "true";
  EXPECT_EQ(message_of(table),
            "table 'output': option 'json.ignore-parse-errors' applies to format 'json', not "
            "'csv'; did you mean 'csv.ignore-parse-errors'?");

  table = FileTable("json", root_);
  table.options["json.ignore-parse-error"] = "true";
  std::string misspelt = message_of(table);
  EXPECT_TRUE(contains(misspelt, "unknown option 'json.ignore-parse-error'")) << misspelt;
  EXPECT_TRUE(contains(misspelt, "did you mean 'json.ignore-parse-errors'?")) << misspelt;

  table = FileTable("json", root_);
  table.options["json.timestamp-format.standard"] = "RFC";
  EXPECT_EQ(message_of(table),
            "table 'output': invalid value 'RFC' for option 'json.timestamp-format.standard': "
            "expected 'SQL' or 'ISO-8601'");

  table = FileTable("debezium-json", root_);
  table.options["debezium-json.schema-include"] = "true";
  EXPECT_TRUE(FilesystemConnectorInstance().Validate(table, /*as_source=*/true).ok());
  EXPECT_TRUE(contains(message_of(table, /*as_source=*/false), "cannot write records"));

  types::Schema two_columns{{{"a", LogicalType::Varchar()}, {"b", LogicalType::Varchar()}}};
  EXPECT_TRUE(contains(message_of(FileTable("raw", root_, two_columns)), "exactly one column"));

  EXPECT_TRUE(
      FilesystemConnectorInstance().Validate(FileTable("changelog-json", root_), true).ok());

  types::Schema nested{{{"r", LogicalType::Row({{"x", LogicalType::Array(LogicalType::Int())}})}}};
  EXPECT_TRUE(contains(message_of(FileTable("csv", root_, nested)),
                       "cannot hold column 'r' of type ROW<x ARRAY<INT>>"));
  EXPECT_TRUE(FilesystemConnectorInstance().Validate(FileTable("json", root_, nested), false).ok());

  // Validate has no side effects: the directory of a sink is made by CreateWriter.
  EXPECT_TRUE(
      FilesystemConnectorInstance().Validate(FileTable("json", root_ / "later"), false).ok());
  EXPECT_FALSE(fs::exists(root_ / "later"));
}

// ---- partitioned sinks ----------------------------------------------------------------------

/// A values table of bids with two partition columns, `dt` and `hm`, last (as q10 has them).
TableDescriptor PartitionedBids() {
  TableDescriptor table;
  table.name = "bids";
  table.schema = types::Schema{{{"auction", LogicalType::Bigint()},
                                {"extra", LogicalType::Varchar()},
                                {"dt", LogicalType::Varchar()},
                                {"hm", LogicalType::Varchar()}}};
  table.options = {{"connector", "values"}, {"rows-per-batch", "3"}};
  table.inline_rows = {
      {"1", "a", "2015-07-15", "00:00"},          {"2", "b", "2015-07-15", "00:01"},
      {"3", std::nullopt, "2015-07-15", "00:00"}, {"4", "d, e", "2015-07-16", "23:59"},
      {"5", "e", "2015-07-15", "00:01"},
  };
  return table;
}

/// Lists every file under `directory`, relative and sorted, hidden ones included.
std::vector<std::string> FileTree(const fs::path& directory) {
  std::vector<std::string> names;
  for (const auto& entry : fs::recursive_directory_iterator(directory)) {
    if (entry.is_regular_file()) names.push_back(fs::relative(entry.path(), directory).string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

TEST_F(FilesystemConnectorTest, PartitionedCsvSinkWritesHiveStyleDirectories) {
  TableDescriptor input = PartitionedBids();
  TableDescriptor sink = FileTable("csv", root_, input.schema);
  sink.partition_keys = {"dt", "hm"};
  WriteThrough(input, sink);

  EXPECT_EQ(FileTree(root_), (std::vector<std::string>{"dt=2015-07-15/hm=00%3A00/part-0-0.csv",
                                                       "dt=2015-07-15/hm=00%3A01/part-0-0.csv",
                                                       "dt=2015-07-16/hm=23%3A59/part-0-0.csv"}));
  // The partition columns live in the path only, as in Hive and Flink.
  EXPECT_EQ(ReadFile(root_ / "dt=2015-07-15" / "hm=00%3A00" / "part-0-0.csv"), "1,a\n3,\n");
  EXPECT_EQ(ReadFile(root_ / "dt=2015-07-15" / "hm=00%3A01" / "part-0-0.csv"), "2,b\n5,e\n");
  EXPECT_EQ(ReadFile(root_ / "dt=2015-07-16" / "hm=23%3A59" / "part-0-0.csv"), "4,\"d, e\"\n");

  // One partition directory reads back as an unpartitioned table of the other columns.
  types::Schema data{{{"auction", LogicalType::Bigint()}, {"extra", LogicalType::Varchar()}}};
  EXPECT_EQ(ReadAll(FilesystemConnectorInstance(),
                    FileTable("csv", root_ / "dt=2015-07-15" / "hm=00%3A01", data)),
            (std::vector<std::string>{"+I[2, b]", "+I[5, e]"}));
}

TEST_F(FilesystemConnectorTest, PartitionedJsonSinkWritesTheOtherColumnsAndAHeaderPerFile) {
  TableDescriptor input = PartitionedBids();
  TableDescriptor sink = FileTable("json", root_, input.schema);
  sink.partition_keys = {"hm"};  // one key; 'dt' stays in the records
  WriteThrough(input, sink, /*parallelism=*/2);

  EXPECT_EQ(FileTree(root_),
            (std::vector<std::string>{"hm=00%3A00/part-0-0.json", "hm=00%3A01/part-0-0.json",
                                      "hm=00%3A01/part-1-0.json", "hm=23%3A59/part-1-0.json"}));
  EXPECT_EQ(ReadFile(root_ / "hm=23%3A59" / "part-1-0.json"),
            "{\"auction\":4,\"extra\":\"d, e\",\"dt\":\"2015-07-16\"}\n");

  TableDescriptor with_header = FileTable("csv", root_ / "csv", input.schema);
  with_header.partition_keys = {"dt", "hm"};
  with_header.options["csv.include-header"] = "true";
  WriteThrough(input, with_header);
  EXPECT_EQ(ReadFile(root_ / "csv" / "dt=2015-07-16" / "hm=23%3A59" / "part-0-0.csv"),
            "auction,extra\n4,\"d, e\"\n");
}

TEST_F(FilesystemConnectorTest, PartitionValuesAreEscapedAndNullGoesToTheDefaultPartition) {
  TableDescriptor input;
  input.name = "odd";
  input.schema = types::Schema{{{"n", LogicalType::Bigint()}, {"key", LogicalType::Varchar()}}};
  input.options = {{"connector", "values"}};
  input.inline_rows = {
      {"1", "a/b"},        {"2", "c:d=e%"}, {"3", "back\\slash"}, {"4", "tab\tnew\nline"},
      {"5", std::nullopt}, {"6", ""},       {"7", "été ✓"},       {"8", ".."},
      {"9", "#?*"}};
  TableDescriptor sink = FileTable("csv", root_, input.schema);
  sink.partition_keys = {"key"};
  WriteThrough(input, sink);

  EXPECT_EQ(FileNames(root_),
            (std::vector<std::string>{"key=%23%3F%2A", "key=..", "key=__DEFAULT_PARTITION__",
                                      "key=a%2Fb", "key=back%5Cslash", "key=c%3Ad%3De%25",
                                      "key=tab%09new%0Aline", "key=été ✓"}));
  EXPECT_EQ(ReadFile(root_ / "key=__DEFAULT_PARTITION__" / "part-0-0.csv"), "5\n6\n");
  EXPECT_EQ(ReadFile(root_ / "key=a%2Fb" / "part-0-0.csv"), "1\n");

  // Any scalar type partitions by its text form; the default name is an option.
  TableDescriptor numbers = input;
  numbers.schema.columns[1] = {"key", LogicalType::Int()};
  numbers.inline_rows = {{"1", "-7"}, {"2", std::nullopt}};
  TableDescriptor by_number = FileTable("csv", root_ / "numbers", numbers.schema);
  by_number.partition_keys = {"key"};
  by_number.options["partition.default-name"] = "none";
  WriteThrough(numbers, by_number);
  EXPECT_EQ(FileNames(root_ / "numbers"), (std::vector<std::string>{"key=-7", "key=none"}));
}

TEST_F(FilesystemConnectorTest, ManyPartitionsKeepAtMostTheBoundOfFilesOpen) {
  // 300 partitions visited twice, round robin: more than the 256 open files a subtask keeps,
  // so every partition's first file is committed before its second is opened.
  constexpr int kPartitions = 300;
  TableDescriptor input;
  input.name = "spread";
  input.schema = types::Schema{{{"n", LogicalType::Bigint()}, {"p", LogicalType::Bigint()}}};
  input.options = {{"connector", "values"}, {"rows-per-batch", "100"}};
  for (int round = 0; round < 2; ++round) {
    for (int p = 0; p < kPartitions; ++p) {
      input.inline_rows.push_back({std::to_string(round * kPartitions + p), std::to_string(p)});
    }
  }
  TableDescriptor sink = FileTable("csv", root_, input.schema);
  sink.partition_keys = {"p"};

  auto reader = ValuesConnectorInstance().CreateReader(input, {});
  auto writer = FilesystemConnectorInstance().CreateWriter(sink, {});
  ASSERT_TRUE(reader.ok() && writer.ok());
  size_t most_in_progress = 0;
  while (true) {
    Batch batch(SlotTypes(input.schema));
    auto more = (*reader)->Next(&batch);
    ASSERT_TRUE(more.ok());
    if (!*more) break;
    base::Status written = (*writer)->Write(batch);
    ASSERT_TRUE(written.ok()) << written.ToString();
    std::vector<std::string> files = FileTree(root_);
    most_in_progress = std::max<size_t>(
        most_in_progress, std::count_if(files.begin(), files.end(), [](const std::string& name) {
          return name.find(".inprogress") != std::string::npos;
        }));
  }
  EXPECT_EQ(most_in_progress, 256u);
  ASSERT_TRUE((*writer)->Finish().ok());

  std::vector<std::string> files = FileTree(root_);
  EXPECT_EQ(files.size(), 2u * kPartitions);
  for (int p : {0, 255, 256, 299}) {
    fs::path directory = root_ / ("p=" + std::to_string(p));
    EXPECT_EQ(FileNames(directory), (std::vector<std::string>{"part-0-0.csv", "part-0-1.csv"}));
    EXPECT_EQ(ReadFile(directory / "part-0-0.csv") + ReadFile(directory / "part-0-1.csv"),
              std::to_string(p) + "\n" + std::to_string(kPartitions + p) + "\n");
  }
}

TEST_F(FilesystemConnectorTest, SuccessFilesAppearOnceEverySubtaskCommitted) {
  TableDescriptor input = PartitionedBids();
  TableDescriptor sink = FileTable("csv", root_, input.schema);
  sink.partition_keys = {"dt", "hm"};
  sink.options["sink.partition-commit.policy.kind"] = "success-file";
  ASSERT_TRUE(FilesystemConnectorInstance().Validate(sink, false).ok());

  // Two subtasks, open together: rows 1-3 go to the first, rows 4-5 to the second.
  std::vector<std::unique_ptr<SinkWriter>> writers;
  for (int32_t index = 0; index < 2; ++index) {
    auto writer = FilesystemConnectorInstance().CreateWriter(sink, SubtaskInfo{index, 2, "job"});
    ASSERT_TRUE(writer.ok()) << writer.status().ToString();
    writers.push_back(std::move(*writer));
  }
  auto reader = ValuesConnectorInstance().CreateReader(input, {});
  ASSERT_TRUE(reader.ok());
  for (int32_t index = 0; index < 2; ++index) {
    Batch batch(SlotTypes(input.schema));
    ASSERT_TRUE((*reader)->Next(&batch).ok());
    ASSERT_TRUE(writers[index]->Write(batch).ok());
  }
  ASSERT_TRUE(writers[0]->Finish().ok());
  std::vector<std::string> files = FileTree(root_);
  EXPECT_EQ(std::count(files.begin(), files.end(), "dt=2015-07-15/hm=00%3A00/_SUCCESS"), 0);
  ASSERT_TRUE(writers[1]->Finish().ok());

  EXPECT_EQ(FileTree(root_),
            (std::vector<std::string>{
                "dt=2015-07-15/hm=00%3A00/_SUCCESS", "dt=2015-07-15/hm=00%3A00/part-0-0.csv",
                "dt=2015-07-15/hm=00%3A01/_SUCCESS", "dt=2015-07-15/hm=00%3A01/part-0-0.csv",
                "dt=2015-07-15/hm=00%3A01/part-1-0.csv", "dt=2015-07-16/hm=23%3A59/_SUCCESS",
                "dt=2015-07-16/hm=23%3A59/part-1-0.csv"}));
  EXPECT_EQ(ReadFile(root_ / "dt=2015-07-16" / "hm=23%3A59" / "_SUCCESS"), "");
}

TEST_F(FilesystemConnectorTest, AFailedRunWritesNoSuccessFileAndTheNextRunDoes) {
  TableDescriptor input = PartitionedBids();
  TableDescriptor sink = FileTable("json", root_, input.schema);
  sink.partition_keys = {"dt"};
  sink.options["sink.partition-commit.policy.kind"] = "success-file";
  sink.options["sink.partition-commit.success-file.name"] = "_DONE";
  {
    auto failed = FilesystemConnectorInstance().CreateWriter(sink, SubtaskInfo{0, 2, "job"});
    ASSERT_TRUE(failed.ok());
    auto reader = ValuesConnectorInstance().CreateReader(input, {});
    Batch batch(SlotTypes(input.schema));
    ASSERT_TRUE((*reader)->Next(&batch).ok());
    ASSERT_TRUE((*failed)->Write(batch).ok());
  }  // destroyed without Finish, as when the job fails
  EXPECT_EQ(FileTree(root_), std::vector<std::string>{"dt=2015-07-15/.part-0-0.json.inprogress"});

  // The next run replaces the abandoned in-progress file, as an unpartitioned sink does.
  WriteThrough(input, sink, /*parallelism=*/2);
  EXPECT_EQ(FileTree(root_),
            (std::vector<std::string>{"dt=2015-07-15/_DONE", "dt=2015-07-15/part-0-0.json",
                                      "dt=2015-07-15/part-1-0.json", "dt=2015-07-16/_DONE",
                                      "dt=2015-07-16/part-1-0.json"}));
}

TEST_F(FilesystemConnectorTest, PartFilesRollAfterTheRolloverInterval) {
  TableDescriptor input = PartitionedBids();
  TableDescriptor sink = FileTable("csv", root_, input.schema);
  sink.partition_keys = {"dt", "hm"};
  sink.options["sink.rolling-policy.rollover-interval"] = "1 ms";
  sink.options["sink.rolling-policy.check-interval"] = "1 ms";
  auto writer = FilesystemConnectorInstance().CreateWriter(sink, {});
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  auto reader = ValuesConnectorInstance().CreateReader(input, {});
  for (int i = 0; i < 2; ++i) {  // rows 1-3, then 4-5: partition 00:01 has a row in each
    Batch batch(SlotTypes(input.schema));
    ASSERT_TRUE((*reader)->Next(&batch).ok());
    ASSERT_TRUE((*writer)->Write(batch).ok());
    ::usleep(5000);
  }
  EXPECT_EQ(FileNames(root_ / "dt=2015-07-15" / "hm=00%3A01"),
            (std::vector<std::string>{".part-0-1.csv.inprogress", "part-0-0.csv"}));
  ASSERT_TRUE((*writer)->Finish().ok());
}

TEST_F(FilesystemConnectorTest, FileUriPathsAndPartitionDirectoryErrors) {
  TableDescriptor input = PartitionedBids();
  TableDescriptor sink = FileTable("csv", "file://" + (root_ / "uri").string(), input.schema);
  sink.partition_keys = {"dt", "hm"};
  WriteThrough(input, sink);
  EXPECT_EQ(FileNames(root_ / "uri"), (std::vector<std::string>{"dt=2015-07-15", "dt=2015-07-16"}));

  // A partition directory that cannot be made fails the write, naming it.
  fs::create_directory(root_ / "blocked");
  WriteFile(root_ / "blocked" / "dt=2015-07-15", "a file where a directory goes");
  TableDescriptor blocked = FileTable("csv", root_ / "blocked", input.schema);
  blocked.partition_keys = {"dt", "hm"};
  auto writer = FilesystemConnectorInstance().CreateWriter(blocked, {});
  ASSERT_TRUE(writer.ok());
  auto reader = ValuesConnectorInstance().CreateReader(input, {});
  Batch batch(SlotTypes(input.schema));
  ASSERT_TRUE((*reader)->Next(&batch).ok());
  base::Status status = (*writer)->Write(batch);
  EXPECT_EQ(status.code(), base::ErrorCode::kIo);
  EXPECT_EQ(status.message(), "cannot create directory '" +
                                  (root_ / "blocked" / "dt=2015-07-15" / "hm=00%3A00").string() +
                                  "': Not a directory");
}

TEST_F(FilesystemConnectorTest, PartitionOptionErrorsNameOptionAndTable) {
  auto message_of = [](const TableDescriptor& table, bool as_source = false) {
    base::Status status = FilesystemConnectorInstance().Validate(table, as_source);
    EXPECT_EQ(status.code(), base::ErrorCode::kOption);
    return status.message();
  };
  TableDescriptor bids = PartitionedBids();
  auto partitioned = [&](const std::string& key, const std::string& value) {
    TableDescriptor table = FileTable("csv", root_, bids.schema);
    table.partition_keys = {"dt", "hm"};
    if (!key.empty()) table.options[key] = value;
    return table;
  };
  // q10's options, as the suite writes them.
  TableDescriptor q10 = partitioned("sink.partition-commit.trigger", "partition-time");
  q10.options["sink.partition-commit.delay"] = "1 min";
  q10.options["sink.partition-commit.policy.kind"] = "success-file";
  q10.options["partition.time-extractor.timestamp-pattern"] = "$dt $hm:00";
  q10.options["partition.time-extractor.timestamp-formatter"] = "yyyy-MM-dd HH:mm:ss";
  q10.options["sink.rolling-policy.rollover-interval"] = "1min";
  q10.options["sink.rolling-policy.check-interval"] = "1min";
  base::Status ok = FilesystemConnectorInstance().Validate(q10, false);
  EXPECT_TRUE(ok.ok()) << ok.ToString();

  EXPECT_EQ(message_of(partitioned("sink.partition-commit.trigger", "partition_time")),
            "invalid value 'partition_time' for option 'sink.partition-commit.trigger' of table "
            "'output': expected 'process-time' or 'partition-time'");
  EXPECT_NE(message_of(partitioned("sink.partition-commit.delay", "one minute"))
                .find("expected a duration such as '1 min'"),
            std::string::npos);
  EXPECT_NE(message_of(partitioned("sink.partition-commit.policy.kind", "success-file,metastore"))
                .find("policy 'metastore' is not supported"),
            std::string::npos);
  EXPECT_EQ(message_of(partitioned("partition.time-extractor.timestamp-pattern", "$day $hm:00")),
            "invalid value '$day $hm:00' for option 'partition.time-extractor.timestamp-pattern' "
            "of table 'output': '$day' is not a partition key; did you mean '$dt'?");
  EXPECT_NE(message_of(partitioned("sink.rolling-policy.rollover-interval", "0 s"))
                .find("expected a positive duration"),
            std::string::npos);
  EXPECT_NE(message_of(partitioned("", ""), /*as_source=*/true)
                .find("reading a partitioned filesystem table is not supported yet"),
            std::string::npos);
  EXPECT_NE(message_of(partitioned("sink.partition-commit.success-file.name", "_OK"))
                .find("needs 'sink.partition-commit.policy.kind' = 'success-file'"),
            std::string::npos);

  TableDescriptor unpartitioned = FileTable("csv", root_);
  unpartitioned.options["sink.partition-commit.policy.kind"] = "success-file";
  EXPECT_EQ(message_of(unpartitioned),
            "table 'output': option 'sink.partition-commit.policy.kind' applies to a partitioned "
            "table; add PARTITIONED BY (…)");
  EXPECT_NE(message_of(FileTable("csv", "file://relative/dir"))
                .find("expected an absolute path after 'file://'"),
            std::string::npos);

  TableDescriptor missing = partitioned("", "");
  missing.partition_keys = {"day"};
  EXPECT_EQ(message_of(missing), "table 'output': partition key 'day' is not a column");
}

TEST(MemorySizeTest, ParsesFlinkStyleSizes) {
  EXPECT_EQ(ParseMemorySize("128MB"), 128LL << 20);
  EXPECT_EQ(ParseMemorySize("1KB"), 1024);
  EXPECT_EQ(ParseMemorySize("64 mb"), 64LL << 20);
  EXPECT_EQ(ParseMemorySize("2g"), 2LL << 30);
  EXPECT_EQ(ParseMemorySize("4096"), 4096);
  EXPECT_EQ(ParseMemorySize("10 bytes"), 10);
  EXPECT_EQ(ParseMemorySize("1.5MB"), std::nullopt);
  EXPECT_EQ(ParseMemorySize("MB"), std::nullopt);
  EXPECT_EQ(ParseMemorySize("12 parsecs"), std::nullopt);
  EXPECT_EQ(ParseMemorySize("99999999999999TB"), std::nullopt);
}

}  // namespace
}  // namespace sluice::runtime::connectors
