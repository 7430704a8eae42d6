// Window TVF aggregation on hand-built batches: TUMBLE, HOP, CUMULATE and SESSION results,
// slice sharing, late records, state cleanup; and one job through the scheduler.

#include "runtime/operators/window_aggregate_operator.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <map>
#include <mutex>
#include <tuple>

#include "runtime/connectors/collect_connector.h"
#include "runtime/operators/operator_factory.h"
#include "runtime/scheduler/job.h"
#include "tests/unit/runtime/operator_test_util.h"

namespace sluice::runtime::operators {
namespace {

using plan::AggregateCall;
using plan::AggregateKind;
using plan::WindowKind;
using testing::Cell;
using testing::CollectingOutput;
using testing::MakeBatch;
using testing::OperatorHarness;
using testing::RunCollectingJob;
using types::LogicalType;
using Rows = std::vector<std::string>;

// Input: (user VARCHAR, amount BIGINT, ts TIMESTAMP(3)).
const std::vector<LogicalType> kInputTypes = {LogicalType::Varchar(), LogicalType::Bigint(),
                                              LogicalType::Timestamp()};

plan::PlanNode WindowNode(plan::WindowSpec window) {
  return testing::UserWindowAggregateNode(window);
}

plan::WindowSpec Tumble(int64_t size) {
  return plan::WindowSpec{WindowKind::kTumble, 2, size, 0, 0, 0};
}
plan::WindowSpec Hop(int64_t slide, int64_t size) {
  return plan::WindowSpec{WindowKind::kHop, 2, size, slide, 0, 0};
}
plan::WindowSpec Cumulate(int64_t step, int64_t max_size) {
  return plan::WindowSpec{WindowKind::kCumulate, 2, max_size, step, 0, 0};
}
plan::WindowSpec Session(int64_t gap) {
  return plan::WindowSpec{WindowKind::kSession, 2, 0, 0, gap, 0};
}

class WindowAggregateOperatorTest : public ::testing::Test {
 protected:
  void Start(plan::WindowSpec window) {
    harness_.node = WindowNode(window);
    base::Status status = operator_.Open(harness_.Context());
    ASSERT_TRUE(status.ok()) << status.ToString();
  }
  void Add(const std::vector<std::vector<Cell>>& rows) {
    base::Status status = operator_.ProcessBatch(0, MakeBatch(kInputTypes, rows), &out_);
    ASSERT_TRUE(status.ok()) << status.ToString();
  }
  Rows Advance(int64_t watermark) {
    base::Status status = operator_.ProcessWatermark(watermark, &out_);
    EXPECT_TRUE(status.ok()) << status.ToString();
    return out_.TakeRows();
  }
  int64_t Entries(const std::string& table = "slices") { return harness_.EntryCount(table); }

