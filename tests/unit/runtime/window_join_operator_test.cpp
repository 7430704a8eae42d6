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

plan::PlanNode WindowJoinNode(JoinType type, plan::ExprPtr residual = nullptr,
                              bool keyless = false) {
  plan::PlanNode node;
  node.uid = "out/window-join1";
  node.kind = plan::OperatorKind::kWindowJoin;
  // A SEMI or ANTI join outputs the left rows and their windows only.
  const bool left_only = type == JoinType::kSemi || type == JoinType::kAnti;
  for (int side = 0; side < (left_only ? 1 : 2); ++side) {
    for (const auto& column : kSchema.columns) node.output_schema.columns.push_back(column);
    for (const char* name : {"window_start", "window_end", "window_time"}) {
      node.output_schema.columns.push_back({name, LogicalType::Timestamp()});
    }
  }
  for (const char* name : {"left", "right"}) {
    plan::StateSpec state;
    state.name = name;
    if (!keyless) state.key_schema.columns.push_back({"id", LogicalType::Bigint()});
    state.state_namespace = plan::StateNamespace::kWindow;
    state.value_schema = kSchema;
    node.state.push_back(state);
  }
  std::vector<int32_t> keys = keyless ? std::vector<int32_t>{} : std::vector<int32_t>{0};
  node.join = plan::JoinSpec{type, keys, keys, std::move(residual), 0};
  plan::WindowSpec window;
  window.kind = plan::WindowKind::kTumble;
  window.size = 10;
  node.window_join = plan::WindowJoinSpec{window, 1, 1};
  return node;
}

// Slots of the joined row a residual reads: the left row, its windows, the right row, its windows.
plan::ExprPtr Slot(int32_t slot) {
  return plan::Expr::Column(slot, slot % 5 == 0 ? LogicalType::Bigint() : LogicalType::Timestamp());
}
constexpr int32_t kLeftId = 0, kLeftTs = 1, kRightId = 5, kRightTs = 6;

Rows Sorted(Rows rows) {
  std::sort(rows.begin(), rows.end());
  return rows;
}

