// GROUPING SETS' Expand: each row once per set, absent grouping columns NULL (a NULL value
// stays a NULL of its set), the set's id, row kinds kept, batches split at their capacity; a
// malformed node is an error; the node's JSON form round-trips.

#include "runtime/operators/expand_operator.h"

#include <gtest/gtest.h>

#include "runtime/operators/operator_factory.h"
#include "tests/unit/runtime/operator_test_util.h"

namespace sluice::runtime::operators {
namespace {

using testing::CollectingOutput;
using testing::MakeBatch;
using testing::OperatorHarness;
using types::LogicalType;
using Rows = std::vector<std::string>;

const std::vector<LogicalType> kTypes = {LogicalType::Varchar(), LogicalType::Bigint(),
                                         LogicalType::Bigint()};

/// GROUPING SETS ((a, b), (a), (), ()) over (a VARCHAR, b BIGINT, v BIGINT).
plan::PlanNode ExpandNode() {
  plan::PlanNode node;
  node.uid = "out/expand1";
  node.kind = plan::OperatorKind::kExpand;
  node.output_schema = types::Schema{{{"a", kTypes[0]},
                                      {"b", kTypes[1]},
                                      {"v", kTypes[2]},
                                      {"$g0", kTypes[0]},
                                      {"$g1", kTypes[1]},
                                      {"$e", LogicalType::Bigint()}}};
  node.expand = plan::ExpandSpec{{0, 1}, {{0, {}}, {1, {1}}, {3, {0, 1}}, {7, {0, 1}}}};
  return node;
}

TEST(ExpandOperatorTest, EmitsEachRowOncePerSetWithTheAbsentColumnsNull) {
  OperatorHarness harness;
  harness.node = ExpandNode();
  auto created = CreateOperator(harness.node);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  ASSERT_TRUE((*created)->Open(harness.Context()).ok());
  CollectingOutput out;
  auto batch = MakeBatch(kTypes, {{"x", 1, 10}, {"y", nullptr, 20}},
                         {RowKind::kInsert, RowKind::kUpdateBefore});
  ASSERT_TRUE((*created)->ProcessBatch(0, batch, &out).ok());
  EXPECT_EQ(out.rows, (Rows{"+I[x, 1, 10, x, 1, 0]", "-U[y, NULL, 20, y, NULL, 0]",
                            "+I[x, 1, 10, x, NULL, 1]", "-U[y, NULL, 20, y, NULL, 1]",
                            "+I[x, 1, 10, NULL, NULL, 3]", "-U[y, NULL, 20, NULL, NULL, 3]",
                            "+I[x, 1, 10, NULL, NULL, 7]", "-U[y, NULL, 20, NULL, NULL, 7]"}));
}

TEST(ExpandOperatorTest, SplitsItsOutputAtTheBatchCapacity) {
  OperatorHarness harness;
  harness.node = ExpandNode();
  ExpandOperator op;
  ASSERT_TRUE(op.Open(harness.Context()).ok());
  std::vector<std::vector<testing::Cell>> rows;
  for (int64_t i = 0; i < 700; ++i) rows.push_back({"k", i, i});
  CollectingOutput out;
  ASSERT_TRUE(op.ProcessBatch(0, MakeBatch(kTypes, rows), &out).ok());
  ASSERT_EQ(out.rows.size(), 2800u);
  ASSERT_EQ(out.batches.size(), 3u);
  EXPECT_EQ(out.batches[0]->row_count(), kBatchCapacity);
  EXPECT_EQ(out.rows[700], "+I[k, 0, 0, k, NULL, 1]");
  EXPECT_EQ(out.rows[2799], "+I[k, 699, 699, NULL, NULL, 7]");
}

TEST(ExpandOperatorTest, RefusesAMalformedNode) {
  for (auto spoil : std::vector<std::function<void(plan::PlanNode*)>>{
           [](plan::PlanNode* node) { node->expand->sets.clear(); },
           [](plan::PlanNode* node) { node->expand->grouping_slots[1] = 0; },  // types differ
           [](plan::PlanNode* node) { node->expand->sets[1].absent = {2}; },
           [](plan::PlanNode* node) { node->output_schema.columns.pop_back(); }}) {
    OperatorHarness harness;
    harness.node = ExpandNode();
    spoil(&harness.node);
    ExpandOperator op;
    base::Status status = op.Open(harness.Context());
    EXPECT_FALSE(status.ok());
    EXPECT_NE(status.message().find("expand 'out/expand1' is malformed"), std::string::npos)
        << status.message();
  }
}

TEST(ExpandOperatorTest, JsonRoundTrips) {
  plan::PlanGraph graph;
  graph.nodes.push_back(ExpandNode());
  auto read = plan::PlanFromJson(plan::PlanToJson(graph));
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  const auto& expand = read->nodes[0].expand;
  ASSERT_TRUE(expand.has_value());
  EXPECT_EQ(expand->grouping_slots, (std::vector<int32_t>{0, 1}));
  ASSERT_EQ(expand->sets.size(), 4u);
  EXPECT_EQ(expand->sets[3].id, 7);
  EXPECT_EQ(expand->sets[1].absent, (std::vector<int32_t>{1}));
  EXPECT_EQ(plan::GroupingSetsText(*expand, {"a", "b", "v"}),
            "GROUPING SETS ((a, b), (a), (), ())");
}

}  // namespace
}  // namespace sluice::runtime::operators