  OperatorHarness harness_;
  WindowAggregateOperator operator_;
  CollectingOutput out_;
};

TEST_F(WindowAggregateOperatorTest, TumbleFiresEachWindowOnceTheWatermarkPassesItsEnd) {
  Start(Tumble(10));
  Add({{"a", 1, 1}, {"b", 2, 3}, {"a", 3, 9}, {"a", 4, 10}, {"b", 5, 25}});
  EXPECT_EQ(Advance(8), Rows{}) << "window [0, 10) is complete only at watermark 9";
  EXPECT_EQ(Advance(9), (Rows{"+I[a, 0, 10, 9, 2, 4]", "+I[b, 0, 10, 9, 1, 2]"}));
  EXPECT_EQ(Advance(29), (Rows{"+I[a, 10, 20, 19, 1, 4]", "+I[b, 20, 30, 29, 1, 5]"}));
  EXPECT_EQ(Entries(), 0);
  // Rows come before the watermark that fired them.
  EXPECT_EQ(out_.events, (Rows{"WM 8", "+I[a, 0, 10, 9, 2, 4]", "+I[b, 0, 10, 9, 1, 2]", "WM 9",
                               "+I[a, 10, 20, 19, 1, 4]", "+I[b, 20, 30, 29, 1, 5]", "WM 29"}));
}

TEST_F(WindowAggregateOperatorTest, TumbleHonoursTheOffsetAndNegativeTimes) {
  plan::WindowSpec window = Tumble(10);
  window.offset = 3;
  Start(window);
  Add({{"a", 1, -8}, {"a", 2, 2}, {"a", 4, 3}, {"a", 8, 12}});
  EXPECT_EQ(Advance(kMaxWatermark),
            (Rows{"+I[a, -17, -7, -8, 1, 1]", "+I[a, -7, 3, 2, 1, 2]", "+I[a, 3, 13, 12, 2, 12]"}));
}

TEST_F(WindowAggregateOperatorTest, HopMergesSharedSlicesIntoEveryWindow) {
  Start(Hop(/*slide=*/5, /*size=*/20));
  Add({{"a", 1, 1}, {"a", 2, 6}, {"a", 4, 12}});
  // Each record lies in 4 windows but is stored once: one entry per slice, not per window.
  EXPECT_EQ(Entries(), 3);
  EXPECT_EQ(Advance(10), (Rows{"+I[a, -15, 5, 4, 1, 1]", "+I[a, -10, 10, 9, 2, 3]"}));
  EXPECT_EQ(Entries(), 3) << "every slice is still needed by a later window";
  EXPECT_EQ(Advance(19), (Rows{"+I[a, -5, 15, 14, 3, 7]", "+I[a, 0, 20, 19, 3, 7]"}));
  EXPECT_EQ(Entries(), 2) << "slice [0, 5) is read by no window after [0, 20)";
  EXPECT_EQ(Advance(kMaxWatermark), (Rows{"+I[a, 5, 25, 24, 2, 6]", "+I[a, 10, 30, 29, 1, 4]"}));
  EXPECT_EQ(Entries(), 0);
}

TEST_F(WindowAggregateOperatorTest, HopWithSeveralKeysSharesSlicesPerKey) {
  Start(Hop(/*slide=*/5, /*size=*/10));
  Add({{"a", 1, 1}, {"b", 10, 2}, {"a", 2, 7}, {nullptr, 5, 8}});
  EXPECT_EQ(Entries(), 4);  // (a, [0,5)), (b, [0,5)), (a, [5,10)), (NULL, [5,10))
  Rows rows = Advance(kMaxWatermark);
  // Within one window rows are ordered by encoded key; compare as sets, window order aside.
  std::sort(rows.begin(), rows.end());
  Rows expected = {"+I[a, -5, 5, 4, 1, 1]", "+I[b, -5, 5, 4, 1, 10]", "+I[NULL, 0, 10, 9, 1, 5]",
                   "+I[a, 0, 10, 9, 2, 3]", "+I[b, 0, 10, 9, 1, 10]", "+I[NULL, 5, 15, 14, 1, 5]",
                   "+I[a, 5, 15, 14, 1, 2]"};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(rows, expected);
  EXPECT_EQ(Entries(), 0);
}

TEST_F(WindowAggregateOperatorTest, CumulateEmitsEveryPrefixOfEachCycle) {
  Start(Cumulate(/*step=*/5, /*max_size=*/15));
  Add({{"a", 1, 1}, {"a", 2, 7}, {"a", 4, 14}, {"a", 8, 16}});
  EXPECT_EQ(Entries(), 4);
  EXPECT_EQ(Advance(14),
            (Rows{"+I[a, 0, 5, 4, 1, 1]", "+I[a, 0, 10, 9, 2, 3]", "+I[a, 0, 15, 14, 3, 7]"}));
  EXPECT_EQ(Entries(), 1) << "the first cycle's slices are freed when it ends";
  EXPECT_EQ(Advance(kMaxWatermark), (Rows{"+I[a, 15, 20, 19, 1, 8]", "+I[a, 15, 25, 24, 1, 8]",
                                          "+I[a, 15, 30, 29, 1, 8]"}));
  EXPECT_EQ(Entries(), 0);
}

TEST_F(WindowAggregateOperatorTest, LateRecordsAreDroppedAndCountedNeverMixedIn) {
  Start(Hop(/*slide=*/5, /*size=*/10));
  Add({{"a", 1, 6}});
  EXPECT_EQ(Advance(4), Rows{});
  // Slice [0, 5) had its first window [-5, 5) fire at watermark 4: a record for it is late,
  // even though window [0, 10) is still open.
  Add({{"a", 100, 3}, {"a", 2, 5}, {"a", 1000, nullptr}});
  EXPECT_EQ(harness_.metrics.late_records_dropped.load(), 1);
  EXPECT_EQ(Advance(kMaxWatermark), (Rows{"+I[a, 0, 10, 9, 2, 3]", "+I[a, 5, 15, 14, 2, 3]"}));
  Add({{"a", 7, 1000000}});
  EXPECT_EQ(harness_.metrics.late_records_dropped.load(), 2);
  EXPECT_EQ(Entries(), 0);
}

TEST_F(WindowAggregateOperatorTest, SessionsMergeWhenARecordBridgesThem) {
  Start(Session(10));
  Add({{"a", 1, 0}, {"a", 2, 30}, {"b", 5, 5}});
  EXPECT_EQ(Advance(9), (Rows{"+I[a, 0, 10, 9, 1, 1]"}));
  Add({{"a", 3, 15}});  // a: [15, 25) and [30, 40); b: [5, 15)
  Add({{"a", 4, 22}});  // [22, 32) overlaps both of a's sessions
  EXPECT_EQ(Entries("sessions"), 2) << "one entry per key";
  Add({{"a", 50, -5}});  // [-5, 5) ended before watermark 9 and joins nothing: late
  EXPECT_EQ(harness_.metrics.late_records_dropped.load(), 1);
  EXPECT_EQ(Advance(kMaxWatermark), (Rows{"+I[b, 5, 15, 14, 1, 5]", "+I[a, 15, 40, 39, 3, 9]"}));
  EXPECT_EQ(Entries("sessions"), 0);
}

TEST_F(WindowAggregateOperatorTest, SessionsThatTouchMergeAsInFlink) {
  Start(Session(10));
  Add({{"a", 1, 0}, {"a", 2, 10}, {"a", 4, 35}});
  EXPECT_EQ(Advance(kMaxWatermark), (Rows{"+I[a, 0, 20, 19, 2, 3]", "+I[a, 35, 45, 44, 1, 4]"}));
}

TEST_F(WindowAggregateOperatorTest, EmitsAtMostOneBatchCapacityOfRowsPerBatch) {
  Start(Tumble(10));
  for (int part = 0; part < 2; ++part) {
    std::vector<std::vector<Cell>> rows;
    for (int i = part * 750; i < (part + 1) * 750; ++i) {
      rows.push_back({"user-" + std::to_string(i), i, 5});
    }
    Add(rows);
  }
  EXPECT_EQ(Advance(kMaxWatermark).size(), 1500u);
  ASSERT_EQ(out_.batches.size(), 2u);
  EXPECT_EQ(out_.batches[0]->row_count(), kBatchCapacity);
  EXPECT_EQ(out_.batches[1]->row_count(), 1500 - kBatchCapacity);
  EXPECT_FALSE(out_.batches[0]->has_row_kinds()) << "insert-only output";
}

TEST_F(WindowAggregateOperatorTest, AnEventTimeWhoseWindowsLeaveTheTimestampRangeIsAnError) {
  Start(Hop(/*slide=*/5, /*size=*/10));
  int64_t near_end = std::numeric_limits<int64_t>::max() - 7;
  base::Status status =
      operator_.ProcessBatch(0, MakeBatch(kInputTypes, {{"a", 1, near_end}}), &out_);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("out of range"), std::string::npos) << status.message();
}

TEST_F(WindowAggregateOperatorTest, RejectsAHopWhoseSizeIsNotAMultipleOfTheSlide) {
  harness_.node = WindowNode(Hop(/*slide=*/3, /*size=*/10));
  base::Status status = operator_.Open(harness_.Context());
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("multiple"), std::string::npos) << status.message();
}

