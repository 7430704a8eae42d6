// Regular joins on hand-built batches: INNER and LEFT changelogs for both arrival orders,
// duplicates, retractions, residual conditions, NULL keys, TTL and state cleanup, a randomized
// check against a brute-force join; and one job through the scheduler at parallelism 1 and 2.

#include "runtime/operators/join_operator.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "runtime/connectors/collect_connector.h"
#include "runtime/operators/operator_factory.h"
#include "runtime/scheduler/job.h"
#include "tests/unit/runtime/operator_test_util.h"

namespace sluice::runtime::operators {
namespace {

using plan::Expr;
using plan::JoinType;
using testing::Cell;
using testing::CollectingOutput;
using testing::MakeBatch;
using testing::OperatorHarness;
using testing::RunCollectingJob;
using types::LogicalType;
using Rows = std::vector<std::string>;

constexpr RowKind kI = RowKind::kInsert;
constexpr RowKind kUB = RowKind::kUpdateBefore;
constexpr RowKind kUA = RowKind::kUpdateAfter;
constexpr RowKind kD = RowKind::kDelete;

// Left input: (id BIGINT, name VARCHAR); right input: (id BIGINT, amount BIGINT).
const std::vector<LogicalType> kLeftTypes = {LogicalType::Bigint(), LogicalType::Varchar()};
const std::vector<LogicalType> kRightTypes = {LogicalType::Bigint(), LogicalType::Bigint()};
const types::Schema kLeftSchema{{{"id", LogicalType::Bigint()}, {"name", LogicalType::Varchar()}}};
const types::Schema kRightSchema{
    {{"id", LogicalType::Bigint()}, {"amount", LogicalType::Bigint()}}};

/// `left JOIN right ON left.id = right.id [AND residual]`; output (id, name, id0, amount), or
/// (id, name) for a semi or anti join.
plan::PlanNode JoinNode(JoinType type, plan::ExprPtr residual = nullptr, int64_t state_ttl = 0) {
  plan::PlanNode node;
  node.uid = "out/join1";
  node.kind = plan::OperatorKind::kJoin;
  node.changelog_mode = plan::ChangelogMode::kUpdating;
  node.output_schema = kLeftSchema;
  if (type != JoinType::kSemi && type != JoinType::kAnti) {
    node.output_schema.columns.push_back({"id0", LogicalType::Bigint()});
    node.output_schema.columns.push_back({"amount", LogicalType::Bigint()});
  }
  for (const auto& [name, schema] : {std::pair{"left", kLeftSchema}, {"right", kRightSchema}}) {
    plan::StateSpec state;
    state.name = name;
    state.key_schema.columns.push_back({"id", LogicalType::Bigint()});
    state.value_schema = schema;
    state.ttl_millis = state_ttl;
    node.state.push_back(state);
  }
  node.join = plan::JoinSpec{type, {0}, {0}, std::move(residual), state_ttl};
  return node;
}

/// amount > left id, over the output slots.
plan::ExprPtr AmountAboveId() {
  return Expr::Call(
      functions::FunctionId::kGreater, LogicalType::Boolean(),
      {Expr::Column(3, LogicalType::Bigint()), Expr::Column(0, LogicalType::Bigint())});
}

Rows Sorted(Rows rows) {
  std::sort(rows.begin(), rows.end());
  return rows;
}

class JoinOperatorTest : public ::testing::Test {
 protected:
  void Start(JoinType type, plan::ExprPtr residual = nullptr, int64_t state_ttl = 0) {
    harness_.node = JoinNode(type, std::move(residual), state_ttl);
    base::Status status = operator_.Open(harness_.Context());
    ASSERT_TRUE(status.ok()) << status.ToString();
  }
  Rows Left(const std::vector<std::vector<Cell>>& rows, const std::vector<RowKind>& kinds = {}) {
    return Process(0, MakeBatch(kLeftTypes, rows, kinds));
  }
  Rows Right(const std::vector<std::vector<Cell>>& rows, const std::vector<RowKind>& kinds = {}) {
    return Process(1, MakeBatch(kRightTypes, rows, kinds));
  }
  Rows Process(int32_t input, BatchPtr batch) {
    base::Status status = operator_.ProcessBatch(input, std::move(batch), &out_);
    EXPECT_TRUE(status.ok()) << status.ToString();
    return out_.TakeRows();
  }
  int64_t Entries(const std::string& side) { return harness_.EntryCount(side); }
  int64_t Bytes(const std::string& side) {
    return (*harness_.backend->GetTable(harness_.node.uid, side))->BytesUsed();
  }

