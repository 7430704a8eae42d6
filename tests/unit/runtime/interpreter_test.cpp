#include "runtime/expr/interpreter.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace sluice::runtime::expr {
namespace {

using functions::FunctionId;
using plan::ChainSpec;
using plan::Expr;
using plan::ExprPtr;
using plan::Value;
using types::LogicalType;
using types::TypeId;

constexpr int32_t kIntMin = std::numeric_limits<int32_t>::min();
constexpr int32_t kIntMax = std::numeric_limits<int32_t>::max();
constexpr int64_t kBigintMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kBigintMax = std::numeric_limits<int64_t>::max();

const LogicalType kBool = LogicalType::Boolean();
const LogicalType kInt = LogicalType::Int();
const LogicalType kBigint = LogicalType::Bigint();
const LogicalType kDouble = LogicalType::Double();
const LogicalType kVarchar = LogicalType::Varchar();
const LogicalType kTimestamp = LogicalType::Timestamp();
const LogicalType kInterval = LogicalType::Interval();

/// Writes one cell of a batch from a Value of the column's type.
void SetCell(Batch& batch, size_t column_index, int32_t row, const Value& value) {
  Column& column = batch.column(column_index);
  if (value.is_null) return;  // columns start zeroed and NULL
  column.validity()[row] = 1;
  switch (column.type().id()) {
    case TypeId::kBoolean: column.values<uint8_t>()[row] = value.integer != 0; break;
    case TypeId::kInt: column.values<int32_t>()[row] = static_cast<int32_t>(value.integer); break;
    case TypeId::kDouble: column.values<double>()[row] = value.real; break;
    case TypeId::kVarchar: column.values<StringRef>()[row] = batch.arena().Copy(value.text); break;
    default: column.values<int64_t>()[row] = value.integer; break;
  }
}

/// Reads one cell back as a Value.
Value GetCell(const Batch& batch, size_t column_index, int32_t row) {
  const Column& column = batch.column(column_index);
  if (column.IsNull(row)) return Value::Null(column.type());
  Value value = Value::Null(column.type());
  value.is_null = false;
  switch (column.type().id()) {
    case TypeId::kBoolean: value.integer = column.values<uint8_t>()[row]; break;
    case TypeId::kInt: value.integer = column.values<int32_t>()[row]; break;
    case TypeId::kDouble: value.real = column.values<double>()[row]; break;
    case TypeId::kVarchar: value.text = std::string(column.values<StringRef>()[row].view()); break;
    default: value.integer = column.values<int64_t>()[row]; break;
  }
  return value;
}

/// Builds a batch whose column `c` holds `columns[c]`, one Value per row.
std::unique_ptr<Batch> MakeBatch(const std::vector<std::vector<Value>>& columns) {
  std::vector<LogicalType> types;
  for (const auto& column : columns) types.push_back(column.at(0).type);
  auto batch = std::make_unique<Batch>(types);
  int32_t rows = static_cast<int32_t>(columns.at(0).size());
  for (size_t c = 0; c < columns.size(); ++c) {
    for (int32_t row = 0; row < rows; ++row) SetCell(*batch, c, row, columns[c][row]);
  }
  batch->set_row_count(rows);
  return batch;
}

/// Evaluates `expr` over one input column and returns its value per row.
std::vector<Value> EvaluateOver(const ExprPtr& expr, const std::vector<std::vector<Value>>& input) {
  auto batch = MakeBatch(input);
  ChainSpec spec;
  for (const auto& column : input) spec.input_types.push_back(column.at(0).type);
  spec.projections = {expr};
  Batch output({expr->type});
  base::Status status = EvaluateChain(spec, *batch, &output);
  EXPECT_TRUE(status.ok()) << status.ToString();
  std::vector<Value> values;
  for (int32_t row = 0; row < output.row_count(); ++row) values.push_back(GetCell(output, 0, row));
  return values;
}

/// Evaluates a constant expression (no columns) once.
Value EvaluateConstant(const ExprPtr& expr) {
  std::vector<Value> values = EvaluateOver(expr, {{Value::Int(0)}});
  return values.empty() ? Value::Null(LogicalType::Null()) : values[0];
}

ExprPtr Lit(Value value) {
  return Expr::Literal(std::move(value));
}
ExprPtr Call(FunctionId function, LogicalType type, std::vector<ExprPtr> arguments) {
  return Expr::Call(function, std::move(type), std::move(arguments));
}
ExprPtr Binary(FunctionId function, LogicalType type, Value left, Value right) {
  return Call(function, std::move(type), {Lit(std::move(left)), Lit(std::move(right))});
}
ExprPtr Cast(Value value, LogicalType type) {
  return Expr::Cast(Lit(std::move(value)), type);
}

Value NullOf(const LogicalType& type) {
  return Value::Null(type);
}

TEST(Interpreter, IntegerArithmeticWrapsAround) {
  EXPECT_EQ(EvaluateConstant(Binary(FunctionId::kAdd, kInt, Value::Int(kIntMax), Value::Int(1))),
            Value::Int(kIntMin));
  EXPECT_EQ(
      EvaluateConstant(Binary(FunctionId::kSubtract, kInt, Value::Int(kIntMin), Value::Int(1))),
      Value::Int(kIntMax));
  EXPECT_EQ(EvaluateConstant(Binary(FunctionId::kMultiply, kBigint, Value::Bigint(kBigintMin),
                                    Value::Bigint(-1))),
            Value::Bigint(kBigintMin));
  EXPECT_EQ(
      EvaluateConstant(Binary(FunctionId::kMultiply, kInt, Value::Int(65536), Value::Int(65536))),
      Value::Int(0));
  EXPECT_EQ(EvaluateConstant(Call(FunctionId::kNegate, kInt, {Lit(Value::Int(kIntMin))})),
            Value::Int(kIntMin));
  EXPECT_EQ(EvaluateConstant(Call(FunctionId::kAbs, kBigint, {Lit(Value::Bigint(kBigintMin))})),
            Value::Bigint(kBigintMin));
  EXPECT_EQ(EvaluateConstant(Call(FunctionId::kAbs, kInt, {Lit(Value::Int(-5))})), Value::Int(5));
}

TEST(Interpreter, IntegerDivisionTruncatesAndDivisionByZeroIsNull) {
  auto divide = [](int32_t a, int32_t b) {
    return EvaluateConstant(Binary(FunctionId::kDivide, kInt, Value::Int(a), Value::Int(b)));
  };
  auto modulo = [](int32_t a, int32_t b) {
    return EvaluateConstant(Binary(FunctionId::kModulo, kInt, Value::Int(a), Value::Int(b)));
  };
  EXPECT_EQ(divide(7, 2), Value::Int(3));
  EXPECT_EQ(divide(-7, 2), Value::Int(-3));
  EXPECT_EQ(divide(7, -2), Value::Int(-3));
  EXPECT_EQ(divide(7, 0), NullOf(kInt));
  EXPECT_EQ(divide(kIntMin, -1), Value::Int(kIntMin));
  EXPECT_EQ(modulo(-7, 2), Value::Int(-1));  // sign of the dividend
  EXPECT_EQ(modulo(7, -2), Value::Int(1));
  EXPECT_EQ(modulo(7, 0), NullOf(kInt));
  EXPECT_EQ(modulo(kIntMin, -1), Value::Int(0));
  EXPECT_EQ(EvaluateConstant(
                Binary(FunctionId::kDivide, kBigint, Value::Bigint(kBigintMin), Value::Bigint(-1))),
            Value::Bigint(kBigintMin));
  EXPECT_EQ(EvaluateConstant(
                Binary(FunctionId::kModulo, kBigint, Value::Bigint(kBigintMin), Value::Bigint(-1))),
            Value::Bigint(0));
}

TEST(Interpreter, DoubleArithmeticFollowsIeee) {
  auto op = [](FunctionId function, double a, double b) {
    return EvaluateConstant(Binary(function, kDouble, Value::Double(a), Value::Double(b)));
  };
  EXPECT_EQ(op(FunctionId::kDivide, 1.0, 0.0), Value::Double(INFINITY));
  EXPECT_EQ(op(FunctionId::kDivide, -1.0, 0.0), Value::Double(-INFINITY));
  EXPECT_EQ(op(FunctionId::kDivide, 1.0, -0.0), Value::Double(-INFINITY));
  Value nan = op(FunctionId::kDivide, 0.0, 0.0);
  EXPECT_FALSE(nan.is_null);
  EXPECT_TRUE(std::isnan(nan.real));
  EXPECT_EQ(op(FunctionId::kModulo, 5.5, 2.0), Value::Double(1.5));
  EXPECT_EQ(op(FunctionId::kModulo, -5.5, 2.0), Value::Double(-1.5));
  EXPECT_EQ(op(FunctionId::kModulo, 5.5, 0.0), NullOf(kDouble));
  EXPECT_EQ(op(FunctionId::kModulo, 5.5, -0.0), NullOf(kDouble));
  EXPECT_EQ(op(FunctionId::kAdd, 0.1, 0.2), Value::Double(0.30000000000000004));
  EXPECT_EQ(EvaluateConstant(Call(FunctionId::kAbs, kDouble, {Lit(Value::Double(-0.0))})),
            Value::Double(0.0));
  EXPECT_EQ(EvaluateConstant(Call(FunctionId::kNegate, kDouble, {Lit(Value::Double(0.0))})),
            Value::Double(-0.0));
}

TEST(Interpreter, NullPropagatesThroughFunctions) {
  EXPECT_EQ(EvaluateConstant(Binary(FunctionId::kAdd, kInt, Value::Int(1), NullOf(kInt))),
            NullOf(kInt));
  EXPECT_EQ(EvaluateConstant(Binary(FunctionId::kDivide, kInt, NullOf(kInt), Value::Int(0))),
            NullOf(kInt));
  EXPECT_EQ(EvaluateConstant(Binary(FunctionId::kEqual, kBool, NullOf(kInt), NullOf(kInt))),
            NullOf(kBool));
  EXPECT_EQ(EvaluateConstant(
                Binary(FunctionId::kConcat, kVarchar, Value::Varchar("a"), NullOf(kVarchar))),
            NullOf(kVarchar));
  EXPECT_EQ(EvaluateConstant(Call(FunctionId::kUpper, kVarchar, {Lit(NullOf(kVarchar))})),
            NullOf(kVarchar));
  EXPECT_EQ(EvaluateConstant(Cast(NullOf(kVarchar), kInt)), NullOf(kInt));
}

TEST(Interpreter, TimestampPlusIntervalAddsMilliseconds) {
  EXPECT_EQ(EvaluateConstant(
                Binary(FunctionId::kAdd, kTimestamp, Value::Timestamp(1000), Value::Interval(500))),
            Value::Timestamp(1500));
  EXPECT_EQ(EvaluateConstant(Binary(FunctionId::kSubtract, kTimestamp, Value::Timestamp(1000),
                                    Value::Interval(5000))),
            Value::Timestamp(-4000));
  EXPECT_EQ(EvaluateConstant(Binary(FunctionId::kAdd, kInterval, Value::Interval(kBigintMax),
                                    Value::Interval(1))),
            Value::Interval(kBigintMin));
}

TEST(Interpreter, ComparesDoublesWithTotalNanOrder) {
  auto compare = [](FunctionId function, double a, double b) {
    return EvaluateConstant(Binary(function, kBool, Value::Double(a), Value::Double(b)));
  };
  EXPECT_EQ(compare(FunctionId::kEqual, NAN, NAN), Value::Boolean(true));
  EXPECT_EQ(compare(FunctionId::kNotEqual, NAN, NAN), Value::Boolean(false));
  EXPECT_EQ(compare(FunctionId::kGreater, NAN, INFINITY), Value::Boolean(true));
  EXPECT_EQ(compare(FunctionId::kLess, 1.0, NAN), Value::Boolean(true));
  EXPECT_EQ(compare(FunctionId::kGreaterEqual, -INFINITY, NAN), Value::Boolean(false));
  EXPECT_EQ(compare(FunctionId::kEqual, -0.0, 0.0), Value::Boolean(true));
  EXPECT_EQ(compare(FunctionId::kLess, -0.0, 0.0), Value::Boolean(false));
}

TEST(Interpreter, ComparesStringsBooleansAndIntegers) {
  auto strings = [](FunctionId function, const char* a, const char* b) {
    return EvaluateConstant(Binary(function, kBool, Value::Varchar(a), Value::Varchar(b)));
  };
  EXPECT_EQ(strings(FunctionId::kLess, "ab", "abc"), Value::Boolean(true));
  EXPECT_EQ(strings(FunctionId::kLess, "B", "a"), Value::Boolean(true));
  EXPECT_EQ(strings(FunctionId::kEqual, "", ""), Value::Boolean(true));
  EXPECT_EQ(strings(FunctionId::kGreater, "é", "z"), Value::Boolean(true));
  EXPECT_EQ(EvaluateConstant(
                Binary(FunctionId::kLess, kBool, Value::Boolean(false), Value::Boolean(true))),
            Value::Boolean(true));
  EXPECT_EQ(EvaluateConstant(Binary(FunctionId::kLessEqual, kBool, Value::Bigint(kBigintMin),
                                    Value::Bigint(kBigintMax))),
            Value::Boolean(true));
  EXPECT_EQ(EvaluateConstant(Binary(FunctionId::kGreater, kBool, Value::Decimal(150, 10, 2),
                                    Value::Decimal(-150, 10, 2))),
            Value::Boolean(true));
}

TEST(Interpreter, AndOrUseKleeneLogic) {
  Value t = Value::Boolean(true), f = Value::Boolean(false), n = NullOf(kBool);
  auto logic = [](FunctionId function, Value a, Value b) {
    return EvaluateConstant(Binary(function, kBool, std::move(a), std::move(b)));
  };
  EXPECT_EQ(logic(FunctionId::kAnd, t, t), t);
  EXPECT_EQ(logic(FunctionId::kAnd, t, f), f);
  EXPECT_EQ(logic(FunctionId::kAnd, f, n), f);
  EXPECT_EQ(logic(FunctionId::kAnd, n, f), f);
  EXPECT_EQ(logic(FunctionId::kAnd, t, n), n);
  EXPECT_EQ(logic(FunctionId::kAnd, n, n), n);
  EXPECT_EQ(logic(FunctionId::kOr, t, n), t);
  EXPECT_EQ(logic(FunctionId::kOr, n, t), t);
  EXPECT_EQ(logic(FunctionId::kOr, f, n), n);
  EXPECT_EQ(logic(FunctionId::kOr, f, f), f);
  EXPECT_EQ(EvaluateConstant(Call(FunctionId::kNot, kBool, {Lit(n)})), n);
  EXPECT_EQ(EvaluateConstant(Call(FunctionId::kNot, kBool, {Lit(f)})), t);
  EXPECT_EQ(EvaluateConstant(Call(FunctionId::kIsNull, kBool, {Lit(NullOf(kVarchar))})), t);
  EXPECT_EQ(EvaluateConstant(Call(FunctionId::kIsNotNull, kBool, {Lit(NullOf(kInt))})), f);
  EXPECT_EQ(EvaluateConstant(Call(FunctionId::kIsTrue, kBool, {Lit(n)})), f);
  EXPECT_EQ(EvaluateConstant(Call(FunctionId::kIsFalse, kBool, {Lit(n)})), f);
  EXPECT_EQ(EvaluateConstant(Call(FunctionId::kIsFalse, kBool, {Lit(f)})), t);
}

TEST(Interpreter, CoalesceNullIfAndCase) {
  EXPECT_EQ(EvaluateConstant(
                Call(FunctionId::kCoalesce, kVarchar,
                     {Lit(NullOf(kVarchar)), Lit(Value::Varchar("x")), Lit(Value::Varchar("y"))})),
            Value::Varchar("x"));
  EXPECT_EQ(EvaluateConstant(Call(FunctionId::kCoalesce, kInt, {Lit(NullOf(kInt))})), NullOf(kInt));
  EXPECT_EQ(EvaluateConstant(Binary(FunctionId::kNullIf, kInt, Value::Int(3), Value::Int(3))),
            NullOf(kInt));
  EXPECT_EQ(EvaluateConstant(Binary(FunctionId::kNullIf, kInt, Value::Int(3), NullOf(kInt))),
            Value::Int(3));
  EXPECT_EQ(EvaluateConstant(
                Binary(FunctionId::kNullIf, kDouble, Value::Double(NAN), Value::Double(NAN))),
            NullOf(kDouble));
  // A NULL condition counts as not true.
  ExprPtr when_null =
      Expr::Case({Lit(NullOf(kBool)), Lit(Value::Int(1)), Lit(Value::Int(2))}, kInt);
  EXPECT_EQ(EvaluateConstant(when_null), Value::Int(2));
  ExprPtr second = Expr::Case({Lit(Value::Boolean(false)), Lit(Value::Int(1)),
                               Lit(Value::Boolean(true)), Lit(NullOf(kInt)), Lit(Value::Int(3))},
                              kInt);
  EXPECT_EQ(EvaluateConstant(second), NullOf(kInt));
}

TEST(Interpreter, CaseDoesNotLetUnchosenBranchesFail) {
  // CASE WHEN $0 <> 0 THEN 10 / $0 ELSE -1 END: the division by zero is NULL, never chosen.
  ExprPtr column = Expr::Column(0, kInt);
  ExprPtr expr = Expr::Case(
      {Call(FunctionId::kNotEqual, kBool, {column, Lit(Value::Int(0))}),
       Call(FunctionId::kDivide, kInt, {Lit(Value::Int(10)), column}), Lit(Value::Int(-1))},
      kInt);
  std::vector<Value> result = EvaluateOver(expr, {{Value::Int(5), Value::Int(0), NullOf(kInt)}});
  ASSERT_EQ(result.size(), 3u);
  EXPECT_EQ(result[0], Value::Int(2));
  EXPECT_EQ(result[1], Value::Int(-1));
  EXPECT_EQ(result[2], Value::Int(-1));
}

TEST(Interpreter, StringFunctions) {
  EXPECT_EQ(EvaluateConstant(Call(FunctionId::kCharLength, kInt, {Lit(Value::Varchar("日本"))})),
            Value::Int(2));
  auto substring = [](const char* text, int32_t start, std::optional<int32_t> length) {
    std::vector<ExprPtr> arguments = {Lit(Value::Varchar(text)), Lit(Value::Int(start))};
    if (length) arguments.push_back(Lit(Value::Int(*length)));
    return EvaluateConstant(Call(FunctionId::kSubstring, kVarchar, arguments));
  };
  EXPECT_EQ(substring("abcdef", 3, std::nullopt), Value::Varchar("cdef"));
  EXPECT_EQ(substring("abcdef", 2, 2), Value::Varchar("bc"));
  // Flink's substringSQL: 0 starts at the first character, a negative start counts from
  // the end, one before the start gives ''.
  EXPECT_EQ(substring("abc", 0, 2), Value::Varchar("ab"));
  EXPECT_EQ(substring("hello", -3, std::nullopt), Value::Varchar("llo"));
  EXPECT_EQ(substring("hello", -3, 2), Value::Varchar("ll"));
  EXPECT_EQ(substring("hello", -6, std::nullopt), Value::Varchar(""));
  EXPECT_EQ(substring("hello", 9, std::nullopt), Value::Varchar(""));
  EXPECT_EQ(substring("abc", 1, -1), NullOf(kVarchar));  // negative length
  EXPECT_EQ(substring("héllo", 2, 3), Value::Varchar("éll"));
  EXPECT_EQ(EvaluateConstant(Call(FunctionId::kSubstring, kVarchar,
                                  {Lit(Value::Varchar("abc")), Lit(NullOf(kBigint))})),
            NullOf(kVarchar));
  EXPECT_EQ(EvaluateConstant(Call(FunctionId::kTrim, kVarchar, {Lit(Value::Varchar("  x "))})),
            Value::Varchar("x"));
  EXPECT_EQ(EvaluateConstant(Call(FunctionId::kLower, kVarchar, {Lit(Value::Varchar("AbÉ"))})),
            Value::Varchar("abé"));
  EXPECT_EQ(EvaluateConstant(
                Binary(FunctionId::kConcat, kVarchar, Value::Varchar("ab"), Value::Varchar(""))),
            Value::Varchar("ab"));
  EXPECT_EQ(EvaluateConstant(
                Binary(FunctionId::kLike, kBool, Value::Varchar("héllo"), Value::Varchar("h_l%"))),
            Value::Boolean(true));
  EXPECT_EQ(
      EvaluateConstant(Binary(FunctionId::kLike, kBool, Value::Varchar("abc"), NullOf(kVarchar))),
      NullOf(kBool));
}

TEST(Interpreter, DateTimeFunctions) {
  const int64_t kLeapDay = 1709210096789;  // 2024-02-29 12:34:56.789 UTC
  std::vector<std::vector<Value>> input = {
      {Value::Timestamp(kLeapDay), Value::Timestamp(-1), NullOf(kTimestamp)}};
  ExprPtr ts = Expr::Column(0, kTimestamp);
  auto format = [&](const char* pattern) {
    return EvaluateOver(Call(FunctionId::kDateFormat, kVarchar, {ts, Lit(Value::Varchar(pattern))}),
                        input);
  };
  EXPECT_EQ(format("yyyy-MM-dd"),
            (std::vector<Value>{Value::Varchar("2024-02-29"), Value::Varchar("1969-12-31"),
                                NullOf(kVarchar)}));
  EXPECT_EQ(format("HH:mm"), (std::vector<Value>{Value::Varchar("12:34"), Value::Varchar("23:59"),
                                                 NullOf(kVarchar)}));
  EXPECT_EQ(format("QQ"),
            (std::vector<Value>{Value::Varchar("01"), Value::Varchar("04"), NullOf(kVarchar)}));
  // An unsupported pattern letter that is not caught at bind time gives NULL.
  EXPECT_EQ(format("F"),
            (std::vector<Value>{NullOf(kVarchar), NullOf(kVarchar), NullOf(kVarchar)}));
  EXPECT_EQ(EvaluateConstant(Call(FunctionId::kDateFormat, kVarchar,
                                  {Lit(Value::Timestamp(0)), Lit(NullOf(kVarchar))})),
            NullOf(kVarchar));
  auto field = [&](FunctionId function) {
    return EvaluateOver(Call(function, kBigint, {ts}), input);
  };
  EXPECT_EQ(field(FunctionId::kYear),
            (std::vector<Value>{Value::Bigint(2024), Value::Bigint(1969), NullOf(kBigint)}));
  EXPECT_EQ(field(FunctionId::kMonth),
            (std::vector<Value>{Value::Bigint(2), Value::Bigint(12), NullOf(kBigint)}));
  EXPECT_EQ(field(FunctionId::kDayOfMonth),
            (std::vector<Value>{Value::Bigint(29), Value::Bigint(31), NullOf(kBigint)}));
  EXPECT_EQ(field(FunctionId::kHour),
            (std::vector<Value>{Value::Bigint(12), Value::Bigint(23), NullOf(kBigint)}));
  EXPECT_EQ(field(FunctionId::kMinute),
            (std::vector<Value>{Value::Bigint(34), Value::Bigint(59), NullOf(kBigint)}));
  EXPECT_EQ(field(FunctionId::kSecond),
            (std::vector<Value>{Value::Bigint(56), Value::Bigint(59), NullOf(kBigint)}));
  EXPECT_EQ(field(FunctionId::kMillisecond),
            (std::vector<Value>{Value::Bigint(56789), Value::Bigint(59999), NullOf(kBigint)}));
}

TEST(Interpreter, RegexpExtractAndSplitIndex) {
  std::vector<std::vector<Value>> input = {
      {Value::Varchar("a=1&channel_id=42"), Value::Varchar("nothing"), NullOf(kVarchar)},
      {Value::Int(2), Value::Int(2), Value::Int(2)}};
  ExprPtr text = Expr::Column(0, kVarchar);
  ExprPtr pattern = Lit(Value::Varchar("(&|^)channel_id=([^&]*)"));
  EXPECT_EQ(EvaluateOver(
                Call(FunctionId::kRegexpExtract, kVarchar, {text, pattern, Expr::Column(1, kInt)}),
                input),
            (std::vector<Value>{Value::Varchar("42"), NullOf(kVarchar), NullOf(kVarchar)}));
  // Without a group: the whole match.
  EXPECT_EQ(
      EvaluateOver(Call(FunctionId::kRegexpExtract, kVarchar, {text, pattern}), input),
      (std::vector<Value>{Value::Varchar("&channel_id=42"), NullOf(kVarchar), NullOf(kVarchar)}));
  EXPECT_EQ(EvaluateConstant(Call(
                FunctionId::kRegexpExtract, kVarchar,
                {Lit(Value::Varchar("ab")), Lit(Value::Varchar("(b")), Lit(Value::Bigint(0))})),
            NullOf(kVarchar));
  auto split = [&](int64_t index) {
    return EvaluateConstant(Call(FunctionId::kSplitIndex, kVarchar,
                                 {Lit(Value::Varchar("https://www.nexmark.com/a/b/c/item.htm")),
                                  Lit(Value::Varchar("/")), Lit(Value::Bigint(index))}));
  };
  EXPECT_EQ(split(3), Value::Varchar("a"));
  EXPECT_EQ(split(5), Value::Varchar("c"));
  EXPECT_EQ(split(7), NullOf(kVarchar));
  EXPECT_EQ(split(-1), NullOf(kVarchar));
  EXPECT_EQ(EvaluateConstant(
                Call(FunctionId::kSplitIndex, kVarchar,
                     {Lit(Value::Varchar("a,b")), Lit(NullOf(kVarchar)), Lit(Value::Bigint(0))})),
            NullOf(kVarchar));
  // A malformed call is an error, not a crash.
  ChainSpec spec;
  spec.input_types = {kInt};
  spec.projections = {Call(FunctionId::kHour, kBigint, {Lit(Value::Varchar("x"))})};
  auto batch = MakeBatch({{Value::Int(0)}});
  Batch output({kBigint});
  EXPECT_FALSE(EvaluateChain(spec, *batch, &output).ok());
}

TEST(Interpreter, NumericCasts) {
  EXPECT_EQ(EvaluateConstant(Cast(Value::Bigint(4294967297), kInt)), Value::Int(1));  // low bits
  EXPECT_EQ(EvaluateConstant(Cast(Value::Bigint(-1), kInt)), Value::Int(-1));
  EXPECT_EQ(EvaluateConstant(Cast(Value::Int(kIntMin), kBigint)), Value::Bigint(kIntMin));
  EXPECT_EQ(EvaluateConstant(Cast(Value::Double(-2.7), kInt)), Value::Int(-2));
  EXPECT_EQ(EvaluateConstant(Cast(Value::Double(NAN), kInt)), NullOf(kInt));
  EXPECT_EQ(EvaluateConstant(Cast(Value::Double(1e10), kInt)), NullOf(kInt));
  EXPECT_EQ(EvaluateConstant(Cast(Value::Double(1e10), kBigint)), Value::Bigint(10000000000));
  EXPECT_EQ(EvaluateConstant(Cast(Value::Bigint(kBigintMax), kDouble)),
            Value::Double(9223372036854775808.0));
  EXPECT_EQ(EvaluateConstant(Cast(Value::Decimal(-150, 5, 2), kDouble)), Value::Double(-1.5));
  EXPECT_EQ(EvaluateConstant(Cast(Value::Decimal(-199, 5, 2), kInt)), Value::Int(-1));
  EXPECT_EQ(EvaluateConstant(Cast(Value::Decimal(12345, 5, 2), LogicalType::Decimal(4, 1))),
            Value::Decimal(1235, 4, 1));
  EXPECT_EQ(EvaluateConstant(Cast(Value::Double(2.5), LogicalType::Decimal(3, 0))),
            Value::Decimal(3, 3, 0));
  EXPECT_EQ(EvaluateConstant(Cast(Value::Int(1000), LogicalType::Decimal(3, 0))),
            NullOf(LogicalType::Decimal(3, 0)));
  EXPECT_EQ(EvaluateConstant(Cast(Value::Boolean(true), kBigint)), Value::Bigint(1));
  EXPECT_EQ(EvaluateConstant(Cast(Value::Int(-3), kBool)), Value::Boolean(true));
  EXPECT_EQ(EvaluateConstant(Cast(Value::Bigint(0), kBool)), Value::Boolean(false));
  EXPECT_EQ(EvaluateConstant(Cast(Value::Timestamp(-5), kBigint)), Value::Bigint(-5));
  EXPECT_EQ(EvaluateConstant(Cast(Value::Bigint(1500), kTimestamp)), Value::Timestamp(1500));
}

TEST(Interpreter, CastsToAndFromStrings) {
  EXPECT_EQ(EvaluateConstant(Cast(Value::Int(-42), kVarchar)), Value::Varchar("-42"));
  EXPECT_EQ(EvaluateConstant(Cast(Value::Double(0.1), kVarchar)), Value::Varchar("0.1"));
  EXPECT_EQ(EvaluateConstant(Cast(Value::Double(1e20), kVarchar)), Value::Varchar("1.0E20"));
  EXPECT_EQ(EvaluateConstant(Cast(Value::Boolean(false), kVarchar)), Value::Varchar("FALSE"));
  EXPECT_EQ(EvaluateConstant(Cast(Value::Timestamp(-1), kVarchar)),
            Value::Varchar("1969-12-31 23:59:59.999"));
  EXPECT_EQ(EvaluateConstant(Cast(Value::Decimal(-150, 5, 2), kVarchar)), Value::Varchar("-1.50"));
  EXPECT_EQ(EvaluateConstant(Cast(Value::Interval(5000), kVarchar)),
            Value::Varchar("+0 00:00:05.000"));
  EXPECT_EQ(EvaluateConstant(Cast(Value::Varchar(" 12 "), kInt)), Value::Int(12));
  EXPECT_EQ(EvaluateConstant(Cast(Value::Varchar("12x"), kInt)), NullOf(kInt));
  EXPECT_EQ(EvaluateConstant(Cast(Value::Varchar("99999999999"), kInt)), NullOf(kInt));
  EXPECT_EQ(EvaluateConstant(Cast(Value::Varchar("2.5e1"), kDouble)), Value::Double(25.0));
  EXPECT_EQ(EvaluateConstant(Cast(Value::Varchar("True"), kBool)), Value::Boolean(true));
  EXPECT_EQ(EvaluateConstant(Cast(Value::Varchar("2024-02-29 00:00:00"), kTimestamp)),
            Value::Timestamp(1'709'164'800'000));
  EXPECT_EQ(EvaluateConstant(Cast(Value::Varchar("2023-02-29 00:00:00"), kTimestamp)),
            NullOf(kTimestamp));
  EXPECT_EQ(EvaluateConstant(Cast(Value::Varchar("-1.005"), LogicalType::Decimal(5, 2))),
            Value::Decimal(-101, 5, 2));
  EXPECT_EQ(EvaluateConstant(Cast(Value::Varchar("-0 00:00:01.000"), kInterval)),
            Value::Interval(-1000));
}

TEST(Interpreter, FilterKeepsOnlyTrueRows) {
  auto input = MakeBatch(
      {{Value::Int(1), Value::Int(-2), NullOf(kInt), Value::Int(4)},
       {Value::Varchar("a"), Value::Varchar("b"), Value::Varchar("c"), NullOf(kVarchar)}});
  ChainSpec spec;
  spec.input_types = {kInt, kVarchar};
  spec.filter = Call(FunctionId::kGreater, kBool, {Expr::Column(0, kInt), Lit(Value::Int(0))});
  spec.projections = {
      Expr::Column(1, kVarchar),
      Call(FunctionId::kMultiply, kInt, {Expr::Column(0, kInt), Lit(Value::Int(10))})};
  Batch output({kVarchar, kInt});
  ASSERT_TRUE(EvaluateChain(spec, *input, &output).ok());
  input.reset();  // pass-through strings must survive their input batch
  ASSERT_EQ(output.row_count(), 2);
  EXPECT_EQ(GetCell(output, 0, 0), Value::Varchar("a"));
  EXPECT_EQ(GetCell(output, 1, 0), Value::Int(10));
  EXPECT_EQ(GetCell(output, 0, 1), NullOf(kVarchar));
  EXPECT_EQ(GetCell(output, 1, 1), Value::Int(40));
  // NULL outputs store zero values.
  EXPECT_EQ(output.column(0).values<StringRef>()[1].length, 0u);
  EXPECT_EQ(output.column(0).values<StringRef>()[1].data, nullptr);
}

TEST(Interpreter, NoFilterKeepsEveryRow) {
  auto input = MakeBatch({{Value::Int(1), NullOf(kInt), Value::Int(3)}});
  ChainSpec spec;
  spec.input_types = {kInt};
  spec.projections = {Call(FunctionId::kIsNull, kBool, {Expr::Column(0, kInt)})};
  Batch output({kBool});
  ASSERT_TRUE(EvaluateChain(spec, *input, &output).ok());
  ASSERT_EQ(output.row_count(), 3);
  EXPECT_EQ(GetCell(output, 0, 1), Value::Boolean(true));
  EXPECT_EQ(GetCell(output, 0, 2), Value::Boolean(false));
}

TEST(Interpreter, MalformedExpressionsAreErrorsNotCrashes) {
  auto input = MakeBatch({{Value::Int(1)}});
  auto fails = [&](ExprPtr expr) {
    ChainSpec spec;
    spec.input_types = {kInt};
    spec.projections = {expr};
    Batch output({expr->type});
    return !EvaluateChain(spec, *input, &output).ok();
  };
  EXPECT_TRUE(fails(Binary(FunctionId::kAdd, kBigint, Value::Int(1), Value::Bigint(1))));
  EXPECT_TRUE(fails(Expr::Column(3, kInt)));
  EXPECT_TRUE(fails(Expr::Column(0, kBigint)));
  EXPECT_TRUE(
      fails(Expr::Case({Lit(Value::Int(1)), Lit(Value::Int(2)), Lit(Value::Int(3))}, kInt)));
  EXPECT_TRUE(fails(Binary(FunctionId::kEqual, kBool, Value::Varchar("1"), Value::Int(1))));
  EXPECT_TRUE(fails(Call(FunctionId::kUpper, kVarchar, {Lit(Value::Int(1))})));
  EXPECT_TRUE(fails(Cast(Value::Timestamp(1), kDouble)));
  EXPECT_TRUE(fails(Call(FunctionId::kNot, kBool, {})));
  ChainSpec spec;
  spec.input_types = {kInt};
  spec.filter = Expr::Column(0, kInt);  // not BOOLEAN
  spec.projections = {Expr::Column(0, kInt)};
  Batch output({kInt});
  EXPECT_FALSE(EvaluateChain(spec, *input, &output).ok());
  Batch too_wide({kInt, kInt});
  spec.filter = nullptr;
  EXPECT_FALSE(EvaluateChain(spec, *input, &too_wide).ok());
}

TEST(ExprText, RendersExplainText) {
  ExprPtr column = Expr::Column(0, kInt);
  EXPECT_EQ(Call(FunctionId::kAdd, kInt, {column, Lit(Value::Int(1))})->ToString(), "($0 + 1)");
  EXPECT_EQ(Call(FunctionId::kModulo, kInt, {column, Lit(Value::Int(123))})->ToString(),
            "MOD($0, 123)");
  EXPECT_EQ(Expr::Cast(Expr::Column(1, kInt), kDouble)->ToString(), "CAST($1 AS DOUBLE)");
  EXPECT_EQ(Call(FunctionId::kIsNull, kBool, {column})->ToString(), "($0 IS NULL)");
  EXPECT_EQ(Expr::Case({Call(FunctionId::kGreater, kBool, {column, Lit(Value::Int(0))}),
                        Lit(Value::Varchar("it's")), Lit(NullOf(kVarchar))},
                       kVarchar)
                ->ToString(),
            "CASE WHEN ($0 > 0) THEN 'it''s' ELSE NULL END");
  std::vector<std::string> names = {"price", "qty"};
  EXPECT_EQ(Call(FunctionId::kMultiply, kInt, {column, Expr::Column(1, kInt)})->ToString(&names),
            "(price * qty)");
  EXPECT_EQ(Lit(Value::Timestamp(0))->ToString(), "TIMESTAMP '1970-01-01 00:00:00.000'");
  EXPECT_EQ(Call(FunctionId::kSubstring, kVarchar,
                 {Expr::Column(0, kVarchar), Lit(Value::Int(1)), Lit(Value::Int(2))})
                ->ToString(),
            "SUBSTRING($0, 1, 2)");
}

TEST(ExprText, EqualsComparesStructure) {
  ExprPtr a = Call(FunctionId::kAdd, kInt, {Expr::Column(0, kInt), Lit(Value::Int(1))});
  ExprPtr b = Call(FunctionId::kAdd, kInt, {Expr::Column(0, kInt), Lit(Value::Int(1))});
  ExprPtr c = Call(FunctionId::kAdd, kInt, {Expr::Column(0, kInt), Lit(Value::Int(2))});
  EXPECT_TRUE(a->Equals(*b));
  EXPECT_FALSE(a->Equals(*c));
  EXPECT_TRUE(Lit(Value::Double(NAN))->Equals(*Lit(Value::Double(NAN))));
  EXPECT_FALSE(Lit(Value::Double(0.0))->Equals(*Lit(Value::Double(-0.0))));
  EXPECT_FALSE(Lit(NullOf(kInt))->Equals(*Lit(NullOf(kBigint))));
}

}  // namespace
}  // namespace sluice::runtime::expr
