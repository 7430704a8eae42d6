// Unbounded GROUP BY on hand-built batches: the changelog it emits for inserts, retractions
// and deletions, one change per key per batch, NULL keys, and state cleanup.

#include "runtime/operators/group_aggregate_operator.h"

#include <gtest/gtest.h>

#include "tests/unit/runtime/operator_test_util.h"

namespace sluice::runtime::operators {
namespace {

using plan::AggregateCall;
using plan::AggregateKind;
using testing::Cell;
using testing::CollectingOutput;
using testing::MakeBatch;
using testing::OperatorHarness;
using types::LogicalType;
using Rows = std::vector<std::string>;

constexpr RowKind kI = RowKind::kInsert;
constexpr RowKind kUB = RowKind::kUpdateBefore;
constexpr RowKind kUA = RowKind::kUpdateAfter;
constexpr RowKind kD = RowKind::kDelete;

AggregateCall CountStar() {
  AggregateCall call;
  call.kind = AggregateKind::kCountStar;
  call.result_type = LogicalType::Bigint();
  call.retractable = true;
  return call;
}

AggregateCall OfBigint(AggregateKind kind, int32_t slot) {
  AggregateCall call;
  call.kind = kind;
  call.argument_slot = slot;
  call.argument_type = LogicalType::Bigint();
  call.result_type = LogicalType::Bigint();
  call.retractable = true;
  return call;
}

/// `SELECT <keys>, <calls> FROM t GROUP BY <keys>` over input (k VARCHAR, v BIGINT, k2 BIGINT).
plan::PlanNode GroupNode(std::vector<int32_t> key_slots, std::vector<AggregateCall> calls) {
  const std::vector<types::RowField> input = {
      {"k", LogicalType::Varchar()}, {"v", LogicalType::Bigint()}, {"k2", LogicalType::Bigint()}};
  plan::PlanNode node;
  node.uid = "out/group_aggregate0";
  node.kind = plan::OperatorKind::kGroupAggregate;
  node.changelog_mode = plan::ChangelogMode::kUpdating;
  for (int32_t slot : key_slots) node.output_schema.columns.push_back(input[slot]);
  for (size_t i = 0; i < calls.size(); ++i) {
    node.output_schema.columns.push_back({"agg" + std::to_string(i), calls[i].result_type});
  }
  node.aggregate = plan::AggregateSpec{std::move(key_slots), std::move(calls), std::nullopt};
  return node;
}

const std::vector<LogicalType> kInputTypes = {LogicalType::Varchar(), LogicalType::Bigint(),
                                              LogicalType::Bigint()};

class GroupAggregateOperatorTest : public ::testing::Test {
 protected:
  void Start(std::vector<int32_t> key_slots, std::vector<AggregateCall> calls) {
    harness_.node = GroupNode(std::move(key_slots), std::move(calls));
    base::Status status = operator_.Open(harness_.Context());
    ASSERT_TRUE(status.ok()) << status.ToString();
  }
  /// Processes one batch and returns the changelog it produced.
  Rows Process(const std::vector<std::vector<Cell>>& rows, const std::vector<RowKind>& kinds = {}) {
    base::Status status = operator_.ProcessBatch(0, MakeBatch(kInputTypes, rows, kinds), &out_);
    EXPECT_TRUE(status.ok()) << status.ToString();
    return out_.TakeRows();
  }
  int64_t Entries() { return harness_.EntryCount("groups"); }

