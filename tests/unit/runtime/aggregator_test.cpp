#include "runtime/operators/aggregate/aggregator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <variant>

#include "runtime/expr/value_format.h"
#include "runtime/operators/aggregate/value_counts.h"

namespace sluice::runtime::operators::aggregate {
namespace {

using plan::AggregateCall;
using plan::AggregateKind;
using types::LogicalType;
using types::TypeId;

/// A test value: NULL, an integer (BOOLEAN, INT, BIGINT, DECIMAL unscaled, TIMESTAMP), a
/// DOUBLE or a string.
using Value = std::variant<std::monostate, int64_t, double, std::string>;
const Value kNull{};

Value I(int64_t value) {
  return Value(value);
}
Value D(double value) {
  return Value(value);
}
Value S(std::string value) {
  return Value(std::move(value));
}

void SetValue(Batch* batch, size_t column_index, int32_t row, const Value& value) {
  Column& column = batch->column(column_index);
  int32_t width = column.type().PhysicalWidth();
  std::memset(column.data() + static_cast<size_t>(row) * width, 0, width);
  column.validity()[row] = std::holds_alternative<std::monostate>(value) ? 0 : 1;
  if (column.IsNull(row)) return;
  switch (column.type().id()) {
    case TypeId::kBoolean: column.values<uint8_t>()[row] = std::get<int64_t>(value) != 0; break;
    case TypeId::kInt:
      column.values<int32_t>()[row] = static_cast<int32_t>(std::get<int64_t>(value));
      break;
    case TypeId::kDouble: column.values<double>()[row] = std::get<double>(value); break;
    case TypeId::kVarchar:
      column.values<StringRef>()[row] = batch->arena().Copy(std::get<std::string>(value));
      break;
    default: column.values<int64_t>()[row] = std::get<int64_t>(value); break;
  }
}

Value GetValue(const Batch& batch, size_t column_index, int32_t row) {
  const Column& column = batch.column(column_index);
  if (column.IsNull(row)) return kNull;
  switch (column.type().id()) {
    case TypeId::kBoolean: return I(column.values<uint8_t>()[row]);
    case TypeId::kInt: return I(column.values<int32_t>()[row]);
    case TypeId::kDouble: return D(column.values<double>()[row]);
    case TypeId::kVarchar: return S(std::string(column.values<StringRef>()[row].view()));
    case TypeId::kDecimal:
      // A DECIMAL(38, s) result (SUM, AVG) as its text; a narrower one as its unscaled value.
      if (column.type().IsWideDecimal()) {
        return S(expr::FormatDecimal(column.DecimalAt(row), column.type().scale()));
      }
      return I(column.values<int64_t>()[row]);
    default: return I(column.values<int64_t>()[row]);
  }
}

std::string Show(const Value& value) {
  if (std::holds_alternative<std::monostate>(value)) return "NULL";
  if (const auto* integer = std::get_if<int64_t>(&value)) return std::to_string(*integer);
  if (const auto* real = std::get_if<double>(&value)) {
    if (std::isnan(*real)) return "NaN";
    return (std::signbit(*real) ? "d-" : "d") + std::to_string(std::fabs(*real));
  }
  return "'" + std::get<std::string>(value) + "'";
}

std::string Show(const std::vector<Value>& values) {
  std::string text = "[";
  for (const auto& value : values) text += Show(value) + " ";
  return text + "]";
}

AggregateCall Call(AggregateKind kind, int32_t slot, LogicalType argument, LogicalType result,
                   bool distinct = false, int32_t filter_slot = -1, bool retractable = false) {
  AggregateCall call;
  call.kind = kind;
  call.argument_slot = slot;
  call.argument_type = std::move(argument);
  call.result_type = std::move(result);
  call.distinct = distinct;
  call.filter_slot = filter_slot;
  call.retractable = retractable;
  return call;
}

AggregateCall CountStar(int32_t filter_slot = -1) {
  return Call(AggregateKind::kCountStar, -1, LogicalType::Null(), LogicalType::Bigint(), false,
              filter_slot);
}

AggregateCall Count(int32_t slot, LogicalType type, bool distinct = false) {
  return Call(AggregateKind::kCount, slot, std::move(type), LogicalType::Bigint(), distinct);
}

// MIN/MAX/SUM/AVG whose result type is the argument's (SUM(DECIMAL) aside).
AggregateCall Same(AggregateKind kind, int32_t slot, const LogicalType& type, bool distinct = false,
                   bool retractable = false) {
  LogicalType result = type;
  if (kind == AggregateKind::kSum && type.id() == TypeId::kDecimal) {
    result = LogicalType::Decimal(38, type.scale());
  }
  if (kind == AggregateKind::kAvg && type.id() == TypeId::kDecimal) {
    result = LogicalType::Decimal(38, std::max(6, type.scale()));
  }
  return Call(kind, slot, type, result, distinct, -1, retractable);
}

/// Feeds rows of one input schema into one accumulator and reads results back.
class Harness {
 public:
  Harness(std::vector<LogicalType> input_types, std::vector<AggregateCall> calls)
      : input_types_(std::move(input_types)),
        aggregator_(std::move(calls)),
        accumulator_(aggregator_.Initial()) {}

  base::Status Feed(std::string* accumulator, const std::vector<Value>& row, bool retract) {
    Batch batch(input_types_);
    for (size_t column = 0; column < row.size(); ++column) SetValue(&batch, column, 0, row[column]);
    batch.set_row_count(1);
    return aggregator_.Accumulate(accumulator, batch, 0, retract);
  }
  void Add(const std::vector<Value>& row) { ASSERT_TRUE(Feed(&accumulator_, row, false).ok()); }
  void Retract(const std::vector<Value>& row) { ASSERT_TRUE(Feed(&accumulator_, row, true).ok()); }

  std::vector<Value> Results(std::string_view accumulator) const {
    std::vector<LogicalType> result_types = {LogicalType::Int()};  // a column before, unused
    for (const auto& call : aggregator_.calls()) result_types.push_back(call.result_type);
    Batch out(result_types);
    base::Status status = aggregator_.WriteResults(accumulator, &out, 2, 1);
    EXPECT_TRUE(status.ok()) << status.ToString();
    std::vector<Value> values;
    for (size_t column = 1; column < result_types.size(); ++column) {
      values.push_back(GetValue(out, column, 2));
    }
    return values;
  }
  std::vector<Value> Results() const { return Results(accumulator_); }
  int64_t RowCount() const { return aggregator_.RowCount(accumulator_); }

  const Aggregator& aggregator() const { return aggregator_; }
  std::string& accumulator() { return accumulator_; }