  OperatorHarness harness_;
  JoinOperator operator_;
  CollectingOutput out_;
};

TEST_F(JoinOperatorTest, InnerJoinMatchesWhicheverSideArrivesFirst) {
  Start(JoinType::kInner);
  EXPECT_EQ(Left({{1, "a"}}), Rows{});
  EXPECT_EQ(Right({{1, 10}}), (Rows{"+I[1, a, 1, 10]"}));
  EXPECT_EQ(Right({{2, 20}}), Rows{});
  EXPECT_EQ(Left({{2, "b"}}), (Rows{"+I[2, b, 2, 20]"}));
  EXPECT_EQ(Sorted(Right({{1, 11}, {3, 30}})), (Rows{"+I[1, a, 1, 11]"}));
  EXPECT_EQ(Sorted(Left({{1, "c"}})), (Rows{"+I[1, c, 1, 10]", "+I[1, c, 1, 11]"}));
  EXPECT_EQ(Entries("left"), 3);
  EXPECT_EQ(Entries("right"), 4);
  // Insert-only inputs give plain +I batches, without a row-kind column.
  ASSERT_FALSE(out_.batches.empty());
  for (const auto& batch : out_.batches) EXPECT_FALSE(batch->has_row_kinds());
}

TEST_F(JoinOperatorTest, DuplicateRowsAreCountedAndMultiplied) {
  Start(JoinType::kInner);
  EXPECT_EQ(Left({{1, "a"}, {1, "a"}}), Rows{});
  EXPECT_EQ(Entries("left"), 1) << "identical rows share one entry with a count";
  EXPECT_EQ(Right({{1, 10}}), (Rows{"+I[1, a, 1, 10]", "+I[1, a, 1, 10]"}));
  EXPECT_EQ(Right({{1, 10}}), (Rows{"+I[1, a, 1, 10]", "+I[1, a, 1, 10]"}));
  EXPECT_EQ(Left({{1, "a"}}), (Rows{"+I[1, a, 1, 10]", "+I[1, a, 1, 10]"}));
  // Left holds a x3, right 10 x2: retracting one left copy withdraws two joined rows.
  EXPECT_EQ(Left({{1, "a"}}, {kD}), (Rows{"-D[1, a, 1, 10]", "-D[1, a, 1, 10]"}));
  EXPECT_EQ(Right({{1, 10}}, {kD}), (Rows{"-D[1, a, 1, 10]", "-D[1, a, 1, 10]"}));
  EXPECT_EQ(Entries("left"), 1);
  EXPECT_EQ(Entries("right"), 1);
}

TEST_F(JoinOperatorTest, UpdatesOfEitherSideRetractAndReemit) {
  Start(JoinType::kInner);
  EXPECT_EQ(Left({{1, "a"}}), Rows{});
  EXPECT_EQ(Sorted(Right({{1, 10}, {1, 11}})), (Rows{"+I[1, a, 1, 10]", "+I[1, a, 1, 11]"}));
  // -U/+U become -D/+I: joins never emit update pairs.
  Rows update = Left({{1, "a"}, {1, "b"}}, {kUB, kUA});
  ASSERT_EQ(update.size(), 4u);
  EXPECT_EQ(Sorted(Rows(update.begin(), update.begin() + 2)),
            (Rows{"-D[1, a, 1, 10]", "-D[1, a, 1, 11]"}));
  EXPECT_EQ(Sorted(Rows(update.begin() + 2, update.end())),
            (Rows{"+I[1, b, 1, 10]", "+I[1, b, 1, 11]"}));
  EXPECT_EQ(Right({{1, 10}, {1, 12}}, {kUB, kUA}), (Rows{"-D[1, b, 1, 10]", "+I[1, b, 1, 12]"}));
  EXPECT_EQ(Sorted(Left({{1, "b"}}, {kD})), (Rows{"-D[1, b, 1, 11]", "-D[1, b, 1, 12]"}));
  EXPECT_EQ(Right({{1, 11}, {1, 12}}, {kD, kD}), Rows{});
  EXPECT_EQ(Entries("left"), 0);
  EXPECT_EQ(Entries("right"), 0);
  EXPECT_EQ(Bytes("left"), 0);
  EXPECT_EQ(Bytes("right"), 0);
  ASSERT_FALSE(out_.batches.empty());
  EXPECT_TRUE(out_.batches.back()->has_row_kinds());
}

TEST_F(JoinOperatorTest, RetractionInsideOneBatchSeesEarlierRows) {
  Start(JoinType::kInner);
  EXPECT_EQ(Right({{1, 10}}), Rows{});
  EXPECT_EQ(Left({{1, "a"}, {1, "a"}, {1, "a"}}, {kI, kD, kI}),
            (Rows{"+I[1, a, 1, 10]", "-D[1, a, 1, 10]", "+I[1, a, 1, 10]"}));
  EXPECT_EQ(Right({{1, 10}}, {kD}), (Rows{"-D[1, a, 1, 10]"}));
}

TEST_F(JoinOperatorTest, LeftJoinPadsWithdrawsAndRestoresUnmatchedRows) {
  Start(JoinType::kLeft);
  EXPECT_EQ(Left({{1, "a"}}), (Rows{"+I[1, a, NULL, NULL]"}));
  EXPECT_EQ(Right({{1, 10}}), (Rows{"-D[1, a, NULL, NULL]", "+I[1, a, 1, 10]"}));
  EXPECT_EQ(Right({{1, 11}}), (Rows{"+I[1, a, 1, 11]"}));
  EXPECT_EQ(Right({{1, 10}}, {kD}), (Rows{"-D[1, a, 1, 10]"}));
  EXPECT_EQ(Right({{1, 11}}, {kUB}), (Rows{"-D[1, a, 1, 11]", "+I[1, a, NULL, NULL]"}));
  EXPECT_EQ(Left({{1, "a"}}, {kD}), (Rows{"-D[1, a, NULL, NULL]"}));
  EXPECT_EQ(Entries("left"), 0);
  EXPECT_EQ(Entries("right"), 0);

  // Two copies of a left row: each padded row is withdrawn and each gets the match.
  EXPECT_EQ(Left({{2, "b"}, {2, "b"}}), (Rows{"+I[2, b, NULL, NULL]", "+I[2, b, NULL, NULL]"}));
  EXPECT_EQ(Right({{2, 20}, {2, 21}}),
            (Rows{"-D[2, b, NULL, NULL]", "-D[2, b, NULL, NULL]", "+I[2, b, 2, 20]",
                  "+I[2, b, 2, 20]", "+I[2, b, 2, 21]", "+I[2, b, 2, 21]"}));
  // A matched left row arriving or leaving emits its matches, never a padded row.
  EXPECT_EQ(Sorted(Left({{2, "b"}}, {kD})), (Rows{"-D[2, b, 2, 20]", "-D[2, b, 2, 21]"}));
  EXPECT_EQ(Right({{2, 20}, {2, 21}}, {kD, kD}),
            (Rows{"-D[2, b, 2, 20]", "-D[2, b, 2, 21]", "+I[2, b, NULL, NULL]"}));
  EXPECT_EQ(Left({{2, "b"}}, {kD}), (Rows{"-D[2, b, NULL, NULL]"}));
  EXPECT_EQ(Right({{2, 22}}), Rows{}) << "no left rows remain";
  EXPECT_EQ(Right({{2, 22}}, {kD}), Rows{});
  EXPECT_EQ(Entries("left"), 0);
  EXPECT_EQ(Entries("right"), 0);
  EXPECT_EQ(Bytes("left"), 0);
}

TEST_F(JoinOperatorTest, ScalarSubqueryJoinUpdatesItsValueAndFailsOnASecondRow) {
  harness_.node = JoinNode(JoinType::kLeft);
  harness_.node.join->single_right_row = true;
  ASSERT_TRUE(operator_.Open(harness_.Context()).ok());
  EXPECT_EQ(Left({{1, "a"}}), (Rows{"+I[1, a, NULL, NULL]"}));
  EXPECT_EQ(Right({{1, 10}}), (Rows{"-D[1, a, NULL, NULL]", "+I[1, a, 1, 10]"}));
  // An update of the subquery's one row (-U then +U) is never two rows at once.
  EXPECT_EQ(
      Right({{1, 10}, {1, 11}}, {kUB, kUA}),
      (Rows{"-D[1, a, 1, 10]", "+I[1, a, NULL, NULL]", "-D[1, a, NULL, NULL]", "+I[1, a, 1, 11]"}));
  EXPECT_EQ(Right({{2, 20}}), Rows{}) << "one row per key";
  base::Status status = operator_.ProcessBatch(1, MakeBatch(kRightTypes, {{1, 12}}), &out_);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), base::ErrorCode::kRuntime);
  EXPECT_NE(status.ToString().find("a scalar subquery returned more than one row for one key "
                                   "(join 'out/join1')"),
            std::string::npos)
      << status.ToString();
}

