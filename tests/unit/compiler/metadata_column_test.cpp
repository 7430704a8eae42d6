// Metadata columns (`name TYPE METADATA [FROM 'key'] [VIRTUAL]`): the descriptor the connector
// gets, the checks against Connector::SupportedMetadata, the NULLs a sink gets for VIRTUAL
// columns, and a job that reads, filters, windows and writes them.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <mutex>

#include "catalog/base/diagnostic.h"
#include "compiler/check/compat_check.h"
#include "compiler/physical/job_compiler.h"
#include "runtime/connectors/connector.h"
#include "runtime/plan/plan_graph.h"
#include "runtime/scheduler/job.h"

namespace sluice::compiler {
namespace {

using runtime::Batch;
using runtime::connectors::MetadataColumn;
using runtime::connectors::MetadataKey;
using runtime::connectors::TableDescriptor;
using runtime::plan::OperatorKind;
using runtime::plan::PlanGraph;
using runtime::plan::PlanNode;
using types::LogicalType;

constexpr int64_t kRows = 4;

/// The value of `column` in row `row` (0-based) as the fake source makes it: physical `id` is
/// row + 1; metadata `offset` 100 + row, `timestamp` (row + 1) seconds, `partition` row % 2.
std::optional<int64_t> SourceValue(const TableDescriptor& table, const std::string& column,
                                   int64_t row) {
  for (const MetadataColumn& metadata : table.metadata_columns) {
    if (metadata.column != column) continue;
    if (metadata.key == "offset") return 100 + row;
    if (metadata.key == "timestamp") return (row + 1) * 1000;
    if (metadata.key == "partition") return row % 2;
    return std::nullopt;
  }
  if (column == "id") return row + 1;
  return std::nullopt;
}

class FakeReader final : public runtime::connectors::SourceReader {
 public:
  explicit FakeReader(TableDescriptor table) : table_(std::move(table)) {}

  base::Result<bool> Next(Batch* batch) override {
    if (done_) return false;
    for (size_t column = 0; column < table_.schema.columns.size(); ++column) {
      const auto& field = table_.schema.columns[column];
      runtime::Column& out = batch->column(column);
      for (int64_t row = 0; row < kRows; ++row) {
        std::optional<int64_t> value = SourceValue(table_, field.name, row);
        out.validity()[row] = value.has_value() ? 1 : 0;
        if (field.type.id() == types::TypeId::kInt) {
          out.values<int32_t>()[row] = static_cast<int32_t>(value.value_or(0));
        } else {
          out.values<int64_t>()[row] = value.value_or(0);
        }
      }
    }
    batch->set_row_count(kRows);
    done_ = true;
    return true;
  }
  bool IsBounded() const override { return true; }

 private:
  TableDescriptor table_;
  bool done_ = false;
};

/// Rows written to each table of the fake connector, as `a|b|NULL`.
std::mutex written_mutex;
std::map<std::string, std::vector<std::string>> written_rows;

class FakeWriter final : public runtime::connectors::SinkWriter {
 public:
  explicit FakeWriter(TableDescriptor table) : table_(std::move(table)) {}

  base::Status Write(const Batch& batch) override {
    std::lock_guard<std::mutex> lock(written_mutex);
    for (int32_t row = 0; row < batch.row_count(); ++row) {
      std::string text;
      for (size_t column = 0; column < batch.column_count(); ++column) {
        const runtime::Column& in = batch.column(column);
        if (column > 0) text += "|";
        if (in.IsNull(row)) {
          text += "NULL";
        } else if (in.type().id() == types::TypeId::kInt) {
          text += std::to_string(in.values<int32_t>()[row]);
        } else {
          text += std::to_string(in.values<int64_t>()[row]);
        }
      }
      written_rows[table_.name].push_back(text);
    }
    return base::Status::Ok();
  }
  base::Status Finish() override { return base::Status::Ok(); }

