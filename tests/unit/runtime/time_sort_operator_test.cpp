#include "runtime/operators/time_sort_operator.h"

#include <gtest/gtest.h>

#include <set>

#include "tests/unit/runtime/operator_test_util.h"

namespace sluice::runtime::operators {
namespace {

using testing::Cell;
using testing::CollectingOutput;
using testing::MakeBatch;
using testing::OperatorHarness;
using types::LogicalType;
using Rows = std::vector<std::string>;

// Input and output: (k BIGINT, v BIGINT, ts TIMESTAMP), sorted by ts, then v DESC.
const std::vector<LogicalType> kTypes = {LogicalType::Bigint(), LogicalType::Bigint(),
                                         LogicalType::Timestamp()};
class FakeClock : public ProcessingTimeService {
 public:
  int64_t CurrentTimeMillis() const override { return now; }
  void RegisterTimer(int64_t time) override { timers.insert(time); }
  int64_t now = 1000;
  std::set<int64_t> timers;
};

class TimeSortOperatorTest : public ::testing::Test {
 protected:
  void Start(bool event_time) {
    harness_.node = testing::TimeSortNode(event_time);
    OperatorContext context = harness_.Context();
    context.processing_time = &clock_;
    base::Status status = operator_.Open(context);
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
  FakeClock clock_;
  TimeSortOperator operator_;
  CollectingOutput out_;
};

TEST_F(TimeSortOperatorTest, EmitsRowsInTimeOrderOnceTheWatermarkPasses) {
  Start(true);
  EXPECT_EQ(Process({{1, 5, 103}, {2, 7, 101}, {3, 9, 103}, {4, 1, 102}, {5, 9, 103}}), Rows{});
  EXPECT_EQ(harness_.EntryCount("rows"), 3);  // one entry per time
  EXPECT_EQ(Watermark(102), (Rows{"+I[2, 7, 101]", "+I[4, 1, 102]"}));
  EXPECT_EQ(harness_.EntryCount("rows"), 1);
  // Late (at or behind the watermark) and NULL-time rows are dropped and counted.
  EXPECT_EQ(Process({{6, 0, 102}, {7, 0, nullptr}, {8, 4, 103}}), Rows{});
  EXPECT_EQ(harness_.metrics.late_records_dropped.load(), 2);
  // Time 103 by v DESC; equal v (3 and 5) in arrival order.
  EXPECT_EQ(Watermark(110),
            (Rows{"+I[3, 9, 103]", "+I[5, 9, 103]", "+I[1, 5, 103]", "+I[8, 4, 103]"}));
  EXPECT_EQ(harness_.EntryCount("rows"), 0);
  // The watermark follows the rows it released; one that does not advance is not forwarded.
  EXPECT_EQ(Watermark(105), Rows{});
  EXPECT_EQ(out_.watermarks, (std::vector<int64_t>{102, 110}));
}

TEST_F(TimeSortOperatorTest, ProcessingTimeSortsWhatWaitsAtTheNextTick) {
  Start(false);
  EXPECT_EQ(Process({{1, 5, nullptr}, {2, 7, nullptr}}), Rows{});
  EXPECT_EQ(clock_.timers, (std::set<int64_t>{1001}));
  clock_.now = 1001;
  EXPECT_EQ(Process({{3, 6, nullptr}}), Rows{});
  // One tick sorts every waiting row together, by v DESC.
  ASSERT_TRUE(operator_.OnProcessingTime(1001, &out_).ok());
  EXPECT_EQ(out_.TakeRows(), (Rows{"+I[2, 7, NULL]", "+I[3, 6, NULL]", "+I[1, 5, NULL]"}));
  EXPECT_EQ(harness_.EntryCount("rows"), 0);
  EXPECT_EQ(Process({{4, 1, nullptr}}), Rows{});
  ASSERT_TRUE(operator_.Finish(&out_).ok());
  EXPECT_EQ(out_.TakeRows(), (Rows{"+I[4, 1, NULL]"}));
}

TEST_F(TimeSortOperatorTest, RefusesAPlanWhoseTimeSlotIsNotATimestamp) {
  harness_.node = testing::TimeSortNode(true);
  harness_.node.time_sort->time_slot = 1;
  base::Status status = operator_.Open(harness_.Context());
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("the time slot is not a TIMESTAMP slot"), std::string::npos);
}

}  // namespace
}  // namespace sluice::runtime::operators