TEST_F(JoinOperatorTest, ResidualConditionFiltersMatches) {
  Start(JoinType::kInner, AmountAboveId());
  EXPECT_EQ(Left({{5, "e"}}), Rows{});
  EXPECT_EQ(Right({{5, 3}, {5, 7}, {5, 5}}), (Rows{"+I[5, e, 5, 7]"}));
  EXPECT_EQ(Right({{5, 3}, {5, 7}}, {kD, kD}), (Rows{"-D[5, e, 5, 7]"}));
  EXPECT_EQ(Left({{5, "f"}}), Rows{}) << "5 > 5 is false";
}

TEST_F(JoinOperatorTest, LeftJoinCountsOnlyMatchesPassingTheResidual) {
  Start(JoinType::kLeft, AmountAboveId());
  EXPECT_EQ(Left({{5, "e"}}), (Rows{"+I[5, e, NULL, NULL]"}));
  EXPECT_EQ(Right({{5, 3}}), Rows{}) << "a failing match leaves the padded row";
  EXPECT_EQ(Right({{5, 7}}), (Rows{"-D[5, e, NULL, NULL]", "+I[5, e, 5, 7]"}));
  EXPECT_EQ(Left({{5, "f"}}), (Rows{"+I[5, f, 5, 7]"}));
  EXPECT_EQ(Right({{5, 3}}, {kD}), Rows{});
  EXPECT_EQ(Sorted(Right({{5, 7}}, {kD})), (Rows{"+I[5, e, NULL, NULL]", "+I[5, f, NULL, NULL]",
                                                 "-D[5, e, 5, 7]", "-D[5, f, 5, 7]"}));
  EXPECT_EQ(Sorted(Left({{5, "e"}, {5, "f"}}, {kD, kD})),
            (Rows{"-D[5, e, NULL, NULL]", "-D[5, f, NULL, NULL]"}));
  EXPECT_EQ(Entries("left"), 0);
  EXPECT_EQ(Entries("right"), 0);
}

