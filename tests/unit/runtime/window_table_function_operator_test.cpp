// A window TVF's rows: windows per row for TUMBLE, HOP and CUMULATE, NULL times, row kinds,
// processing time; and the window assigner's edges.

#include "runtime/operators/window_table_function_operator.h"

#include <gtest/gtest.h>

#include <limits>

#include "runtime/operators/operator_factory.h"
#include "tests/unit/runtime/operator_test_util.h"

namespace sluice::runtime::operators {
namespace {

using testing::CollectingOutput;
using testing::MakeBatch;
using testing::OperatorHarness;
using types::LogicalType;
using Rows = std::vector<std::string>;

const std::vector<LogicalType> kTypes = {LogicalType::Bigint(), LogicalType::Timestamp()};

plan::PlanNode FunctionNode(plan::WindowSpec window) {
  plan::PlanNode node;
  node.uid = "out/window-table-function1";
  node.kind = plan::OperatorKind::kWindowTableFunction;
  node.output_schema = types::Schema{{{"k", kTypes[0]}, {"ts", kTypes[1]}}};
  for (const char* name : {"window_start", "window_end", "window_time"}) {
    node.output_schema.columns.push_back({name, LogicalType::Timestamp()});
  }
  window.time_slot = 1;
  node.window_table_function = window;
  return node;
}

class ManualClock : public ProcessingTimeService {
 public:
  int64_t CurrentTimeMillis() const override { return now; }
  void RegisterTimer(int64_t) override {}
  int64_t now = 0;
};

Rows Assign(plan::WindowSpec window, const std::vector<std::vector<testing::Cell>>& rows,
            const std::vector<RowKind>& kinds = {}, ProcessingTimeService* clock = nullptr) {
  OperatorHarness harness;
  harness.node = FunctionNode(window);
  OperatorContext context = harness.Context();
  context.processing_time = clock;
  WindowTableFunctionOperator op;
  base::Status status = op.Open(context);
  EXPECT_TRUE(status.ok()) << status.ToString();
  CollectingOutput out;
  status = op.ProcessBatch(0, MakeBatch(kTypes, rows, kinds), &out);
  EXPECT_TRUE(status.ok()) << status.ToString();
  return out.rows;
}

TEST(WindowTableFunctionOperatorTest, TumbleGivesOneWindowPerRowAndDropsNullTimes) {
  plan::WindowSpec tumble{plan::WindowKind::kTumble, 1, 10, 0, 0, 0};
  EXPECT_EQ(Assign(tumble, {{1, 3}, {2, nullptr}, {3, 10}, {4, -1}}),
            (Rows{"+I[1, 3, 0, 10, 9]", "+I[3, 10, 10, 20, 19]", "+I[4, -1, -10, 0, -1]"}));
  tumble.offset = 4;
  EXPECT_EQ(Assign(tumble, {{1, 3}}), (Rows{"+I[1, 3, -6, 4, 3]"}));
}

TEST(WindowTableFunctionOperatorTest, HopAndCumulateGiveEveryWindowInEndOrder) {
  plan::WindowSpec hop{plan::WindowKind::kHop, 1, 10, 5, 0, 0};
  EXPECT_EQ(Assign(hop, {{1, 7}}), (Rows{"+I[1, 7, 0, 10, 9]", "+I[1, 7, 5, 15, 14]"}));
  plan::WindowSpec cumulate{plan::WindowKind::kCumulate, 1, 15, 5, 0, 0};
  EXPECT_EQ(Assign(cumulate, {{1, 7}}), (Rows{"+I[1, 7, 0, 10, 9]", "+I[1, 7, 0, 15, 14]"}));
}

TEST(WindowTableFunctionOperatorTest, RowKindsPassThrough) {
  plan::WindowSpec tumble{plan::WindowKind::kTumble, 1, 10, 0, 0, 0};
  EXPECT_EQ(Assign(tumble, {{1, 3}, {1, 3}}, {RowKind::kInsert, RowKind::kDelete}),
            (Rows{"+I[1, 3, 0, 10, 9]", "-D[1, 3, 0, 10, 9]"}));
}

TEST(WindowTableFunctionOperatorTest, ProcessingTimeWindowsTakeTheClock) {
  plan::WindowSpec tumble{plan::WindowKind::kTumble, 1, 10, 0, 0, 0};
  tumble.processing_time = true;
  ManualClock clock;
  clock.now = 25;
  EXPECT_EQ(Assign(tumble, {{1, nullptr}}, {}, &clock), (Rows{"+I[1, NULL, 20, 30, 29]"}));
}

TEST(WindowTableFunctionOperatorTest, RejectsSessionWindows) {
  OperatorHarness harness;
  harness.node = FunctionNode({plan::WindowKind::kSession, 1, 0, 0, 10, 0});
  WindowTableFunctionOperator op;
  EXPECT_FALSE(op.Open(harness.Context()).ok());
  EXPECT_TRUE(CreateOperator(FunctionNode({plan::WindowKind::kTumble, 1, 10, 0, 0, 0})).ok());
}

TEST(WindowAssignerTest, RefusesTimesWhoseWindowsOverflow) {
  WindowAssigner assigner({plan::WindowKind::kTumble, 0, 10, 0, 0, 0});
  std::vector<int64_t> ends;
  EXPECT_FALSE(assigner.EndsOf(std::numeric_limits<int64_t>::max() - 5, &ends));
  EXPECT_TRUE(assigner.EndsOf(-15, &ends));
  EXPECT_EQ(ends, (std::vector<int64_t>{-10}));
  EXPECT_EQ(assigner.StartOf(-10), -20);
}

}  // namespace
}  // namespace sluice::runtime::operators
