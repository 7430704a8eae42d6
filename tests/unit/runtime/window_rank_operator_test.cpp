// Window Top-N on hand-built batches: ranking when the watermark passes a window's end, ties,
// late rows, more rows than a batch, and NULL window ends.

#include "runtime/operators/window_rank_operator.h"

#include <gtest/gtest.h>

#include "runtime/operators/operator_factory.h"
#include "tests/unit/runtime/operator_test_util.h"

namespace sluice::runtime::operators {
namespace {

using testing::Cell;
using testing::CollectingOutput;
using testing::MakeBatch;
using testing::OperatorHarness;
using types::LogicalType;
using Rows = std::vector<std::string>;

// Input (k BIGINT, v BIGINT, window_end TIMESTAMP); partition (k, window_end), by v DESC.
const std::vector<LogicalType> kTypes = {LogicalType::Bigint(), LogicalType::Bigint(),
                                         LogicalType::Timestamp()};

plan::PlanNode RankNode(plan::RankFunction function, int64_t limit, bool emit_rank) {
  plan::PlanNode node;
  node.uid = "out/window-rank1";
  node.kind = plan::OperatorKind::kWindowRank;
  node.output_schema = types::Schema{{{"k", kTypes[0]}, {"v", kTypes[1]}, {"end", kTypes[2]}}};
  if (emit_rank) node.output_schema.columns.push_back({"rn", LogicalType::Bigint()});
  node.top_n = plan::TopNSpec{{0, 2}, {plan::SortKey{1, false, false}}, limit, emit_rank, false};
  node.top_n->function = function;
  node.top_n->window_end_slot = 2;
  return node;
}

class WindowRankOperatorTest : public ::testing::Test {
 protected:
  void Start(plan::RankFunction function, int64_t limit, bool emit_rank = true) {
    harness_.node = RankNode(function, limit, emit_rank);
    base::Status status = operator_.Open(harness_.Context());
    ASSERT_TRUE(status.ok()) << status.ToString();
  }
  void Add(const std::vector<std::vector<Cell>>& rows) {
    base::Status status = operator_.ProcessBatch(0, MakeBatch(kTypes, rows), &out_);
    ASSERT_TRUE(status.ok()) << status.ToString();
  }
  Rows Watermark(int64_t watermark) {
    base::Status status = operator_.ProcessWatermark(watermark, &out_);
    EXPECT_TRUE(status.ok()) << status.ToString();
    return out_.TakeRows();
  }

  OperatorHarness harness_;
  WindowRankOperator operator_;
  CollectingOutput out_;
};

TEST_F(WindowRankOperatorTest, RanksEachWindowWhenTheWatermarkPassesItsEnd) {
  Start(plan::RankFunction::kRowNumber, 2);
  Add({{1, 5, 10}, {1, 9, 10}, {2, 4, 10}, {1, 7, 10}, {1, 1, 20}});
  EXPECT_EQ(Watermark(8), Rows{});
  EXPECT_EQ(out_.watermarks, (std::vector<int64_t>{8}));
  EXPECT_EQ(Watermark(9), (Rows{"+I[1, 9, 10, 1]", "+I[1, 7, 10, 2]", "+I[2, 4, 10, 1]"}));
  EXPECT_EQ(harness_.EntryCount("rows"), 1) << "the window ending at 20 is still open";
  // A row of a fired window is late: dropped and counted.
  Add({{1, 100, 10}});
  EXPECT_EQ(harness_.metrics.late_records_dropped.load(), 1);
  EXPECT_EQ(Watermark(30), (Rows{"+I[1, 1, 20, 1]"}));
  EXPECT_EQ(harness_.EntryCount("rows"), 0);
  EXPECT_EQ(Watermark(25), Rows{}) << "a watermark that goes back changes nothing";
}

TEST_F(WindowRankOperatorTest, TiesKeepArrivalOrderOrShareARank) {
  Start(plan::RankFunction::kRowNumber, 1, /*emit_rank=*/false);
  Add({{1, 5, 10}, {1, 7, 10}, {1, 7, 10}});
  EXPECT_EQ(Watermark(100), (Rows{"+I[1, 7, 10]"}));
  OperatorHarness harness;
  harness.node = RankNode(plan::RankFunction::kRank, 2, true);
  WindowRankOperator rank;
  ASSERT_TRUE(rank.Open(harness.Context()).ok());
  CollectingOutput out;
  ASSERT_TRUE(
      rank.ProcessBatch(0, MakeBatch(kTypes, {{1, 5, 10}, {1, 7, 10}, {1, 7, 10}}), &out).ok());
  ASSERT_TRUE(rank.ProcessWatermark(100, &out).ok());
  EXPECT_EQ(out.rows, (Rows{"+I[1, 7, 10, 1]", "+I[1, 7, 10, 1]"})) << "5 ranks 3rd";
}

TEST_F(WindowRankOperatorTest, WindowsLargerThanABatchAndNullEnds) {
  Start(plan::RankFunction::kRowNumber, 3);
  for (int batch = 0; batch < 3; ++batch) {
    std::vector<std::vector<Cell>> rows;
    for (int i = 0; i < kBatchCapacity; ++i) rows.push_back({1, batch * kBatchCapacity + i, 10});
    Add(rows);
  }
  Add({{1, 1000000, nullptr}});
  int64_t top = 3 * kBatchCapacity - 1;
  EXPECT_EQ(Watermark(50),
            (Rows{fmt::format("+I[1, {}, 10, 1]", top), fmt::format("+I[1, {}, 10, 2]", top - 1),
                  fmt::format("+I[1, {}, 10, 3]", top - 2)}));
}

TEST_F(WindowRankOperatorTest, TheFactoryBuildsAWindowRank) {
  EXPECT_TRUE(CreateOperator(RankNode(plan::RankFunction::kDenseRank, 3, true)).ok());
}

}  // namespace
}  // namespace sluice::runtime::operators
