// Top-N (ROW_NUMBER) on hand-built batches: the changelogs of insert-only and updating inputs
// with and without row numbers, tie and sort orders, duplicates, keep-first, bounded state for
// insert-only input; and two jobs through the scheduler at parallelism 1 and 2.

#include "runtime/operators/top_n_operator.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <random>

#include "runtime/connectors/collect_connector.h"
#include "runtime/operators/operator_factory.h"
#include "runtime/scheduler/job.h"
#include "tests/unit/runtime/operator_test_util.h"

namespace sluice::runtime::operators {
namespace {

using plan::SortKey;
using testing::Cell;
using testing::CollectingOutput;
using testing::MakeBatch;
using testing::OperatorHarness;
using testing::RunCollectingJob;
using types::LogicalType;
using Rows = std::vector<std::string>;
using Multiset = std::map<std::string, int64_t>;

constexpr RowKind kI = RowKind::kInsert;
constexpr RowKind kUB = RowKind::kUpdateBefore;
constexpr RowKind kUA = RowKind::kUpdateAfter;
constexpr RowKind kD = RowKind::kDelete;

// Input: (k VARCHAR, a BIGINT, b VARCHAR, c DOUBLE).
const types::Schema kInputSchema{{{"k", LogicalType::Varchar()},
                                  {"a", LogicalType::Bigint()},
                                  {"b", LogicalType::Varchar()},
                                  {"c", LogicalType::Double()}}};
const std::vector<LogicalType> kInputTypes = {LogicalType::Varchar(), LogicalType::Bigint(),
                                              LogicalType::Varchar(), LogicalType::Double()};

SortKey Ascending(int32_t slot) {
  return SortKey{slot, true, true};
}
SortKey Descending(int32_t slot) {
  return SortKey{slot, false, false};
}

struct TopNOptions {
  std::vector<int32_t> partition_slots = {0};
  std::vector<SortKey> sort = {Ascending(1)};
  int64_t limit = 3;
  bool row_number = false;
  bool keep_first = false;
  plan::RankFunction function = plan::RankFunction::kRowNumber;
};

plan::PlanNode TopNNode(const TopNOptions& options, const types::Schema& input = kInputSchema) {
  plan::PlanNode node;
  node.uid = "out/top_n1";
  node.kind = plan::OperatorKind::kTopN;
  node.changelog_mode =
      options.keep_first ? plan::ChangelogMode::kInsertOnly : plan::ChangelogMode::kUpdating;
  node.output_schema = input;
  if (options.row_number) node.output_schema.columns.push_back({"rn", LogicalType::Bigint()});
  plan::StateSpec state;
  state.name = "ranks";
  for (int32_t slot : options.partition_slots) {
    if (slot >= 0 && static_cast<size_t>(slot) < input.columns.size()) {
      state.key_schema.columns.push_back(input.columns[slot]);
    }
  }
  state.value_schema.columns.push_back({"rows", LogicalType::Varchar()});
  node.state.push_back(state);
  node.top_n = plan::TopNSpec{options.partition_slots, options.sort, options.limit,
                              options.row_number, options.keep_first};
  node.top_n->function = options.function;
  return node;
}

/// Applies a changelog to a materialized multiset; fails on a retraction of a missing row.
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

class TopNOperatorTest : public ::testing::Test {
 protected:
  void Start(const TopNOptions& options) {
    harness_.node = TopNNode(options);
    base::Status status = operator_.Open(harness_.Context());
    ASSERT_TRUE(status.ok()) << status.ToString();
  }
  /// Processes one batch and returns the changelog it produced (also applied to `view_`).
  Rows Process(const std::vector<std::vector<Cell>>& rows, const std::vector<RowKind>& kinds = {}) {
    base::Status status = operator_.ProcessBatch(0, MakeBatch(kInputTypes, rows, kinds), &out_);
    EXPECT_TRUE(status.ok()) << status.ToString();
    Rows changes = out_.TakeRows();
    Apply(changes, &view_);
    return changes;
  }
  /// Inserts through a batch with row kinds, so the operator keeps every row.
  Rows Updating(const std::vector<std::vector<Cell>>& rows) {
    return Process(rows, std::vector<RowKind>(rows.size(), kI));
  }
  int64_t Entries() { return harness_.EntryCount("ranks"); }
  int64_t Bytes() { return (*harness_.backend->GetTable(harness_.node.uid, "ranks"))->BytesUsed(); }