 private:
  TableDescriptor table_;
};

/// A connector with Kafka-like metadata: `offset` and `partition` read-only, `timestamp`
/// writable.
class MetadataConnector final : public runtime::connectors::Connector {
 public:
  std::string name() const override { return "metadata-test"; }
  base::Status Validate(const TableDescriptor& table, bool as_source) const override {
    return base::Status::Ok();
  }
  bool SupportsSource() const override { return true; }
  bool SupportsSink() const override { return true; }
  std::vector<MetadataKey> SupportedMetadata(const TableDescriptor& table) const override {
    return {{"offset", LogicalType::Bigint(), false},
            {"timestamp", LogicalType::Timestamp(), true},
            {"partition", LogicalType::Int(), false}};
  }
  base::Result<std::unique_ptr<runtime::connectors::SourceReader>> CreateReader(
      const TableDescriptor& table,
      const runtime::connectors::SubtaskInfo& subtask) const override {
    return std::unique_ptr<runtime::connectors::SourceReader>(new FakeReader(table));
  }
  base::Result<std::unique_ptr<runtime::connectors::SinkWriter>> CreateWriter(
      const TableDescriptor& table,
      const runtime::connectors::SubtaskInfo& subtask) const override {
    return std::unique_ptr<runtime::connectors::SinkWriter>(new FakeWriter(table));
  }
};

class MetadataColumnTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    static const MetadataConnector connector;
    runtime::connectors::RegisterConnectorForTesting(connector);
  }
};

const char* kOrders = R"(CREATE TABLE orders (
  id BIGINT,
  `offset` BIGINT METADATA VIRTUAL,
  ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp',
  part INT METADATA FROM 'partition' VIRTUAL,
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH ('connector' = 'metadata-test');
)";

base::Result<CompiledScript> Compile(const std::string& text) {
  CompileOptions options;
  options.file_name = "job.pipe";
  return CompileScript(text, options);
}

/// Renders a failed compile as the CLI prints it.
std::string Rendered(const std::string& text) {
  auto compiled = Compile(text);
  EXPECT_FALSE(compiled.ok()) << text;
  if (compiled.ok()) return "";
  return base::RenderDiagnostics(compiled.status().diagnostics(), "job.pipe", text);
}

const PlanNode* FindNode(const PlanGraph& plan, OperatorKind kind) {
  for (const PlanNode& node : plan.nodes) {
    if (node.kind == kind) return &node;
  }
  return nullptr;
}

TEST_F(MetadataColumnTest, MetadataColumnsTakeTheirDeclaredSlotsInTheSourceSchema) {
  auto compiled = Compile(std::string(kOrders) +
                          "CREATE TABLE out (id BIGINT) WITH ('connector' = 'blackhole');\n"
                          "INSERT INTO out SELECT id FROM orders;\n");
  ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
  const PlanNode* source = FindNode(compiled->plan, OperatorKind::kSource);
  ASSERT_NE(source, nullptr);
  ASSERT_TRUE(source->table);
  EXPECT_EQ(source->table->schema.ToString(),
            "(id BIGINT, offset BIGINT, ts TIMESTAMP_LTZ(3), part INT)");
  const auto& metadata = source->table->metadata_columns;
  ASSERT_EQ(metadata.size(), 3u);
  EXPECT_EQ(metadata[0].column, "offset");
  EXPECT_EQ(metadata[0].key, "offset");  // no FROM: the column's name
  EXPECT_TRUE(metadata[0].is_virtual);
  EXPECT_EQ(metadata[1].column, "ts");
  EXPECT_EQ(metadata[1].key, "timestamp");
  EXPECT_FALSE(metadata[1].is_virtual);
  EXPECT_EQ(metadata[2].column, "part");
  EXPECT_EQ(metadata[2].key, "partition");
  EXPECT_TRUE(metadata[2].is_virtual);
  // The watermark is over the metadata column's slot.
  ASSERT_TRUE(source->watermark);
  EXPECT_EQ(source->watermark->rowtime_slot, 2);
}