TEST_F(JoinOperatorTest, NullKeysNeverMatchAndAreNotStored) {
  Start(JoinType::kInner);
  EXPECT_EQ(Left({{nullptr, "a"}}), Rows{});
  EXPECT_EQ(Right({{nullptr, 10}}), Rows{});
  EXPECT_EQ(Entries("left"), 0);
  EXPECT_EQ(Entries("right"), 0);
}

TEST_F(JoinOperatorTest, LeftJoinPadsRowsWithNullKeys) {
  Start(JoinType::kLeft);
  EXPECT_EQ(Left({{nullptr, "a"}, {1, "b"}}),
            (Rows{"+I[NULL, a, NULL, NULL]", "+I[1, b, NULL, NULL]"}));
  EXPECT_EQ(Right({{nullptr, 10}}), Rows{});
  EXPECT_EQ(Left({{nullptr, "a"}}, {kD}), (Rows{"-D[NULL, a, NULL, NULL]"}));
  EXPECT_EQ(Entries("left"), 1);
  EXPECT_EQ(Entries("right"), 0);
}

TEST_F(JoinOperatorTest, JoinsSeveralKeysPerBatchInInputOrder) {
  Start(JoinType::kInner);
  EXPECT_EQ(Left({{1, "a"}, {2, "b"}, {3, "c"}}), Rows{});
  EXPECT_EQ(Right({{2, 20}, {3, 30}, {1, 10}, {4, 40}, {2, 21}}),
            (Rows{"+I[2, b, 2, 20]", "+I[3, c, 3, 30]", "+I[1, a, 1, 10]", "+I[2, b, 2, 21]"}));
  EXPECT_EQ(Left({{4, "d"}, {9, "z"}, {4, "d"}}), (Rows{"+I[4, d, 4, 40]", "+I[4, d, 4, 40]"}));
}

TEST_F(JoinOperatorTest, SplitsLargeOutputsIntoFullBatches) {
  Start(JoinType::kInner);
  std::vector<std::vector<Cell>> rows;
  for (int i = 0; i < 1000; ++i) rows.push_back({7, "name-" + std::to_string(i)});
  Left(rows);
  Left(rows);  // every left row twice
  out_.batches.clear();
  // One right row matches 1000 distinct rows (2000 output rows); two rows of the batch make
  // 2000 candidates, resolved in the middle of the batch.
  Rows joined = Right({{7, 1}, {7, 2}});
  ASSERT_EQ(joined.size(), 4000u);
  EXPECT_EQ(std::count(joined.begin(), joined.begin() + 2000, "+I[7, name-5, 7, 1]"), 2);
  EXPECT_EQ(std::count(joined.begin() + 2000, joined.end(), "+I[7, name-5, 7, 2]"), 2);
  ASSERT_EQ(out_.batches.size(), 4u);
  EXPECT_EQ(out_.batches[0]->row_count(), kBatchCapacity);
  EXPECT_EQ(out_.batches[3]->row_count(), 4000 - 3 * kBatchCapacity);
}

TEST_F(JoinOperatorTest, ExpiredRowsAreIgnoredAndDeleted) {
  Start(JoinType::kInner, nullptr, /*state_ttl=*/20);
  EXPECT_EQ(Left({{1, "a"}}), Rows{});
  EXPECT_EQ(Right({{1, 10}}), (Rows{"+I[1, a, 1, 10]"})) << "fresh within the TTL";
  std::this_thread::sleep_for(std::chrono::milliseconds(40));
  EXPECT_EQ(Entries("left"), 1) << "expiry is lazy";
  EXPECT_EQ(Right({{1, 11}}), Rows{});
  EXPECT_EQ(Entries("left"), 0) << "met and deleted";
  EXPECT_EQ(Left({{1, "b"}}), (Rows{"+I[1, b, 1, 11]"})) << "only the fresh right row matches";
  EXPECT_EQ(Entries("right"), 1);
}

TEST_F(JoinOperatorTest, ForwardsWatermarks) {
  Start(JoinType::kInner);
  ASSERT_TRUE(operator_.ProcessWatermark(42, &out_).ok());
  EXPECT_EQ(out_.watermarks, std::vector<int64_t>{42});
}

TEST_F(JoinOperatorTest, RejectsKeysOfDifferentTypes) {
  harness_.node = JoinNode(JoinType::kInner);
  harness_.node.join->right_key_slots = {1};
  harness_.node.output_schema.columns[3].type = LogicalType::Int();
  harness_.node.state[1].value_schema.columns[1].type = LogicalType::Int();
  base::Status status = operator_.Open(harness_.Context());
  EXPECT_FALSE(status.ok());
}

