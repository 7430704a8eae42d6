// How lookup joins are planned: one stateless node forward-connected to its input, UIDs
// derived or pinned, computed keys as extra columns, the same plan from SELECT and pipe
// spellings, legacy filesystem keys and paths relative to the script.

#include <gtest/gtest.h>

#include "compiler/physical/job_compiler.h"
#include "runtime/plan/plan_graph.h"

namespace sluice::compiler {
namespace {

using runtime::plan::ExchangeKind;
using runtime::plan::OperatorKind;

const char* kTables = R"(
CREATE TABLE bids (auction BIGINT, price BIGINT, pt AS PROCTIME()) WITH ('connector' = 'values');
CREATE TABLE side (k BIGINT, v VARCHAR) WITH ('connector' = 'values');
CREATE TABLE out (auction BIGINT, v VARCHAR) WITH ('connector' = 'blackhole');
)";

base::Result<CompiledScript> Compile(const std::string& body, int parallelism = 1) {
  CompileOptions options;
  options.file_name = "scripts/job.pipe";
  options.overrides["parallelism.default"] = std::to_string(parallelism);
  return CompileScript(std::string(kTables) + body, options);
}

const runtime::plan::PlanNode* LookupNode(const runtime::plan::PlanGraph& plan) {
  for (const auto& node : plan.nodes) {
    if (node.kind == OperatorKind::kLookupJoin) return &node;
  }
  return nullptr;
}

TEST(LookupJoinPlanTest, OneStatelessForwardNodeWithComputedKeys) {
  auto compiled = Compile(
      "INSERT INTO out SELECT b.auction, s.v FROM bids AS b JOIN side FOR SYSTEM_TIME AS OF "
      "b.pt AS s ON MOD(b.auction, 10) = s.k AND s.v <> 'x' AND b.price > s.k;",
      /*parallelism=*/2);
  ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
  const auto* node = LookupNode(compiled->plan);
  ASSERT_NE(node, nullptr);
  EXPECT_EQ(node->uid, "out/lookup-join1");
  EXPECT_EQ(node->parallelism, 2);
  EXPECT_TRUE(node->state.empty());
  EXPECT_EQ(node->changelog_mode, runtime::plan::ChangelogMode::kInsertOnly);
  const auto& spec = *node->lookup_join;
  EXPECT_EQ(spec.table.name, "side");
  EXPECT_EQ(spec.table_output_slots, 2);
  // The key MOD(auction, 10) is an extra input column after auction, price, pt.
  EXPECT_EQ(spec.left_key_slots, std::vector<int32_t>{3});
  EXPECT_EQ(spec.table_key_slots, std::vector<int32_t>{0});
  ASSERT_TRUE(spec.table_chain.has_value());  // v <> 'x' filters the table as it loads
  ASSERT_NE(spec.table_chain->filter, nullptr);
  ASSERT_NE(spec.residual, nullptr);  // price > k: over output slots (k is slot 4)
  EXPECT_EQ(node->description,
            "INNER side ON $key0 = k AND (v <> 'x') AND (price > k) (table loaded per subtask)");
  auto inputs = compiled->plan.InputsOf(node->id);
  ASSERT_EQ(inputs.size(), 1u);
  EXPECT_EQ(inputs[0]->exchange, ExchangeKind::kForward);
  EXPECT_EQ(compiled->plan.nodes[inputs[0]->source_node].parallelism, 2);
  // The plan's JSON form carries the node.
  auto parsed = runtime::plan::PlanFromJson(runtime::plan::PlanToJson(compiled->plan));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(runtime::plan::PlanToJson(*parsed), runtime::plan::PlanToJson(compiled->plan));
}

TEST(LookupJoinPlanTest, UidHintPinsTheNodeAndPipeSpellingGivesTheSamePlan) {
  auto select = Compile(
      "INSERT INTO out SELECT /*+ UID('enrich') */ b.auction, s.v FROM bids AS b "
      "LEFT JOIN side FOR SYSTEM_TIME AS OF b.pt AS s ON b.auction = s.k;");
  auto pipe = Compile(
      "INSERT INTO out FROM bids AS b |> LEFT JOIN /*+ UID('enrich') */ side FOR SYSTEM_TIME "
      "AS OF b.pt AS s ON b.auction = s.k |> SELECT b.auction, s.v;");
  ASSERT_TRUE(select.ok()) << select.status().ToString();
  ASSERT_TRUE(pipe.ok()) << pipe.status().ToString();
  ASSERT_NE(LookupNode(select->plan), nullptr);
  EXPECT_EQ(LookupNode(select->plan)->uid, "enrich");
  EXPECT_EQ(runtime::plan::PlanToJson(select->plan), runtime::plan::PlanToJson(pipe->plan));
}

TEST(LookupJoinPlanTest, TwoLookupJoinsCountFromTheSource) {
  auto compiled = Compile(
      "INSERT INTO out SELECT b.auction, t.v FROM bids AS b "
      "JOIN side FOR SYSTEM_TIME AS OF b.pt AS s ON b.auction = s.k "
      "JOIN side FOR SYSTEM_TIME AS OF b.pt AS t ON s.k + 1 = t.k;");
  ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
  std::vector<std::string> uids;
  for (const auto& node : compiled->plan.nodes) {
    if (node.kind == OperatorKind::kLookupJoin) uids.push_back(node.uid);
  }
  EXPECT_EQ(uids, (std::vector<std::string>{"out/lookup-join1", "out/lookup-join2"}));
}

TEST(LookupJoinPlanTest, LegacyFilesystemKeysAndScriptRelativePaths) {
  auto compiled = Compile(
      "CREATE TABLE files (k BIGINT, v VARCHAR) WITH ('connector.type' = 'filesystem', "
      "'connector.path' = 'data/side.csv', 'format.type' = 'csv');\n"
      "INSERT INTO out SELECT b.auction, f.v FROM bids AS b "
      "JOIN files FOR SYSTEM_TIME AS OF b.pt AS f ON b.auction = f.k;");
  ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
  const auto* node = LookupNode(compiled->plan);
  ASSERT_NE(node, nullptr);
  const auto& options = node->lookup_join->table.options;
  EXPECT_EQ(options.at("connector"), "filesystem");
  EXPECT_EQ(options.at("format"), "csv");
  EXPECT_EQ(options.at("path"), "scripts/data/side.csv");
  EXPECT_EQ(options.count("connector.path"), 0u);

  auto both = Compile(
      "CREATE TABLE files (k BIGINT) WITH ('connector' = 'filesystem', 'connector.type' = "
      "'filesystem', 'path' = '/tmp/x', 'format' = 'csv');\n"
      "INSERT INTO out SELECT auction, 'a' FROM bids;");
  ASSERT_FALSE(both.ok());
  EXPECT_NE(both.status().ToString().find(
                "option 'connector.type' is the legacy name of 'connector'; give only one"),
            std::string::npos)
      << both.status().ToString();
}

}  // namespace
}  // namespace sluice::compiler