// ---- through the scheduler ----------------------------------------------------------------

/// values(user, amount, ts) -hash(user)-> window aggregate -forward-> collect, all at
/// `parallelism`.
plan::PlanGraph WindowJob(int32_t parallelism, plan::WindowSpec window,
                          const std::vector<std::vector<std::optional<std::string>>>& rows) {
  types::Schema input{{{"user", LogicalType::Varchar()},
                       {"amount", LogicalType::Bigint()},
                       {"ts", LogicalType::Timestamp()}}};
  plan::PlanGraph plan;
  plan.job_name = "window-aggregate-test";
  plan::PlanNode source;
  source.id = 0;
  source.uid = "source/clicks";
  source.kind = plan::OperatorKind::kSource;
  source.parallelism = parallelism;
  source.output_schema = input;
  source.table = connectors::TableDescriptor{
      "clicks", input, {{"connector", "values"}, {"rows-per-batch", "1"}}, rows};
  source.watermark = plan::WatermarkSpec{2, plan::Expr::Column(2, LogicalType::Timestamp())};
  plan::PlanNode aggregate = WindowNode(window);
  aggregate.id = 1;
  aggregate.parallelism = parallelism;
  plan::PlanNode sink;
  sink.id = 2;
  sink.uid = "sink/out";
  sink.kind = plan::OperatorKind::kSink;
  sink.parallelism = parallelism;
  sink.output_schema = aggregate.output_schema;
  sink.table =
      connectors::TableDescriptor{"out",
                                  aggregate.output_schema,
                                  {{"connector", "collect"}, {"collect.name", "window-test"}},
                                  {}};
  plan.nodes = {source, aggregate, sink};
  plan.edges = {plan::PlanEdge{0, 1, 0, plan::ExchangeKind::kHash, {0}},
                plan::PlanEdge{1, 2, 0, plan::ExchangeKind::kForward, {}}};
  return plan;
}

