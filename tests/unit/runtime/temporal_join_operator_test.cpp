#include "runtime/operators/temporal_join_operator.h"

#include <gtest/gtest.h>

#include <algorithm>

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

// Both inputs: (id BIGINT, ts TIMESTAMP); the right one is the versioned table keyed by id.
const std::vector<LogicalType> kTypes = {LogicalType::Bigint(), LogicalType::Timestamp()};
const types::Schema kSchema{{{"id", LogicalType::Bigint()}, {"ts", LogicalType::Timestamp()}}};

plan::PlanNode TemporalJoinNode(JoinType type) {
  plan::PlanNode node;
  node.uid = "out/temporal-join1";
  node.kind = plan::OperatorKind::kTemporalJoin;
  node.output_schema = kSchema;
  node.output_schema.columns.push_back({"id0", LogicalType::Bigint()});
  node.output_schema.columns.push_back({"ts0", LogicalType::Timestamp()});
  for (const char* name : {"left", "right"}) {
    plan::StateSpec state;
    state.name = name;
    state.key_schema.columns.push_back({"id", LogicalType::Bigint()});
    state.state_namespace = plan::StateNamespace::kTime;
    state.value_schema = kSchema;
    node.state.push_back(state);
  }
  node.state.push_back(plan::WatermarkStateSpec());
  node.join = plan::JoinSpec{type, {0}, {0}, nullptr, 0};
  node.temporal_join = plan::TemporalJoinSpec{1, 1};
  return node;
}

class TemporalJoinOperatorTest : public ::testing::Test {
 protected:
  void Start(JoinType type) {
    harness_.node = TemporalJoinNode(type);
    base::Status status = operator_.Open(harness_.Context());
    ASSERT_TRUE(status.ok()) << status.ToString();
  }
  Rows Process(int32_t input, const std::vector<std::vector<Cell>>& rows,
               const std::vector<RowKind>& kinds = {}) {
    base::Status status = operator_.ProcessBatch(input, MakeBatch(kTypes, rows, kinds), &out_);
    EXPECT_TRUE(status.ok()) << status.ToString();
    return out_.TakeRows();
  }
  Rows Watermark(int64_t watermark) {
    base::Status status = operator_.ProcessWatermark(watermark, &out_);
    EXPECT_TRUE(status.ok()) << status.ToString();
    return out_.TakeRows();
  }

  OperatorHarness harness_;
  TemporalJoinOperator operator_;
  CollectingOutput out_;
};

TEST_F(TemporalJoinOperatorTest, JoinsTheVersionValidAtTheLeftTimeOnTheWatermark) {
  Start(JoinType::kInner);
  EXPECT_EQ(Process(1, {{1, 100}, {1, 120}, {2, 130}}), Rows{});
  // Left rows wait for the watermark, even when versions are there.
  EXPECT_EQ(Process(0, {{1, 99}, {1, 100}, {1, 119}, {1, 125}, {2, 110}}), Rows{});
  EXPECT_EQ(harness_.EntryCount("left"), 5);
  EXPECT_EQ(Watermark(119),
            (Rows{"+I[1, 100, 1, 100]", "+I[1, 119, 1, 100]"}));  // 99: no version yet
  // The version at 100 stays (valid at 119); nothing older to free.
  EXPECT_EQ(harness_.EntryCount("right"), 3);
  EXPECT_EQ(Watermark(130), (Rows{"+I[1, 125, 1, 120]"}));  // 2 at 110: before its version
  // At 130 the version of 1 at 100 is obsolete (120 is valid from 120 on).
  EXPECT_EQ(harness_.EntryCount("right"), 2);
  EXPECT_EQ(harness_.EntryCount("left"), 0);
  EXPECT_EQ(out_.watermarks, (std::vector<int64_t>{119, 130}));
  // Behind the watermark: dropped and counted.
  EXPECT_EQ(Process(0, {{1, 130}}), Rows{});
  EXPECT_EQ(harness_.metrics.late_records_dropped.load(), 1);
}

TEST_F(TemporalJoinOperatorTest, DeletionsAndLeftPadding) {
  Start(JoinType::kLeft);
  // +I at 100, -U (ignored) then +U at 110, -D at 120: deleted from 120 on.
  EXPECT_EQ(
      Process(1, {{1, 100}, {1, 100}, {1, 110}, {1, 120}},
              {RowKind::kInsert, RowKind::kUpdateBefore, RowKind::kUpdateAfter, RowKind::kDelete}),
      Rows{});
  EXPECT_EQ(Process(0, {{1, 90}, {1, 105}, {1, 115}, {1, 125}, {nullptr, 126}}),
            (Rows{"+I[NULL, 126, NULL, NULL]"}));  // a NULL key is padded at once
  Rows fired = Watermark(200);
  std::sort(fired.begin(), fired.end());
  EXPECT_EQ(fired, (Rows{"+I[1, 105, 1, 100]", "+I[1, 115, 1, 110]", "+I[1, 125, NULL, NULL]",
                         "+I[1, 90, NULL, NULL]"}));
  // A deletion behind the watermark with nothing older frees the key.
  EXPECT_EQ(harness_.EntryCount("right"), 0);
}

}  // namespace
}  // namespace sluice::runtime::operators