 private:
  std::vector<LogicalType> input_types_;
  Aggregator aggregator_;
  std::string accumulator_;
};

#define EXPECT_RESULTS(harness, ...) \
  EXPECT_EQ(Show((harness).Results()), Show(std::vector<Value>{__VA_ARGS__}))

TEST(Aggregator, EmptyGroupGivesZeroCountsAndNulls) {
  LogicalType type = LogicalType::Bigint();
  Harness harness({type}, {CountStar(), Count(0, type), Same(AggregateKind::kSum, 0, type),
                           Same(AggregateKind::kAvg, 0, type), Same(AggregateKind::kMin, 0, type),
                           Same(AggregateKind::kMax, 0, type), Count(0, type, /*distinct=*/true),
                           Same(AggregateKind::kSum, 0, type, /*distinct=*/true),
                           Same(AggregateKind::kMin, 0, type, false, /*retractable=*/true)});
  EXPECT_EQ(harness.RowCount(), 0);
  EXPECT_RESULTS(harness, I(0), I(0), kNull, kNull, kNull, kNull, I(0), kNull, kNull);

  // Only NULL arguments: rows count, values do not.
  harness.Add({kNull});
  harness.Add({kNull});
  EXPECT_EQ(harness.RowCount(), 2);
  EXPECT_RESULTS(harness, I(2), I(0), kNull, kNull, kNull, kNull, I(0), kNull, kNull);
}

TEST(Aggregator, BigintWithNulls) {
  LogicalType type = LogicalType::Bigint();
  Harness harness({type}, {CountStar(), Count(0, type), Same(AggregateKind::kSum, 0, type),
                           Same(AggregateKind::kAvg, 0, type), Same(AggregateKind::kMin, 0, type),
                           Same(AggregateKind::kMax, 0, type)});
  harness.Add({I(10)});
  harness.Add({kNull});
  harness.Add({I(-4)});
  harness.Add({I(7)});
  EXPECT_EQ(harness.RowCount(), 4);
  // AVG = 13 / 3 = 4 (truncated)
  EXPECT_RESULTS(harness, I(4), I(3), I(13), I(4), I(-4), I(10));
}

TEST(Aggregator, IntSumWrapsAndAvgTruncatesTowardZero) {
  LogicalType type = LogicalType::Int();
  Harness harness({type}, {Same(AggregateKind::kSum, 0, type), Same(AggregateKind::kAvg, 0, type),
                           Same(AggregateKind::kMin, 0, type), Same(AggregateKind::kMax, 0, type)});
  harness.Add({I(1)});
  harness.Add({I(2)});
  EXPECT_RESULTS(harness, I(3), I(1), I(1), I(2));  // AVG(1, 2) = 1

  Harness negative({type}, {Same(AggregateKind::kAvg, 0, type)});
  negative.Add({I(-1)});
  negative.Add({I(-2)});
  EXPECT_RESULTS(negative, I(-1));  // -1.5 truncates toward zero

  Harness wrap({type}, {Same(AggregateKind::kSum, 0, type), Count(0, type)});
  wrap.Add({I(std::numeric_limits<int32_t>::max())});
  wrap.Add({I(1)});
  EXPECT_RESULTS(wrap, I(std::numeric_limits<int32_t>::min()), I(2));
  wrap.Add({I(-1)});  // and back
  EXPECT_RESULTS(wrap, I(std::numeric_limits<int32_t>::max()), I(3));
}

TEST(Aggregator, BigintSumWraps) {
  LogicalType type = LogicalType::Bigint();
  Harness harness({type}, {Same(AggregateKind::kSum, 0, type), Same(AggregateKind::kAvg, 0, type)});
  harness.Add({I(std::numeric_limits<int64_t>::max())});
  harness.Add({I(std::numeric_limits<int64_t>::max())});
  // The int64 sum wraps to -2; AVG divides the wrapped sum (as Flink's long sum does).
  EXPECT_RESULTS(harness, I(-2), I(-1));
  harness.Add({I(3)});
  EXPECT_RESULTS(harness, I(1), I(0));
}

TEST(Aggregator, DoubleSumAvgMinMax) {
  LogicalType type = LogicalType::Double();
  Harness harness({type}, {Same(AggregateKind::kSum, 0, type), Same(AggregateKind::kAvg, 0, type),
                           Same(AggregateKind::kMin, 0, type), Same(AggregateKind::kMax, 0, type),
                           Count(0, type)});
  harness.Add({D(1.5)});
  harness.Add({kNull});
  harness.Add({D(2.25)});
  harness.Add({D(-0.5)});
  EXPECT_RESULTS(harness, D(3.25), D(3.25 / 3), D(-0.5), D(2.25), I(3));
}

TEST(Aggregator, DoubleMinMaxFollowDoubleCompare) {
  LogicalType type = LogicalType::Double();
  double nan = std::numeric_limits<double>::quiet_NaN();
  double infinity = std::numeric_limits<double>::infinity();
  for (bool retractable : {false, true}) {
    SCOPED_TRACE(retractable);
    Harness harness({type}, {Same(AggregateKind::kMin, 0, type, false, retractable),
                             Same(AggregateKind::kMax, 0, type, false, retractable)});
    harness.Add({D(1.0)});
    harness.Add({D(-nan)});  // a NaN with the sign bit set is still the greatest
    harness.Add({D(-infinity)});
    EXPECT_RESULTS(harness, D(-infinity), D(nan));

    Harness zeros({type}, {Same(AggregateKind::kMin, 0, type, false, retractable),
                           Same(AggregateKind::kMax, 0, type, false, retractable),
                           Count(0, type, /*distinct=*/true)});
    zeros.Add({D(-0.0)});
    zeros.Add({D(0.0)});
    zeros.Add({D(nan)});
    zeros.Add({D(-nan)});
    // -0.0 and 0.0 are one value (normalized to 0.0); every NaN is one value.
    EXPECT_RESULTS(zeros, D(0.0), D(nan), I(2));
  }
}

TEST(Aggregator, DecimalSumsAndAverages) {
  LogicalType type = LogicalType::Decimal(10, 2);
  Harness harness({type}, {Same(AggregateKind::kSum, 0, type), Same(AggregateKind::kAvg, 0, type),
                           Same(AggregateKind::kMin, 0, type), Same(AggregateKind::kMax, 0, type)});
  harness.Add({I(125)});  // 1.25
  harness.Add({I(250)});  // 2.50
  harness.Add({I(100)});  // 1.00
  // SUM 4.75 as DECIMAL(38, 2); AVG 4.75 / 3 as DECIMAL(38, 6), rounded half up
  EXPECT_RESULTS(harness, S("4.75"), S("1.583333"), I(100), I(250));

  Harness negative({type}, {Same(AggregateKind::kAvg, 0, type)});
  negative.Add({I(-125)});
  negative.Add({I(-250)});
  EXPECT_RESULTS(negative, S("-1.875000"));
}

TEST(Aggregator, DecimalSumPastInt64IsExactAndRecovers) {
  LogicalType type = LogicalType::Decimal(18, 0);
  Harness harness({type}, {Same(AggregateKind::kSum, 0, type), Same(AggregateKind::kAvg, 0, type)});
  int64_t max = std::numeric_limits<int64_t>::max();
  harness.Add({I(max)});
  harness.Add({I(max)});
  // DECIMAL(38, 0) holds the sum past int64 exactly
  EXPECT_RESULTS(harness, S("18446744073709551614"), S("9223372036854775807.000000"));
  harness.Retract({I(max)});
  EXPECT_RESULTS(harness, S("9223372036854775807"), S("9223372036854775807.000000"));
}

TEST(Aggregator, VarcharMinMaxCount) {
  LogicalType type = LogicalType::Varchar();
  for (bool retractable : {false, true}) {
    SCOPED_TRACE(retractable);
    Harness harness({type}, {Same(AggregateKind::kMin, 0, type, false, retractable),
                             Same(AggregateKind::kMax, 0, type, false, retractable), Count(0, type),
                             Count(0, type, /*distinct=*/true)});
    EXPECT_RESULTS(harness, kNull, kNull, I(0), I(0));
    harness.Add({S("b")});
    harness.Add({S("ab")});
    harness.Add({kNull});
    harness.Add({S("b")});
    harness.Add({S("\xc3\xa9")});  // é: bytes above ASCII sort last
    harness.Add({S("a")});
    EXPECT_RESULTS(harness, S("a"), S("\xc3\xa9"), I(5), I(4));
    harness.Add({S("")});  // the empty string is a value, and the smallest
    EXPECT_RESULTS(harness, S(""), S("\xc3\xa9"), I(6), I(5));
  }
}

TEST(Aggregator, BooleanAndTimestampMinMaxCount) {
  LogicalType flag = LogicalType::Boolean();
  LogicalType time = LogicalType::Timestamp();
  for (bool retractable : {false, true}) {
    SCOPED_TRACE(retractable);
    Harness harness({flag, time},
                    {Same(AggregateKind::kMin, 0, flag, false, retractable),
                     Same(AggregateKind::kMax, 0, flag, false, retractable), Count(0, flag),
                     Same(AggregateKind::kMin, 1, time, false, retractable),
                     Same(AggregateKind::kMax, 1, time, false, retractable),
                     Count(1, time, /*distinct=*/true)});
    harness.Add({I(1), I(1'704'067'200'000)});
    EXPECT_RESULTS(harness, I(1), I(1), I(1), I(1'704'067'200'000), I(1'704'067'200'000), I(1));
    harness.Add({I(0), I(-5)});
    harness.Add({kNull, I(-5)});
    EXPECT_RESULTS(harness, I(0), I(1), I(2), I(-5), I(1'704'067'200'000), I(2));
  }
}

TEST(Aggregator, RetractableMinMaxRevealTheNextValue) {
  LogicalType type = LogicalType::Int();
  Harness harness({type}, {Same(AggregateKind::kMin, 0, type, false, true),
                           Same(AggregateKind::kMax, 0, type, false, true), CountStar(),
                           Same(AggregateKind::kSum, 0, type)});
  harness.Add({I(5)});
  harness.Add({I(3)});
  harness.Add({I(7)});
  EXPECT_RESULTS(harness, I(3), I(7), I(3), I(15));
  harness.Retract({I(3)});
  EXPECT_RESULTS(harness, I(5), I(7), I(2), I(12));
  harness.Retract({I(5)});
  EXPECT_RESULTS(harness, I(7), I(7), I(1), I(7));
  harness.Retract({I(7)});
  EXPECT_RESULTS(harness, kNull, kNull, I(0), kNull);
  EXPECT_EQ(harness.RowCount(), 0);
  EXPECT_EQ(harness.accumulator(), harness.aggregator().Initial());  // nothing left behind
}

TEST(Aggregator, RetractableMinMaxCountDuplicates) {
  LogicalType type = LogicalType::Varchar();
  Harness harness({type}, {Same(AggregateKind::kMin, 0, type, false, true),
                           Same(AggregateKind::kMax, 0, type, false, true)});
  harness.Add({S("m")});
  harness.Add({S("m")});
  harness.Add({S("z")});
  harness.Add({S("z")});
  harness.Retract({S("m")});
  EXPECT_RESULTS(harness, S("m"), S("z"));
  harness.Retract({S("m")});
  EXPECT_RESULTS(harness, S("z"), S("z"));
  harness.Retract({S("z")});
  harness.Add({S("a")});
  EXPECT_RESULTS(harness, S("a"), S("z"));
  harness.Retract({S("z")});
  EXPECT_RESULTS(harness, S("a"), S("a"));
}

TEST(Aggregator, DistinctCountsSumsAndAveragesEachValueOnce) {
  LogicalType type = LogicalType::Bigint();
  Harness harness({type}, {Count(0, type, true), Same(AggregateKind::kSum, 0, type, true),
                           Same(AggregateKind::kAvg, 0, type, true), Count(0, type),
                           Same(AggregateKind::kSum, 0, type)});
  for (int64_t value : {1, 2, 2, 3, 3, 3}) harness.Add({I(value)});
  harness.Add({kNull});
  EXPECT_RESULTS(harness, I(3), I(6), I(2), I(6), I(14));
  harness.Retract({I(3)});  // two 3s remain
  EXPECT_RESULTS(harness, I(3), I(6), I(2), I(5), I(11));
  harness.Retract({I(2)});
  harness.Retract({I(2)});  // no 2 remains
  EXPECT_RESULTS(harness, I(2), I(4), I(2), I(3), I(7));
  harness.Retract({I(2)});  // never there any more: ignored by the distinct set
  EXPECT_RESULTS(harness, I(2), I(4), I(2), I(2), I(5));
}

TEST(Aggregator, DistinctOverDoublesDecimalsAndStrings) {
  LogicalType real = LogicalType::Double();
  LogicalType decimal = LogicalType::Decimal(6, 1);
  LogicalType text = LogicalType::Varchar();
  Harness harness(
      {real, decimal, text},
      {Same(AggregateKind::kSum, 0, real, true), Same(AggregateKind::kAvg, 0, real, true),
       Same(AggregateKind::kSum, 1, decimal, true), Same(AggregateKind::kAvg, 1, decimal, true),
       Count(2, text, true)});
  harness.Add({D(0.5), I(15), S("x")});
  harness.Add({D(0.5), I(15), S("x")});
  harness.Add({D(-0.0), I(-20), S("y")});
  harness.Add({D(0.0), I(10), S("x")});
  // doubles {0, 0.5}; decimals {-2.0, 1.0, 1.5}: SUM 0.5, AVG 0.5 / 3; strings {x, y}
  EXPECT_RESULTS(harness, D(0.5), D(0.25), S("0.5"), S("0.166667"), I(2));
}

TEST(Aggregator, FilterOnlyFeedsRowsWhoseFilterIsTrue) {
  LogicalType type = LogicalType::Bigint();
  LogicalType flag = LogicalType::Boolean();
  AggregateCall filtered_sum = Same(AggregateKind::kSum, 0, type);
  filtered_sum.filter_slot = 1;
  AggregateCall filtered_distinct = Count(0, type, true);
  filtered_distinct.filter_slot = 2;
  Harness harness({type, flag, flag},
                  {CountStar(1), filtered_sum, filtered_distinct, CountStar(), Count(0, type)});
  harness.Add({I(1), I(1), I(0)});
  harness.Add({I(2), I(0), I(1)});
  harness.Add({I(4), kNull, I(1)});
  harness.Add({I(8), I(1), kNull});
  harness.Add({kNull, I(1), I(1)});
  EXPECT_EQ(harness.RowCount(), 5);  // every row, whatever the filters
  EXPECT_RESULTS(harness, I(3), I(9), I(2), I(5), I(4));
  harness.Retract({I(8), I(1), kNull});
  EXPECT_RESULTS(harness, I(2), I(1), I(2), I(4), I(3));

  Harness none({type, flag}, {filtered_sum});
  none.Add({I(5), I(0)});
  EXPECT_RESULTS(none, kNull);  // SUM saw no row
}

TEST(Aggregator, RetractionsOfAbsentValuesClampAtZero) {
  LogicalType type = LogicalType::Int();
  Harness harness({type}, {CountStar(), Count(0, type), Same(AggregateKind::kSum, 0, type),
                           Same(AggregateKind::kAvg, 0, type), Count(0, type, true),
                           Same(AggregateKind::kMax, 0, type, false, true)});
  harness.Retract({I(4)});
  EXPECT_EQ(harness.RowCount(), 0);
  EXPECT_RESULTS(harness, I(0), I(0), kNull, kNull, I(0), kNull);
  EXPECT_EQ(harness.accumulator(), harness.aggregator().Initial());
  harness.Add({I(2)});
  harness.Retract({I(9)});  // counts drop, the value maps ignore 9
  EXPECT_RESULTS(harness, I(0), I(0), kNull, kNull, I(1), I(2));
  harness.Retract({I(2)});
  EXPECT_RESULTS(harness, I(0), I(0), kNull, kNull, I(0), kNull);
  EXPECT_EQ(harness.RowCount(), 0);
}

TEST(Aggregator, NonRetractableMinRefusesRetractionsUnchanged) {
  LogicalType type = LogicalType::Int();
  Harness harness({type}, {CountStar(), Same(AggregateKind::kMin, 0, type)});
  harness.Add({I(3)});
  std::string before = harness.accumulator();
  base::Status status = harness.Feed(&harness.accumulator(), {I(3)}, /*retract=*/true);
  EXPECT_EQ(status.code(), base::ErrorCode::kInternal);
  EXPECT_EQ(harness.accumulator(), before);
}

TEST(Aggregator, FixedWidthCallsUpdateInPlace) {
  LogicalType type = LogicalType::Bigint();
  LogicalType real = LogicalType::Double();
  Harness harness({type, real},
                  {CountStar(), Count(0, type), Same(AggregateKind::kSum, 0, type),
                   Same(AggregateKind::kAvg, 1, real), Same(AggregateKind::kMin, 0, type),
                   Same(AggregateKind::kMax, 1, real),
                   Same(AggregateKind::kSum, 0, LogicalType::Decimal(10, 0))});
  const char* data = harness.accumulator().data();
  size_t size = harness.accumulator().size();
  for (int64_t value = 0; value < 100; ++value) harness.Add({I(value), D(value * 0.5)});
  EXPECT_EQ(harness.accumulator().data(), data);  // no reallocation
  EXPECT_EQ(harness.accumulator().size(), size);
  EXPECT_RESULTS(harness, I(100), I(100), I(4950), D(24.75), I(0), D(49.5), S("4950"));
}

TEST(Aggregator, MergesSlices) {
  LogicalType type = LogicalType::Int();
  LogicalType text = LogicalType::Varchar();
  std::vector<AggregateCall> calls = {CountStar(), Same(AggregateKind::kSum, 0, type),
                                      Same(AggregateKind::kMin, 1, text),
                                      Same(AggregateKind::kMax, 1, text), Count(0, type, true)};
  Harness left({type, text}, calls);
  Harness right({type, text}, calls);
  left.Add({I(1), S("k")});
  left.Add({I(2), S("b")});
  right.Add({I(2), S("z")});
  right.Add({I(5), S("c")});
  std::string merged = left.aggregator().Initial();
  ASSERT_TRUE(left.aggregator().Merge(&merged, left.accumulator()).ok());
  ASSERT_TRUE(left.aggregator().Merge(&merged, right.accumulator()).ok());
  EXPECT_EQ(left.aggregator().RowCount(merged), 4);
  EXPECT_EQ(Show(left.Results(merged)), Show({I(4), I(10), S("b"), S("z"), I(3)}));

  // Merging an accumulator with itself doubles it.
  ASSERT_TRUE(left.aggregator().Merge(&merged, merged).ok());
  EXPECT_EQ(Show(left.Results(merged)), Show({I(8), I(20), S("b"), S("z"), I(3)}));
}

TEST(Aggregator, MergedValueCountsAddUp) {
  LogicalType type = LogicalType::Int();
  LogicalType text = LogicalType::Varchar();
  std::vector<AggregateCall> calls = {Same(AggregateKind::kMin, 0, type, false, true),
                                      Same(AggregateKind::kMax, 1, text, false, true),
                                      Count(0, type, true)};
  Harness left({type, text}, calls);
  Harness right({type, text}, calls);
  left.Add({I(3), S("q")});
  right.Add({I(3), S("q")});
  right.Add({I(5), S("p")});
  ASSERT_TRUE(left.aggregator().Merge(&left.accumulator(), right.accumulator()).ok());
  EXPECT_RESULTS(left, I(3), S("q"), I(2));
  left.Retract({I(3), S("q")});  // one of two 3s and qs: both stay
  EXPECT_RESULTS(left, I(3), S("q"), I(2));
  left.Retract({I(3), S("q")});
  EXPECT_RESULTS(left, I(5), S("p"), I(1));
}

// A row of the property test's input: INT, BIGINT, DOUBLE, DECIMAL(8, 2), VARCHAR, BOOLEAN,
// TIMESTAMP, and a BOOLEAN filter.
std::vector<Value> RandomRow(std::mt19937_64* random) {
  auto pick = [&](int64_t bound) {
    return static_cast<int64_t>((*random)() % static_cast<uint64_t>(bound));
  };
  auto maybe_null = [&](Value value) { return pick(6) == 0 ? kNull : value; };
  static const char* kWords[] = {"", "a", "ab", "b", "zz", "\xc3\xa9t\xc3\xa9"};
  return {
      maybe_null(I(pick(2) == 0 ? pick(20) - 10 : std::numeric_limits<int32_t>::max() - pick(3))),
      maybe_null(I(pick(1000) - 500)),
      maybe_null(D(static_cast<double>(pick(64) - 32) / 4)),  // exact in any order
      maybe_null(I(pick(100000) - 50000)),
      maybe_null(S(kWords[pick(6)])),
      maybe_null(I(pick(2))),
      maybe_null(I(1'700'000'000'000 + pick(50))),
      maybe_null(I(pick(2)))};
}

TEST(Aggregator, MergingSlicesEqualsAccumulatingEverything) {
  LogicalType integer = LogicalType::Int();
  LogicalType big = LogicalType::Bigint();
  LogicalType real = LogicalType::Double();
  LogicalType decimal = LogicalType::Decimal(8, 2);
  LogicalType text = LogicalType::Varchar();
  LogicalType flag = LogicalType::Boolean();
  LogicalType time = LogicalType::Timestamp();
  std::vector<LogicalType> input = {integer, big, real, decimal, text, flag, time, flag};
  std::vector<AggregateCall> calls;
  calls.push_back(CountStar());
  calls.push_back(CountStar(7));
  for (int32_t slot = 0; slot < 7; ++slot) {
    const LogicalType& type = input[slot];
    calls.push_back(Count(slot, type));
    calls.push_back(Count(slot, type, true));
    for (bool retractable : {false, true}) {
      calls.push_back(Same(AggregateKind::kMin, slot, type, false, retractable));
      calls.push_back(Same(AggregateKind::kMax, slot, type, false, retractable));
    }
    if (slot <= 3) {
      for (bool distinct : {false, true}) {
        calls.push_back(Same(AggregateKind::kSum, slot, type, distinct));
        calls.push_back(Same(AggregateKind::kAvg, slot, type, distinct));
        AggregateCall filtered = Same(AggregateKind::kSum, slot, type, distinct);
        filtered.filter_slot = 7;
        calls.push_back(filtered);
      }
    }
  }

  std::mt19937_64 random(20240601);
  for (int trial = 0; trial < 200; ++trial) {
    SCOPED_TRACE(trial);
    Harness whole(input, calls);
    int slice_count = 1 + static_cast<int>(random() % 5);
    std::vector<std::string> slices(slice_count, whole.aggregator().Initial());
    int row_count = static_cast<int>(random() % 40);
    for (int row = 0; row < row_count; ++row) {
      std::vector<Value> values = RandomRow(&random);
      whole.Add(values);
      ASSERT_TRUE(whole.Feed(&slices[random() % slice_count], values, false).ok());
    }
    std::string merged = whole.aggregator().Initial();
    for (const auto& slice : slices) ASSERT_TRUE(whole.aggregator().Merge(&merged, slice).ok());
    EXPECT_EQ(whole.aggregator().RowCount(merged), row_count);
    EXPECT_EQ(Show(whole.Results(merged)), Show(whole.Results()));
  }
}

TEST(Aggregator, RetractingEverythingInAnyOrderLeavesTheInitialAccumulator) {
  LogicalType integer = LogicalType::Int();
  LogicalType text = LogicalType::Varchar();
  std::vector<AggregateCall> calls = {CountStar(),
                                      Count(0, integer),
                                      Same(AggregateKind::kSum, 0, integer),
                                      Same(AggregateKind::kMin, 0, integer, false, true),
                                      Same(AggregateKind::kMax, 1, text, false, true),
                                      Count(1, text, true),
                                      Same(AggregateKind::kSum, 0, integer, true)};
  std::mt19937_64 random(7);
  for (int trial = 0; trial < 50; ++trial) {
    Harness harness({integer, text}, calls);
    std::vector<std::vector<Value>> rows;
    for (int row = 0; row < 30; ++row) {
      std::vector<Value> values = RandomRow(&random);
      rows.push_back({values[0], values[4]});
      harness.Add(rows.back());
    }
    std::shuffle(rows.begin(), rows.end(), random);
    for (size_t row = 0; row + 1 < rows.size(); ++row) harness.Retract(rows[row]);
    // One row left: every result is that row's.
    Harness single({integer, text}, calls);
    single.Add(rows.back());
    EXPECT_EQ(Show(harness.Results()), Show(single.Results()));
    harness.Retract(rows.back());
    EXPECT_EQ(harness.accumulator(), harness.aggregator().Initial());
  }
}

TEST(Aggregator, MomentsOfIntegersAreExactPastInt64Squares) {
  // Squares of 4e9 and 6e9 pass INT64; the 128-bit sums keep VAR_POP exact: 1e18.
  LogicalType type = LogicalType::Bigint();
  Harness harness(
      {type},
      {Same(AggregateKind::kVarPop, 0, type), Same(AggregateKind::kVarSamp, 0, type),
       Same(AggregateKind::kStddevPop, 0, type), Same(AggregateKind::kStddevSamp, 0, type)});
  harness.Add({I(4'000'000'000)});
  EXPECT_RESULTS(harness, I(0), kNull, I(0), kNull);
  harness.Add({I(6'000'000'000)});
  EXPECT_RESULTS(harness, I(1'000'000'000'000'000'000), I(2'000'000'000'000'000'000),
                 I(1'000'000'000), I(1'414'213'562));
  // Flink's integer divisions: [1, 2]: (5 - 9 / 2) / 2 = 0, SAMP (5 - 4) / 1 = 1.
  Harness small({LogicalType::Int()}, {Same(AggregateKind::kVarPop, 0, LogicalType::Int()),
                                       Same(AggregateKind::kVarSamp, 0, LogicalType::Int())});
  small.Add({I(1)});
  small.Add({I(2)});
  EXPECT_RESULTS(small, I(0), I(1));
}

TEST(Aggregator, RetractingEverythingFromTheNewAccumulatorsLeavesTheInitialOne) {
  LogicalType integer = LogicalType::Int();
  LogicalType real = LogicalType::Double();
  LogicalType text = LogicalType::Varchar();
  LogicalType flag = LogicalType::Boolean();
  std::vector<AggregateCall> calls = {
      Same(AggregateKind::kStddevSamp, 0, integer),
      Same(AggregateKind::kVarSamp, 1, real),  // one value left: NULL, whatever the drift
      Call(AggregateKind::kBoolAnd, 3, flag, flag),
      Call(AggregateKind::kBoolOr, 3, flag, flag),
      Call(AggregateKind::kFirstValue, 2, text, text, false, -1, /*retractable=*/true),
      Call(AggregateKind::kLastValue, 0, integer, integer, false, -1, /*retractable=*/true),
      Call(AggregateKind::kListAgg, 2, text, text, false, -1, /*retractable=*/true)};
  std::mt19937_64 random(11);
  for (int trial = 0; trial < 30; ++trial) {
    Harness harness({integer, real, text, flag}, calls);
    std::vector<std::vector<Value>> rows;
    for (int row = 0; row < 20; ++row) {
      auto pick = [&](Value value) { return random() % 5 == 0 ? kNull : value; };
      rows.push_back({pick(I(static_cast<int64_t>(random() % 21) - 10)),
                      pick(D(static_cast<double>(random() % 16) / 4)),
                      pick(S(std::string(1, static_cast<char>('a' + random() % 4)))),
                      pick(I(static_cast<int64_t>(random() % 2)))});
      harness.Add(rows.back());
    }
    std::shuffle(rows.begin(), rows.end(), random);
    for (size_t row = 0; row + 1 < rows.size(); ++row) harness.Retract(rows[row]);
    Harness single({integer, real, text, flag}, calls);
    single.Add(rows.back());
    EXPECT_EQ(Show(harness.Results()), Show(single.Results()));
    harness.Retract(rows.back());
    EXPECT_EQ(harness.accumulator(), harness.aggregator().Initial());
  }
}

TEST(Aggregator, ListAggJoinsInArrivalOrderAndRetractsTheOldestEqualValue) {
  LogicalType text = LogicalType::Varchar();
  AggregateCall listagg = Call(AggregateKind::kListAgg, 0, text, text, false, -1, true);
  listagg.separator = "; ";
  Harness harness({text},
                  {listagg, Call(AggregateKind::kFirstValue, 0, text, text, false, -1, true),
                   Call(AggregateKind::kLastValue, 0, text, text, false, -1, true)});
  harness.Add({S("a")});
  harness.Add({kNull});
  harness.Add({S("b")});
  harness.Add({S("a")});
  EXPECT_RESULTS(harness, S("a; b; a"), S("a"), S("a"));
  harness.Retract({S("a")});
  EXPECT_RESULTS(harness, S("b; a"), S("b"), S("a"));
  harness.Retract({S("z")});  // absent: nothing changes
  EXPECT_RESULTS(harness, S("b; a"), S("b"), S("a"));
}

TEST(Aggregator, CorruptAccumulatorsGiveDataErrors) {
  LogicalType type = LogicalType::Varchar();
  Harness harness({type}, {CountStar(), Count(0, type, true),
                           Same(AggregateKind::kMin, 0, type, false, /*retractable=*/true)});
  harness.Add({S("hello")});
  harness.Add({S("world")});
  std::string good = harness.accumulator();

  std::string empty;
  EXPECT_EQ(harness.Feed(&empty, {S("x")}, false).code(), base::ErrorCode::kData);
  std::vector<LogicalType> result_types = {LogicalType::Bigint(), LogicalType::Bigint(), type};
  Batch out(result_types);
  for (size_t size = 0; size < good.size(); ++size) {
    std::string truncated = good.substr(0, size);
    EXPECT_EQ(harness.aggregator().WriteResults(truncated, &out, 0, 0).code(),
              base::ErrorCode::kData);
    std::string target = harness.aggregator().Initial();
    EXPECT_EQ(harness.aggregator().Merge(&target, truncated).code(), base::ErrorCode::kData);
    (void)harness.Feed(&truncated, {S("x")}, false);  // an error or a no-op, never a crash
  }
  // Random damage: a kData error, or an accumulator that stays well formed (its results can
  // be written) after a merge or an update.
  std::mt19937_64 random(3);
  auto ok_or_data_error = [](const base::Status& status) {
    return status.ok() || status.code() == base::ErrorCode::kData;
  };
  int rejected = 0;
  for (int trial = 0; trial < 2000; ++trial) {
    SCOPED_TRACE(trial);
    std::string damaged = good;
    damaged[random() % damaged.size()] = static_cast<char>(random());
    base::Status written = harness.aggregator().WriteResults(damaged, &out, 0, 0);
    EXPECT_TRUE(ok_or_data_error(written)) << written.message();
    bool well_formed = written.ok();
    if (!well_formed) ++rejected;
    std::string target = good;
    base::Status merged = harness.aggregator().Merge(&target, damaged);
    EXPECT_TRUE(ok_or_data_error(merged)) << merged.message();
    if (merged.ok()) {
      EXPECT_TRUE(harness.aggregator().WriteResults(target, &out, 0, 0).ok());
    }
    base::Status fed = harness.Feed(&damaged, {S("x")}, trial % 2 == 0);
    EXPECT_TRUE(ok_or_data_error(fed)) << fed.message();
    if (fed.ok() && well_formed) {
      EXPECT_TRUE(harness.aggregator().WriteResults(damaged, &out, 0, 0).ok());
    }
  }
  EXPECT_GT(rejected, 100);
}

// Sections of a test accumulator for ValueCounts: u32 length + payload, one after another.
size_t SectionAt(const std::string& accumulator, int index) {
  size_t at = 0;
  for (int current = 0; current < index; ++current) {
    uint32_t length;
    std::memcpy(&length, accumulator.data() + at, sizeof(length));
    at += 4 + length;
  }
  return at;
}

std::string_view PayloadAt(const std::string& accumulator, int index) {
  size_t at = SectionAt(accumulator, index);
  uint32_t length;
  std::memcpy(&length, accumulator.data() + at, sizeof(length));
  return std::string_view(accumulator).substr(at + 4, length);
}

using Reference = std::map<int64_t, int64_t>;

void ApplyToReference(Reference* reference, int64_t key, int64_t delta) {
  auto found = reference->find(key);
  if (found == reference->end()) {
    if (delta > 0) reference->emplace(key, delta);
    return;
  }
  found->second += delta;
  if (found->second <= 0) reference->erase(found);
}

void ExpectMatches(const ValueCounts& counts, std::string_view payload,
                   const Reference& reference) {
  ASSERT_TRUE(counts.Valid(payload));
  EXPECT_EQ(counts.Size(payload), static_cast<int64_t>(reference.size()));
  Reference seen;
  int64_t previous = std::numeric_limits<int64_t>::min();
  bool first = true;
  counts.ForEach(payload, [&](const ValueKey& key, int64_t count) {
    EXPECT_TRUE(first || key.fixed > previous) << "not ascending at " << key.fixed;
    first = false;
    previous = key.fixed;
    seen[key.fixed] = count;
  });
  EXPECT_EQ(seen, reference);
  ValueKey key;
  EXPECT_EQ(counts.Extreme(payload, true, &key), !reference.empty());
  if (!reference.empty()) {
    EXPECT_EQ(key.fixed, reference.begin()->first);
    ASSERT_TRUE(counts.Extreme(payload, false, &key));
    EXPECT_EQ(key.fixed, reference.rbegin()->first);
  }
}

std::string PayloadOf(const ValueCounts& counts, const Reference& reference) {
  std::string section(4, '\0');
  for (const auto& [value, count] : reference) {
    ValueKey key;
    key.fixed = value;
    EXPECT_TRUE(counts.Add(&section, 0, key, count));
  }
  return section.substr(4);
}

TEST(ValueCounts, LargeSetsMatchAMapThroughInsertsDuplicatesAndRetractions) {
  ValueCounts counts(false);
  std::mt19937_64 random(99);
  for (int trial = 0; trial < 12; ++trial) {
    SCOPED_TRACE(trial);
    // Three sets side by side, so that edits of one must keep the others intact.
    std::string accumulator(12, '\0');
    std::vector<Reference> references(3);
    int64_t range = trial % 3 == 0 ? 40 : (trial % 3 == 1 ? 600 : 20000);
    int operations = 6000;
    for (int operation = 0; operation < operations; ++operation) {
      int set = static_cast<int>(random() % 3);
      // Mostly inserts early, mostly retractions late: sets grow, then shrink again.
      bool retract = random() % 100 < (operation < operations / 2 ? 25u : 70u);
      int64_t value = static_cast<int64_t>(random() % static_cast<uint64_t>(range)) - range / 2;
      if (retract && !references[set].empty() && random() % 2 == 0) {
        auto it = references[set].lower_bound(value);  // mostly retract values that are there
        value = it == references[set].end() ? references[set].begin()->first : it->first;
      }
      ValueKey key;
      key.fixed = value;
      ASSERT_TRUE(counts.Add(&accumulator, SectionAt(accumulator, set), key, retract ? -1 : 1));
      ApplyToReference(&references[set], value, retract ? -1 : 1);
      if (operation % 500 == 0 || operation + 1 == operations) {
        for (int check = 0; check < 3; ++check) {
          ExpectMatches(counts, PayloadAt(accumulator, check), references[check]);
        }
      }
    }
    // Taking every value out leaves three empty sections.
    for (int set = 0; set < 3; ++set) {
      Reference remaining = references[set];
      for (const auto& [value, count] : remaining) {
        ValueKey key;
        key.fixed = value;
        ASSERT_TRUE(counts.Add(&accumulator, SectionAt(accumulator, set), key, -count));
      }
    }
    EXPECT_EQ(accumulator, std::string(12, '\0'));
  }
}

TEST(ValueCounts, SwitchesToTheIndexedLayoutAndBack) {
  ValueCounts counts(false);
  std::string section(4, '\0');
  Reference reference;
  for (int64_t value = 0; value < 1000; ++value) {
    ValueKey key;
    key.fixed = (value * 7919) % 1000;  // not in order
    ASSERT_TRUE(counts.Add(&section, 0, key, 1));
    ApplyToReference(&reference, key.fixed, 1);
    std::string_view payload = std::string_view(section).substr(4);
    // Compact (a multiple of 16 bytes) below the threshold, indexed from it on.
    EXPECT_EQ(payload.size() % 16, value + 1 < ValueCounts::kIndexThreshold ? 0u : 8u) << value;
  }
  ExpectMatches(counts, std::string_view(section).substr(4), reference);
  // The set grew by doubling its room, not by one pair per value.
  EXPECT_LE(section.size(), 4 + 24 + 16 * 4 * 1000u);
  for (int64_t value = 0; value < 1000; ++value) {
    ValueKey key;
    key.fixed = value;
    ASSERT_TRUE(counts.Add(&section, 0, key, -1));
    ApplyToReference(&reference, value, -1);
    if (value % 97 == 0) ExpectMatches(counts, std::string_view(section).substr(4), reference);
  }
  EXPECT_EQ(section, std::string(4, '\0'));
}

TEST(ValueCounts, MergesCompactAndIndexedPayloadsInEitherOrder) {
  ValueCounts counts(false);
  std::mt19937_64 random(5);
  auto random_reference = [&](int size, int64_t range) {
    Reference reference;
    for (int index = 0; index < size; ++index) {
      ApplyToReference(&reference, static_cast<int64_t>(random() % range), 1);
    }
    return reference;
  };
  // An indexed payload with a tail and removed values: edit one built in order.
  std::string edited(4, '\0');
  Reference edited_reference;
  for (int64_t value = 0; value < 400; value += 2) {
    ValueKey key;
    key.fixed = value;
    ASSERT_TRUE(counts.Add(&edited, 0, key, 2));
    ApplyToReference(&edited_reference, value, 2);
  }
  for (int64_t value : {1, 3, 5, 399, -7, 100, 100, 102, 104, 106}) {
    ValueKey key;
    key.fixed = value;
    int64_t delta = value % 2 == 0 ? -2 : 1;
    ASSERT_TRUE(counts.Add(&edited, 0, key, delta));
    ApplyToReference(&edited_reference, value, delta);
  }
  std::vector<Reference> references = {{},
                                       random_reference(10, 30),
                                       random_reference(300, 1000),
                                       random_reference(2000, 1500),
                                       edited_reference};
  std::vector<std::string> payloads;
  for (size_t index = 0; index + 1 < references.size(); ++index) {
    payloads.push_back(PayloadOf(counts, references[index]));
  }
  payloads.push_back(edited.substr(4));
  EXPECT_EQ(payloads[2].size() % 16, 8u);  // indexed
  EXPECT_EQ(payloads[1].size() % 16, 0u);  // compact
  for (size_t left = 0; left < payloads.size(); ++left) {
    for (size_t right = 0; right < payloads.size(); ++right) {
      SCOPED_TRACE(std::to_string(left) + " + " + std::to_string(right));
      std::string merged = "x";  // Merge appends
      counts.Merge(payloads[left], payloads[right], &merged);
      Reference expected = references[left];
      for (const auto& [value, count] : references[right]) {
        ApplyToReference(&expected, value, count);
      }
      ASSERT_EQ(merged[0], 'x');
      ExpectMatches(counts, std::string_view(merged).substr(1), expected);
      // The merged payload keeps taking edits.
      std::string section(4, '\0');
      uint32_t length = static_cast<uint32_t>(merged.size() - 1);
      std::memcpy(section.data(), &length, sizeof(length));
      section.append(merged.substr(1));
      for (int64_t value = -5; value < 3000; value += 37) {
        ValueKey key;
        key.fixed = value;
        ASSERT_TRUE(counts.Add(&section, 0, key, value % 3 == 0 ? -1 : 1));
        ApplyToReference(&expected, value, value % 3 == 0 ? -1 : 1);
      }
      ExpectMatches(counts, std::string_view(section).substr(4), expected);
    }
  }
}

// The (key, count) entries a cursor reads from `payload`, in its order.
std::vector<std::pair<int64_t, int64_t>> EntriesOf(const ValueCounts& counts,
                                                   std::string_view payload) {
  std::vector<std::pair<int64_t, int64_t>> entries;
  counts.ForEach(
      payload, [&](const ValueKey& key, int64_t count) { entries.emplace_back(key.fixed, count); });
  return entries;
}

// A damaged section is either rejected (Valid false, Add refuses it and changes nothing) or
// harmless: what a cursor reads from it is rewritten by Merge into a well-formed payload that
// reads back the same and is rewritten to the same bytes, and Add keeps the section well formed
// without touching the bytes after it.
TEST(ValueCounts, DamagedIndexedPayloadsAreRejectedOrHarmless) {
  ValueCounts counts(false);
  Reference reference;
  for (int64_t value = 0; value < 300; ++value) reference[value * 3] = 1 + value % 4;
  std::string good = std::string(4, '\0') + PayloadOf(counts, reference);
  uint32_t length = static_cast<uint32_t>(good.size() - 4);
  std::memcpy(good.data(), &length, sizeof(length));
  ASSERT_TRUE(counts.Valid(PayloadAt(good, 0)));
  ASSERT_EQ(PayloadAt(good, 0).size() % 16, 8u);  // indexed
  std::mt19937_64 random(11);
  int rejected = 0;
  int accepted = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    SCOPED_TRACE(trial);
    std::string damaged = good;
    // Mostly damage the header and the counts' neighbourhood, where the offsets live.
    size_t at = trial % 2 == 0 ? 4 + random() % 24 : random() % damaged.size();
    damaged[at] = static_cast<char>(random());
    // The bytes after the section (when the length prefix is damaged to a shorter one).
    uint32_t damaged_length;
    std::memcpy(&damaged_length, damaged.data(), sizeof(damaged_length));
    ValueKey key;
    key.fixed = static_cast<int64_t>(random() % 1000);
    int64_t delta = trial % 2 == 0 ? 1 : -1;
    if (damaged_length > damaged.size() - 4 || !counts.Valid(PayloadAt(damaged, 0))) {
      ++rejected;
      std::string before = damaged;
      EXPECT_FALSE(counts.Add(&damaged, 0, key, delta));
      EXPECT_EQ(damaged, before);
      continue;
    }
    ++accepted;
    std::string_view payload = PayloadAt(damaged, 0);
    std::string after_section = damaged.substr(4 + payload.size());
    auto entries = EntriesOf(counts, payload);
    std::vector<std::pair<int64_t, int64_t>> live;
    for (const auto& entry : entries) {
      if (entry.second > 0) live.push_back(entry);
    }
    std::string copy;
    counts.Merge(payload, {}, &copy);
    ASSERT_TRUE(counts.Valid(copy));
    EXPECT_EQ(EntriesOf(counts, copy), live);
    EXPECT_EQ(counts.Size(copy), static_cast<int64_t>(live.size()));
    std::string copy_again;
    counts.Merge(copy, {}, &copy_again);
    EXPECT_EQ(copy_again, copy);
    ValueKey extreme;
    EXPECT_EQ(counts.Extreme(copy, true, &extreme), !live.empty());
    if (!live.empty()) {
      EXPECT_EQ(extreme.fixed, live.front().first);
    }
    // Merged with itself, every live count doubles; a damaged count near the int64 limits
    // saturates instead of overflowing.
    std::string doubled;
    counts.Merge(payload, payload, &doubled);
    ASSERT_TRUE(counts.Valid(doubled));
    auto expected_doubled = live;
    for (auto& [value, count] : expected_doubled) {
      count = count > std::numeric_limits<int64_t>::max() / 2 ? std::numeric_limits<int64_t>::max()
                                                              : 2 * count;
    }
    EXPECT_EQ(EntriesOf(counts, doubled), expected_doubled);

    ASSERT_TRUE(counts.Add(&damaged, 0, key, delta));
    ASSERT_GE(damaged.size(), 4u);
    std::memcpy(&damaged_length, damaged.data(), sizeof(damaged_length));
    ASSERT_LE(damaged_length, damaged.size() - 4);
    EXPECT_TRUE(counts.Valid(PayloadAt(damaged, 0)));
    EXPECT_EQ(damaged.substr(4 + damaged_length), after_section);
  }
  // Both outcomes are exercised, so neither branch's assertions are vacuous.
  EXPECT_GT(rejected, 300);
  EXPECT_GT(accepted, 300);
}

TEST(Aggregator, LargeDistinctSetsMatchAReferenceAcrossRetractionsCopiesAndMerges) {
  LogicalType big = LogicalType::Bigint();
  LogicalType real = LogicalType::Double();
  std::vector<AggregateCall> calls = {CountStar(),
                                      Count(0, big, true),
                                      Same(AggregateKind::kSum, 0, big, true),
                                      Same(AggregateKind::kAvg, 1, real, true),
                                      Same(AggregateKind::kMin, 0, big, false, true),
                                      Same(AggregateKind::kMax, 1, real, false, true),
                                      Count(1, real, true)};
  std::mt19937_64 random(2024);
  Harness whole({big, real}, calls);
  Harness left({big, real}, calls);
  Harness right({big, real}, calls);
  std::multiset<int64_t> rows;  // the live rows' BIGINT; the DOUBLE is value / 4
  auto expected = [&]() {
    if (rows.empty()) return std::vector<Value>{I(0), I(0), kNull, kNull, kNull, kNull, I(0)};
    std::set<int64_t> distinct(rows.begin(), rows.end());
    int64_t sum = 0;
    double real_sum = 0;
    for (int64_t value : distinct) {
      sum += value;
      real_sum += static_cast<double>(value) / 4;  // exact: ascending order, quarters
    }
    auto count = static_cast<int64_t>(distinct.size());
    return std::vector<Value>{I(static_cast<int64_t>(rows.size())),
                              I(count),
                              I(sum),
                              D(real_sum / static_cast<double>(count)),
                              I(*distinct.begin()),
                              D(static_cast<double>(*distinct.rbegin()) / 4),
                              I(count)};
  };
  for (int step = 0; step < 8000; ++step) {
    bool retract = !rows.empty() && random() % 100 < (step < 5000 ? 20u : 75u);
    int64_t value = static_cast<int64_t>(random() % 3000) - 1000;
    if (retract) {
      auto it = rows.lower_bound(value);
      if (it == rows.end()) it = rows.begin();
      value = *it;
      rows.erase(it);
      whole.Retract({I(value), D(static_cast<double>(value) / 4)});
    } else {
      rows.insert(value);
      std::vector<Value> row = {I(value), D(static_cast<double>(value) / 4)};
      whole.Add(row);
      (step % 2 == 0 ? left : right).Add(row);
    }
    if (step % 400 == 0) {
      SCOPED_TRACE(step);
      EXPECT_EQ(Show(whole.Results()), Show(expected()));
      // A copy of the bytes (what a snapshot stores) reads and edits the same.
      std::string copy = whole.accumulator();
      EXPECT_EQ(Show(whole.Results(copy)), Show(whole.Results()));
      std::vector<Value> row = {I(step), D(static_cast<double>(step) / 4)};
      ASSERT_TRUE(whole.Feed(&copy, row, false).ok());
      ASSERT_TRUE(whole.Feed(&copy, row, true).ok());
      EXPECT_EQ(Show(whole.Results(copy)), Show(whole.Results()));
    }
  }
  // Slices of insert-only rows merge into what accumulating them all gives.
  Harness both({big, real}, calls);
  std::string merged = both.aggregator().Initial();
  ASSERT_TRUE(both.aggregator().Merge(&merged, left.accumulator()).ok());
  ASSERT_TRUE(both.aggregator().Merge(&merged, right.accumulator()).ok());
  std::string sequential = left.accumulator();
  ASSERT_TRUE(both.aggregator().Merge(&sequential, right.accumulator()).ok());
  Harness all({big, real}, calls);
  random.seed(2024);
  rows.clear();
  for (int step = 0; step < 8000; ++step) {
    bool retract = !rows.empty() && random() % 100 < (step < 5000 ? 20u : 75u);
    int64_t value = static_cast<int64_t>(random() % 3000) - 1000;
    if (retract) {
      auto it = rows.lower_bound(value);
      if (it == rows.end()) it = rows.begin();
      rows.erase(it);
    } else {
      rows.insert(value);
      all.Add({I(value), D(static_cast<double>(value) / 4)});
    }
  }
  EXPECT_EQ(Show(both.Results(merged)), Show(all.Results()));
  EXPECT_EQ(Show(both.Results(sequential)), Show(all.Results()));
  // Taking every row out again leaves the initial accumulator.
  for (int64_t value : std::vector<int64_t>(rows.begin(), rows.end())) {
    whole.Retract({I(value), D(static_cast<double>(value) / 4)});
  }
  rows.clear();
  EXPECT_EQ(Show(whole.Results()), Show(expected()));
  EXPECT_EQ(whole.accumulator(), whole.aggregator().Initial());
}

TEST(Aggregator, RejectsSumOverNonNumbers) {
  LogicalType type = LogicalType::Varchar();
  Harness harness({type}, {Same(AggregateKind::kSum, 0, type)});
  EXPECT_EQ(harness.Feed(&harness.accumulator(), {S("x")}, false).code(), base::ErrorCode::kPlan);
}

}  // namespace
}  // namespace sluice::runtime::operators::aggregate
