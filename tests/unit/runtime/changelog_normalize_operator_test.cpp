// The changelog normalization of an upsert stream (upsert-kafka) on hand-built batches: first
// rows, updates, repeated rows, deletes by key only, deletes of absent keys, composite keys,
// and its state as one row per live key.

#include "runtime/operators/changelog_normalize_operator.h"

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

constexpr RowKind kI = RowKind::kInsert;
constexpr RowKind kUA = RowKind::kUpdateAfter;
constexpr RowKind kD = RowKind::kDelete;

// Input: (region VARCHAR, id BIGINT, name VARCHAR, score DOUBLE).
const types::Schema kSchema{{{"region", LogicalType::Varchar()},
                             {"id", LogicalType::Bigint()},
                             {"name", LogicalType::Varchar()},
                             {"score", LogicalType::Double()}}};
const std::vector<LogicalType> kTypes = {LogicalType::Varchar(), LogicalType::Bigint(),
                                         LogicalType::Varchar(), LogicalType::Double()};

class ChangelogNormalizeTest : public ::testing::Test {
 protected:
  void Start(std::vector<int32_t> key_slots) {
    harness_.node.uid = "source/users/normalize";
    harness_.node.kind = plan::OperatorKind::kChangelogNormalize;
    harness_.node.changelog_mode = plan::ChangelogMode::kUpdating;
    harness_.node.output_schema = kSchema;
    plan::StateSpec state;
    state.name = "rows";
    for (int32_t slot : key_slots) state.key_schema.columns.push_back(kSchema.columns[slot]);
    state.value_schema = kSchema;
    harness_.node.state.push_back(state);
    harness_.node.normalize = plan::ChangelogNormalizeSpec{std::move(key_slots)};
    base::Status status = operator_.Open(harness_.Context());
    ASSERT_TRUE(status.ok()) << status.ToString();
  }
  Rows Process(const std::vector<std::vector<Cell>>& rows, const std::vector<RowKind>& kinds = {}) {
    base::Status status = operator_.ProcessBatch(0, MakeBatch(kTypes, rows, kinds), &out_);
    EXPECT_TRUE(status.ok()) << status.ToString();
    return out_.TakeRows();
  }
  int64_t Entries() { return harness_.EntryCount("rows"); }

  OperatorHarness harness_;
  ChangelogNormalizeOperator operator_;
  CollectingOutput out_;
};

TEST_F(ChangelogNormalizeTest, UpsertsBecomeAFullChangelog) {
  Start({1});
  // Rows without row kinds are upserts too (+I).
  EXPECT_EQ(Process({{"eu", 1, "ann", 1.5}, {"eu", 2, "bob", 2.5}}),
            (Rows{"+I[eu, 1, ann, 1.5]", "+I[eu, 2, bob, 2.5]"}));
  // A later row of a key retracts the previous one; one batch may touch a key twice.
  EXPECT_EQ(Process({{"eu", 1, "ann", 3.0}, {"us", 1, "ann", 4.0}}, {kUA, kI}),
            (Rows{"-U[eu, 1, ann, 1.5]", "+U[eu, 1, ann, 3.0]", "-U[eu, 1, ann, 3.0]",
                  "+U[us, 1, ann, 4.0]"}));
  // The same row again changes nothing.
  EXPECT_EQ(Process({{"us", 1, "ann", 4.0}}, {kUA}), Rows{});
  EXPECT_EQ(Entries(), 2);
  // A delete carries only its key: the stored row is what is deleted.
  EXPECT_EQ(Process({{nullptr, 2, nullptr, nullptr}, {nullptr, 7, nullptr, nullptr}}, {kD, kD}),
            (Rows{"-D[eu, 2, bob, 2.5]"}));
  EXPECT_EQ(Entries(), 1);
  // A deleted key starts again with +I.
  EXPECT_EQ(Process({{"eu", 2, "bo", 5.0}}, {kUA}), (Rows{"+I[eu, 2, bo, 5.0]"}));
  EXPECT_EQ(Entries(), 2);
}

TEST_F(ChangelogNormalizeTest, CompositeKeysAndNullKeys) {
  Start({0, 1});
  EXPECT_EQ(Process({{"eu", 1, "a", 1.0}, {"us", 1, "b", 2.0}, {nullptr, 1, "c", 3.0}}),
            (Rows{"+I[eu, 1, a, 1.0]", "+I[us, 1, b, 2.0]", "+I[NULL, 1, c, 3.0]"}));
  EXPECT_EQ(Process({{"us", 1, nullptr, nullptr}, {nullptr, 1, "d", 4.0}}, {kD, kUA}),
            (Rows{"-D[us, 1, b, 2.0]", "-U[NULL, 1, c, 3.0]", "+U[NULL, 1, d, 4.0]"}));
  EXPECT_EQ(Entries(), 2);
}

TEST_F(ChangelogNormalizeTest, MalformedSpecIsAnError) {
  harness_.node.uid = "source/users/normalize";
  harness_.node.kind = plan::OperatorKind::kChangelogNormalize;
  harness_.node.output_schema = kSchema;
  harness_.node.normalize = plan::ChangelogNormalizeSpec{{9}};
  base::Status status = operator_.Open(harness_.Context());
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("key slot 9"), std::string::npos) << status.message();
}

}  // namespace
}  // namespace sluice::runtime::operators