TEST_F(JoinOperatorTest, FullJoinPadsAndWithdrawsUnmatchedRowsOfBothSides) {
  Start(JoinType::kFull);
  EXPECT_EQ(Right({{1, 10}}), (Rows{"+I[NULL, NULL, 1, 10]"}));
  EXPECT_EQ(Left({{1, "a"}}), (Rows{"-D[NULL, NULL, 1, 10]", "+I[1, a, 1, 10]"}));
  EXPECT_EQ(Left({{1, "b"}}), (Rows{"+I[1, b, 1, 10]"}));
  EXPECT_EQ(Right({{2, 20}}), (Rows{"+I[NULL, NULL, 2, 20]"}));
  EXPECT_EQ(Sorted(Right({{1, 10}}, {kD})), (Rows{"+I[1, a, NULL, NULL]", "+I[1, b, NULL, NULL]",
                                                  "-D[1, a, 1, 10]", "-D[1, b, 1, 10]"}));
  EXPECT_EQ(Right({{1, 11}}), (Rows{"-D[1, a, NULL, NULL]", "+I[1, a, 1, 11]",
                                    "-D[1, b, NULL, NULL]", "+I[1, b, 1, 11]"}));
  EXPECT_EQ(Sorted(Left({{1, "a"}, {1, "b"}}, {kD, kD})),
            (Rows{"+I[NULL, NULL, 1, 11]", "-D[1, a, 1, 11]", "-D[1, b, 1, 11]"}));
  // A NULL key matches nothing: its row is padded, on either side.
  EXPECT_EQ(Right({{nullptr, 30}}), (Rows{"+I[NULL, NULL, NULL, 30]"}));
  EXPECT_EQ(Left({{nullptr, "n"}}), (Rows{"+I[NULL, n, NULL, NULL]"}));
  EXPECT_EQ(Right({{1, 11}, {2, 20}}, {kD, kD}),
            (Rows{"-D[NULL, NULL, 1, 11]", "-D[NULL, NULL, 2, 20]"}));
  EXPECT_EQ(Entries("left"), 0);
  EXPECT_EQ(Entries("right"), 0);
}

TEST_F(JoinOperatorTest, SemiJoinEmitsALeftRowWhileItHasAMatch) {
  Start(JoinType::kSemi);
  EXPECT_EQ(Left({{1, "a"}, {1, "a"}}), Rows{});
  EXPECT_EQ(Right({{1, 10}}), (Rows{"+I[1, a]", "+I[1, a]"}));
  EXPECT_EQ(Right({{1, 11}}), Rows{}) << "a second match changes nothing";
  EXPECT_EQ(Left({{1, "b"}}), (Rows{"+I[1, b]"}));
  EXPECT_EQ(Right({{1, 10}}, {kD}), Rows{});
  EXPECT_EQ(Right({{1, 11}}, {kUB}), (Rows{"-D[1, a]", "-D[1, a]", "-D[1, b]"}));
  EXPECT_EQ(Left({{1, "b"}}, {kD}), Rows{}) << "an unmatched row was never emitted";
  EXPECT_EQ(Left({{nullptr, "n"}}), Rows{});
  EXPECT_EQ(Right({{nullptr, 5}}), Rows{});
  EXPECT_EQ(Left({{1, "a"}, {1, "a"}}, {kD, kD}), Rows{});
  EXPECT_EQ(Entries("left"), 0);
  EXPECT_EQ(Entries("right"), 0);
  ASSERT_FALSE(out_.batches.empty());
  EXPECT_EQ(out_.batches.front()->column_count(), 2u) << "the left columns only";
}

TEST_F(JoinOperatorTest, AntiJoinEmitsALeftRowWhileItHasNoMatch) {
  Start(JoinType::kAnti, AmountAboveId());
  EXPECT_EQ(Left({{1, "a"}}), (Rows{"+I[1, a]"}));
  EXPECT_EQ(Right({{1, 1}}), Rows{}) << "1 > 1 fails the residual: no match";
  EXPECT_EQ(Right({{1, 10}}), (Rows{"-D[1, a]"}));
  EXPECT_EQ(Left({{1, "b"}}), Rows{});
  EXPECT_EQ(Right({{1, 10}}, {kD}), (Rows{"+I[1, a]", "+I[1, b]"}));
  EXPECT_EQ(Left({{1, "a"}}, {kD}), (Rows{"-D[1, a]"}));
  // A NULL key never matches: the anti join keeps the row.
  EXPECT_EQ(Left({{nullptr, "n"}}), (Rows{"+I[NULL, n]"}));
  EXPECT_EQ(Left({{nullptr, "n"}}, {kD}), (Rows{"-D[NULL, n]"}));
}

TEST_F(JoinOperatorTest, AJoinWithoutKeysComparesEveryPair) {
  // NOT IN's anti join: no keys, the condition in the residual; one key group holds all rows.
  harness_.node = JoinNode(JoinType::kAnti, AmountAboveId());
  harness_.node.join->left_key_slots.clear();
  harness_.node.join->right_key_slots.clear();
  for (auto& state : harness_.node.state) state.key_schema.columns.clear();
  ASSERT_TRUE(operator_.Open(harness_.Context()).ok());
  EXPECT_EQ(Left({{1, "a"}, {5, "e"}}), (Rows{"+I[1, a]", "+I[5, e]"}));
  EXPECT_EQ(Right({{7, 3}}), (Rows{"-D[1, a]"})) << "3 > 1 but not 3 > 5";
  EXPECT_EQ(Right({{8, 9}}), (Rows{"-D[5, e]"}));
  EXPECT_EQ(Right({{7, 3}, {8, 9}}, {kD, kD}), (Rows{"+I[1, a]", "+I[5, e]"}));
}

TEST_F(JoinOperatorTest, TheFactoryBuildsAJoin) {
  auto created = CreateOperator(JoinNode(JoinType::kLeft));
  EXPECT_TRUE(created.ok());
}

// ---- row expiry: rows freed once the watermark shows nothing still to come can match -------

