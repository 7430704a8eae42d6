// AccumulatorMigration and RowMigration on their own: accumulators folded by an Aggregator of
// the old calls, converted, then read (and folded further) by an Aggregator of the new calls,
// against an Aggregator of the new calls that saw the same rows from the start.

#include "runtime/operators/aggregate/accumulator_migration.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "runtime/operators/aggregate/aggregator.h"
#include "runtime/operators/row_migration.h"
#include "tests/unit/runtime/operator_test_util.h"

namespace sluice::runtime::operators::aggregate {
namespace {

using plan::AggregateCall;
using plan::AggregateKind;
using testing::Cell;
using testing::MakeBatch;
using types::LogicalType;
using Rows = std::vector<std::vector<Cell>>;

AggregateCall Call(AggregateKind kind, int32_t slot, LogicalType type, bool distinct = false,
                   bool retractable = false) {
  AggregateCall call;
  call.kind = kind;
  call.argument_slot = slot;
  if (slot >= 0) call.argument_type = type;
  call.result_type = kind == AggregateKind::kCount || kind == AggregateKind::kCountStar
                         ? LogicalType::Bigint()
                         : type;
  call.distinct = distinct;
  call.retractable = retractable;
  return call;
}

/// Folds `rows` (of `types`) into `accumulator` with `calls`; `retract` takes them out.
void Fold(const std::vector<AggregateCall>& calls, const std::vector<LogicalType>& types,
          const Rows& rows, std::string* accumulator, bool retract = false) {
  Aggregator aggregator(calls);
  BatchPtr batch = MakeBatch(types, rows);
  for (int32_t row = 0; row < batch->row_count(); ++row) {
    base::Status status = aggregator.Accumulate(accumulator, *batch, row, retract);
    ASSERT_TRUE(status.ok()) << status.ToString();
  }
}

/// The results an accumulator gives, rendered as `+I[…]`.
std::string Results(const std::vector<AggregateCall>& calls, std::string_view accumulator) {
  std::vector<LogicalType> types;
  for (const auto& call : calls) types.push_back(call.result_type);
  Batch out(types);
  out.set_row_count(1);
  base::Status status = Aggregator(calls).WriteResults(accumulator, &out, 0, 0);
  EXPECT_TRUE(status.ok()) << status.ToString();
  return testing::RenderRow(out, 0);
}

std::string Migrate(const std::vector<AggregateCall>& old_calls,
                    const std::vector<AggregateCall>& new_calls,
                    const std::vector<int32_t>& origins, std::string_view accumulator) {
  auto migration = AccumulatorMigration::Create(old_calls, new_calls, origins);
  EXPECT_TRUE(migration.ok()) << migration.status().ToString();
  if (!migration.ok()) return "";
  EXPECT_FALSE((*migration)->identity());
  std::string converted;
  base::Status status = (*migration)->Convert(accumulator, &converted);
  EXPECT_TRUE(status.ok()) << status.ToString();
  return converted;
}

TEST(AccumulatorMigrationTest, ReorderedCallsWithSectionsKeepTheirState) {
  // (s VARCHAR, v BIGINT): calls with sections (a VARCHAR extreme, DISTINCT sets) move around,
  // one is dropped and a COUNT(*) is added.
  std::vector<LogicalType> types = {LogicalType::Varchar(), LogicalType::Bigint()};
  std::vector<AggregateCall> old_calls = {
      Call(AggregateKind::kMax, 0, LogicalType::Varchar()),
      Call(AggregateKind::kCount, 1, LogicalType::Bigint(), /*distinct=*/true),
      Call(AggregateKind::kMin, 0, LogicalType::Varchar()),
      Call(AggregateKind::kSum, 1, LogicalType::Bigint(), /*distinct=*/true)};
  std::vector<AggregateCall> new_calls = {
      Call(AggregateKind::kSum, 1, LogicalType::Bigint(), /*distinct=*/true),
      Call(AggregateKind::kCountStar, -1, LogicalType::Bigint()),
      Call(AggregateKind::kCount, 1, LogicalType::Bigint(), /*distinct=*/true),
      Call(AggregateKind::kMax, 0, LogicalType::Varchar())};
  Rows before = {{"pear", int64_t{3}}, {"apple", int64_t{5}}, {"zebra", int64_t{3}}};
  Rows after = {{"mango", int64_t{7}}, {"zz", int64_t{5}}};
  std::string accumulator = Aggregator(old_calls).Initial();
  Fold(old_calls, types, before, &accumulator);
  std::string converted = Migrate(old_calls, new_calls, {3, -1, 1, 0}, accumulator);
  // COUNT(*) starts at 0; the others hold what the rows before gave.
  EXPECT_EQ(Results(new_calls, converted), "+I[8, 0, 2, zebra]");
  Fold(new_calls, types, after, &converted);
  EXPECT_EQ(Results(new_calls, converted), "+I[15, 2, 3, zz]");
  EXPECT_EQ(Aggregator(new_calls).RowCount(converted), 5);
}

TEST(AccumulatorMigrationTest, BigintToDoubleConvertsSumsKeysAndDistinctSets) {
  std::vector<AggregateCall> old_calls, new_calls;
  for (LogicalType type : {LogicalType::Bigint(), LogicalType::Double()}) {
    auto& calls = type == LogicalType::Bigint() ? old_calls : new_calls;
    calls = {Call(AggregateKind::kSum, 0, type),
             Call(AggregateKind::kAvg, 0, type),
             Call(AggregateKind::kMax, 0, type),
             Call(AggregateKind::kMin, 0, type, false, /*retractable=*/true),
             Call(AggregateKind::kSum, 0, type, /*distinct=*/true),
             Call(AggregateKind::kCount, 0, type, /*distinct=*/true)};
  }
  Rows before, as_doubles;
  for (int64_t value : {-7, 3, 3, 12, -2, 40}) {
    before.push_back({value});
    as_doubles.push_back({static_cast<double>(value)});
  }
  std::string accumulator = Aggregator(old_calls).Initial();
  Fold(old_calls, {LogicalType::Bigint()}, before, &accumulator);
  std::string converted = Migrate(old_calls, new_calls, {0, 1, 2, 3, 4, 5}, accumulator);
  std::string reference = Aggregator(new_calls).Initial();
  Fold(new_calls, {LogicalType::Double()}, as_doubles, &reference);
  EXPECT_EQ(Results(new_calls, converted), Results(new_calls, reference));
  // The converted sets hold DOUBLE keys: -7.0 again is no new distinct value.
  Fold(new_calls, {LogicalType::Double()}, {{-7.0}, {2.5}}, &converted);
  Fold(new_calls, {LogicalType::Double()}, {{-7.0}, {2.5}}, &reference);
  EXPECT_EQ(Results(new_calls, converted), Results(new_calls, reference));
  EXPECT_EQ(Results(new_calls, converted), "+I[44.5, 5.5625, 40.0, -7.0, 48.5, 6]");
}

TEST(AccumulatorMigrationTest, DecimalScaleWidensByRescaling) {
  LogicalType narrow = LogicalType::Decimal(10, 2), wide = LogicalType::Decimal(12, 3);
  std::vector<AggregateCall> old_calls = {Call(AggregateKind::kMax, 0, narrow),
                                          Call(AggregateKind::kSum, 0, narrow)};
  std::vector<AggregateCall> new_calls = {Call(AggregateKind::kMax, 0, wide),
                                          Call(AggregateKind::kSum, 0, wide)};
  std::string accumulator = Aggregator(old_calls).Initial();
  Fold(old_calls, {narrow}, {{int64_t{1250}}, {int64_t{-300}}}, &accumulator);  // 12.50, -3.00
  std::string converted = Migrate(old_calls, new_calls, {0, 1}, accumulator);
  EXPECT_EQ(Results(new_calls, converted), "+I[12.500, 9.500]");
}

TEST(AccumulatorMigrationTest, WideDecimalValuesCarryOverOnlyAtTheSameScale) {
  // MIN/MAX and DISTINCT over DECIMAL(p > 18) keep 16-byte keys at their scale: a wider
  // precision at the same scale reads them on (SUM rescales as for narrow decimals); another
  // scale, or keys kept as 8 bytes before, are refused, as `sluice check` says.
  LogicalType wide = LogicalType::Decimal(30, 2), wider = LogicalType::Decimal(34, 2);
  std::vector<AggregateCall> old_calls = {
      Call(AggregateKind::kMax, 0, wide), Call(AggregateKind::kMin, 0, wide, false, true),
      Call(AggregateKind::kCount, 0, wide, /*distinct=*/true), Call(AggregateKind::kSum, 0, wide)};
  std::vector<AggregateCall> new_calls = {
      Call(AggregateKind::kMax, 0, wider), Call(AggregateKind::kMin, 0, wider, false, true),
      Call(AggregateKind::kCount, 0, wider, /*distinct=*/true),
      Call(AggregateKind::kSum, 0, LogicalType::Decimal(34, 3))};
  new_calls[3].result_type = LogicalType::Decimal(38, 3);
  std::string accumulator = Aggregator(old_calls).Initial();
  Fold(old_calls, {wide},
       {{std::string("-999999999999999999999999999999")}, {std::string("123456789012345678901")}},
       &accumulator);
  std::string converted = Migrate(old_calls, new_calls, {0, 1, 2, 3}, accumulator);
  EXPECT_EQ(Results(new_calls, converted),
            "+I[1234567890123456789.01, -9999999999999999999999999999.99, 2, "
            "-9999999998765432109876543210.980]");
  auto refused = [](AggregateCall from, AggregateCall to) {
    return !AccumulatorMigration::Create({from}, {to}, {0}).ok();
  };
  LogicalType narrow = LogicalType::Decimal(18, 2), rescaled = LogicalType::Decimal(32, 3);
  EXPECT_TRUE(refused(Call(AggregateKind::kMax, 0, narrow), Call(AggregateKind::kMax, 0, wide)));
  EXPECT_TRUE(refused(Call(AggregateKind::kMax, 0, wide), Call(AggregateKind::kMax, 0, rescaled)));
  EXPECT_TRUE(refused(Call(AggregateKind::kSum, 0, narrow, /*distinct=*/true),
                      Call(AggregateKind::kSum, 0, wide, /*distinct=*/true)));
  EXPECT_TRUE(refused(Call(AggregateKind::kLastValue, 0, narrow, false, true),
                      Call(AggregateKind::kLastValue, 0, wide, false, true)));
  EXPECT_FALSE(refused(Call(AggregateKind::kSum, 0, narrow), Call(AggregateKind::kSum, 0, wide)));
}

TEST(AccumulatorMigrationTest, RefusesCallsThatCannotContinue) {
  auto refused = [](AggregateCall from, AggregateCall to) {
    return !AccumulatorMigration::Create({from}, {to}, {0}).ok();
  };
  LogicalType bigint = LogicalType::Bigint(), real = LogicalType::Double();
  EXPECT_TRUE(refused(Call(AggregateKind::kSum, 0, bigint), Call(AggregateKind::kAvg, 0, bigint)));
  EXPECT_TRUE(refused(Call(AggregateKind::kSum, 0, real), Call(AggregateKind::kSum, 0, bigint)));
  EXPECT_TRUE(refused(Call(AggregateKind::kSum, 0, bigint),
                      Call(AggregateKind::kSum, 0, bigint, /*distinct=*/true)));
  EXPECT_TRUE(refused(Call(AggregateKind::kMax, 0, bigint),
                      Call(AggregateKind::kMax, 0, bigint, false, /*retractable=*/true)));
  EXPECT_FALSE(refused(Call(AggregateKind::kMax, 0, LogicalType::Int()),
                       Call(AggregateKind::kMax, 0, bigint)));
  auto same = AccumulatorMigration::Create({Call(AggregateKind::kSum, 0, bigint)},
                                           {Call(AggregateKind::kSum, 0, bigint)}, {0});
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE((*same)->identity());
}

TEST(RowMigrationTest, ConvertsContinuedSlotsAndNullsNewOnes) {
  std::vector<LogicalType> old_types = {LogicalType::Int(), LogicalType::Decimal(5, 1),
                                        LogicalType::Varchar(), LogicalType::Bigint()};
  std::vector<LogicalType> new_types = {LogicalType::Varchar(), LogicalType::Double(),
                                        LogicalType::Bigint(), LogicalType::Decimal(8, 3)};
  // New: the VARCHAR, INT as DOUBLE, a new BIGINT, the DECIMAL rescaled; old BIGINT dropped.
  auto migration = RowMigration::Create(old_types, new_types, {2, 0, -1, 1});
  ASSERT_TRUE(migration.ok()) << migration.status().ToString();
  EXPECT_FALSE((*migration)->identity());
  EXPECT_TRUE((*migration)->may_collide());
  BatchPtr old_row = MakeBatch(old_types, {{7, int64_t{125}, "kiwi", int64_t{99}}});
  std::string old_bytes, new_bytes;
  state::FullRowCodec(old_types).Encode(*old_row, 0, &old_bytes);
  ASSERT_TRUE((*migration)->Convert(old_bytes, &new_bytes).ok());
  Batch decoded(new_types);
  decoded.set_row_count(1);
  ASSERT_TRUE(state::FullRowCodec(new_types).Decode(new_bytes, &decoded, 0, 0).ok());
  EXPECT_EQ(testing::RenderRow(decoded, 0), "+I[kiwi, 7.0, NULL, 12.500]");

  EXPECT_FALSE(RowMigration::Create({LogicalType::Bigint()}, {LogicalType::Int()}, {0}).ok());
  EXPECT_FALSE(RowMigration::Create({LogicalType::Double()}, {LogicalType::Bigint()}, {0}).ok());
  auto same = RowMigration::Create(old_types, old_types, {0, 1, 2, 3});
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE((*same)->identity());
  EXPECT_FALSE((*same)->may_collide());
}

}  // namespace
}  // namespace sluice::runtime::operators::aggregate