TEST_F(MetadataColumnTest, AnUnknownKeyIsNamedWithASuggestionAndTheKeysOnOffer) {
  const std::string text =
      "CREATE TABLE t (id BIGINT, ts TIMESTAMP(3) METADATA FROM 'timestap')\n"
      "  WITH ('connector' = 'metadata-test');\n";
  EXPECT_EQ(Rendered(text),
            "job.pipe:1:58: error: unknown metadata key 'timestap' in column 'ts' of table 't' "
            "(did you mean 'timestamp'?); connector 'metadata-test' offers: offset, timestamp, "
            "partition\n"
            "  CREATE TABLE t (id BIGINT, ts TIMESTAMP(3) METADATA FROM 'timestap')\n"
            "                                                           ^~~~~~~~~~\n");
  // Without FROM the key is the column's name, and the error points at it.
  auto compiled = Compile(
      "CREATE TABLE t (id BIGINT, offsets BIGINT METADATA) WITH ('connector' = "
      "'metadata-test');\n");
  ASSERT_FALSE(compiled.ok());
  const base::Diagnostic& error = compiled.status().diagnostics().front();
  EXPECT_EQ(error.message,
            "unknown metadata key 'offsets' in column 'offsets' of table 't' (did you mean "
            "'offset'?); connector 'metadata-test' offers: offset, timestamp, partition");
  EXPECT_EQ(error.span.column, 28);
}

TEST_F(MetadataColumnTest, TheDeclaredTypeMustBeTheKeysType) {
  const std::string text =
      "CREATE TABLE t (id BIGINT, part BIGINT METADATA FROM 'partition' VIRTUAL)\n"
      "  WITH ('connector' = 'metadata-test');\n";
  EXPECT_EQ(Rendered(text),
            "job.pipe:1:33: error: metadata column 'part' of table 't' is declared BIGINT, but "
            "connector 'metadata-test' gives key 'partition' as INT; declare it INT (and CAST it "
            "in a computed column to have another type)\n"
            "  CREATE TABLE t (id BIGINT, part BIGINT METADATA FROM 'partition' VIRTUAL)\n"
            "                                  ^~~~~~\n");
  // Types equal up to what Sluice does not distinguish: NOT NULL, TIMESTAMP_LTZ.
  auto equal = Compile(
      "CREATE TABLE t (id BIGINT, ts TIMESTAMP_LTZ(3) NOT NULL METADATA FROM 'timestamp',\n"
      "  part INT NOT NULL METADATA FROM 'partition' VIRTUAL) WITH ('connector' = "
      "'metadata-test');\n");
  EXPECT_TRUE(equal.ok()) << equal.status().ToString();
  // A SMALLINT is not an INT (Flink's types): the key's type or a computed column's CAST.
  auto narrower = Compile(
      "CREATE TABLE t (id BIGINT, part SMALLINT METADATA FROM 'partition' VIRTUAL)\n"
      "  WITH ('connector' = 'metadata-test');\n");
  ASSERT_FALSE(narrower.ok());
  EXPECT_NE(narrower.status().ToString().find("is declared SMALLINT, but connector"),
            std::string::npos)
      << narrower.status().ToString();
  // Errors of several columns are reported together.
  auto several = Compile(
      "CREATE TABLE t (a STRING METADATA FROM 'offset', b INT METADATA FROM 'nope')\n"
      "  WITH ('connector' = 'metadata-test');\n");
  ASSERT_FALSE(several.ok());
  EXPECT_EQ(several.status().diagnostics().size(), 2u);
}

TEST_F(MetadataColumnTest, AConnectorWithoutMetadataSaysSoOnce) {
  const std::string text =
      "CREATE TABLE t (id BIGINT, o BIGINT METADATA FROM 'offset', p INT METADATA)\n"
      "  WITH ('connector' = 'datagen');\n";
  EXPECT_EQ(Rendered(text),
            "job.pipe:1:37: error: table 't' declares metadata column 'o', but connector "
            "'datagen' offers no metadata\n"
            "  CREATE TABLE t (id BIGINT, o BIGINT METADATA FROM 'offset', p INT METADATA)\n"
            "                                      ^~~~~~~~~~~~~~~~~~~~~~\n");
}

