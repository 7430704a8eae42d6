#include "runtime/operators/interval_join_operator.h"

#include <gtest/gtest.h>

#include "tests/unit/runtime/operator_test_util.h"

namespace sluice::runtime::operators {
namespace {

using plan::JoinType;
using testing::Cell;
using testing::CollectingOutput;
using testing::MakeBatch;
using testing::OperatorHarness;
using types::LogicalType;
using Rows = std::vector<std::string>;

// Both inputs: (id BIGINT, ts TIMESTAMP); right.ts BETWEEN left.ts AND left.ts + 10.
const std::vector<LogicalType> kTypes = {LogicalType::Bigint(), LogicalType::Timestamp()};
const types::Schema kSchema{{{"id", LogicalType::Bigint()}, {"ts", LogicalType::Timestamp()}}};

plan::PlanNode IntervalJoinNode(JoinType type) {
  plan::PlanNode node;
  node.uid = "out/interval-join1";
  node.kind = plan::OperatorKind::kIntervalJoin;
  node.output_schema = kSchema;
  node.output_schema.columns.push_back({"id0", LogicalType::Bigint()});
  node.output_schema.columns.push_back({"ts0", LogicalType::Timestamp()});
  for (const char* name : {"left", "right"}) {
    plan::StateSpec state;
    state.name = name;
    state.key_schema.columns.push_back({"id", LogicalType::Bigint()});
    state.value_schema = kSchema;
    node.state.push_back(state);
  }
  node.join = plan::JoinSpec{type, {0}, {0}, nullptr, 0};
  node.interval_join = plan::IntervalJoinSpec{1, 1, 0, 10};
  return node;
}

class IntervalJoinOperatorTest : public ::testing::Test {
 protected:
  void Start(JoinType type) {
    harness_.node = IntervalJoinNode(type);
    base::Status status = operator_.Open(harness_.Context());
    ASSERT_TRUE(status.ok()) << status.ToString();
  }
  Rows Process(int32_t input, const std::vector<std::vector<Cell>>& rows) {
    base::Status status = operator_.ProcessBatch(input, MakeBatch(kTypes, rows), &out_);
    EXPECT_TRUE(status.ok()) << status.ToString();
    return out_.TakeRows();
  }
  Rows Watermark(int64_t watermark) {
    base::Status status = operator_.ProcessWatermark(watermark, &out_);
    EXPECT_TRUE(status.ok()) << status.ToString();
    return out_.TakeRows();
  }

  OperatorHarness harness_;
  IntervalJoinOperator operator_;
  CollectingOutput out_;
};

TEST_F(IntervalJoinOperatorTest, JoinsWithinBoundsAndFreesStateAtTheWatermark) {
  Start(JoinType::kInner);
  EXPECT_EQ(Process(0, {{1, 100}}), Rows{});
  EXPECT_EQ(Process(1, {{1, 105}, {1, 111}, {2, 105}}), (Rows{"+I[1, 100, 1, 105]"}));
  EXPECT_EQ(Process(1, {{1, 110}}), (Rows{"+I[1, 100, 1, 110]"}));  // the bound is inclusive
  EXPECT_EQ(harness_.EntryCount("left"), 1);
  EXPECT_EQ(harness_.EntryCount("right"), 4);
  // At 105 right rows up to 105 can no longer match a future left row (left.ts > 105).
  EXPECT_EQ(Watermark(105), Rows{});
  EXPECT_EQ(harness_.EntryCount("left"), 1);
  EXPECT_EQ(harness_.EntryCount("right"), 2);
  EXPECT_EQ(Watermark(110), Rows{});
  EXPECT_EQ(harness_.EntryCount("left"), 0);
  EXPECT_EQ(harness_.EntryCount("right"), 1);
  // The watermark is held back by the upper bound, so output rows are never late.
  EXPECT_EQ(out_.watermarks, (std::vector<int64_t>{95, 100}));
  // Behind the watermark: dropped and counted, not stored.
  EXPECT_EQ(Process(0, {{1, 104}}), Rows{});
  EXPECT_EQ(harness_.metrics.late_records_dropped.load(), 1);
  EXPECT_EQ(harness_.EntryCount("left"), 0);
}

TEST_F(IntervalJoinOperatorTest, LeftJoinEmitsUnmatchedRowsWhenTheyExpire) {
  Start(JoinType::kLeft);
  EXPECT_EQ(Process(0, {{1, 100}, {2, 100}, {nullptr, 100}}), (Rows{"+I[NULL, 100, NULL, NULL]"}));
  EXPECT_EQ(Process(1, {{1, 103}}), (Rows{"+I[1, 100, 1, 103]"}));
  EXPECT_EQ(Watermark(109), Rows{});
  EXPECT_EQ(harness_.EntryCount("left"), 2);
  EXPECT_EQ(Watermark(110), (Rows{"+I[2, 100, NULL, NULL]"}));
  EXPECT_EQ(harness_.EntryCount("left"), 0);
}

}  // namespace
}  // namespace sluice::runtime::operators
