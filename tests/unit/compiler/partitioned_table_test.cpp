// What the compiler makes of CREATE TABLE … PARTITIONED BY: the descriptor and the errors.

#include <gtest/gtest.h>

#include "catalog/base/diagnostic.h"
#include "compiler/physical/job_compiler.h"
#include "runtime/plan/plan_graph.h"

namespace sluice::compiler {
namespace {

const char* kSource = R"(CREATE TABLE bids (auction BIGINT, price BIGINT, ts TIMESTAMP(3))
  WITH ('connector' = 'values');
)";

/// Compiles the source table, `sink_ddl` and an INSERT of every bid into `out`.
base::Result<CompiledScript> CompileWithSink(const std::string& sink_ddl,
                                             const std::string& insert =
                                                 "INSERT INTO out SELECT auction, price, "
                                                 "DATE_FORMAT(ts, 'yyyy-MM-dd'), "
                                                 "DATE_FORMAT(ts, 'HH:mm') FROM bids;\n") {
  CompileOptions options;
  options.file_name = "job.pipe";
  return CompileScript(std::string(kSource) + sink_ddl + insert, options);
}

/// Renders a failed compile as the CLI prints it.
std::string Rendered(const base::Result<CompiledScript>& compiled, const std::string& sink_ddl) {
  EXPECT_FALSE(compiled.ok());
  if (compiled.ok()) return "";
  return base::RenderDiagnostics(compiled.status().diagnostics(), "job.pipe",
                                 std::string(kSource) + sink_ddl);
}

const runtime::plan::PlanNode* FindSink(const runtime::plan::PlanGraph& plan) {
  for (const auto& node : plan.nodes) {
    if (node.kind == runtime::plan::OperatorKind::kSink) return &node;
  }
  return nullptr;
}

TEST(PartitionedTableTest, PartitionKeysReachTheSinkDescriptorAndThePlanJson) {
  const std::string ddl =
      "CREATE TABLE out (auction BIGINT, price BIGINT, dt STRING, `HM` STRING)\n"
      "  PARTITIONED BY (dt, hm) WITH ('connector' = 'filesystem', 'path' = '/tmp/x',\n"
      "  'format' = 'csv', 'sink.partition-commit.policy.kind' = 'success-file');\n";
  auto compiled = CompileWithSink(ddl);
  ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
  const runtime::plan::PlanNode* sink = FindSink(compiled->plan);
  ASSERT_NE(sink, nullptr);
  ASSERT_TRUE(sink->table);
  // Keys are stored as the columns are declared, whatever case PARTITIONED BY uses.
  EXPECT_EQ(sink->table->partition_keys, (std::vector<std::string>{"dt", "HM"}));

  std::string json = runtime::plan::PlanToJson(compiled->plan);
  EXPECT_NE(json.find("\"partition_keys\""), std::string::npos);
  auto restored = runtime::plan::PlanFromJson(json);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(FindSink(*restored)->table->partition_keys, (std::vector<std::string>{"dt", "HM"}));

  // An unpartitioned table's JSON has no such key, so existing plans are unchanged.
  auto plain = CompileWithSink(
      "CREATE TABLE out (auction BIGINT, price BIGINT, dt STRING, hm STRING)\n"
      "  WITH ('connector' = 'blackhole');\n");
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(runtime::plan::PlanToJson(plain->plan).find("partition_keys"), std::string::npos);
}

TEST(PartitionedTableTest, AnUnknownPartitionColumnPointsAtItWithASuggestion) {
  const std::string ddl =
      "CREATE TABLE out (auction BIGINT, price BIGINT, dt STRING, hm STRING)\n"
      "  PARTITIONED BY (dt, hn) WITH ('connector' = 'filesystem', 'path' = '/tmp/x',\n"
      "  'format' = 'csv');\n";
  EXPECT_EQ(Rendered(CompileWithSink(ddl, ""), ddl),
            "job.pipe:4:23: error: PARTITIONED BY column not found: 'hn' (did you mean 'hm'?)\n"
            "    PARTITIONED BY (dt, hn) WITH ('connector' = 'filesystem', 'path' = '/tmp/x',\n"
            "                        ^~\n");
}

TEST(PartitionedTableTest, PartitionColumnsMustBeDistinctStoredScalarsAndNotAll) {
  auto message = [](const std::string& ddl) {
    auto compiled = CompileWithSink(ddl, "");
    EXPECT_FALSE(compiled.ok()) << ddl;
    return compiled.ok() ? "" : compiled.status().ToString();
  };
  auto contains = [](const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
  };
  EXPECT_TRUE(contains(message("CREATE TABLE t (a BIGINT, dt STRING) PARTITIONED BY (dt, DT) "
                               "WITH ('connector' = 'filesystem');\n"),
                       "PARTITIONED BY names column 'dt' twice"));
  EXPECT_TRUE(contains(message("CREATE TABLE t (a BIGINT, dt AS CAST(a AS STRING)) "
                               "PARTITIONED BY (dt) WITH ('connector' = 'filesystem');\n"),
                       "PARTITIONED BY column 'dt' is a computed column"));
  EXPECT_TRUE(contains(message("CREATE TABLE t (a BIGINT, r ROW<x INT>) PARTITIONED BY (r) "
                               "WITH ('connector' = 'filesystem');\n"),
                       "PARTITIONED BY column 'r' is a ROW"));
  EXPECT_TRUE(contains(message("CREATE TABLE t (a BIGINT, dt STRING) PARTITIONED BY (a, dt) "
                               "WITH ('connector' = 'filesystem');\n"),
                       "table 't' is partitioned by all of its columns"));
}

TEST(PartitionedTableTest, OnlyTheFilesystemConnectorTakesPartitions) {
  const std::string ddl =
      "CREATE TABLE out (auction BIGINT, price BIGINT, dt STRING, hm STRING)\n"
      "  PARTITIONED BY (dt) WITH ('connector' = 'print');\n";
  auto compiled = CompileWithSink(ddl);
  ASSERT_FALSE(compiled.ok());
  EXPECT_EQ(compiled.status().code(), base::ErrorCode::kOption);
  EXPECT_EQ(compiled.status().message(),
            "table 'out' is PARTITIONED BY, but 'connector' = 'print' cannot write partitions; "
            "only 'filesystem' can");
  // The error points at the connector's name.
  EXPECT_EQ(compiled.status().diagnostics().front().span.line, 4);
  EXPECT_EQ(compiled.status().diagnostics().front().span.column, 43);

  // A partitioned table is rejected as a source too, by any connector.
  auto source = CompileScript(
      "CREATE TABLE src (a BIGINT, dt STRING) PARTITIONED BY (dt) "
      "WITH ('connector' = 'datagen', 'number-of-rows' = '1');\n"
      "CREATE TABLE out (a BIGINT) WITH ('connector' = 'blackhole');\n"
      "INSERT INTO out SELECT a FROM src;\n",
      CompileOptions{"job.pipe", {}, false, ""});
  ASSERT_FALSE(source.ok());
  EXPECT_NE(source.status().message().find("'connector' = 'datagen' cannot write partitions"),
            std::string::npos)
      << source.status().message();

  // The filesystem connector's own checks apply to the options of a partitioned table.
  auto bad_pattern = CompileWithSink(
      "CREATE TABLE out (auction BIGINT, price BIGINT, dt STRING, hm STRING)\n"
      "  PARTITIONED BY (dt, hm) WITH ('connector' = 'filesystem', 'path' = '/tmp/x',\n"
      "  'format' = 'csv', 'partition.time-extractor.timestamp-pattern' = '$dt $hour:00');\n");
  ASSERT_FALSE(bad_pattern.ok());
  EXPECT_NE(bad_pattern.status().message().find("'$hour' is not a partition key"),
            std::string::npos)
      << bad_pattern.status().message();
}

}  // namespace
}  // namespace sluice::compiler
