// Lookup joins on hand-built batches against `values` and CSV tables: INNER and LEFT, several
// matches, NULL keys, row kinds passing through, residuals (also when one input row's
// candidates span several output batches), a computed table key with a filter, a malformed
// table file, and the node's JSON form.

#include "runtime/operators/lookup_join_operator.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "tests/unit/runtime/operator_test_util.h"

namespace sluice::runtime::operators {
namespace {

namespace fs = std::filesystem;
using plan::Expr;
using plan::JoinType;
using testing::CollectingOutput;
using testing::MakeBatch;
using testing::OperatorHarness;
using types::LogicalType;
using Rows = std::vector<std::string>;

// Input: (id BIGINT, name VARCHAR); table: (key BIGINT, value VARCHAR, weight BIGINT).
const std::vector<LogicalType> kInputTypes = {LogicalType::Bigint(), LogicalType::Varchar()};
const types::Schema kInputSchema{{{"id", LogicalType::Bigint()}, {"name", LogicalType::Varchar()}}};
const types::Schema kTableSchema{{{"key", LogicalType::Bigint()},
                                  {"value", LogicalType::Varchar()},
                                  {"weight", LogicalType::Bigint()}}};

connectors::TableDescriptor ValuesTable(std::vector<std::vector<std::optional<std::string>>> rows) {
  connectors::TableDescriptor table;
  table.name = "side";
  table.schema = kTableSchema;
  table.options = {{"connector", "values"}};
  table.inline_rows = std::move(rows);
  return table;
}

/// The standard table: key 1 twice, key 2 once, a NULL key.
connectors::TableDescriptor StandardTable() {
  return ValuesTable({{"1", "one", "10"},
                      {"2", "two", "20"},
                      {"1", "uno", "30"},
                      {std::nullopt, "nothing", "40"}});
}

/// `input JOIN table ON input.id = table.key [AND residual]`; output (id, name, key, value,
/// weight).
plan::PlanNode LookupNode(JoinType type, connectors::TableDescriptor table,
                          plan::ExprPtr residual = nullptr) {
  plan::PlanNode node;
  node.uid = "out/lookup-join1";
  node.kind = plan::OperatorKind::kLookupJoin;
  node.output_schema = kInputSchema;
  for (const auto& column : kTableSchema.columns) node.output_schema.columns.push_back(column);
  plan::LookupJoinSpec spec;
  spec.type = type;
  spec.table = std::move(table);
  spec.table_output_slots = 3;
  spec.left_key_slots = {0};
  spec.table_key_slots = {0};
  spec.residual = std::move(residual);
  node.lookup_join = spec;
  return node;
}

/// weight > id * 10, over the output slots.
plan::ExprPtr WeightAboveTenTimesId() {
  auto ten_times_id =
      Expr::Call(functions::FunctionId::kMultiply, LogicalType::Bigint(),
                 {Expr::Column(0, LogicalType::Bigint()), Expr::Literal(plan::Value::Bigint(10))});
  return Expr::Call(functions::FunctionId::kGreater, LogicalType::Boolean(),
                    {Expr::Column(4, LogicalType::Bigint()), ten_times_id});
}

Rows RunJoin(plan::PlanNode node, const std::vector<BatchPtr>& inputs) {
  OperatorHarness harness;
  harness.node = std::move(node);
  LookupJoinOperator join;
  base::Status opened = join.Open(harness.Context());
  EXPECT_TRUE(opened.ok()) << opened.ToString();
  CollectingOutput out;
  for (const BatchPtr& batch : inputs) {
    base::Status status = join.ProcessBatch(0, batch, &out);
    EXPECT_TRUE(status.ok()) << status.ToString();
  }
  return out.rows;
}

TEST(LookupJoinOperatorTest, InnerJoinEmitsEveryMatchAndSkipsNullKeys) {
  auto input = MakeBatch(kInputTypes, {{1, "a"}, {3, "b"}, {nullptr, "c"}, {2, "d"}});
  EXPECT_EQ(RunJoin(LookupNode(JoinType::kInner, StandardTable()), {input}),
            (Rows{"+I[1, a, 1, one, 10]", "+I[1, a, 1, uno, 30]", "+I[2, d, 2, two, 20]"}));
}

TEST(LookupJoinOperatorTest, LeftJoinPadsRowsWithoutMatch) {
  auto input = MakeBatch(kInputTypes, {{1, "a"}, {3, "b"}, {nullptr, "c"}});
  EXPECT_EQ(RunJoin(LookupNode(JoinType::kLeft, StandardTable()), {input}),
            (Rows{"+I[1, a, 1, one, 10]", "+I[1, a, 1, uno, 30]", "+I[3, b, NULL, NULL, NULL]",
                  "+I[NULL, c, NULL, NULL, NULL]"}));
}

TEST(LookupJoinOperatorTest, RowKindsPassThrough) {
  auto input = MakeBatch(
      kInputTypes, {{2, "x"}, {2, "x"}, {5, "y"}, {1, "z"}},
      {RowKind::kInsert, RowKind::kUpdateBefore, RowKind::kUpdateAfter, RowKind::kDelete});
  EXPECT_EQ(RunJoin(LookupNode(JoinType::kLeft, StandardTable()), {input}),
            (Rows{"+I[2, x, 2, two, 20]", "-U[2, x, 2, two, 20]", "+U[5, y, NULL, NULL, NULL]",
                  "-D[1, z, 1, one, 10]", "-D[1, z, 1, uno, 30]"}));
}

TEST(LookupJoinOperatorTest, ResidualDecidesMatchesAndPadding) {
  // id 1: weights 10 and 30 against > 10 keep 'uno' only; id 2: 20 > 20 fails, so LEFT pads.
  auto input = MakeBatch(kInputTypes, {{1, "a"}, {2, "b"}});
  EXPECT_EQ(RunJoin(LookupNode(JoinType::kLeft, StandardTable(), WeightAboveTenTimesId()), {input}),
            (Rows{"+I[1, a, 1, uno, 30]", "+I[2, b, NULL, NULL, NULL]"}));
  EXPECT_EQ(
      RunJoin(LookupNode(JoinType::kInner, StandardTable(), WeightAboveTenTimesId()), {input}),
      (Rows{"+I[1, a, 1, uno, 30]"}));
}

TEST(LookupJoinOperatorTest, CandidatesOfOneRowMaySpanOutputBatches) {
  // 1500 table rows of key 7: only the last passes weight > 70 for the first input row; none
  // pass for the second (key 8, all weights 0), which LEFT pads.
  std::vector<std::vector<std::optional<std::string>>> rows;
  for (int i = 0; i < 1500; ++i)
    rows.push_back({"7", "v" + std::to_string(i), i == 1499 ? "99" : "1"});
  for (int i = 0; i < 1200; ++i) rows.push_back({"8", "w", "0"});
  auto input = MakeBatch(kInputTypes, {{7, "a"}, {8, "b"}, {9, "c"}});
  EXPECT_EQ(
      RunJoin(LookupNode(JoinType::kLeft, ValuesTable(rows), WeightAboveTenTimesId()), {input}),
      (Rows{"+I[7, a, 7, v1499, 99]", "+I[8, b, NULL, NULL, NULL]", "+I[9, c, NULL, NULL, NULL]"}));
  Rows all = RunJoin(LookupNode(JoinType::kInner, ValuesTable(rows)), {input});
  EXPECT_EQ(all.size(), 2700u);
  EXPECT_EQ(all.front(), "+I[7, a, 7, v0, 1]");
  EXPECT_EQ(all.back(), "+I[8, b, 8, w, 0]");
}

TEST(LookupJoinOperatorTest, TableChainComputesKeysAndFilters) {
  // Key: table.weight / 10 (slot 3 of the chain's output); filter: value <> 'two'.
  auto node = LookupNode(JoinType::kInner, StandardTable());
  plan::ChainSpec chain;
  chain.input_types = {LogicalType::Bigint(), LogicalType::Varchar(), LogicalType::Bigint()};
  for (int32_t i = 0; i < 3; ++i)
    chain.projections.push_back(Expr::Column(i, chain.input_types[i]));
  chain.projections.push_back(
      Expr::Call(functions::FunctionId::kDivide, LogicalType::Bigint(),
                 {Expr::Column(2, LogicalType::Bigint()), Expr::Literal(plan::Value::Bigint(10))}));
  chain.filter = Expr::Call(
      functions::FunctionId::kNotEqual, LogicalType::Boolean(),
      {Expr::Column(1, LogicalType::Varchar()), Expr::Literal(plan::Value::Varchar("two"))});
  node.lookup_join->table_chain = chain;
  node.lookup_join->table_key_slots = {3};
  auto input = MakeBatch(kInputTypes, {{1, "a"}, {2, "b"}, {3, "c"}, {4, "d"}});
  EXPECT_EQ(RunJoin(node, {input}),
            (Rows{"+I[1, a, 1, one, 10]", "+I[3, c, 1, uno, 30]", "+I[4, d, NULL, nothing, 40]"}));
}

TEST(LookupJoinOperatorTest, MalformedTableFileNamesFileAndLine) {
  fs::path directory =
      fs::temp_directory_path() / ("sluice-lookup-test-" + std::to_string(::getpid()));
  fs::create_directories(directory);
  fs::path file = directory / "side.csv";
  std::ofstream(file) << "1,one,10\n2,two,twenty\n";
  connectors::TableDescriptor table;
  table.name = "side";
  table.schema = kTableSchema;
  table.options = {{"connector", "filesystem"}, {"path", file.string()}, {"format", "csv"}};
  OperatorHarness harness;
  harness.node = LookupNode(JoinType::kInner, table);
  LookupJoinOperator join;
  base::Status opened = join.Open(harness.Context());
  fs::remove_all(directory);
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.message().find("lookup join 'out/lookup-join1' cannot load table 'side'"),
            std::string::npos)
      << opened.message();
  EXPECT_NE(opened.message().find(file.string() + ":2"), std::string::npos) << opened.message();
}

TEST(LookupJoinOperatorTest, ReadsAllOfTheTableInEverySubtask) {
  OperatorHarness harness;
  harness.node = LookupNode(JoinType::kInner, StandardTable());
  for (int32_t subtask = 0; subtask < 2; ++subtask) {
    OperatorContext context = harness.Context();
    context.subtask = {subtask, 2, "job"};
    LookupJoinOperator join;
    ASSERT_TRUE(join.Open(context).ok());
    EXPECT_EQ(join.table_rows(), 4);
  }
}

TEST(LookupJoinOperatorTest, JsonFormRoundTrips) {
  plan::PlanGraph graph;
  auto node = LookupNode(JoinType::kLeft, StandardTable(), WeightAboveTenTimesId());
  node.lookup_join->table_chain = plan::ChainSpec{
      {LogicalType::Bigint(), LogicalType::Varchar(), LogicalType::Bigint()},
      nullptr,
      {Expr::Column(0, LogicalType::Bigint()), Expr::Column(1, LogicalType::Varchar()),
       Expr::Column(2, LogicalType::Bigint())}};
  graph.nodes.push_back(node);
  std::string json = plan::PlanToJson(graph);
  auto parsed = plan::PlanFromJson(json);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(plan::PlanToJson(*parsed), json);
  const auto& spec = *parsed->nodes[0].lookup_join;
  EXPECT_EQ(parsed->nodes[0].kind, plan::OperatorKind::kLookupJoin);
  EXPECT_EQ(spec.type, JoinType::kLeft);
  EXPECT_EQ(spec.table.inline_rows.size(), 4u);
  EXPECT_TRUE(spec.table_chain.has_value());
  EXPECT_TRUE(parsed->nodes[0].state.empty());
}

}  // namespace
}  // namespace sluice::runtime::operators