TEST_F(MetadataColumnTest, ANonVirtualReadOnlyKeyCannotBeWritten) {
  const std::string table =
      "CREATE TABLE sink (id BIGINT, `offset` BIGINT METADATA, ts TIMESTAMP(3) METADATA FROM "
      "'timestamp')\n"
      "  WITH ('connector' = 'metadata-test');\n";
  // Read, the table is fine.
  auto read = Compile(table +
                      "CREATE TABLE out (id BIGINT, o BIGINT) WITH ('connector' = 'blackhole');\n"
                      "INSERT INTO out SELECT id, `offset` FROM sink;\n");
  EXPECT_TRUE(read.ok()) << read.status().ToString();
  // Written, `offset` must be VIRTUAL.
  const std::string text = table + "INSERT INTO sink SELECT id, `offset`, ts FROM sink;\n";
  EXPECT_EQ(Rendered(text),
            "job.pipe:1:47: error: table 'sink' is written by INSERT, but connector "
            "'metadata-test' cannot write metadata key 'offset' (column 'offset'); declare the "
            "column VIRTUAL to read it only (the keys it writes: timestamp)\n"
            "  CREATE TABLE sink (id BIGINT, `offset` BIGINT METADATA, ts TIMESTAMP(3) METADATA "
            "FROM 'timestamp')\n"
            "                                                ^~~~~~~~\n");
}

TEST_F(MetadataColumnTest, TwoColumnsCannotWriteOneKey) {
  auto compiled = Compile(
      "CREATE TABLE t (a TIMESTAMP(3) METADATA FROM 'timestamp', b TIMESTAMP(3) METADATA FROM "
      "'timestamp', c TIMESTAMP(3) METADATA FROM 'timestamp' VIRTUAL)\n"
      "  WITH ('connector' = 'metadata-test');\n"
      "INSERT INTO t SELECT a, b FROM t;\n");
  ASSERT_FALSE(compiled.ok());
  EXPECT_EQ(compiled.status().message(),
            "columns 'a' and 'b' of table 't' both write metadata key 'timestamp'; declare one "
            "of them VIRTUAL");
}

TEST_F(MetadataColumnTest, AnInsertColumnListCannotNameAVirtualColumn) {
  const std::string text =
      std::string(kOrders) + "INSERT INTO orders (id, ts, part) SELECT 1, ts, 2 FROM orders;\n";
  auto compiled = Compile(text);
  ASSERT_FALSE(compiled.ok());
  const base::Diagnostic& error = compiled.status().diagnostics().front();
  EXPECT_EQ(error.message,
            "column 'part' of table 'orders' is a VIRTUAL metadata column, which is read-only; "
            "leave it out of the INSERT column list");
  EXPECT_EQ(error.span.line, 8);
  EXPECT_EQ(error.span.column, 29);
}

TEST_F(MetadataColumnTest, AnInsertGivesTheNonVirtualColumnsAndTheSinkGetsNullForTheOthers) {
  auto compiled =
      Compile(std::string(kOrders) + "INSERT INTO orders SELECT id * 10, ts FROM orders;\n");
  ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
  const PlanNode* sink = FindNode(compiled->plan, OperatorKind::kSink);
  ASSERT_NE(sink, nullptr);
  EXPECT_EQ(sink->output_schema.ToString(),
            "(id BIGINT, offset BIGINT, ts TIMESTAMP_LTZ(3), part INT)");
  // The Calc before the sink fills every slot: NULL in the VIRTUAL ones.
  const PlanNode* calc = nullptr;
  for (const auto& edge : compiled->plan.edges) {
    if (edge.target_node == sink->id) calc = &compiled->plan.nodes[edge.source_node];
  }
  ASSERT_NE(calc, nullptr);
  ASSERT_TRUE(calc->chain);
  ASSERT_EQ(calc->chain->projections.size(), 4u);
  EXPECT_EQ(calc->chain->projections[1]->ToString(), "NULL");
  EXPECT_EQ(calc->chain->projections[1]->type, LogicalType::Bigint());
  EXPECT_EQ(calc->chain->projections[3]->ToString(), "NULL");
  EXPECT_EQ(calc->chain->projections[3]->type, LogicalType::Int());
  EXPECT_NE(calc->chain->projections[2]->ToString(), "NULL");

  // A query that gives every column, the VIRTUAL ones included, is told which are not written.
  auto too_many = Compile(std::string(kOrders) +
                          "INSERT INTO orders SELECT id, `offset`, ts, part FROM orders;\n");
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(
      too_many.status().message(),
      "INSERT INTO orders expects 2 columns (id BIGINT, ts TIMESTAMP_LTZ(3)) but the query "
      "produces 4 (id BIGINT, offset BIGINT, ts TIMESTAMP_LTZ(3), part INT) (VIRTUAL metadata "
      "columns are read-only and not written: offset, part)");
}

