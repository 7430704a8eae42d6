#include "runtime/operators/window_join_operator.h"

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

// Both inputs: (id BIGINT, ts TIMESTAMP) in TUMBLE(10 ms) windows.
const std::vector<LogicalType> kTypes = {LogicalType::Bigint(), LogicalType::Timestamp()};
const types::Schema kSchema{{{"id", LogicalType::Bigint()}, {"ts", LogicalType::Timestamp()}}};

plan::PlanNode WindowJoinNode(JoinType type) {
  plan::PlanNode node;
  node.uid = "out/window-join1";
  node.kind = plan::OperatorKind::kWindowJoin;
  for (int side = 0; side < 2; ++side) {
    for (const auto& column : kSchema.columns) node.output_schema.columns.push_back(column);
    for (const char* name : {"window_start", "window_end", "window_time"}) {
      node.output_schema.columns.push_back({name, LogicalType::Timestamp()});
    }
  }
  for (const char* name : {"left", "right"}) {
    plan::StateSpec state;
    state.name = name;
    state.key_schema.columns.push_back({"id", LogicalType::Bigint()});
    state.state_namespace = plan::StateNamespace::kWindow;
    state.value_schema = kSchema;
    node.state.push_back(state);
  }
  node.join = plan::JoinSpec{type, {0}, {0}, nullptr, 0};
  plan::WindowSpec window;
  window.kind = plan::WindowKind::kTumble;
  window.size = 10;
  node.window_join = plan::WindowJoinSpec{window, 1, 1};
  return node;
}

class WindowJoinOperatorTest : public ::testing::Test {
 protected:
  void Start(JoinType type) {
    harness_.node = WindowJoinNode(type);
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
    Rows rows = out_.TakeRows();
    std::sort(rows.begin(), rows.end());
    return rows;
  }

  OperatorHarness harness_;
  WindowJoinOperator operator_;
  CollectingOutput out_;
};

TEST_F(WindowJoinOperatorTest, JoinsEachWindowWhenTheWatermarkPassesItsEnd) {
  Start(JoinType::kInner);
  EXPECT_EQ(Process(0, {{1, 1}, {2, 2}, {1, 12}}), Rows{});
  EXPECT_EQ(Process(1, {{1, 5}, {1, 15}, {nullptr, 5}}), Rows{});
  EXPECT_EQ(harness_.EntryCount("left"), 3);   // (1, [0,10)), (2, [0,10)), (1, [10,20))
  EXPECT_EQ(harness_.EntryCount("right"), 2);  // the NULL key is not stored
  EXPECT_EQ(Watermark(8), Rows{});
  EXPECT_EQ(Watermark(9), (Rows{"+I[1, 1, 0, 10, 9, 1, 5, 0, 10, 9]"}));
  EXPECT_EQ(harness_.EntryCount("left"), 1);
  EXPECT_EQ(harness_.EntryCount("right"), 1);
  // Window [0, 10) has fired: a row for it is late.
  EXPECT_EQ(Process(1, {{2, 3}}), Rows{});
  EXPECT_EQ(harness_.metrics.late_records_dropped.load(), 1);
  EXPECT_EQ(Watermark(kMaxWatermark), (Rows{"+I[1, 12, 10, 20, 19, 1, 15, 10, 20, 19]"}));
  EXPECT_EQ(harness_.EntryCount("left"), 0);
  EXPECT_EQ(harness_.EntryCount("right"), 0);
  EXPECT_EQ(out_.watermarks, (std::vector<int64_t>{8, 9, kMaxWatermark}));
}

TEST_F(WindowJoinOperatorTest, LeftJoinPadsUnmatchedRowsOfTheWindow) {
  Start(JoinType::kLeft);
  EXPECT_EQ(Process(0, {{1, 1}, {2, 2}, {nullptr, 3}}), Rows{});
  EXPECT_EQ(Process(1, {{1, 5}}), Rows{});
  EXPECT_EQ(Watermark(9), (Rows{"+I[1, 1, 0, 10, 9, 1, 5, 0, 10, 9]",
                                "+I[2, 2, 0, 10, 9, NULL, NULL, NULL, NULL, NULL]",
                                "+I[NULL, 3, 0, 10, 9, NULL, NULL, NULL, NULL, NULL]"}));
  EXPECT_EQ(harness_.EntryCount("left"), 0);
}

}  // namespace
}  // namespace sluice::runtime::operators
