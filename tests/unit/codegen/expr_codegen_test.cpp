// Generated code for every FunctionId, casts, CASE and NULL handling, checked against values
// written from runtime/expr/SEMANTICS.md.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>

#include "tests/unit/codegen/chain_runner.h"

namespace sluice::compiler::codegen::testing {
namespace {

constexpr int32_t kIntMin = std::numeric_limits<int32_t>::min();
constexpr int32_t kIntMax = std::numeric_limits<int32_t>::max();
constexpr int64_t kBigMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kBigMax = std::numeric_limits<int64_t>::max();
const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

/// Evaluates `function(left[i], right[i])` with both operands read from input columns.
std::vector<Value> Binary(FunctionId function, LogicalType operand, LogicalType result,
                          std::vector<Value> left, std::vector<Value> right) {
  return Evaluate(Fn(function, result, {Col(0, operand), Col(1, operand)}), {operand, operand},
                  {left, right});
}

std::vector<Value> Unary(FunctionId function, LogicalType operand, LogicalType result,
                         std::vector<Value> values) {
  return Evaluate(Fn(function, result, {Col(0, operand)}), {operand}, {values});
}

std::vector<Value> CastColumn(LogicalType from, LogicalType to, std::vector<Value> values) {
  return Evaluate(Expr::Cast(Col(0, from), to), {from}, {values});
}

std::vector<Value> Ints(std::initializer_list<int32_t> values) {
  std::vector<Value> out;
  for (int32_t value : values) out.push_back(Value::Int(value));
  return out;
}
std::vector<Value> Bigints(std::initializer_list<int64_t> values) {
  std::vector<Value> out;
  for (int64_t value : values) out.push_back(Value::Bigint(value));
  return out;
}
std::vector<Value> Doubles(std::initializer_list<double> values) {
  std::vector<Value> out;
  for (double value : values) out.push_back(Value::Double(value));
  return out;
}
std::vector<Value> Booleans(std::initializer_list<int> values) {
  std::vector<Value> out;
  for (int value : values) {
    out.push_back(value < 0 ? Null(LogicalType::Boolean()) : Value::Boolean(value != 0));
  }
  return out;
}
std::vector<Value> Strings(std::initializer_list<const char*> values) {
  std::vector<Value> out;
  for (const char* value : values) {
    out.push_back(value == nullptr ? Null(LogicalType::Varchar()) : Value::Varchar(value));
  }
  return out;
}

const LogicalType kInt = LogicalType::Int();
const LogicalType kBigint = LogicalType::Bigint();
const LogicalType kDouble = LogicalType::Double();
const LogicalType kBoolean = LogicalType::Boolean();
const LogicalType kVarchar = LogicalType::Varchar();

TEST(ExprCodegenTest, IntegerArithmeticWrapsAround) {
  EXPECT_EQ(Binary(FunctionId::kAdd, kInt, kInt, Ints({kIntMax, 2, -5}), Ints({1, 3, 5})),
            Ints({kIntMin, 5, 0}));
  EXPECT_EQ(
      Binary(FunctionId::kSubtract, kBigint, kBigint, Bigints({kBigMin, 10}), Bigints({1, 20})),
      Bigints({kBigMax, -10}));
  EXPECT_EQ(
      Binary(FunctionId::kMultiply, kBigint, kBigint, Bigints({kBigMax, -7}), Bigints({2, 6})),
      Bigints({-2, -42}));
  EXPECT_EQ(Unary(FunctionId::kNegate, kInt, kInt, Ints({kIntMin, 7})), Ints({kIntMin, -7}));
  EXPECT_EQ(Unary(FunctionId::kAbs, kBigint, kBigint, Bigints({kBigMin, -3, 4})),
            Bigints({kBigMin, 3, 4}));
}

TEST(ExprCodegenTest, IntegerDivisionNeverTraps) {
  std::vector<Value> expected = Ints({3, -3, 0, kIntMin, 7});
  expected.insert(expected.begin() + 2, Null(kInt));  // 5 / 0
  EXPECT_EQ(Binary(FunctionId::kDivide, kInt, kInt, Ints({7, -7, 5, 0, kIntMin, -7}),
                   Ints({2, 2, 0, 3, -1, -1})),
            expected);
  std::vector<Value> modulo = Binary(FunctionId::kModulo, kBigint, kBigint,
                                     Bigints({7, -7, 7, kBigMin, 9}), Bigints({3, 3, -3, -1, 0}));
  EXPECT_EQ(modulo, (std::vector<Value>{Value::Bigint(1), Value::Bigint(-1), Value::Bigint(1),
                                        Value::Bigint(0), Null(kBigint)}));
}

TEST(ExprCodegenTest, DoubleArithmeticFollowsIeee) {
  EXPECT_EQ(
      Binary(FunctionId::kAdd, kDouble, kDouble, Doubles({0.1, 1e308}), Doubles({0.2, 1e308})),
      Doubles({0.1 + 0.2, kInf}));
  std::vector<Value> quotients =
      Binary(FunctionId::kDivide, kDouble, kDouble, Doubles({1, -1, 0}), Doubles({0, 0, 0}));
  ASSERT_EQ(quotients.size(), 3u);
  EXPECT_EQ(quotients[0], Value::Double(kInf));
  EXPECT_EQ(quotients[1], Value::Double(-kInf));
  EXPECT_TRUE(!quotients[2].is_null && std::isnan(quotients[2].real));  // sign bit is the CPU's
  std::vector<Value> modulo = Binary(FunctionId::kModulo, kDouble, kDouble,
                                     Doubles({7.5, -7.5, 1, kNaN}), Doubles({2, 2, 0, 1}));
  EXPECT_EQ(modulo, (std::vector<Value>{Value::Double(1.5), Value::Double(-1.5), Null(kDouble),
                                        Value::Double(kNaN)}));
  EXPECT_EQ(Binary(FunctionId::kMultiply, kDouble, kDouble, Doubles({3}), Doubles({0.5})),
            Doubles({1.5}));
  EXPECT_EQ(Binary(FunctionId::kSubtract, kDouble, kDouble, Doubles({3}), Doubles({0.5})),
            Doubles({2.5}));
  EXPECT_EQ(Unary(FunctionId::kNegate, kDouble, kDouble, Doubles({0.0, 2})), Doubles({-0.0, -2}));
  EXPECT_EQ(Unary(FunctionId::kAbs, kDouble, kDouble, Doubles({-0.0, -2})), Doubles({0.0, 2}));
}

TEST(ExprCodegenTest, ArithmeticPropagatesNull) {
  std::vector<Value> left = {Value::Bigint(1), Null(kBigint), Null(kBigint)};
  std::vector<Value> right = {Null(kBigint), Value::Bigint(0), Null(kBigint)};
  for (FunctionId function : {FunctionId::kAdd, FunctionId::kSubtract, FunctionId::kMultiply,
                              FunctionId::kDivide, FunctionId::kModulo}) {
    EXPECT_EQ(Binary(function, kBigint, kBigint, left, right), std::vector<Value>(3, Null(kBigint)))
        << functions::FunctionName(function);
  }
  EXPECT_EQ(Unary(FunctionId::kNegate, kInt, kInt, {Null(kInt)}), std::vector<Value>{Null(kInt)});
}

TEST(ExprCodegenTest, TimestampPlusIntervalAddsMilliseconds) {
  LogicalType timestamp = LogicalType::Timestamp();
  LogicalType interval = LogicalType::Interval();
  std::vector<LogicalType> types = {timestamp, interval};
  std::vector<std::vector<Value>> inputs = {{Value::Timestamp(1'000'000)},
                                            {Value::Interval(5'000)}};
  EXPECT_EQ(Evaluate(Fn(FunctionId::kAdd, timestamp, {Col(0, timestamp), Col(1, interval)}), types,
                     inputs),
            std::vector<Value>{Value::Timestamp(1'005'000)});
  EXPECT_EQ(Evaluate(Fn(FunctionId::kSubtract, timestamp, {Col(0, timestamp), Col(1, interval)}),
                     types, inputs),
            std::vector<Value>{Value::Timestamp(995'000)});
  EXPECT_EQ(
      Evaluate(Fn(FunctionId::kAdd, interval, {Col(1, interval), Col(1, interval)}), types, inputs),
      std::vector<Value>{Value::Interval(10'000)});
}

TEST(ExprCodegenTest, ComparesIntegersBooleansAndTimestamps) {
  std::vector<Value> left = Bigints({1, 2, 3});
  std::vector<Value> right = Bigints({2, 2, 2});
  EXPECT_EQ(Binary(FunctionId::kEqual, kBigint, kBoolean, left, right), Booleans({0, 1, 0}));
  EXPECT_EQ(Binary(FunctionId::kNotEqual, kBigint, kBoolean, left, right), Booleans({1, 0, 1}));
  EXPECT_EQ(Binary(FunctionId::kLess, kBigint, kBoolean, left, right), Booleans({1, 0, 0}));
  EXPECT_EQ(Binary(FunctionId::kLessEqual, kBigint, kBoolean, left, right), Booleans({1, 1, 0}));
  EXPECT_EQ(Binary(FunctionId::kGreater, kBigint, kBoolean, left, right), Booleans({0, 0, 1}));
  EXPECT_EQ(Binary(FunctionId::kGreaterEqual, kBigint, kBoolean, left, right), Booleans({0, 1, 1}));
  EXPECT_EQ(Binary(FunctionId::kLess, kInt, kBoolean, Ints({-1, kIntMin}), Ints({0, kIntMax})),
            Booleans({1, 1}));
  // FALSE < TRUE
  EXPECT_EQ(
      Binary(FunctionId::kLess, kBoolean, kBoolean, Booleans({0, 1, 1}), Booleans({1, 0, -1})),
      Booleans({1, 0, -1}));
  LogicalType timestamp = LogicalType::Timestamp();
  EXPECT_EQ(Binary(FunctionId::kGreater, timestamp, kBoolean, {Value::Timestamp(-5)},
                   {Value::Timestamp(-6)}),
            Booleans({1}));
}

TEST(ExprCodegenTest, ComparesDoublesLikeJavaDoubleCompare) {
  // NaN equals NaN and is greater than everything, including +Infinity; -0.0 equals 0.0.
  std::vector<Value> left = Doubles({kNaN, kNaN, 1.0, -0.0, kInf, 1.0});
  std::vector<Value> right = Doubles({kNaN, kInf, kNaN, 0.0, 1.0, 1.0});
  EXPECT_EQ(Binary(FunctionId::kEqual, kDouble, kBoolean, left, right),
            Booleans({1, 0, 0, 1, 0, 1}));
  EXPECT_EQ(Binary(FunctionId::kNotEqual, kDouble, kBoolean, left, right),
            Booleans({0, 1, 1, 0, 1, 0}));
  EXPECT_EQ(Binary(FunctionId::kLess, kDouble, kBoolean, left, right),
            Booleans({0, 0, 1, 0, 0, 0}));
  EXPECT_EQ(Binary(FunctionId::kLessEqual, kDouble, kBoolean, left, right),
            Booleans({1, 0, 1, 1, 0, 1}));
  EXPECT_EQ(Binary(FunctionId::kGreater, kDouble, kBoolean, left, right),
            Booleans({0, 1, 0, 0, 1, 0}));
  EXPECT_EQ(Binary(FunctionId::kGreaterEqual, kDouble, kBoolean, left, right),
            Booleans({1, 1, 0, 1, 1, 1}));
}

TEST(ExprCodegenTest, ComparesStringsBytewise) {
  std::vector<Value> left = Strings({"abc", "ab", "b", "", nullptr, "\xc3\xa9"});
  std::vector<Value> right = Strings({"abc", "abc", "abc", "a", "a", "z"});
  EXPECT_EQ(Binary(FunctionId::kEqual, kVarchar, kBoolean, left, right),
            Booleans({1, 0, 0, 0, -1, 0}));
  EXPECT_EQ(Binary(FunctionId::kNotEqual, kVarchar, kBoolean, left, right),
            Booleans({0, 1, 1, 1, -1, 1}));
  EXPECT_EQ(Binary(FunctionId::kLess, kVarchar, kBoolean, left, right),
            Booleans({0, 1, 0, 1, -1, 0}));
  EXPECT_EQ(Binary(FunctionId::kLessEqual, kVarchar, kBoolean, left, right),
            Booleans({1, 1, 0, 1, -1, 0}));
  EXPECT_EQ(Binary(FunctionId::kGreater, kVarchar, kBoolean, left, right),
            Booleans({0, 0, 1, 0, -1, 1}));
  EXPECT_EQ(Binary(FunctionId::kGreaterEqual, kVarchar, kBoolean, left, right),
            Booleans({1, 0, 1, 0, -1, 1}));
}

TEST(ExprCodegenTest, ComparesDecimalsOfOneScale) {
  LogicalType narrow = LogicalType::Decimal(5, 2);
  LogicalType wide = LogicalType::Decimal(12, 2);
  EXPECT_EQ(
      Evaluate(Fn(FunctionId::kLess, kBoolean, {Col(0, narrow), Col(1, wide)}), {narrow, wide},
               {{Value::Decimal(150, 5, 2), Value::Decimal(300, 5, 2)},
                {Value::Decimal(200, 12, 2), Value::Decimal(200, 12, 2)}}),
      Booleans({1, 0}));
}

TEST(ExprCodegenTest, LogicIsThreeValued) {
  // Rows: every pair of (TRUE, FALSE, NULL).
  std::vector<Value> left = Booleans({1, 1, 1, 0, 0, 0, -1, -1, -1});
  std::vector<Value> right = Booleans({1, 0, -1, 1, 0, -1, 1, 0, -1});
  EXPECT_EQ(Binary(FunctionId::kAnd, kBoolean, kBoolean, left, right),
            Booleans({1, 0, -1, 0, 0, 0, -1, 0, -1}));
  EXPECT_EQ(Binary(FunctionId::kOr, kBoolean, kBoolean, left, right),
            Booleans({1, 1, 1, 1, 0, -1, 1, -1, -1}));
  std::vector<Value> values = Booleans({1, 0, -1});
  EXPECT_EQ(Unary(FunctionId::kNot, kBoolean, kBoolean, values), Booleans({0, 1, -1}));
  EXPECT_EQ(Unary(FunctionId::kIsNull, kBoolean, kBoolean, values), Booleans({0, 0, 1}));
  EXPECT_EQ(Unary(FunctionId::kIsNotNull, kBoolean, kBoolean, values), Booleans({1, 1, 0}));
  EXPECT_EQ(Unary(FunctionId::kIsTrue, kBoolean, kBoolean, values), Booleans({1, 0, 0}));
  EXPECT_EQ(Unary(FunctionId::kIsFalse, kBoolean, kBoolean, values), Booleans({0, 1, 0}));
  EXPECT_EQ(Unary(FunctionId::kIsNull, kVarchar, kBoolean, Strings({"x", nullptr})),
            Booleans({0, 1}));
}

TEST(ExprCodegenTest, StringFunctionsCallTheHelpers) {
  std::vector<Value> text = Strings({"  Hello wörld ", "abc", nullptr});
  EXPECT_EQ(Unary(FunctionId::kUpper, kVarchar, kVarchar, text),
            Strings({"  HELLO WÖRLD ", "ABC", nullptr}));
  EXPECT_EQ(Unary(FunctionId::kLower, kVarchar, kVarchar, text),
            Strings({"  hello wörld ", "abc", nullptr}));
  EXPECT_EQ(Unary(FunctionId::kTrim, kVarchar, kVarchar, text),
            Strings({"Hello wörld", "abc", nullptr}));
  EXPECT_EQ(Unary(FunctionId::kCharLength, kVarchar, kInt, text),
            (std::vector<Value>{Value::Int(14), Value::Int(3), Null(kInt)}));
  EXPECT_EQ(Binary(FunctionId::kConcat, kVarchar, kVarchar, Strings({"ab", "ab", nullptr}),
                   Strings({"cd", nullptr, "cd"})),
            Strings({"abcd", nullptr, nullptr}));
  EXPECT_EQ(
      Binary(FunctionId::kLike, kVarchar, kBoolean, Strings({"hello", "hello", "hé", nullptr}),
             Strings({"h%o", "h_llo_", "h_", "%"})),
      Booleans({1, 0, 1, -1}));
}

TEST(ExprCodegenTest, SubstringCountsCodePointsAndRejectsNegativeLength) {
  std::vector<LogicalType> types = {kVarchar, kBigint, kInt};
  std::vector<std::vector<Value>> inputs = {
      Strings({"abcdef", "abc", "héllo", "abc", "abc", nullptr, "héllo"}),
      Bigints({2, 0, 2, 1, 5, 1, -4}),
      Ints({3, 2, 2, -1, 1, 1, 2}),
  };
  // Flink's substringSQL: 0 is the first character, a negative start counts from the end.
  EXPECT_EQ(Evaluate(Fn(FunctionId::kSubstring, kVarchar,
                        {Col(0, kVarchar), Col(1, kBigint), Col(2, kInt)}),
                     types, inputs),
            Strings({"bcd", "ab", "él", nullptr, "", nullptr, "él"}));
  EXPECT_EQ(Evaluate(Fn(FunctionId::kSubstring, kVarchar, {Col(0, kVarchar), Col(1, kBigint)}),
                     types, inputs),
            Strings({"bcdef", "abc", "éllo", "abc", "", nullptr, "éllo"}));
}

TEST(ExprCodegenTest, CoalesceTakesTheFirstNonNull) {
  std::vector<LogicalType> types = {kBigint, kBigint};
  std::vector<std::vector<Value>> inputs = {{Value::Bigint(1), Null(kBigint), Null(kBigint)},
                                            {Value::Bigint(2), Value::Bigint(3), Null(kBigint)}};
  EXPECT_EQ(Evaluate(Fn(FunctionId::kCoalesce, kBigint,
                        {Col(0, kBigint), Col(1, kBigint), Lit(Value::Bigint(9))}),
                     types, inputs),
            Bigints({1, 3, 9}));
  EXPECT_EQ(Evaluate(Fn(FunctionId::kCoalesce, kBigint, {Col(0, kBigint), Col(1, kBigint)}), types,
                     inputs),
            (std::vector<Value>{Value::Bigint(1), Value::Bigint(3), Null(kBigint)}));
  // With helper calls the arms are evaluated lazily.
  EXPECT_EQ(Evaluate(Fn(FunctionId::kCoalesce, kVarchar,
                        {Fn(FunctionId::kUpper, kVarchar, {Col(0, kVarchar)}),
                         Lit(Null(LogicalType::Null())), Lit(Value::Varchar("none"))}),
                     {kVarchar}, {Strings({"a", nullptr})}),
            Strings({"A", "none"}));
}

TEST(ExprCodegenTest, NullIfComparesWithTheTypesEquality) {
  EXPECT_EQ(Binary(FunctionId::kNullIf, kBigint, kBigint, Bigints({1, 2}),
                   {Value::Bigint(1), Null(kBigint)}),
            (std::vector<Value>{Null(kBigint), Value::Bigint(2)}));
  EXPECT_EQ(Binary(FunctionId::kNullIf, kDouble, kDouble, Doubles({kNaN, -0.0, 1}),
                   Doubles({kNaN, 0.0, 2})),
            (std::vector<Value>{Null(kDouble), Null(kDouble), Value::Double(1)}));
  EXPECT_EQ(Binary(FunctionId::kNullIf, kVarchar, kVarchar, Strings({"a", "a", nullptr}),
                   Strings({"a", "b", "a"})),
            Strings({nullptr, "a", nullptr}));
}

TEST(ExprCodegenTest, CaseTakesTheFirstTrueBranch) {
  // CASE WHEN x > 10 THEN x * 2 WHEN x > 0 THEN x ELSE -1 END; NULL conditions are not true.
  ExprPtr x = Col(0, kBigint);
  ExprPtr expr = Expr::Case(
      {Fn(FunctionId::kGreater, kBoolean, {x, Lit(Value::Bigint(10))}),
       Fn(FunctionId::kMultiply, kBigint, {x, Lit(Value::Bigint(2))}),
       Fn(FunctionId::kGreater, kBoolean, {x, Lit(Value::Bigint(0))}), x, Lit(Value::Bigint(-1))},
      kBigint);
  EXPECT_EQ(Evaluate(expr, {kBigint},
                     {{Value::Bigint(20), Value::Bigint(5), Value::Bigint(-3), Null(kBigint)}}),
            Bigints({40, 5, -1, -1}));
  // ELSE NULL (typed NULL literal) and string arms evaluated lazily.
  ExprPtr text = Col(1, kVarchar);
  ExprPtr lazy = Expr::Case({Fn(FunctionId::kIsNotNull, kBoolean, {x}),
                             Fn(FunctionId::kConcat, kVarchar, {text, Lit(Value::Varchar("!"))}),
                             Lit(Null(LogicalType::Null()))},
                            kVarchar);
  EXPECT_EQ(Evaluate(lazy, {kBigint, kVarchar},
                     {{Value::Bigint(1), Null(kBigint)}, Strings({"hi", "ho"})}),
            Strings({"hi!", nullptr}));
}

TEST(ExprCodegenTest, CastsBetweenNumbers) {
  EXPECT_EQ(CastColumn(kInt, kBigint, Ints({-5, kIntMax})), Bigints({-5, kIntMax}));
  EXPECT_EQ(CastColumn(kBigint, kInt, Bigints({(int64_t{1} << 32) + 7, -1})), Ints({7, -1}));
  EXPECT_EQ(CastColumn(kBigint, kDouble, Bigints({3, -4})), Doubles({3.0, -4.0}));
  EXPECT_EQ(CastColumn(kDouble, kInt, Doubles({2.9, -2.9, kNaN, 3e9, -2147483648.5, kInf})),
            (std::vector<Value>{Value::Int(2), Value::Int(-2), Null(kInt), Null(kInt),
                                Value::Int(kIntMin), Null(kInt)}));
  EXPECT_EQ(CastColumn(kDouble, kBigint, Doubles({-7.99, 9.2e18, 9.3e20})),
            (std::vector<Value>{Value::Bigint(-7), Value::Bigint(9'200'000'000'000'000'000),
                                Null(kBigint)}));
  EXPECT_EQ(CastColumn(kBoolean, kInt, Booleans({1, 0, -1})),
            (std::vector<Value>{Value::Int(1), Value::Int(0), Null(kInt)}));
  EXPECT_EQ(CastColumn(kBigint, kBoolean, Bigints({5, 0})), Booleans({1, 0}));
  LogicalType timestamp = LogicalType::Timestamp();
  EXPECT_EQ(CastColumn(timestamp, kBigint, {Value::Timestamp(1234)}), Bigints({1234}));
  EXPECT_EQ(CastColumn(kBigint, timestamp, Bigints({1234})),
            std::vector<Value>{Value::Timestamp(1234)});
}

TEST(ExprCodegenTest, CastsDecimals) {
  LogicalType money = LogicalType::Decimal(10, 2);
  EXPECT_EQ(CastColumn(money, kDouble, {Value::Decimal(-150, 10, 2)}), Doubles({-1.5}));
  EXPECT_EQ(CastColumn(money, kBigint, {Value::Decimal(-199, 10, 2)}), Bigints({-1}));
  EXPECT_EQ(CastColumn(money, kInt, {Value::Decimal(12345, 10, 2)}), Ints({123}));
  EXPECT_EQ(CastColumn(kDouble, money, Doubles({1.005, 1e20})),
            (std::vector<Value>{Value::Decimal(101, 10, 2), Null(money)}));
  EXPECT_EQ(CastColumn(kBigint, money, Bigints({42})),
            std::vector<Value>{Value::Decimal(4200, 10, 2)});
  LogicalType coarse = LogicalType::Decimal(5, 1);
  EXPECT_EQ(CastColumn(money, coarse, {Value::Decimal(-125, 10, 2)}),
            std::vector<Value>{Value::Decimal(-13, 5, 1)});
}

TEST(ExprCodegenTest, CastsFromStrings) {
  std::vector<Value> text = Strings({" 42 ", "x", nullptr});
  EXPECT_EQ(CastColumn(kVarchar, kInt, text),
            (std::vector<Value>{Value::Int(42), Null(kInt), Null(kInt)}));
  EXPECT_EQ(CastColumn(kVarchar, kBigint, Strings({"-9223372036854775808", "9223372036854775808"})),
            (std::vector<Value>{Value::Bigint(kBigMin), Null(kBigint)}));
  EXPECT_EQ(CastColumn(kVarchar, kDouble, Strings({"0.5", "1e3x"})),
            (std::vector<Value>{Value::Double(0.5), Null(kDouble)}));
  // Flink's BinaryStringDataUtil.toBoolean words; anything else is NULL.
  EXPECT_EQ(CastColumn(kVarchar, kBoolean, Strings({" TRUE", "false", "yes", "maybe"})),
            Booleans({1, 0, 1, -1}));
  // An integer drops a fraction of digits (Flink's toLong).
  EXPECT_EQ(CastColumn(kVarchar, kInt, Strings({"1.9", "-2.5", "1.x"})),
            (std::vector<Value>{Value::Int(1), Value::Int(-2), Null(kInt)}));
  EXPECT_EQ(CastColumn(kVarchar, LogicalType::Timestamp(),
                       Strings({"1970-01-01 00:00:01.5", "1970-01-02T00:00:00", "soon"})),
            (std::vector<Value>{Value::Timestamp(1500), Value::Timestamp(86'400'000),
                                Null(LogicalType::Timestamp())}));
  EXPECT_EQ(CastColumn(kVarchar, LogicalType::Decimal(6, 2), Strings({"-1.5", "12345.6"})),
            (std::vector<Value>{Value::Decimal(-150, 6, 2), Null(LogicalType::Decimal(6, 2))}));
  EXPECT_EQ(CastColumn(kVarchar, LogicalType::Interval(), Strings({"+1 00:00:01.000"})),
            std::vector<Value>{Value::Interval(86'401'000)});
}

TEST(ExprCodegenTest, CastsToStrings) {
  EXPECT_EQ(CastColumn(kInt, kVarchar, Ints({-12})), Strings({"-12"}));
  EXPECT_EQ(CastColumn(kBigint, kVarchar, {Value::Bigint(kBigMin), Null(kBigint)}),
            Strings({"-9223372036854775808", nullptr}));
  EXPECT_EQ(CastColumn(kDouble, kVarchar, Doubles({0.1, 1e20, kNaN})),
            Strings({"0.1", "1.0E20", "NaN"}));
  EXPECT_EQ(CastColumn(kBoolean, kVarchar, Booleans({1, 0})), Strings({"TRUE", "FALSE"}));
  EXPECT_EQ(CastColumn(LogicalType::Timestamp(), kVarchar, {Value::Timestamp(1500)}),
            Strings({"1970-01-01 00:00:01.500"}));
  EXPECT_EQ(CastColumn(LogicalType::Decimal(5, 2), kVarchar, {Value::Decimal(-150, 5, 2)}),
            Strings({"-1.50"}));
  EXPECT_EQ(CastColumn(LogicalType::Interval(), kVarchar, {Value::Interval(90'061'001)}),
            Strings({"+1 01:01:01.001"}));
}

TEST(ExprCodegenTest, CastOfNullIsNull) {
  EXPECT_EQ(EvaluateConstant(Expr::Cast(Lit(Null(LogicalType::Null())), kBigint)), Null(kBigint));
  EXPECT_EQ(EvaluateConstant(Expr::Cast(Lit(Null(kVarchar)), kInt)), Null(kInt));
}

TEST(ExprCodegenTest, LiteralsOfEveryType) {
  EXPECT_EQ(EvaluateConstant(Lit(Value::Boolean(true))), Value::Boolean(true));
  EXPECT_EQ(EvaluateConstant(Lit(Value::Int(-3))), Value::Int(-3));
  EXPECT_EQ(EvaluateConstant(Lit(Value::Bigint(kBigMin))), Value::Bigint(kBigMin));
  EXPECT_EQ(EvaluateConstant(Lit(Value::Double(-0.0))), Value::Double(-0.0));
  EXPECT_EQ(EvaluateConstant(Lit(Value::Varchar("naïve"))), Value::Varchar("naïve"));
  EXPECT_EQ(EvaluateConstant(Lit(Value::Timestamp(7))), Value::Timestamp(7));
  EXPECT_EQ(EvaluateConstant(Lit(Value::Interval(-7))), Value::Interval(-7));
  EXPECT_EQ(EvaluateConstant(Lit(Value::Decimal(12, 4, 1))), Value::Decimal(12, 4, 1));
  EXPECT_EQ(EvaluateConstant(Lit(Null(kVarchar))), Null(kVarchar));
}

TEST(ExprCodegenTest, StrictFunctionOfNullLiteralIsNull) {
  EXPECT_EQ(EvaluateConstant(Fn(FunctionId::kAdd, kBigint,
                                {Lit(Value::Bigint(1)), Lit(Null(LogicalType::Null()))})),
            Null(kBigint));
  EXPECT_EQ(EvaluateConstant(Fn(FunctionId::kAnd, kBoolean,
                                {Lit(Value::Boolean(false)), Lit(Null(LogicalType::Null()))})),
            Value::Boolean(false));
}

}  // namespace
}  // namespace sluice::compiler::codegen::testing
