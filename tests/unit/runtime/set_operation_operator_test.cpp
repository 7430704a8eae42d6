// INTERSECT / EXCEPT [ALL] on hand-built batches: changelogs for both arrival orders, NULLs
// comparing equal, retractions, and a randomized check of every form against counting.

#include "runtime/operators/set_operation_operator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>

#include "runtime/operators/operator_factory.h"
#include "tests/unit/runtime/operator_test_util.h"

namespace sluice::runtime::operators {
namespace {

using plan::SetOperationKind;
using testing::Cell;
using testing::CollectingOutput;
using testing::MakeBatch;
using testing::OperatorHarness;
using types::LogicalType;
using Rows = std::vector<std::string>;

constexpr RowKind kI = RowKind::kInsert;
constexpr RowKind kD = RowKind::kDelete;

const std::vector<LogicalType> kTypes = {LogicalType::Bigint(), LogicalType::Varchar()};

plan::PlanNode SetOperationNode(SetOperationKind kind, bool all) {
  plan::PlanNode node;
  node.uid = "out/set-operation1";
  node.kind = plan::OperatorKind::kSetOperation;
  node.changelog_mode = plan::ChangelogMode::kUpdating;
  node.output_schema = types::Schema{{{"id", kTypes[0]}, {"name", kTypes[1]}}};
  plan::StateSpec state;
  state.name = "counts";
  state.key_schema = node.output_schema;
  state.value_schema.columns.push_back({"left_count", LogicalType::Bigint()});
  state.value_schema.columns.push_back({"right_count", LogicalType::Bigint()});
  node.state.push_back(state);
  node.set_operation = plan::SetOperationSpec{kind, all};
  return node;
}

class SetOperationOperatorTest : public ::testing::Test {
 protected:
  void Start(SetOperationKind kind, bool all) {
    harness_.node = SetOperationNode(kind, all);
    base::Status status = operator_.Open(harness_.Context());
    ASSERT_TRUE(status.ok()) << status.ToString();
  }
  Rows Process(int32_t input, const std::vector<std::vector<Cell>>& rows,
               const std::vector<RowKind>& kinds = {}) {
    base::Status status = operator_.ProcessBatch(input, MakeBatch(kTypes, rows, kinds), &out_);
    EXPECT_TRUE(status.ok()) << status.ToString();
    return out_.TakeRows();
  }