class WindowJoinOperatorTest : public ::testing::Test {
 protected:
  void Start(JoinType type, plan::ExprPtr residual = nullptr, bool keyless = false) {
    harness_.node = WindowJoinNode(type, std::move(residual), keyless);
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
  EXPECT_EQ(harness_.EntryCount("left"), 3);  // (1, [0,10)), (2, [0,10)), (1, [10,20))
  // The NULL key is kept (the state is the same for every join type) but never matches.
  EXPECT_EQ(harness_.EntryCount("right"), 3);
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

TEST_F(WindowJoinOperatorTest, FullJoinEmitsTheUnmatchedRowsOfBothSides) {
  Start(JoinType::kFull);
  EXPECT_EQ(Process(0, {{1, 1}, {2, 2}, {nullptr, 3}, {4, 12}}), Rows{});
  EXPECT_EQ(Process(1, {{1, 5}, {3, 6}, {nullptr, 7}, {2, 14}}), Rows{});
  // Window [0, 10): 1 matches; 2, 3 and both NULL keys are alone, the other side NULL
  // (its window columns too).
  EXPECT_EQ(Watermark(9), Sorted({"+I[1, 1, 0, 10, 9, 1, 5, 0, 10, 9]",
                                  "+I[2, 2, 0, 10, 9, NULL, NULL, NULL, NULL, NULL]",
                                  "+I[NULL, 3, 0, 10, 9, NULL, NULL, NULL, NULL, NULL]",
                                  "+I[NULL, NULL, NULL, NULL, NULL, 3, 6, 0, 10, 9]",
                                  "+I[NULL, NULL, NULL, NULL, NULL, NULL, 7, 0, 10, 9]"}));
  EXPECT_EQ(harness_.EntryCount("left"), 1);
  EXPECT_EQ(harness_.EntryCount("right"), 1);
  // Window [10, 20): 2 (left, [0, 10)) and 2 (right, [10, 20)) were in other windows.
  EXPECT_EQ(Watermark(kMaxWatermark),
            Sorted({"+I[4, 12, 10, 20, 19, NULL, NULL, NULL, NULL, NULL]",
                    "+I[NULL, NULL, NULL, NULL, NULL, 2, 14, 10, 20, 19]"}));
  EXPECT_EQ(harness_.EntryCount("left"), 0);
  EXPECT_EQ(harness_.EntryCount("right"), 0);
}

TEST_F(WindowJoinOperatorTest, RightJoinPadsUnmatchedRightRows) {
  Start(JoinType::kRight);
  EXPECT_EQ(Process(0, {{1, 1}, {2, 2}}), Rows{});
  EXPECT_EQ(Process(1, {{1, 5}, {1, 6}, {3, 7}, {nullptr, 8}}), Rows{});
  EXPECT_EQ(Watermark(9),
            Sorted({"+I[1, 1, 0, 10, 9, 1, 5, 0, 10, 9]", "+I[1, 1, 0, 10, 9, 1, 6, 0, 10, 9]",
                    "+I[NULL, NULL, NULL, NULL, NULL, 3, 7, 0, 10, 9]",
                    "+I[NULL, NULL, NULL, NULL, NULL, NULL, 8, 0, 10, 9]"}));
}

TEST_F(WindowJoinOperatorTest, OuterRowsFailingTheResidualAreUnmatched) {
  // left.ts < right.ts
  Start(JoinType::kFull, plan::Expr::Call(functions::FunctionId::kLess, LogicalType::Boolean(),
                                          {Slot(kLeftTs), Slot(kRightTs)}));
  EXPECT_EQ(Process(0, {{1, 1}, {1, 8}}), Rows{});
  EXPECT_EQ(Process(1, {{1, 5}, {1, 0}}), Rows{});
  EXPECT_EQ(Watermark(9), Sorted({"+I[1, 1, 0, 10, 9, 1, 5, 0, 10, 9]",
                                  "+I[1, 8, 0, 10, 9, NULL, NULL, NULL, NULL, NULL]",
                                  "+I[NULL, NULL, NULL, NULL, NULL, 1, 0, 0, 10, 9]"}));
}

TEST_F(WindowJoinOperatorTest, SemiJoinEmitsEachMatchedLeftRowOncePerWindow) {
  Start(JoinType::kSemi);
  EXPECT_EQ(Process(0, {{1, 1}, {1, 2}, {2, 3}, {nullptr, 4}, {2, 13}}), Rows{});
  EXPECT_EQ(Process(1, {{1, 5}, {1, 6}, {nullptr, 7}, {2, 8}}), Rows{});
  // Two right rows match 1: still one row each. 2 at 13 is in [10, 20), where no 2 is.
  EXPECT_EQ(Watermark(kMaxWatermark),
            Sorted({"+I[1, 1, 0, 10, 9]", "+I[1, 2, 0, 10, 9]", "+I[2, 3, 0, 10, 9]"}));
  EXPECT_EQ(harness_.EntryCount("left"), 0);
  EXPECT_EQ(harness_.EntryCount("right"), 0);
}

TEST_F(WindowJoinOperatorTest, AntiJoinEmitsUnmatchedLeftRowsNullKeysIncluded) {
  // NOT EXISTS (… WHERE L.id = R.id AND L.ts < R.ts …)
  Start(JoinType::kAnti, plan::Expr::Call(functions::FunctionId::kLess, LogicalType::Boolean(),
                                          {Slot(kLeftTs), Slot(kRightTs)}));
  EXPECT_EQ(Process(0, {{1, 1}, {1, 7}, {2, 3}, {nullptr, 4}}), Rows{});
  EXPECT_EQ(Process(1, {{1, 5}, {nullptr, 8}}), Rows{});
  EXPECT_EQ(Watermark(9),
            Sorted({"+I[1, 7, 0, 10, 9]", "+I[2, 3, 0, 10, 9]", "+I[NULL, 4, 0, 10, 9]"}));
}

TEST_F(WindowJoinOperatorTest, NullAwareAntiJoinWithoutKeys) {
  // x NOT IN (…): the condition l.id = r.id OR l.id IS NULL OR r.id IS NULL, no keys.
  auto is_null = [](int32_t slot) {
    return plan::Expr::Call(functions::FunctionId::kIsNull, LogicalType::Boolean(), {Slot(slot)});
  };
  auto equal = plan::Expr::Call(functions::FunctionId::kEqual, LogicalType::Boolean(),
                                {Slot(kLeftId), Slot(kRightId)});
  auto either_null = plan::Expr::Call(functions::FunctionId::kOr, LogicalType::Boolean(),
                                      {is_null(kLeftId), is_null(kRightId)});
  Start(JoinType::kAnti,
        plan::Expr::Call(functions::FunctionId::kOr, LogicalType::Boolean(), {equal, either_null}),
        /*keyless=*/true);
  // [0, 10): 1 is in no right row. [10, 20): a NULL on the right excludes every row.
  // [20, 30): NULL NOT IN (no rows) holds. [30, 40): NULL NOT IN (4) is UNKNOWN.
  EXPECT_EQ(Process(0, {{1, 1}, {2, 2}, {3, 12}, {nullptr, 21}, {nullptr, 31}}), Rows{});
  EXPECT_EQ(Process(1, {{2, 5}, {nullptr, 15}, {4, 35}}), Rows{});
  EXPECT_EQ(Watermark(kMaxWatermark), Sorted({"+I[1, 1, 0, 10, 9]", "+I[NULL, 21, 20, 30, 29]"}));
  EXPECT_EQ(harness_.EntryCount("left"), 0);
}

TEST_F(WindowJoinOperatorTest, AChangedJoinTypeFindsEveryRowOfTheOpenWindows) {
  // What `sluice check` promises for a change of join type (restored): an INNER join's state,
  // reopened as a FULL join, holds every row of its open window, NULL keys included.
  Start(JoinType::kInner);
  EXPECT_EQ(Process(0, {{1, 1}, {nullptr, 2}}), Rows{});
  EXPECT_EQ(Process(1, {{3, 5}, {nullptr, 6}}), Rows{});
  EXPECT_EQ(Watermark(5), Rows{});
  harness_.node = WindowJoinNode(JoinType::kFull);
  WindowJoinOperator full;
  base::Status status = full.Open(harness_.Context());
  ASSERT_TRUE(status.ok()) << status.ToString();
  ASSERT_TRUE(full.ProcessWatermark(9, &out_).ok());
  EXPECT_EQ(Sorted(out_.TakeRows()),
            Sorted({"+I[1, 1, 0, 10, 9, NULL, NULL, NULL, NULL, NULL]",
                    "+I[NULL, 2, 0, 10, 9, NULL, NULL, NULL, NULL, NULL]",
                    "+I[NULL, NULL, NULL, NULL, NULL, 3, 5, 0, 10, 9]",
                    "+I[NULL, NULL, NULL, NULL, NULL, NULL, 6, 0, 10, 9]"}));
}

}  // namespace
}  // namespace sluice::runtime::operators
