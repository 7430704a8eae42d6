#include "runtime/operators/match_recognize_operator.h"

#include <gtest/gtest.h>

#include "tests/unit/runtime/operator_test_util.h"

namespace sluice::runtime::operators {
namespace {

using testing::Cell;
using testing::CollectingOutput;
using testing::MakeBatch;
using testing::OperatorHarness;
using types::LogicalType;
using Rows = std::vector<std::string>;

// Input: (k BIGINT, v BIGINT, ts TIMESTAMP), partitioned by k, ordered by ts.
const std::vector<LogicalType> kTypes = {LogicalType::Bigint(), LogicalType::Bigint(),
                                         LogicalType::Timestamp()};

class MatchRecognizeOperatorTest : public ::testing::Test {
 protected:
  void Start(plan::PlanNode node) {
    harness_.node = std::move(node);
    base::Status status = operator_.Open(harness_.Context());
    ASSERT_TRUE(status.ok()) << status.ToString();
  }
  Rows Process(const std::vector<std::vector<Cell>>& rows) {
    base::Status status = operator_.ProcessBatch(0, MakeBatch(kTypes, rows), &out_);
    EXPECT_TRUE(status.ok()) << status.ToString();
    return out_.TakeRows();
  }
  Rows Watermark(int64_t watermark) {
    base::Status status = operator_.ProcessWatermark(watermark, &out_);
    EXPECT_TRUE(status.ok()) << status.ToString();
    return out_.TakeRows();
  }

  OperatorHarness harness_;
  MatchRecognizeOperator operator_;
  CollectingOutput out_;
};

TEST_F(MatchRecognizeOperatorTest, MatchesInEventTimeOrderOnceTheWatermarkPasses) {
  Start(testing::MatchRecognizeNode(true, plan::MatchSkip::kPastLastRow, -1));
  // Out of order: 40 (A) 50 (B) 55 (B) 10 (C) by time, for key 1; key 2 has no C yet.
  EXPECT_EQ(Process({{1, 55, 103}, {1, 40, 100}, {2, 50, 100}, {1, 10, 104}, {1, 50, 101}}),
            Rows{});
  EXPECT_EQ(harness_.EntryCount("rows"), 5);
  EXPECT_EQ(Watermark(102), Rows{});  // the rows at 100 and 101 only: partial matches
  EXPECT_EQ(harness_.EntryCount("matches"), 2);
  EXPECT_EQ(Watermark(104), (Rows{"+I[1, 40, 4, 104]"}));
  // Key 1's matches are complete: its entry is gone; key 2 still waits.
  EXPECT_EQ(harness_.EntryCount("matches"), 1);
  EXPECT_EQ(harness_.EntryCount("rows"), 0);
  EXPECT_EQ(out_.watermarks, (std::vector<int64_t>{102, 104}));
  // Late (behind the watermark) and NULL-time rows are dropped and counted.
  EXPECT_EQ(Process({{2, 10, 104}, {2, 10, nullptr}}), Rows{});
  EXPECT_EQ(harness_.metrics.late_records_dropped.load(), 2);
  EXPECT_EQ(Process({{2, 10, 105}}), Rows{});
  EXPECT_EQ(Watermark(200), (Rows{"+I[2, 50, 2, 105]"}));
  EXPECT_EQ(harness_.EntryCount("matches"), 0);
}

TEST_F(MatchRecognizeOperatorTest, WithinExpiresPartialMatchesOnTheWatermark) {
  Start(testing::MatchRecognizeNode(true, plan::MatchSkip::kPastLastRow, 10));
  EXPECT_EQ(Process({{1, 40, 100}, {1, 45, 105}}), Rows{});
  EXPECT_EQ(Watermark(105), Rows{});
  EXPECT_EQ(harness_.EntryCount("matches"), 1);
  // At 110 a row could still complete the match that started at 100 (exactly 10 apart).
  EXPECT_EQ(Watermark(109), Rows{});
  EXPECT_EQ(harness_.EntryCount("matches"), 1);
  // Past 115 no row can complete either partial match: the key's state is freed.
  EXPECT_EQ(Watermark(115), Rows{});
  EXPECT_EQ(harness_.EntryCount("matches"), 0);
}

TEST_F(MatchRecognizeOperatorTest, ProcessingTimeMatchesInArrivalOrder) {
  Start(testing::MatchRecognizeNode(false, plan::MatchSkip::kToNextRow, -1));
  EXPECT_EQ(Process({{1, 40, 5}, {1, 50, 1}}), Rows{});
  EXPECT_EQ(harness_.EntryCount("matches"), 1);
  // Both partial matches (from 40 and from 50) end at the 10: SKIP TO NEXT ROW keeps both.
  EXPECT_EQ(Process({{1, 10, 2}}), (Rows{"+I[1, 40, 3, 2]", "+I[1, 50, 2, 2]"}));
  // The 10 starts a partial match of its own (an A), which no skip reaches.
  EXPECT_EQ(harness_.EntryCount("matches"), 1);
}

TEST_F(MatchRecognizeOperatorTest, SkipToTheFirstRowOfTheMatchFailsTheJob) {
  plan::PlanNode node = testing::MatchRecognizeNode(false, plan::MatchSkip::kToFirst, -1);
  node.match_recognize->skip_variable = 0;  // SKIP TO FIRST A: A is the first row
  Start(node);
  base::Status status =
      operator_.ProcessBatch(0, MakeBatch(kTypes, {{1, 40, 1}, {1, 10, 2}}), &out_);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.ToString().find("endless loop"), std::string::npos) << status.ToString();
}

TEST_F(MatchRecognizeOperatorTest, SkipToAVariableWithoutRowsFailsTheJob) {
  plan::PlanNode node = testing::MatchRecognizeNode(false, plan::MatchSkip::kToLast, -1);
  node.match_recognize->skip_variable = 1;  // SKIP TO LAST B: B* may take no row
  Start(node);
  base::Status status =
      operator_.ProcessBatch(0, MakeBatch(kTypes, {{1, 40, 1}, {1, 10, 2}}), &out_);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.ToString().find("the match has no row of 'B'"), std::string::npos)
      << status.ToString();
}

TEST_F(MatchRecognizeOperatorTest, RefusesAMalformedPlan) {
  plan::PlanNode node = testing::MatchRecognizeNode(true, plan::MatchSkip::kPastLastRow, -1);
  node.match_recognize->program[0].next = 17;
  harness_.node = node;
  base::Status status = operator_.Open(harness_.Context());
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.ToString().find("out of range"), std::string::npos) << status.ToString();
}

}  // namespace
}  // namespace sluice::runtime::operators