/// auctions (id, ts, expires) JOIN bids (auction, ts) ON id = auction AND bids.ts BETWEEN
/// auctions.ts AND auctions.expires, as Nexmark q4: an auction expires at its expires, a bid at
/// its ts (no auction still to come starts before the watermark).
class JoinRowExpiryTest : public ::testing::Test {
 protected:
  const std::vector<LogicalType> left_types_ = {LogicalType::Bigint(), LogicalType::Timestamp(),
                                                LogicalType::Timestamp()};
  const std::vector<LogicalType> right_types_ = {LogicalType::Bigint(), LogicalType::Timestamp()};

  void Start(JoinType type) {
    plan::PlanNode& node = harness_.node;
    node.uid = "out/join1";
    node.kind = plan::OperatorKind::kJoin;
    node.changelog_mode = plan::ChangelogMode::kUpdating;
    types::Schema left{{{"id", LogicalType::Bigint()},
                        {"ts", LogicalType::Timestamp()},
                        {"expires", LogicalType::Timestamp()}}};
    types::Schema right{{{"auction", LogicalType::Bigint()}, {"bid_ts", LogicalType::Timestamp()}}};
    node.output_schema = left;
    for (const auto& column : right.columns) node.output_schema.columns.push_back(column);
    for (const auto& [name, schema] : {std::pair{"left", left}, {"right", right}}) {
      plan::StateSpec state;
      state.name = name;
      state.key_schema.columns.push_back({"id", LogicalType::Bigint()});
      state.value_schema = schema;
      node.state.push_back(state);
    }
    auto ts = [](int32_t slot) { return Expr::Column(slot, LogicalType::Timestamp()); };
    plan::ExprPtr residual = Expr::Call(
        functions::FunctionId::kAnd, LogicalType::Boolean(),
        {Expr::Call(functions::FunctionId::kGreaterEqual, LogicalType::Boolean(), {ts(4), ts(1)}),
         Expr::Call(functions::FunctionId::kLessEqual, LogicalType::Boolean(), {ts(4), ts(2)})});
    node.join = plan::JoinSpec{type, {0}, {0}, residual, 0};
    node.join->left_expiry = {{2, 0}};
    node.join->right_expiry = {{1, 0}};
    base::Status status = operator_.Open(harness_.Context());
    ASSERT_TRUE(status.ok()) << status.ToString();
  }
  size_t Auctions(const std::vector<std::vector<Cell>>& rows) {
    return Process(0, MakeBatch(left_types_, rows));
  }
  size_t Bids(const std::vector<std::vector<Cell>>& rows) {
    return Process(1, MakeBatch(right_types_, rows));
  }
  size_t Process(int32_t input, BatchPtr batch) {
    base::Status status = operator_.ProcessBatch(input, std::move(batch), &out_);
    EXPECT_TRUE(status.ok()) << status.ToString();
    return out_.TakeRows().size();
  }
  void Watermark(int64_t watermark) {
    base::Status status = operator_.ProcessWatermark(watermark, &out_);
    ASSERT_TRUE(status.ok()) << status.ToString();
  }
  int64_t Entries(const std::string& side) { return harness_.EntryCount(side); }

  OperatorHarness harness_;
  JoinOperator operator_;
  CollectingOutput out_;
};

TEST_F(JoinRowExpiryTest, RowsAreFreedOnceTheWatermarkPassesTheirExpiry) {
  Start(JoinType::kInner);
  EXPECT_EQ(Auctions({{1, int64_t{1000}, int64_t{5000}}, {2, int64_t{1000}, int64_t{2000}}}), 0u);
  EXPECT_EQ(Bids({{1, int64_t{1500}}, {2, int64_t{1800}}, {2, int64_t{2500}}}), 2u);
  EXPECT_EQ(Entries("right"), 3);
  Watermark(1800);
  EXPECT_EQ(Entries("right"), 1) << "the bids at 1500 and 1800 can meet no auction still to come";
  EXPECT_EQ(Entries("left"), 2);
  Watermark(2000);
  EXPECT_EQ(Entries("left"), 1) << "auction 2 expired at 2000";
  EXPECT_EQ(Bids({{1, int64_t{4000}}, {2, int64_t{4000}}}), 1u) << "auction 1 is still kept";
  // An auction may still arrive after a bid: the bid at 4000 is kept until the watermark passes.
  EXPECT_EQ(Auctions({{1, int64_t{3000}, int64_t{9000}}}), 1u);
  Watermark(6000);
  EXPECT_EQ(Entries("right"), 0);
  EXPECT_EQ(Entries("left"), 1) << "the second auction 1 expires at 9000";
  // A late bid still joins with what is kept.
  EXPECT_EQ(Bids({{1, int64_t{3500}}}), 1u);
  Watermark(9000);
  EXPECT_EQ(Entries("left"), 0);
  EXPECT_EQ(Entries("right"), 0);
  EXPECT_EQ(out_.watermarks, (std::vector<int64_t>{1800, 2000, 6000, 9000}));
}