TEST_F(MetadataColumnTest, AJobReadsFiltersWindowsAndWritesMetadata) {
  auto compiled = Compile(std::string(kOrders) + R"(
CREATE TABLE copies (id BIGINT, ts TIMESTAMP(3) METADATA FROM 'timestamp',
  part INT METADATA FROM 'partition' VIRTUAL) WITH ('connector' = 'metadata-test');
CREATE TABLE counts (window_start TIMESTAMP(3), n BIGINT, last_offset BIGINT)
  WITH ('connector' = 'metadata-test');
INSERT INTO copies SELECT id + `offset`, ts FROM orders WHERE part = 1;
INSERT INTO counts
SELECT window_start, COUNT(*), MAX(`offset`)
FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '2' SECOND))
GROUP BY window_start, window_end;
)");
  ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
  {
    std::lock_guard<std::mutex> lock(written_mutex);
    written_rows.clear();
  }
  auto job = runtime::scheduler::Job::Create(compiled->plan, {});
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  base::Status status = (*job)->Run();
  ASSERT_TRUE(status.ok()) << status.ToString();

  std::lock_guard<std::mutex> lock(written_mutex);
  // Rows 1 and 3 (partition 1): id + offset, the timestamp written, NULL for `part`.
  std::vector<std::string> copies = written_rows["copies"];
  std::sort(copies.begin(), copies.end());
  EXPECT_EQ(copies, (std::vector<std::string>{"103|2000|NULL", "107|4000|NULL"}));
  // Timestamps 1 s … 4 s in windows of 2 s: [0, 2) has one row, [2, 4) two, [4, 6) one.
  std::vector<std::string> counts = written_rows["counts"];
  std::sort(counts.begin(), counts.end());
  EXPECT_EQ(counts, (std::vector<std::string>{"0|1|100", "2000|2|102", "4000|1|103"}));
}

TEST_F(MetadataColumnTest, AddingMetadataColumnsToASourceKeepsItsState) {
  const std::string old_text =
      "CREATE TABLE orders (id BIGINT, ts TIMESTAMP(3),\n"
      "  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector' = 'metadata-test');\n"
      "CREATE TABLE out (id BIGINT, n BIGINT) WITH ('connector' = 'blackhole');\n"
      "INSERT INTO out SELECT id, COUNT(*) FROM orders GROUP BY id;\n";
  const std::string new_text =
      "CREATE TABLE orders (id BIGINT, `offset` BIGINT METADATA VIRTUAL, ts TIMESTAMP(3),\n"
      "  part INT METADATA FROM 'partition' VIRTUAL,\n"
      "  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector' = 'metadata-test');\n"
      "CREATE TABLE out (id BIGINT, n BIGINT) WITH ('connector' = 'blackhole');\n"
      "INSERT INTO out SELECT id, COUNT(*) FROM orders WHERE part = 0 GROUP BY id;\n";
  auto before = Compile(old_text);
  auto after = Compile(new_text);
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  auto report = check::CheckCompatibility(before->plan, after->plan);
  ASSERT_FALSE(report.operators.empty());
  for (const auto& op : report.operators) {
    EXPECT_EQ(op.verdict, check::Verdict::kRestored) << op.uid << ": " << op.reason << "\n"
                                                     << check::ReportText(report);
  }
}

}  // namespace
}  // namespace sluice::compiler
