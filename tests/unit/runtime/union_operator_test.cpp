// UNION ALL forwards every input's batches unchanged, row kinds included.

#include "runtime/operators/union_operator.h"

#include <gtest/gtest.h>

#include "runtime/operators/operator_factory.h"
#include "tests/unit/runtime/operator_test_util.h"

namespace sluice::runtime::operators {
namespace {

using testing::CollectingOutput;
using testing::MakeBatch;
using types::LogicalType;

TEST(UnionOperatorTest, ForwardsEveryBatchOfEveryInputWithItsRowKinds) {
  plan::PlanNode node;
  node.uid = "out/union";
  node.kind = plan::OperatorKind::kUnion;
  auto created = CreateOperator(node);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  Operator& op = **created;
  CollectingOutput out;
  const std::vector<LogicalType> types = {LogicalType::Varchar(), LogicalType::Bigint()};
  BatchPtr left = MakeBatch(types, {{"a", 1}, {"b", nullptr}});
  BatchPtr right =
      MakeBatch(types, {{"c", 3}, {"c", 4}}, {RowKind::kUpdateBefore, RowKind::kUpdateAfter});
  ASSERT_TRUE(op.ProcessBatch(0, left, &out).ok());
  ASSERT_TRUE(op.ProcessBatch(1, right, &out).ok());
  ASSERT_TRUE(op.ProcessWatermark(7, &out).ok());
  ASSERT_TRUE(op.ProcessBatch(0, MakeBatch(types, {}), &out).ok());
  ASSERT_EQ(out.batches.size(), 2u) << "an empty batch is not forwarded";
  EXPECT_EQ(out.batches[0], left);
  EXPECT_EQ(out.batches[1], right);
  EXPECT_EQ(out.events,
            (std::vector<std::string>{"+I[a, 1]", "+I[b, NULL]", "-U[c, 3]", "+U[c, 4]", "WM 7"}));
}

}  // namespace
}  // namespace sluice::runtime::operators