  OperatorHarness harness_;
  GroupAggregateOperator operator_;
  CollectingOutput out_;
};

TEST_F(GroupAggregateOperatorTest, EmitsInsertThenUpdatePairsOnePerKeyPerBatch) {
  Start({0}, {CountStar(), OfBigint(AggregateKind::kSum, 1)});
  EXPECT_EQ(Process({{"a", 1, 0}, {"b", 2, 0}, {"a", 3, 0}}), (Rows{"+I[a, 2, 4]", "+I[b, 1, 2]"}));
  EXPECT_EQ(Process({{"a", 5, 0}}), (Rows{"-U[a, 2, 4]", "+U[a, 3, 9]"}));
  EXPECT_EQ(Process({{"b", 1, 0}, {"c", 7, 0}, {"b", 1, 0}}),
            (Rows{"-U[b, 1, 2]", "+U[b, 3, 4]", "+I[c, 1, 7]"}));
  EXPECT_EQ(Entries(), 3);
  ASSERT_FALSE(out_.batches.empty());
  EXPECT_TRUE(out_.batches.back()->has_row_kinds());
}

TEST_F(GroupAggregateOperatorTest, RetractionsUpdateAndTheLastOneDeletes) {
  Start({0}, {CountStar(), OfBigint(AggregateKind::kSum, 1)});
  EXPECT_EQ(Process({{"a", 5, 0}, {"b", 2, 0}}), (Rows{"+I[a, 1, 5]", "+I[b, 1, 2]"}));
  // An upstream update of a's row: -U old, +U new in one batch give one change.
  EXPECT_EQ(Process({{"a", 5, 0}, {"a", 6, 0}}, {kUB, kUA}), (Rows{"-U[a, 1, 5]", "+U[a, 1, 6]"}));
  EXPECT_EQ(Process({{"b", 2, 0}}, {kD}), (Rows{"-D[b, 1, 2]"}));
  EXPECT_EQ(Entries(), 1) << "b's state is deleted with its last row";
  // A retraction for a key without rows is ignored, and a key that comes and goes inside one
  // batch emits nothing.
  EXPECT_EQ(Process({{"zz", 1, 0}, {"d", 1, 0}, {"d", 1, 0}}, {kD, kI, kD}), Rows{});
  EXPECT_EQ(Entries(), 1);
  EXPECT_EQ(Process({{"a", 6, 0}}, {kUB}), (Rows{"-D[a, 1, 6]"}));
  EXPECT_EQ(Entries(), 0);
  EXPECT_EQ(Process({{"a", 9, 0}}, {kUA}), (Rows{"+I[a, 1, 9]"})) << "a key may come back";
}

TEST_F(GroupAggregateOperatorTest, SkipsAChangeWhoseResultsAreUnchanged) {
  Start({0}, {OfBigint(AggregateKind::kMax, 1)});
  EXPECT_EQ(Process({{"a", 5, 0}}), (Rows{"+I[a, 5]"}));
  EXPECT_EQ(Process({{"a", 3, 0}}), Rows{}) << "MAX stays 5";
  EXPECT_EQ(Process({{"a", 5, 0}}, {kD}), (Rows{"-U[a, 5]", "+U[a, 3]"}));
  EXPECT_EQ(Process({{"a", 3, 0}}, {kD}), (Rows{"-D[a, 3]"}));
}

TEST_F(GroupAggregateOperatorTest, NullKeysFormGroupsOfTheirOwn) {
  Start({0, 2}, {CountStar(), OfBigint(AggregateKind::kSum, 1)});
  Rows rows = Process({{nullptr, 1, 1},
                       {nullptr, 2, nullptr},
                       {"a", 4, nullptr},
                       {nullptr, 8, 1},
                       {"a", nullptr, nullptr}});
  EXPECT_EQ(rows, (Rows{"+I[NULL, 1, 2, 9]", "+I[NULL, NULL, 1, 2]", "+I[a, NULL, 2, 4]"}));
  EXPECT_EQ(Process({{nullptr, 2, nullptr}}, {kD}), (Rows{"-D[NULL, NULL, 1, 2]"}));
  EXPECT_EQ(Entries(), 2);
}

TEST_F(GroupAggregateOperatorTest, GroupsWithoutKeysFormOneGlobalGroup) {
  Start({}, {CountStar()});
  EXPECT_EQ(Process({{"a", 1, 0}, {"b", 1, 0}}), (Rows{"+I[2]"}));
  EXPECT_EQ(Process({{"a", 1, 0}}, {kD}), (Rows{"-U[2]", "+U[1]"}));
}

TEST_F(GroupAggregateOperatorTest, SplitsALargeChangelogIntoFullBatches) {
  Start({0}, {CountStar()});
  std::vector<std::vector<Cell>> rows;
  for (int i = 0; i < 1000; ++i) rows.push_back({"key-" + std::to_string(i), i, 0});
  EXPECT_EQ(Process(rows).size(), 1000u);
  out_.batches.clear();
  // Every key changes again: 1000 -U/+U pairs, more than one batch holds.
  Rows changes = Process(rows);
  ASSERT_EQ(changes.size(), 2000u);
  EXPECT_EQ(changes[0], "-U[key-0, 1]");
  EXPECT_EQ(changes[1], "+U[key-0, 2]");
  ASSERT_EQ(out_.batches.size(), 2u);
  EXPECT_EQ(out_.batches[0]->row_count(), kBatchCapacity);
  EXPECT_EQ(out_.batches[1]->row_count(), 2000 - kBatchCapacity);
  EXPECT_EQ(Entries(), 1000);
}

TEST_F(GroupAggregateOperatorTest, ForwardsWatermarks) {
  Start({0}, {CountStar()});
  ASSERT_TRUE(operator_.ProcessWatermark(42, &out_).ok());
  EXPECT_EQ(out_.watermarks, std::vector<int64_t>{42});
}

}  // namespace
}  // namespace sluice::runtime::operators