  OperatorHarness harness_;
  SetOperationOperator operator_;
  CollectingOutput out_;
};

TEST_F(SetOperationOperatorTest, IntersectEmitsARowOnceBothSidesHoldIt) {
  Start(SetOperationKind::kIntersect, false);
  EXPECT_EQ(Process(0, {{1, "a"}, {1, "a"}, {2, nullptr}}), Rows{});
  EXPECT_EQ(Process(1, {{1, "a"}}), (Rows{"+I[1, a]"}));
  EXPECT_EQ(Process(1, {{1, "a"}, {2, nullptr}}), (Rows{"+I[2, NULL]"})) << "NULLs compare equal";
  EXPECT_EQ(Process(0, {{1, "a"}, {1, "a"}}, {kD, kD}), (Rows{"-D[1, a]"}));
  EXPECT_EQ(Process(0, {{1, "a"}}, {kD}), Rows{}) << "nothing left to retract";
  EXPECT_EQ(Process(1, {{1, "a"}, {1, "a"}, {2, nullptr}}, {kD, kD, kD}), (Rows{"-D[2, NULL]"}));
  EXPECT_EQ(Process(0, {{2, nullptr}}, {kD}), Rows{});
  EXPECT_EQ(harness_.EntryCount("counts"), 0);
}

TEST_F(SetOperationOperatorTest, IntersectAllEmitsTheSmallerCount) {
  Start(SetOperationKind::kIntersect, true);
  EXPECT_EQ(Process(1, {{1, "a"}, {1, "a"}, {1, "a"}}), Rows{});
  EXPECT_EQ(Process(0, {{1, "a"}, {1, "a"}}), (Rows{"+I[1, a]", "+I[1, a]"}));
  EXPECT_EQ(Process(1, {{1, "a"}}, {kD}), Rows{}) << "min(2, 2) is still 2";
  EXPECT_EQ(Process(1, {{1, "a"}}, {kD}), (Rows{"-D[1, a]"}));
}

TEST_F(SetOperationOperatorTest, ExceptWithdrawsARowTheRightSideGains) {
  Start(SetOperationKind::kExcept, false);
  EXPECT_EQ(Process(0, {{1, "a"}, {1, "a"}, {2, "b"}}), (Rows{"+I[1, a]", "+I[2, b]"}));
  EXPECT_EQ(Process(1, {{1, "a"}, {3, "c"}}), (Rows{"-D[1, a]"}));
  EXPECT_EQ(Process(1, {{1, "a"}}, {kD}), (Rows{"+I[1, a]"}));
  EXPECT_EQ(Process(0, {{2, "b"}}, {kD}), (Rows{"-D[2, b]"}));
}

TEST_F(SetOperationOperatorTest, ExceptAllSubtractsCounts) {
  Start(SetOperationKind::kExcept, true);
  EXPECT_EQ(Process(0, {{1, "a"}, {1, "a"}, {1, "a"}}), (Rows{"+I[1, a]", "+I[1, a]", "+I[1, a]"}));
  EXPECT_EQ(Process(1, {{1, "a"}, {1, "a"}}), (Rows{"-D[1, a]", "-D[1, a]"}));
  EXPECT_EQ(Process(1, {{1, "a"}, {1, "a"}}), (Rows{"-D[1, a]"}));
  EXPECT_EQ(Process(0, {{1, "a"}}), Rows{}) << "4 - 4";
  EXPECT_EQ(Process(1, {{1, "a"}}, {kD}), (Rows{"+I[1, a]"}));
}

class RandomSetOperationTest
    : public SetOperationOperatorTest,
      public ::testing::WithParamInterface<std::pair<SetOperationKind, bool>> {};

TEST_P(RandomSetOperationTest, MaterializedOutputEqualsCounting) {
  auto [kind, all] = GetParam();
  Start(kind, all);
  std::mt19937 random(77);
  std::map<int64_t, int64_t> counts[2];
  std::map<std::string, int64_t> materialized;
  for (int step = 0; step < 400; ++step) {
    int32_t input = static_cast<int32_t>(random() % 2);
    int64_t value = static_cast<int64_t>(random() % 5);
    bool retract = random() % 3 == 0 && counts[input][value] > 0;
    counts[input][value] += retract ? -1 : 1;
    for (const std::string& change : Process(input, {{value, "x"}}, {retract ? kD : kI})) {
      int64_t& count = materialized[change.substr(2)];
      count += change[0] == '+' ? 1 : -1;
      ASSERT_GE(count, 0) << change;
    }
    for (int64_t v = 0; v < 5; ++v) {
      int64_t l = counts[0][v], r = counts[1][v];
      int64_t want = kind == SetOperationKind::kIntersect
                         ? (all ? std::min(l, r) : (l > 0 && r > 0))
                         : (all ? std::max<int64_t>(l - r, 0) : (l > 0 && r == 0));
      std::string row = "[" + std::to_string(v) + ", x]";
      ASSERT_EQ(materialized[row], want) << "value " << v << " after step " << step;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllForms, RandomSetOperationTest,
                         ::testing::Values(std::pair{SetOperationKind::kIntersect, false},
                                           std::pair{SetOperationKind::kIntersect, true},
                                           std::pair{SetOperationKind::kExcept, false},
                                           std::pair{SetOperationKind::kExcept, true}));

TEST(SetOperationFactoryTest, TheFactoryBuildsASetOperation) {
  EXPECT_TRUE(CreateOperator(SetOperationNode(SetOperationKind::kExcept, true)).ok());
}

}  // namespace
}  // namespace sluice::runtime::operators