TEST_F(JoinRowExpiryTest, ALeftJoinKeepsItsChangelogAndFreesRowsAlike) {
  Start(JoinType::kLeft);
  EXPECT_EQ(Auctions({{1, int64_t{1000}, int64_t{5000}}}), 1u) << "+I(auction, NULLs)";
  EXPECT_EQ(Bids({{1, int64_t{1500}}}), 2u) << "-D(auction, NULLs), +I(auction, bid)";
  Watermark(5000);
  EXPECT_EQ(Entries("left"), 0);
  EXPECT_EQ(Entries("right"), 0);
  EXPECT_TRUE(out_.TakeRows().empty()) << "freeing a row emits nothing";
}

// ---- randomized, against a brute-force join ------------------------------------------------

using Multiset = std::map<std::string, int64_t>;

/// Applies a changelog to a materialized multiset; fails on a -D of a row that is not there.
void Apply(const Rows& changes, Multiset* rows) {
  for (const std::string& change : changes) {
    std::string row = change.substr(2);
    if (change[0] == '+') {
      ++(*rows)[row];
      continue;
    }
    auto found = rows->find(row);
    ASSERT_NE(found, rows->end()) << "retracts a row it never emitted: " << change;
    if (--found->second == 0) rows->erase(found);
  }
}

Multiset Oracle(JoinType type, const std::map<std::pair<int64_t, std::string>, int64_t>& left,
                const std::map<std::pair<int64_t, int64_t>, int64_t>& right) {
  Multiset rows;
  for (const auto& [l, left_count] : left) {
    int64_t matches = 0;
    for (const auto& [r, right_count] : right) {
      if (l.first != r.first || !(r.second > l.first)) continue;
      matches += right_count;
      rows[fmt::format("[{}, {}, {}, {}]", l.first, l.second, r.first, r.second)] +=
          left_count * right_count;
    }
    if ((type == JoinType::kLeft || type == JoinType::kFull) && matches == 0) {
      rows[fmt::format("[{}, {}, NULL, NULL]", l.first, l.second)] += left_count;
    }
    if ((type == JoinType::kSemi && matches > 0) || (type == JoinType::kAnti && matches == 0)) {
      rows[fmt::format("[{}, {}]", l.first, l.second)] += left_count;
    }
  }
  if (type == JoinType::kSemi || type == JoinType::kAnti) {
    // Only the left rows: drop the joined ones counted above.
    for (auto it = rows.begin(); it != rows.end();) {
      it = std::count(it->first.begin(), it->first.end(), ',') == 3 ? rows.erase(it) : ++it;
    }
  }
  if (type == JoinType::kFull) {
    for (const auto& [r, right_count] : right) {
      int64_t matches = 0;
      for (const auto& [l, left_count] : left) {
        if (l.first == r.first && r.second > l.first) matches += left_count;
      }
      if (matches == 0) rows[fmt::format("[NULL, NULL, {}, {}]", r.first, r.second)] += right_count;
    }
  }
  return rows;
}

class RandomJoinTest : public JoinOperatorTest, public ::testing::WithParamInterface<JoinType> {};

TEST_P(RandomJoinTest, MaterializedOutputEqualsBruteForce) {
  Start(GetParam(), AmountAboveId());
  std::mt19937 random(1234);
  std::map<std::pair<int64_t, std::string>, int64_t> left;
  std::map<std::pair<int64_t, int64_t>, int64_t> right;
  Multiset materialized;
  for (int step = 0; step < 300; ++step) {
    bool on_left = random() % 2 == 0;
    std::vector<std::vector<Cell>> rows;
    std::vector<RowKind> kinds;
    int count = 1 + static_cast<int>(random() % 6);
    for (int i = 0; i < count; ++i) {
      int64_t key = static_cast<int64_t>(random() % 4);
      int64_t field = static_cast<int64_t>(random() % 5);
      // Retract an existing row about a third of the time.
      bool retract = random() % 3 == 0;
      if (on_left) {
        std::pair<int64_t, std::string> row{key, "n" + std::to_string(field)};
        if (retract && left.count(row) > 0) {
          if (--left[row] == 0) left.erase(row);
          kinds.push_back(random() % 2 ? kD : kUB);
        } else {
          ++left[row];
          kinds.push_back(random() % 2 ? kI : kUA);
        }
        rows.push_back({row.first, row.second});
      } else {
        std::pair<int64_t, int64_t> row{key, field};
        if (retract && right.count(row) > 0) {
          if (--right[row] == 0) right.erase(row);
          kinds.push_back(random() % 2 ? kD : kUB);
        } else {
          ++right[row];
          kinds.push_back(random() % 2 ? kI : kUA);
        }
        rows.push_back({row.first, row.second});
      }
    }
    Rows changes = on_left ? Left(rows, kinds) : Right(rows, kinds);
    Apply(changes, &materialized);
    ASSERT_EQ(materialized, Oracle(GetParam(), left, right)) << "after step " << step;
  }
  // Retract everything: no output remains, and neither does any state.
  std::vector<std::vector<Cell>> rows;
  for (const auto& [row, count] : left) {
    for (int64_t i = 0; i < count; ++i) rows.push_back({row.first, row.second});
  }
  for (size_t first = 0; first < rows.size(); first += kBatchCapacity) {
    size_t end = std::min(rows.size(), first + kBatchCapacity);
    std::vector<std::vector<Cell>> slice(rows.begin() + first, rows.begin() + end);
    Apply(Left(slice, std::vector<RowKind>(slice.size(), kD)), &materialized);
  }
  rows.clear();
  for (const auto& [row, count] : right) {
    for (int64_t i = 0; i < count; ++i) rows.push_back({row.first, row.second});
  }
  for (size_t first = 0; first < rows.size(); first += kBatchCapacity) {
    size_t end = std::min(rows.size(), first + kBatchCapacity);
    std::vector<std::vector<Cell>> slice(rows.begin() + first, rows.begin() + end);
    Apply(Right(slice, std::vector<RowKind>(slice.size(), kD)), &materialized);
  }
  EXPECT_TRUE(materialized.empty());
  EXPECT_EQ(Entries("left"), 0);
  EXPECT_EQ(Entries("right"), 0);
  EXPECT_EQ(Bytes("left"), 0);
  EXPECT_EQ(Bytes("right"), 0);
}