  OperatorHarness harness_;
  TopNOperator operator_;
  CollectingOutput out_;
  Multiset view_;  // the materialized output so far
};

TEST_F(TopNOperatorTest, InsertOnlyTopThreeWithoutRowNumber) {
  Start({});
  EXPECT_EQ(Process({{"x", 5, "e", 0.0}, {"x", 3, "c", 0.0}, {"x", 7, "g", 0.0}}),
            (Rows{"+I[x, 5, e, 0.0]", "+I[x, 3, c, 0.0]", "+I[x, 7, g, 0.0]"}));
  EXPECT_EQ(Process({{"x", 4, "d", 0.0}}), (Rows{"-D[x, 7, g, 0.0]", "+I[x, 4, d, 0.0]"}));
  // 9 is beyond the top 3; 1 pushes 5 out. A shift inside the top 3 emits nothing.
  EXPECT_EQ(Process({{"x", 9, "i", 0.0}, {"x", 1, "a", 0.0}}),
            (Rows{"-D[x, 5, e, 0.0]", "+I[x, 1, a, 0.0]"}));
  EXPECT_EQ(view_, (Multiset{{"[x, 1, a, 0.0]", 1}, {"[x, 3, c, 0.0]", 1}, {"[x, 4, d, 0.0]", 1}}));
  EXPECT_EQ(Entries(), 1);
  ASSERT_FALSE(out_.batches.empty());
  EXPECT_TRUE(out_.batches.back()->has_row_kinds());
}

TEST_F(TopNOperatorTest, InsertOnlyTopThreeWithRowNumber) {
  Start({.row_number = true});
  EXPECT_EQ(Process({{"x", 5, "e", 0.0}, {"x", 3, "c", 0.0}, {"x", 7, "g", 0.0}}),
            (Rows{"+I[x, 5, e, 0.0, 1]", "-U[x, 5, e, 0.0, 1]", "+U[x, 5, e, 0.0, 2]",
                  "+I[x, 3, c, 0.0, 1]", "+I[x, 7, g, 0.0, 3]"}));
  EXPECT_EQ(Process({{"x", 4, "d", 0.0}}), (Rows{"-D[x, 7, g, 0.0, 3]", "-U[x, 5, e, 0.0, 2]",
                                                 "+U[x, 5, e, 0.0, 3]", "+I[x, 4, d, 0.0, 2]"}));
  EXPECT_EQ(Process({{"x", 9, "i", 0.0}, {"x", 1, "a", 0.0}}),
            (Rows{"-D[x, 5, e, 0.0, 3]", "-U[x, 4, d, 0.0, 2]", "+U[x, 4, d, 0.0, 3]",
                  "-U[x, 3, c, 0.0, 1]", "+U[x, 3, c, 0.0, 2]", "+I[x, 1, a, 0.0, 1]"}));
  EXPECT_EQ(
      view_,
      (Multiset{{"[x, 1, a, 0.0, 1]", 1}, {"[x, 3, c, 0.0, 2]", 1}, {"[x, 4, d, 0.0, 3]", 1}}));
}

TEST_F(TopNOperatorTest, TiesRankInArrivalOrder) {
  Start({.row_number = true});
  EXPECT_EQ(Process({{"x", 5, "first", 0.0},
                     {"x", 5, "second", 0.0},
                     {"x", 4, "zero", 0.0},
                     {"x", 5, "third", 0.0}}),
            (Rows{"+I[x, 5, first, 0.0, 1]", "+I[x, 5, second, 0.0, 2]", "-U[x, 5, second, 0.0, 2]",
                  "+U[x, 5, second, 0.0, 3]", "-U[x, 5, first, 0.0, 1]", "+U[x, 5, first, 0.0, 2]",
                  "+I[x, 4, zero, 0.0, 1]"}));
  EXPECT_EQ(Process({{"x", 5, "fourth", 0.0}}), Rows{}) << "a later tie ranks after the others";
  EXPECT_EQ(Process({{"x", 4, "zero2", 0.0}}),
            (Rows{"-D[x, 5, second, 0.0, 3]", "-U[x, 5, first, 0.0, 2]", "+U[x, 5, first, 0.0, 3]",
                  "+I[x, 4, zero2, 0.0, 2]"}));
}

TEST_F(TopNOperatorTest, DescendingWithNullsLast) {
  Start({.sort = {SortKey{1, false, false}}, .limit = 2});
  EXPECT_EQ(
      Process(
          {{"x", 5, "a", 0.0}, {"x", nullptr, "n", 0.0}, {"x", 9, "b", 0.0}, {"x", 7, "c", 0.0}}),
      (Rows{"+I[x, 5, a, 0.0]", "+I[x, NULL, n, 0.0]", "-D[x, NULL, n, 0.0]", "+I[x, 9, b, 0.0]",
            "-D[x, 5, a, 0.0]", "+I[x, 7, c, 0.0]"}));
}

TEST_F(TopNOperatorTest, DescendingWithNullsFirst) {
  Start({.sort = {SortKey{1, false, true}}, .limit = 2});
  EXPECT_EQ(
      Process(
          {{"x", 5, "a", 0.0}, {"x", nullptr, "n", 0.0}, {"x", 9, "b", 0.0}, {"x", 7, "c", 0.0}}),
      (Rows{"+I[x, 5, a, 0.0]", "+I[x, NULL, n, 0.0]", "-D[x, 5, a, 0.0]", "+I[x, 9, b, 0.0]"}));
  EXPECT_EQ(view_, (Multiset{{"[x, NULL, n, 0.0]", 1}, {"[x, 9, b, 0.0]", 1}}));
}

TEST_F(TopNOperatorTest, AscendingWithNullsLastAndNegativeNumbers) {
  Start({.sort = {SortKey{1, true, false}}, .limit = 10, .row_number = true});
  Process({{"x", nullptr, "n", 0.0},
           {"x", 3, "p", 0.0},
           {"x", -4, "m", 0.0},
           {"x", std::numeric_limits<int64_t>::min(), "min", 0.0},
           {"x", 0, "z", 0.0}});
  EXPECT_EQ(view_, (Multiset{{"[x, -9223372036854775808, min, 0.0, 1]", 1},
                             {"[x, -4, m, 0.0, 2]", 1},
                             {"[x, 0, z, 0.0, 3]", 1},
                             {"[x, 3, p, 0.0, 4]", 1},
                             {"[x, NULL, n, 0.0, 5]", 1}}));
}

TEST_F(TopNOperatorTest, DoublesOrderAsJavaWithNegativeZeroEqualToZero) {
  Start({.sort = {Ascending(3)}, .limit = 10, .row_number = true});
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double infinity = std::numeric_limits<double>::infinity();
  Process({{"x", 0, "1.5", 1.5},
           {"x", 0, "nan", nan},
           {"x", 0, "-0", -0.0},
           {"x", 0, "-inf", -infinity},
           {"x", 0, "+0", 0.0},
           {"x", 0, "inf", infinity},
           {"x", 0, "-2", -2.0}});
  // Rank by the label, which names each value: -0.0 and 0.0 tie, so arrival decides.
  std::map<std::string, std::string> rank_of_label;
  for (const auto& [row, count] : view_) {
    std::string label = row.substr(7, row.find(',', 7) - 7);
    rank_of_label[label] = row.substr(row.rfind(", ") + 2, row.size() - row.rfind(", ") - 3);
  }
  EXPECT_EQ(rank_of_label, (std::map<std::string, std::string>{{"-inf", "1"},
                                                               {"-2", "2"},
                                                               {"-0", "3"},
                                                               {"+0", "4"},
                                                               {"1.5", "5"},
                                                               {"inf", "6"},
                                                               {"nan", "7"}}));
}

TEST_F(TopNOperatorTest, StringsOrderBytewiseShorterFirst) {
  Start({.sort = {Ascending(2)}, .limit = 10, .row_number = true});
  Process({{"x", 0, "b", 0.0},
           {"x", 0, "ab", 0.0},
           {"x", 0, "", 0.0},
           {"x", 0, "B", 0.0},
           {"x", 0, "\xc3\xa9", 0.0},
           {"x", 0, std::string("a\0", 2), 0.0},
           {"x", 0, "a", 0.0}});
  Rows order(7);
  for (const auto& [row, count] : view_) {
    int rank = std::stoi(row.substr(row.rfind(", ") + 2));
    order[rank - 1] = row;
  }
  EXPECT_EQ(order, (Rows{"[x, 0, , 0.0, 1]", "[x, 0, B, 0.0, 2]", "[x, 0, a, 0.0, 3]",
                         "[x, 0, " + std::string("a\0", 2) + ", 0.0, 4]", "[x, 0, ab, 0.0, 5]",
                         "[x, 0, b, 0.0, 6]", "[x, 0, \xc3\xa9, 0.0, 7]"}));
}

TEST_F(TopNOperatorTest, SortsBySeveralKeys) {
  // ORDER BY a DESC, b ASC
  Start({.sort = {Descending(1), Ascending(2)}, .limit = 3, .row_number = true});
  Process({{"x", 5, "b", 0.0}, {"x", 5, "a", 0.0}, {"x", 7, "c", 0.0}, {"x", 5, "c", 0.0}});
  EXPECT_EQ(
      view_,
      (Multiset{{"[x, 7, c, 0.0, 1]", 1}, {"[x, 5, a, 0.0, 2]", 1}, {"[x, 5, b, 0.0, 3]", 1}}));
}

TEST_F(TopNOperatorTest, RetractingATopRowPromotesTheNext) {
  Start({.limit = 2, .row_number = true});
  EXPECT_EQ(
      Updating({{"x", 1, "a", 0.0}, {"x", 2, "b", 0.0}, {"x", 3, "c", 0.0}, {"x", 4, "d", 0.0}}),
      (Rows{"+I[x, 1, a, 0.0, 1]", "+I[x, 2, b, 0.0, 2]"}));
  EXPECT_EQ(Process({{"x", 1, "a", 0.0}}, {kD}),
            (Rows{"-D[x, 1, a, 0.0, 1]", "-U[x, 2, b, 0.0, 2]", "+U[x, 2, b, 0.0, 1]",
                  "+I[x, 3, c, 0.0, 2]"}));
  // An update of the first row moves it below the second.
  EXPECT_EQ(Process({{"x", 2, "b", 0.0}, {"x", 9, "b", 0.0}}, {kUB, kUA}),
            (Rows{"-D[x, 2, b, 0.0, 1]", "-U[x, 3, c, 0.0, 2]", "+U[x, 3, c, 0.0, 1]",
                  "+I[x, 4, d, 0.0, 2]"}));
  EXPECT_EQ(view_, (Multiset{{"[x, 3, c, 0.0, 1]", 1}, {"[x, 4, d, 0.0, 2]", 1}}));
}

TEST_F(TopNOperatorTest, RetractingATopRowWithoutRowNumber) {
  Start({.limit = 2});
  Updating({{"x", 1, "a", 0.0}, {"x", 2, "b", 0.0}, {"x", 3, "c", 0.0}});
  EXPECT_EQ(Process({{"x", 1, "a", 0.0}}, {kUB}), (Rows{"-D[x, 1, a, 0.0]", "+I[x, 3, c, 0.0]"}));
  EXPECT_EQ(Process({{"x", 2, "b", 0.0}}, {kD}), (Rows{"-D[x, 2, b, 0.0]"}))
      << "nothing to promote";
  EXPECT_EQ(Process({{"x", 3, "c", 0.0}}, {kD}), (Rows{"-D[x, 3, c, 0.0]"}));
  EXPECT_EQ(Entries(), 0) << "an empty partition's state is deleted";
  EXPECT_TRUE(view_.empty());
}

TEST_F(TopNOperatorTest, RetractingARowOutsideTheTopOrNotStoredEmitsNothing) {
  Start({.limit = 2, .row_number = true});
  Updating({{"x", 1, "a", 0.0}, {"x", 2, "b", 0.0}, {"x", 3, "c", 0.0}, {"x", 4, "d", 0.0}});
  EXPECT_EQ(Process({{"x", 4, "d", 0.0}}, {kD}), Rows{});
  EXPECT_EQ(
      Process({{"x", 9, "z", 0.0}, {"x", 2, "other", 0.0}, {"y", 1, "a", 0.0}}, {kD, kD, kUB}),
      Rows{})
      << "retractions of rows that are not stored are ignored";
  EXPECT_EQ(Entries(), 1);
  // 3 is still stored: retracting 2 promotes it.
  EXPECT_EQ(Process({{"x", 2, "b", 0.0}}, {kD}),
            (Rows{"-D[x, 2, b, 0.0, 2]", "+I[x, 3, c, 0.0, 2]"}));
}

TEST_F(TopNOperatorTest, DuplicateRowsCountAsSeparateRanks) {
  Start({.limit = 3, .row_number = true});
  EXPECT_EQ(
      Updating({{"x", 5, "a", 0.0}, {"x", 5, "a", 0.0}, {"x", 5, "a", 0.0}, {"x", 6, "b", 0.0}}),
      (Rows{"+I[x, 5, a, 0.0, 1]", "+I[x, 5, a, 0.0, 2]", "+I[x, 5, a, 0.0, 3]"}));
  EXPECT_EQ(Process({{"x", 5, "a", 0.0}}, {kD}),
            (Rows{"-D[x, 5, a, 0.0, 3]", "+I[x, 6, b, 0.0, 3]"}));
  EXPECT_EQ(Process({{"x", 4, "c", 0.0}}),
            (Rows{"-D[x, 6, b, 0.0, 3]", "-U[x, 5, a, 0.0, 2]", "+U[x, 5, a, 0.0, 3]",
                  "-U[x, 5, a, 0.0, 1]", "+U[x, 5, a, 0.0, 2]", "+I[x, 4, c, 0.0, 1]"}));
  EXPECT_EQ(
      view_,
      (Multiset{{"[x, 4, c, 0.0, 1]", 1}, {"[x, 5, a, 0.0, 2]", 1}, {"[x, 5, a, 0.0, 3]", 1}}));
  // Retract both copies of a, then c: b comes back.
  Process({{"x", 5, "a", 0.0}, {"x", 5, "a", 0.0}, {"x", 4, "c", 0.0}}, {kD, kD, kD});
  EXPECT_EQ(view_, (Multiset{{"[x, 6, b, 0.0, 1]", 1}}));
}

TEST_F(TopNOperatorTest, InsertOnlyDuplicatesBeyondTheLimitAreDropped) {
  Start({.limit = 2});
  EXPECT_EQ(Process({{"x", 5, "a", 0.0}, {"x", 5, "a", 0.0}, {"x", 5, "a", 0.0}}),
            (Rows{"+I[x, 5, a, 0.0]", "+I[x, 5, a, 0.0]"}));
  EXPECT_EQ(Process({{"x", 4, "b", 0.0}}), (Rows{"-D[x, 5, a, 0.0]", "+I[x, 4, b, 0.0]"}));
  EXPECT_EQ(view_, (Multiset{{"[x, 4, b, 0.0]", 1}, {"[x, 5, a, 0.0]", 1}}));
}

TEST_F(TopNOperatorTest, KeepFirstEmitsTheFirstRowOfEachPartitionOnly) {
  Start({.limit = 1, .keep_first = true});
  EXPECT_EQ(Process({{"x", 5, "a", 0.0}, {"y", 9, "b", 0.0}, {"x", 1, "c", 0.0}}),
            (Rows{"+I[x, 5, a, 0.0]", "+I[y, 9, b, 0.0]"}));
  EXPECT_EQ(Process({{"y", 0, "d", 0.0}, {"z", 3, "e", 0.0}}), (Rows{"+I[z, 3, e, 0.0]"}));
  ASSERT_FALSE(out_.batches.empty());
  EXPECT_FALSE(out_.batches.back()->has_row_kinds()) << "keep-first output is insert-only";
  EXPECT_EQ(Entries(), 3);
  auto table = *harness_.backend->GetTable(harness_.node.uid, "ranks");
  table->ForEachInKeyGroups(
      0, 127, [](int32_t, std::string_view, std::string_view, std::string_view value) {
        EXPECT_TRUE(value.empty());
      });
}

TEST_F(TopNOperatorTest, KeepFirstWithRowNumberAppendsOne) {
  Start({.limit = 1, .row_number = true, .keep_first = true});
  EXPECT_EQ(Process({{"x", 5, "a", 0.0}, {"x", 1, "c", 0.0}}), (Rows{"+I[x, 5, a, 0.0, 1]"}));
}

TEST_F(TopNOperatorTest, KeepFirstNKeepsACountPerPartition) {
  // A LIMIT without ORDER BY: the first `limit` rows of each partition as they arrive.
  Start({.limit = 2, .row_number = true, .keep_first = true});
  EXPECT_EQ(Process({{"x", 5, "a", 0.0}, {"y", 9, "b", 0.0}, {"x", 1, "c", 0.0}}),
            (Rows{"+I[x, 5, a, 0.0, 1]", "+I[y, 9, b, 0.0, 1]", "+I[x, 1, c, 0.0, 2]"}));
  EXPECT_EQ(Process({{"x", 0, "d", 0.0}, {"y", 3, "e", 0.0}, {"y", 4, "f", 0.0}}),
            (Rows{"+I[y, 3, e, 0.0, 2]"}));
  EXPECT_FALSE(out_.batches.back()->has_row_kinds()) << "keep-first output is insert-only";
  EXPECT_EQ(Entries(), 2);
}

TEST_F(TopNOperatorTest, KeepFirstNReadsAKeepFirstRowMarkerAsOneRow) {
  // A keep-first-row dedup's state (an empty marker) restored under a larger N counts as one.
  Start({.limit = 1, .keep_first = true});
  Process({{"x", 5, "a", 0.0}});
  out_.TakeRows();
  harness_.node = TopNNode({.limit = 3, .row_number = true, .keep_first = true});
  TopNOperator wider;
  ASSERT_TRUE(wider.Open(harness_.Context()).ok());
  ASSERT_TRUE(
      wider
          .ProcessBatch(
              0,
              MakeBatch(kInputTypes, {{"x", 6, "b", 0.0}, {"x", 7, "c", 0.0}, {"x", 8, "d", 0.0}}),
              &out_)
          .ok());
  EXPECT_EQ(out_.TakeRows(), (Rows{"+I[x, 6, b, 0.0, 2]", "+I[x, 7, c, 0.0, 3]"}));
}

TEST_F(TopNOperatorTest, SeveralPartitionsPerBatchInInputOrder) {
  Start({.limit = 1, .row_number = true});
  EXPECT_EQ(Process({{"x", 5, "a", 0.0},
                     {"y", 5, "b", 0.0},
                     {"x", 4, "c", 0.0},
                     {nullptr, 1, "n", 0.0},
                     {"y", 6, "d", 0.0},
                     {"y", 3, "e", 0.0}}),
            (Rows{"+I[x, 5, a, 0.0, 1]", "+I[y, 5, b, 0.0, 1]", "-D[x, 5, a, 0.0, 1]",
                  "+I[x, 4, c, 0.0, 1]", "+I[NULL, 1, n, 0.0, 1]", "-D[y, 5, b, 0.0, 1]",
                  "+I[y, 3, e, 0.0, 1]"}));
  EXPECT_EQ(Entries(), 3) << "a NULL partition key is a partition of its own";
}

TEST_F(TopNOperatorTest, GlobalTopNWithoutPartitionKeys) {
  Start({.partition_slots = {}, .sort = {Descending(1)}, .limit = 2});
  Process({{"x", 5, "a", 0.0}, {"y", 7, "b", 0.0}, {"z", 6, "c", 0.0}});
  EXPECT_EQ(view_, (Multiset{{"[y, 7, b, 0.0]", 1}, {"[z, 6, c, 0.0]", 1}}));
  EXPECT_EQ(Entries(), 1);
}

TEST_F(TopNOperatorTest, StateStaysBoundedForInsertOnlyInput) {
  Start({.limit = 3, .row_number = true});
  auto round = [&](int first) {
    std::vector<std::vector<Cell>> rows;
    for (int i = first; i < first + 1000; ++i) {
      rows.push_back({fmt::format("p{}", i % 3), (i * 7919) % 100003, "payload", 1.0});
    }
    Process(rows);
  };
  round(0);
  int64_t bytes = Bytes();
  for (int first = 1000; first < 20000; first += 1000) round(first);
  EXPECT_EQ(Entries(), 3);
  EXPECT_LE(Bytes(), bytes) << "only the top 3 rows of each partition are stored";
  EXPECT_LT(Bytes(), 2000);
  int64_t total = 0;
  for (const auto& [row, count] : view_) total += count;
  EXPECT_EQ(total, 9);
}

TEST_F(TopNOperatorTest, UpdatingInputKeepsEveryRow) {
  Start({.limit = 1});
  auto rows = [](const char* payload) {
    std::vector<std::vector<Cell>> rows;
    for (int i = 0; i < 100; ++i) rows.push_back({"x", 100 - i, payload, 1.0});
    return rows;
  };
  Updating(rows("first"));
  EXPECT_EQ(view_, (Multiset{{"[x, 1, first, 1.0]", 1}}));
  int64_t bytes = Bytes();
  EXPECT_EQ(Updating(rows("second")), Rows{}) << "ties rank after the earlier rows";
  EXPECT_GT(Bytes(), bytes) << "retractions may need any row, so every row is kept";
  EXPECT_EQ(Process({{"x", 1, "first", 1.0}}, {kD}),
            (Rows{"-D[x, 1, first, 1.0]", "+I[x, 1, second, 1.0]"}));
  // A second identical copy of the top row: retracting one copy leaves the top unchanged.
  EXPECT_EQ(Updating({{"x", 1, "second", 1.0}}), Rows{});
  EXPECT_EQ(Process({{"x", 1, "second", 1.0}}, {kD}), Rows{});
  EXPECT_EQ(Process({{"x", 1, "second", 1.0}}, {kD}),
            (Rows{"-D[x, 1, second, 1.0]", "+I[x, 2, first, 1.0]"}));
}

TEST_F(TopNOperatorTest, SplitsALargeChangelogIntoFullBatches) {
  Start({.limit = 1});
  std::vector<std::vector<Cell>> rows;
  for (int i = 0; i < 1000; ++i) rows.push_back({"key-" + std::to_string(i), 10, "a", 0.0});
  EXPECT_EQ(Process(rows).size(), 1000u);
  out_.batches.clear();
  for (auto& row : rows) row[1] = Cell(5);
  EXPECT_EQ(Process(rows).size(), 2000u);
  ASSERT_EQ(out_.batches.size(), 2u);
  EXPECT_EQ(out_.batches[0]->row_count(), kBatchCapacity);
  EXPECT_EQ(view_.size(), 1000u);
}

TEST_F(TopNOperatorTest, ForwardsWatermarks) {
  Start({});
  ASSERT_TRUE(operator_.ProcessWatermark(42, &out_).ok());
  EXPECT_EQ(out_.watermarks, std::vector<int64_t>{42});
}

/// Random inserts and retractions over few partitions, keys and payloads (so ties and
/// duplicates are common), checked after every batch against a brute-force ranking.
class RandomTopNTest : public TopNOperatorTest, public ::testing::WithParamInterface<bool> {};

TEST_P(RandomTopNTest, MaterializedOutputEqualsBruteForce) {
  const bool row_number = GetParam();
  Start({.limit = 3, .row_number = row_number});
  struct Row {
    std::string partition;
    std::optional<int> key;
    std::string payload;
    bool operator==(const Row&) const = default;
  };
  std::map<std::string, std::vector<Row>> oracle;  // rows in rank order per partition
  std::vector<Row> stored;                         // every row currently in the oracle
  std::mt19937 random(7);
  for (int step = 0; step < 400; ++step) {
    std::vector<std::vector<Cell>> rows;
    std::vector<RowKind> kinds;
    int size = 1 + static_cast<int>(random() % 8);
    for (int i = 0; i < size; ++i) {
      Row row;
      bool retract = !stored.empty() && random() % 3 == 0;
      if (retract) {
        row = stored[random() % stored.size()];
        if (random() % 5 == 0) row.payload = "missing";  // usually not stored: ignored
      } else {
        row.partition = fmt::format("p{}", random() % 3);
        int key = static_cast<int>(random() % 6);
        if (key > 0) row.key = key;
        row.payload = fmt::format("v{}", random() % 2);
      }
      std::vector<Row>& ranked = oracle[row.partition];
      if (retract) {
        auto found = std::find(ranked.begin(), ranked.end(), row);
        if (found != ranked.end()) {
          ranked.erase(found);
          stored.erase(std::find(stored.begin(), stored.end(), row));
        }
      } else {
        // After every row with a lower or equal key (NULLS FIRST).
        auto place = std::find_if(ranked.begin(), ranked.end(), [&](const Row& other) {
          return other.key.has_value() && (!row.key || *row.key < *other.key);
        });
        ranked.insert(place, row);
        stored.push_back(row);
      }
      rows.push_back({row.partition, row.key ? Cell(*row.key) : Cell(nullptr), row.payload, 0.0});
      kinds.push_back(retract ? (random() % 2 ? kD : kUB) : (random() % 2 ? kI : kUA));
    }
    Process(rows, kinds);
    Multiset expected;
    for (const auto& [partition, ranked] : oracle) {
      for (size_t rank = 0; rank < std::min<size_t>(3, ranked.size()); ++rank) {
        const Row& row = ranked[rank];
        std::string key = row.key ? std::to_string(*row.key) : "NULL";
        std::string text = fmt::format("[{}, {}, {}, 0.0", partition, key, row.payload);
        text += row_number ? fmt::format(", {}]", rank + 1) : "]";
        ++expected[text];
      }
    }
    ASSERT_EQ(view_, expected) << "after batch " << step;
  }
}

INSTANTIATE_TEST_SUITE_P(WithAndWithoutRowNumber, RandomTopNTest, ::testing::Bool());

/// RANK and DENSE_RANK under random inserts and retractions (or inserts only, where rows
/// ranked beyond the limit are dropped), checked after every batch against a brute force:
/// every row whose rank is <= 3 is visible, ties sharing a rank.
class RandomRankTest
    : public TopNOperatorTest,
      public ::testing::WithParamInterface<std::tuple<plan::RankFunction, bool, bool>> {};

TEST_P(RandomRankTest, MaterializedOutputEqualsBruteForce) {
  const auto [function, row_number, insert_only] = GetParam();
  Start({.limit = 3, .row_number = row_number, .function = function});
  struct Row {
    std::string partition;
    std::optional<int> key;
    std::string payload;
    bool operator==(const Row&) const = default;
  };
  std::vector<Row> stored;
  std::mt19937 random(insert_only ? 5 : 9);
  for (int step = 0; step < 300; ++step) {
    std::vector<std::vector<Cell>> rows;
    std::vector<RowKind> kinds;
    int size = 1 + static_cast<int>(random() % 6);
    for (int i = 0; i < size; ++i) {
      Row row;
      bool retract = !insert_only && !stored.empty() && random() % 3 == 0;
      if (retract) {
        row = stored[random() % stored.size()];
        stored.erase(std::find(stored.begin(), stored.end(), row));
      } else {
        row.partition = fmt::format("p{}", random() % 2);
        int key = static_cast<int>(random() % 7);
        if (key > 0) row.key = key;
        row.payload = fmt::format("v{}", random() % 3);
        stored.push_back(row);
      }
      rows.push_back({row.partition, row.key ? Cell(*row.key) : Cell(nullptr), row.payload, 0.0});
      kinds.push_back(retract ? kD : kI);
    }
    Process(rows, insert_only ? std::vector<RowKind>{} : kinds);
    // NULLS FIRST: a NULL key is the smallest.
    auto less = [](const std::optional<int>& a, const std::optional<int>& b) {
      return b.has_value() && (!a.has_value() || *a < *b);
    };
    Multiset expected;
    for (const Row& row : stored) {
      int64_t smaller = 0;
      std::vector<std::optional<int>> distinct;
      for (const Row& other : stored) {
        if (other.partition != row.partition || !less(other.key, row.key)) continue;
        ++smaller;
        if (std::find(distinct.begin(), distinct.end(), other.key) == distinct.end()) {
          distinct.push_back(other.key);
        }
      }
      int64_t rank = function == plan::RankFunction::kRank
                         ? smaller + 1
                         : static_cast<int64_t>(distinct.size()) + 1;
      if (rank > 3) continue;
      std::string key = row.key ? std::to_string(*row.key) : "NULL";
      std::string text = fmt::format("[{}, {}, {}, 0.0", row.partition, key, row.payload);
      text += row_number ? fmt::format(", {}]", rank) : "]";
      ++expected[text];
    }
    ASSERT_EQ(view_, expected) << "after batch " << step;
  }
}

INSTANTIATE_TEST_SUITE_P(RankAndDenseRank, RandomRankTest,
                         ::testing::Combine(::testing::Values(plan::RankFunction::kRank,
                                                              plan::RankFunction::kDenseRank),
                                            ::testing::Bool(), ::testing::Bool()));

TEST(TopNOperatorOpenTest, RejectsMalformedSpecs) {
  auto open = [](plan::PlanNode node) {
    OperatorHarness harness;
    harness.node = std::move(node);
    TopNOperator top_n;
    return top_n.Open(harness.Context());
  };
  EXPECT_FALSE(open(TopNNode({.limit = 0})).ok());
  EXPECT_FALSE(open(TopNNode({.sort = {Ascending(4)}})).ok());
  EXPECT_FALSE(open(TopNNode({.partition_slots = {-1}})).ok());
  EXPECT_FALSE(
      open(TopNNode({.limit = 2, .keep_first = true, .function = plan::RankFunction::kRank})).ok());
  plan::PlanNode text_rank = TopNNode({.row_number = true});
  text_rank.output_schema.columns.back().type = LogicalType::Varchar();
  EXPECT_FALSE(open(text_rank).ok());
  EXPECT_TRUE(open(TopNNode({})).ok());
}

TEST(TopNOperatorOpenTest, TheFactoryBuildsATopN) {
  EXPECT_TRUE(CreateOperator(TopNNode({})).ok());
}

// ---- through the scheduler ----------------------------------------------------------------

const types::Schema kBidSchema{{{"auction", LogicalType::Bigint()},
                                {"bidder", LogicalType::Varchar()},
                                {"price", LogicalType::Bigint()}}};

plan::PlanNode ValuesSource(int32_t parallelism,
                            std::vector<std::vector<std::optional<std::string>>> rows) {
  plan::PlanNode node;
  node.id = 0;
  node.uid = "source/bid";
  node.kind = plan::OperatorKind::kSource;
  node.parallelism = parallelism;
  node.output_schema = kBidSchema;
  node.table = connectors::TableDescriptor{
      "bid", kBidSchema, {{"connector", "values"}, {"rows-per-batch", "2"}}, std::move(rows)};
  return node;
}

plan::PlanNode CollectSink(int32_t id, int32_t parallelism, const types::Schema& schema) {
  plan::PlanNode sink;
  sink.id = id;
  sink.uid = "sink/out";
  sink.kind = plan::OperatorKind::kSink;
  sink.parallelism = parallelism;
  sink.output_schema = schema;
  sink.table = connectors::TableDescriptor{
      "out", schema, {{"connector", "collect"}, {"collect.name", "top-n-test"}}, {}};
  return sink;
}

/// 60 bids on 6 auctions; within an auction every price differs, so the top rows do not
/// depend on the arrival order of the two source subtasks.
std::vector<std::vector<std::optional<std::string>>> Bids() {
  std::vector<std::vector<std::optional<std::string>>> rows;
  for (int i = 0; i < 60; ++i) {
    rows.push_back(
        {std::to_string(i % 6), fmt::format("b{}", i % 4), std::to_string((i * 37) % 101)});
  }
  return rows;
}

/// values -hash(auction)-> top 2 by price DESC with rn -forward-> collect.
plan::PlanGraph TopPricesJob(int32_t parallelism) {
  plan::PlanGraph plan;
  plan.job_name = "top-n-test";
  plan::PlanNode top_n =
      TopNNode({.sort = {Descending(2)}, .limit = 2, .row_number = true}, kBidSchema);
  top_n.id = 1;
  top_n.parallelism = parallelism;
  plan.nodes = {ValuesSource(parallelism, Bids()), top_n,
                CollectSink(2, parallelism, top_n.output_schema)};
  plan.edges = {plan::PlanEdge{0, 1, 0, plan::ExchangeKind::kHash, {0}},
                plan::PlanEdge{1, 2, 0, plan::ExchangeKind::kForward, {}}};
  return plan;
}

/// values -hash(auction, bidder)-> SUM(price) per (auction, bidder) -hash(auction)-> the top
/// bidder by total DESC -forward-> collect: the Top-N sees an updating input.
plan::PlanGraph TopBidderJob(int32_t parallelism) {
  plan::PlanGraph plan;
  plan.job_name = "top-n-test";
  plan::PlanNode aggregate;
  aggregate.id = 1;
  aggregate.uid = "out/group_aggregate1";
  aggregate.kind = plan::OperatorKind::kGroupAggregate;
  aggregate.parallelism = parallelism;
  aggregate.changelog_mode = plan::ChangelogMode::kUpdating;
  aggregate.output_schema = types::Schema{{{"auction", LogicalType::Bigint()},
                                           {"bidder", LogicalType::Varchar()},
                                           {"total", LogicalType::Bigint()}}};
  plan::AggregateCall sum;
  sum.kind = plan::AggregateKind::kSum;
  sum.argument_slot = 2;
  sum.argument_type = LogicalType::Bigint();
  sum.result_type = LogicalType::Bigint();
  aggregate.aggregate = plan::AggregateSpec{{0, 1}, {sum}, std::nullopt};
  plan::PlanNode top_n = TopNNode({.sort = {Descending(2)}, .limit = 1}, aggregate.output_schema);
  top_n.id = 2;
  top_n.parallelism = parallelism;
  plan.nodes = {ValuesSource(parallelism, Bids()), aggregate, top_n,
                CollectSink(3, parallelism, top_n.output_schema)};
  plan.edges = {plan::PlanEdge{0, 1, 0, plan::ExchangeKind::kHash, {0, 1}},
                plan::PlanEdge{1, 2, 0, plan::ExchangeKind::kHash, {0}},
                plan::PlanEdge{2, 3, 0, plan::ExchangeKind::kForward, {}}};
  return plan;
}

Multiset RunJob(const plan::PlanGraph& plan) {
  Multiset materialized;
  Apply(RunCollectingJob(plan, "top-n-test"), &materialized);
  return materialized;
}

TEST(TopNJobTest, TopPricesPerAuctionAtParallelismOneAndTwo) {
  // Brute force over the same bids: the two highest prices of each auction, ranked.
  std::map<int, std::vector<std::pair<int, std::string>>> by_auction;
  for (const auto& bid : Bids()) {
    by_auction[std::stoi(*bid[0])].push_back({std::stoi(*bid[2]), *bid[1]});
  }
  Multiset expected;
  for (auto& [auction, bids] : by_auction) {
    std::sort(bids.rbegin(), bids.rend());
    for (int rank = 0; rank < 2; ++rank) {
      expected[fmt::format("[{}, {}, {}, {}]", auction, bids[rank].second, bids[rank].first,
                           rank + 1)] = 1;
    }
  }
  ASSERT_EQ(expected.size(), 12u);
  // Auction 0 gets bids i = 0, 6, ..., 54: the best is i = 30 (price 100), then i = 24 (80).
  EXPECT_EQ(expected.count("[0, b2, 100, 1]"), 1u);
  EXPECT_EQ(expected.count("[0, b0, 80, 2]"), 1u);
  EXPECT_EQ(RunJob(TopPricesJob(1)), expected);
  EXPECT_EQ(RunJob(TopPricesJob(2)), expected);
}

TEST(TopNJobTest, TopBidderOverAnUpdatingInputAtParallelismOneAndTwo) {
  std::map<std::pair<int, std::string>, int> totals;
  for (const auto& bid : Bids()) totals[{std::stoi(*bid[0]), *bid[1]}] += std::stoi(*bid[2]);
  std::map<int, std::pair<int, std::string>> best;
  for (const auto& [key, total] : totals) {
    auto& current = best[key.first];
    ASSERT_NE(current.first, total) << "a tie would make the result order-dependent";
    if (total > current.first) current = {total, key.second};
  }
  Multiset expected;
  for (const auto& [auction, top] : best) {
    expected[fmt::format("[{}, {}, {}]", auction, top.second, top.first)] = 1;
  }
  ASSERT_EQ(expected.size(), 6u);
  EXPECT_EQ(RunJob(TopBidderJob(1)), expected);
  EXPECT_EQ(RunJob(TopBidderJob(2)), expected);
}

}  // namespace
}  // namespace sluice::runtime::operators