Rows RunJob(const plan::PlanGraph& plan, int64_t* late) {
  Rows rows = RunCollectingJob(plan, "window-test", late);
  std::sort(rows.begin(), rows.end());
  return rows;
}

/// Computes the expected rows of a window job by brute force: every window of every record,
/// rendered as the collect sink renders them.
Rows OracleRows(const plan::WindowSpec& window,
                const std::vector<std::tuple<std::string, int64_t, int64_t>>& records) {
  std::map<std::tuple<std::string, int64_t, int64_t>, std::pair<int64_t, int64_t>> groups;
  auto add = [&](const std::string& user, int64_t start, int64_t end, int64_t amount) {
    auto& [count, sum] = groups[{user, start, end}];
    count += 1;
    sum += amount;
  };
  std::map<std::string, std::vector<std::pair<int64_t, int64_t>>> by_user;  // for SESSION
  for (const auto& [user, amount, time] : records) {  // times are positive here
    switch (window.kind) {
      case WindowKind::kTumble:
        add(user, time - time % window.size, time - time % window.size + window.size, amount);
        break;
      case WindowKind::kHop:
        for (int64_t start = time - time % window.step; start > time - window.size;
             start -= window.step) {
          add(user, start, start + window.size, amount);
        }
        break;
      case WindowKind::kCumulate: {
        int64_t cycle = time - time % window.size;
        for (int64_t end = cycle + window.step; end <= cycle + window.size; end += window.step) {
          if (time < end) add(user, cycle, end, amount);
        }
        break;
      }
      case WindowKind::kSession: by_user[user].push_back({time, amount}); break;
    }
  }
  for (auto& [user, events] : by_user) {
    std::sort(events.begin(), events.end());
    for (size_t first = 0; first < events.size();) {
      size_t last = first;
      while (last + 1 < events.size() &&
             events[last + 1].first <= events[last].first + window.gap) {
        ++last;
      }
      for (size_t i = first; i <= last; ++i) {
        add(user, events[first].first, events[last].first + window.gap, events[i].second);
      }
      first = last + 1;
    }
  }
  Rows rows;
  for (const auto& [group, result] : groups) {
    const auto& [user, start, end] = group;
    rows.push_back(fmt::format("+I[{}, {}, {}, {}, {}, {}]", user, expr::FormatTimestamp(start),
                               expr::FormatTimestamp(end), expr::FormatTimestamp(end - 1),
                               result.first, result.second));
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

TEST(WindowAggregateJobTest, MatchesABruteForceOracleAtParallelismOneAndTwo) {
  // Ascending times (so no record is late at any parallelism), 700 ms apart with a 10 s pause
  // every 20 records; each user's records are 3.5 s apart.
  const int64_t base = 1'700'000'000'000;  // 2023-11-14 22:13:20 UTC
  std::vector<std::vector<std::optional<std::string>>> rows;
  std::vector<std::tuple<std::string, int64_t, int64_t>> records;
  for (int i = 0; i < 60; ++i) {
    std::string user = fmt::format("u{}", i * 7 % 5);
    int64_t time = base + i * 700 + (i / 20) * 10'000;
    rows.push_back({user, std::to_string(i), expr::FormatTimestamp(time)});
    records.emplace_back(user, i, time);
  }
  for (plan::WindowSpec window :
       {Tumble(5000), Hop(2000, 6000), Cumulate(1000, 4000), Session(4000), Session(1000)}) {
    SCOPED_TRACE(fmt::format("window kind {}", static_cast<int>(window.kind)));
    int64_t late_one = -1;
    int64_t late_two = -1;
    Rows one = RunJob(WindowJob(1, window, rows), &late_one);
    Rows two = RunJob(WindowJob(2, window, rows), &late_two);
    EXPECT_EQ(one, OracleRows(window, records));
    EXPECT_EQ(one, two);
    EXPECT_EQ(late_one, 0);
    EXPECT_EQ(late_two, 0);
  }
}

}  // namespace
}  // namespace sluice::runtime::operators