INSTANTIATE_TEST_SUITE_P(AllTypes, RandomJoinTest,
                         ::testing::Values(JoinType::kInner, JoinType::kLeft, JoinType::kFull,
                                           JoinType::kSemi, JoinType::kAnti));

// ---- through the scheduler ----------------------------------------------------------------

/// values(id, name) and values(id, amount) -hash(id)-> join -forward-> collect, all at
/// `parallelism`.
plan::PlanGraph JoinJob(int32_t parallelism, JoinType type) {
  plan::PlanGraph plan;
  plan.job_name = "join-test";
  auto source = [&](int32_t id, const std::string& name, const types::Schema& schema,
                    std::vector<std::vector<std::optional<std::string>>> rows) {
    plan::PlanNode node;
    node.id = id;
    node.uid = "source/" + name;
    node.kind = plan::OperatorKind::kSource;
    node.parallelism = parallelism;
    node.output_schema = schema;
    node.table = connectors::TableDescriptor{
        name, schema, {{"connector", "values"}, {"rows-per-batch", "2"}}, std::move(rows)};
    return node;
  };
  std::vector<std::vector<std::optional<std::string>>> people, orders;
  for (int i = 0; i < 40; ++i) {
    people.push_back({std::to_string(i % 20), fmt::format("p{}", i)});
    orders.push_back({std::to_string(i % 25), std::to_string(100 + i)});
  }
  people.push_back({std::nullopt, "nobody"});
  orders.push_back({std::nullopt, "999"});
  plan::PlanNode join = JoinNode(type);
  join.id = 2;
  join.parallelism = parallelism;
  plan::PlanNode sink;
  sink.id = 3;
  sink.uid = "sink/out";
  sink.kind = plan::OperatorKind::kSink;
  sink.parallelism = parallelism;
  sink.output_schema = join.output_schema;
  sink.table = connectors::TableDescriptor{
      "out", join.output_schema, {{"connector", "collect"}, {"collect.name", "join-test"}}, {}};
  plan.nodes = {source(0, "people", kLeftSchema, people), source(1, "orders", kRightSchema, orders),
                join, sink};
  plan.edges = {plan::PlanEdge{0, 2, 0, plan::ExchangeKind::kHash, {0}},
                plan::PlanEdge{1, 2, 1, plan::ExchangeKind::kHash, {0}},
                plan::PlanEdge{2, 3, 0, plan::ExchangeKind::kForward, {}}};
  return plan;
}

Rows RunJob(const plan::PlanGraph& plan) {
  return RunCollectingJob(plan, "join-test");
}

TEST(JoinJobTest, InnerJoinGivesTheSameRowsAtParallelismOneAndTwo) {
  Rows expected;
  // people: id i % 20 named p<i> (i < 40); orders: id i % 25 with amount 100 + i (i < 40).
  for (int person = 0; person < 40; ++person) {
    for (int order = 0; order < 40; ++order) {
      if (person % 20 != order % 25) continue;
      expected.push_back(
          fmt::format("+I[{}, p{}, {}, {}]", person % 20, person, order % 25, 100 + order));
    }
  }
  std::sort(expected.begin(), expected.end());
  // ids 0..14: two people x two orders; ids 15..19: two people x one order.
  ASSERT_EQ(expected.size(), 70u);
  EXPECT_EQ(Sorted(RunJob(JoinJob(1, JoinType::kInner))), expected);
  EXPECT_EQ(Sorted(RunJob(JoinJob(2, JoinType::kInner))), expected);
}

TEST(JoinJobTest, LeftJoinMaterializesTheSameRowsAtParallelismOneAndTwo) {
  Multiset one, two;
  Apply(RunJob(JoinJob(1, JoinType::kLeft)), &one);
  Apply(RunJob(JoinJob(2, JoinType::kLeft)), &two);
  EXPECT_EQ(one, two);
  // The collect sink renders NULL as <NULL>.
  EXPECT_EQ(one["[<NULL>, nobody, <NULL>, <NULL>]"], 1);
  EXPECT_EQ(one["[19, p19, 19, 119]"], 1);
  EXPECT_EQ(one.count("[0, p0, <NULL>, <NULL>]"), 0u) << "withdrawn once matched";
  int64_t total = 0;
  for (const auto& [row, count] : one) total += count;
  EXPECT_EQ(total, 70 + 1);  // every person matches; plus the NULL-keyed one
}

}  // namespace
}  // namespace sluice::runtime::operators
