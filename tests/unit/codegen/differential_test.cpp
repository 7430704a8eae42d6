// Differential test: the JIT (compiler/codegen) against the reference interpreter
// (runtime/expr) on seeded random, well-typed chains over batches full of edge values.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "compiler/codegen/jit_chain_compiler.h"
#include "runtime/expr/collection_value.h"
#include "runtime/expr/interpreter.h"
#include "runtime/expr/value_format.h"

namespace sluice::compiler::codegen {
namespace {

using functions::FunctionId;
using runtime::Batch;
using runtime::StringRef;
using runtime::plan::ChainSpec;
using runtime::plan::Expr;
using runtime::plan::ExprKind;
using runtime::plan::ExprPtr;
using runtime::plan::Value;
using types::LogicalType;
using types::TypeId;

constexpr int kSpecCount = 800;  // each compiled once, run over kBatchesPerSpec inputs
constexpr int kBatchesPerSpec = 3;
constexpr int kMaxDepth = 5;
// A seed under which 800 specs reach every function (the rare collection branches included);
// a new built-in shifts the random choices, and may need another (20240307 since
// $JSON_QUERY_ARRAY).
constexpr uint64_t kSeed = 20240307;

/// Reads a positive integer override (SLUICE_DIFFERENTIAL_SEED, _SPECS) for longer local runs.
uint64_t FromEnvironment(const char* name, uint64_t fallback) {
  const char* text = std::getenv(name);
  return text != nullptr && std::strtoull(text, nullptr, 10) > 0 ? std::strtoull(text, nullptr, 10)
                                                                 : fallback;
}
constexpr int kMaxReportedMismatches = 15;

/// The value types expressions are generated over (every TypeId but NULL and ROW).
const std::vector<LogicalType>& GeneratedTypes() {
  static const std::vector<LogicalType> kTypes = {
      LogicalType::Boolean(), LogicalType::Int(), LogicalType::Bigint(), LogicalType::Double(),
      LogicalType::Decimal(10, 2), LogicalType::Decimal(18, 4), LogicalType::Decimal(5, 0),
      LogicalType::Varchar(), LogicalType::Timestamp(), LogicalType::Interval(),
      LogicalType::Date(), LogicalType::Time(), LogicalType::Binary(),
      // 128-bit decimals: 38 digits with a scale, and 25 integer digits.
      LogicalType::Decimal(38, 10), LogicalType::Decimal(25, 0)};
  return kTypes;
}

/// TINYINT, SMALLINT, FLOAT: generated as columns, literals and casts to and from every type,
/// as plans hold them (the binder computes functions over them in the wide types).
const std::vector<LogicalType>& NarrowTypes() {
  static const std::vector<LogicalType> kTypes = {LogicalType::Tinyint(), LogicalType::Smallint(),
                                                  LogicalType::Float()};
  return kTypes;
}

/// GeneratedTypes and NarrowTypes.
const std::vector<LogicalType>& AllTypes() {
  static const std::vector<LogicalType> kTypes = [] {
    std::vector<LogicalType> all = GeneratedTypes();
    all.insert(all.end(), NarrowTypes().begin(), NarrowTypes().end());
    return all;
  }();
  return kTypes;
}

LogicalType RowType() {
  return LogicalType::Row({types::RowField{"id", LogicalType::Bigint()}});
}

class Random {
 public:
  explicit Random(uint64_t seed) : engine_(seed) {}
  int64_t Between(int64_t low, int64_t high) {  // inclusive
    return std::uniform_int_distribution<int64_t>(low, high)(engine_);
  }
  bool Chance(double probability) {
    return std::uniform_real_distribution<double>(0, 1)(engine_) < probability;
  }
  template <typename T>
  const T& Pick(const std::vector<T>& items) {
    return items[static_cast<size_t>(Between(0, static_cast<int64_t>(items.size()) - 1))];
  }
  uint64_t Bits() { return engine_(); }

 private:
  std::mt19937_64 engine_;
};

// ---- values ---------------------------------------------------------------------------------

const std::vector<std::string>& StringPool() {
  static const std::vector<std::string> kPool = {"",
                                                 " ",
                                                 "a",
                                                 "abc",
                                                 "ABC",
                                                 "AbC xyz",
                                                 "héllo",
                                                 "日本語",
                                                 "😀",
                                                 "ü",
                                                 " 42 ",
                                                 "-17",
                                                 "+5",
                                                 "0",
                                                 "2147483647",
                                                 "2147483648",
                                                 "-2147483648",
                                                 "9223372036854775807",
                                                 "-9223372036854775809",
                                                 "1.5",
                                                 "-2.5",
                                                 "1e20",
                                                 "nan",
                                                 "inf",
                                                 "-inf",
                                                 "0x1p3",
                                                 "1.005",
                                                 "12.345",
                                                 "-0.005",
                                                 "99999999.995",
                                                 "true",
                                                 " FALSE ",
                                                 "yes",
                                                 "2024-02-29 12:00:00.123",
                                                 "1969-12-31T23:59:59.999",
                                                 "2023-02-29 00:00:00",
                                                 "1970-01-01 00:00:00",
                                                 "0001-01-01 00:00:00",
                                                 "+1 01:01:01.001",
                                                 "-0 00:00:00.5",
                                                 "%",
                                                 "_",
                                                 "a%",
                                                 "%b%",
                                                 "_é%",
                                                 "%%",
                                                 "h_llo",
                                                 "%語",
                                                 "  padded  ",
                                                 "tab\there",
                                                 "a_c",
                                                 "abcabcabc",
                                                 "https://www.nexmark.com/a/b/c/item.htm?query=1",
                                                 "q=1&channel_id=42",
                                                 "channel_id=",
                                                 "a::b::",
                                                 "abc def"};
  return kPool;
}

std::string RandomString(Random& random) {
  static const std::vector<std::string> kPieces = {"a", "b", "c",  "A", "Z", " ", "%", "_",
                                                   "1", "é", "日", "😀", "-", ".", "x"};
  std::string text;
  int64_t length = random.Between(0, 8);
  for (int64_t i = 0; i < length; ++i) text += random.Pick(kPieces);
  return text;
}

__int128 DecimalLimit(const LogicalType& type) {
  __int128 limit = 1;
  for (int i = 0; i < type.precision(); ++i) limit *= 10;
  return limit - 1;
}

/// Draws a non-NULL value of `type`, favouring edge cases.
Value RandomValue(Random& random, const LogicalType& type) {
  if (type.IsNarrowNumeric()) {  // a value of the wide type, narrowed as a cast narrows it
    Value value = RandomValue(random, type.Widened());
    if (type.IsTinyint()) value.integer = static_cast<int8_t>(value.integer);
    if (type.IsSmallint()) value.integer = static_cast<int16_t>(value.integer);
    if (type.IsFloat()) value.real = static_cast<float>(value.real);
    value.type = type;
    return value;
  }
  bool special = random.Chance(0.5);
  switch (type.id()) {
    case TypeId::kBoolean: return Value::Boolean(random.Chance(0.5));
    case TypeId::kInt: {
      static const std::vector<int32_t> kSpecial = {0,
                                                    1,
                                                    -1,
                                                    2,
                                                    -2,
                                                    3,
                                                    7,
                                                    10,
                                                    100,
                                                    std::numeric_limits<int32_t>::min(),
                                                    std::numeric_limits<int32_t>::max(),
                                                    std::numeric_limits<int32_t>::min() + 1,
                                                    65536};
      if (special) return Value::Int(random.Pick(kSpecial));
      return Value::Int(random.Chance(0.5) ? static_cast<int32_t>(random.Between(-20, 20))
                                           : static_cast<int32_t>(random.Bits()));
    }
    case TypeId::kBigint: {
      static const std::vector<int64_t> kSpecial = {0,
                                                    1,
                                                    -1,
                                                    2,
                                                    -2,
                                                    7,
                                                    1000,
                                                    4294967297,
                                                    std::numeric_limits<int64_t>::min(),
                                                    std::numeric_limits<int64_t>::max(),
                                                    std::numeric_limits<int32_t>::min(),
                                                    std::numeric_limits<int32_t>::max(),
                                                    int64_t{1} << 53,
                                                    1'709'208'000'123};
      if (special) return Value::Bigint(random.Pick(kSpecial));
      return Value::Bigint(random.Chance(0.5) ? random.Between(-20, 20)
                                              : static_cast<int64_t>(random.Bits()));
    }
    case TypeId::kDouble: {
      static const std::vector<double> kSpecial = {0.0,
                                                   -0.0,
                                                   1.0,
                                                   -1.0,
                                                   0.1,
                                                   0.5,
                                                   1.5,
                                                   2.5,
                                                   -2.5,
                                                   1.005,
                                                   1e20,
                                                   -1e20,
                                                   1e300,
                                                   std::numeric_limits<double>::quiet_NaN(),
                                                   -std::numeric_limits<double>::quiet_NaN(),
                                                   std::numeric_limits<double>::infinity(),
                                                   -std::numeric_limits<double>::infinity(),
                                                   std::numeric_limits<double>::max(),
                                                   std::numeric_limits<double>::min(),
                                                   std::numeric_limits<double>::denorm_min(),
                                                   2147483647.5,
                                                   2147483648.0,
                                                   -2147483649.0,
                                                   9223372036854775807.0,
                                                   -9223372036854775808.0,
                                                   1e-7};
      if (special) return Value::Double(random.Pick(kSpecial));
      if (random.Chance(0.5))
        return Value::Double(static_cast<double>(random.Between(-50, 50)) / 4);
      double value;
      uint64_t bits = random.Bits();
      std::memcpy(&value, &bits, sizeof(value));
      return Value::Double(value);
    }
    case TypeId::kDecimal: {
      __int128 limit = DecimalLimit(type);
      std::vector<__int128> special_values = {0, 1, -1, 5, -5, 150, -150, limit, -limit, limit / 2};
      __int128 unscaled = 0;
      if (special) {
        unscaled = random.Pick(special_values);
      } else {
        // Any number of digits up to the precision, so that wide values are not all huge.
        __int128 bound = 1;
        for (int64_t digits = random.Between(1, type.precision()); digits > 0; --digits) {
          bound *= 10;
        }
        unscaled = static_cast<__int128>(
            (static_cast<unsigned __int128>(random.Bits()) << 64 | random.Bits()) %
            static_cast<unsigned __int128>(bound));
        if (random.Chance(0.5)) unscaled = -unscaled;
      }
      if (unscaled > limit || unscaled < -limit) unscaled = 0;
      return Value::Decimal(unscaled, type.precision(), type.scale());
    }
    case TypeId::kVarchar:
      return Value::Varchar(special || random.Chance(0.3) ? random.Pick(StringPool())
                                                          : RandomString(random));
    case TypeId::kBinary: {
      // UTF-8 text (which casts to VARCHAR) or any bytes (which do not, or not all).
      if (special || random.Chance(0.4)) return Value::Binary(random.Pick(StringPool()));
      std::string bytes;
      int64_t length = random.Between(0, 6);
      for (int64_t i = 0; i < length; ++i) {
        bytes += static_cast<char>(
            random.Pick(std::vector<int64_t>{0, 1, 0x7f, 0x80, 0xc3, 0xa9, 0xed, 0xff, 'a', 'z'}));
      }
      return Value::Binary(bytes);
    }
    case TypeId::kTimestamp: {
      static const std::vector<int64_t> kSpecial = {0,
                                                    -1,
                                                    1000,
                                                    1'709'208'000'123,
                                                    -62'135'596'800'000,
                                                    253'402'300'799'999,
                                                    std::numeric_limits<int64_t>::min(),
                                                    std::numeric_limits<int64_t>::max()};
      if (special) return Value::Timestamp(random.Pick(kSpecial));
      return Value::Timestamp(random.Between(-10'000'000'000'000, 10'000'000'000'000));
    }
    case TypeId::kInterval: {
      static const std::vector<int64_t> kSpecial = {0,
                                                    1,
                                                    -1,
                                                    1000,
                                                    -500,
                                                    86'400'000,
                                                    90'061'001,
                                                    std::numeric_limits<int64_t>::min(),
                                                    std::numeric_limits<int64_t>::max()};
      if (special) return Value::Interval(random.Pick(kSpecial));
      return Value::Interval(random.Between(-1'000'000'000'000, 1'000'000'000'000));
    }
    case TypeId::kDate: {
      // 1970-01-01, the day before, 2024-01-01, 0001-01-01, 9999-12-31, the int32 extremes.
      static const std::vector<int32_t> kSpecial = {0,
                                                    -1,
                                                    19'723,
                                                    -719'162,
                                                    2'932'896,
                                                    std::numeric_limits<int32_t>::min(),
                                                    std::numeric_limits<int32_t>::max()};
      if (special) return Value::Date(random.Pick(kSpecial));
      return Value::Date(static_cast<int32_t>(random.Between(-800'000, 3'000'000)));
    }
    case TypeId::kTime: {
      static const std::vector<int32_t> kSpecial = {0, 1, 999, 1000, 43'200'000, 86'399'999};
      if (special) return Value::Time(random.Pick(kSpecial));
      return Value::Time(static_cast<int32_t>(random.Between(0, 86'399'999)));
    }
    default: {  // ROW: validity only
      Value value = Value::Null(type);
      value.is_null = false;
      return value;
    }
  }
}

void SetCell(Batch& batch, size_t column_index, int32_t row, const Value& value) {
  runtime::Column& column = batch.column(column_index);
  if (value.is_null) return;
  column.validity()[row] = 1;
  switch (column.type().id()) {
    case TypeId::kRow: break;
    case TypeId::kBoolean: column.values<uint8_t>()[row] = value.integer != 0; break;
    case TypeId::kInt:
    case TypeId::kDate:
    case TypeId::kTime: column.values<int32_t>()[row] = static_cast<int32_t>(value.integer); break;
    case TypeId::kDouble: column.values<double>()[row] = value.real; break;
    case TypeId::kVarchar:
    case TypeId::kBinary: column.values<StringRef>()[row] = batch.arena().Copy(value.text); break;
    default: column.values<int64_t>()[row] = value.integer; break;
  }
}

std::unique_ptr<Batch> RandomBatch(Random& random, const std::vector<LogicalType>& types,
                                   int32_t rows) {
  auto batch = std::make_unique<Batch>(types);
  for (size_t column = 0; column < types.size(); ++column) {
    double null_share = random.Pick(std::vector<double>{0.0, 0.1, 0.3});
    for (int32_t row = 0; row < rows; ++row) {
      if (random.Chance(null_share)) continue;
      SetCell(*batch, column, row, RandomValue(random, types[column]));
    }
  }
  batch->set_row_count(rows);
  return batch;
}

/// Renders one cell for mismatch reports.
std::string CellText(const runtime::Column& column, int32_t row) {
  if (column.IsNull(row)) return "NULL";
  switch (column.type().id()) {
    case TypeId::kBoolean: return column.values<uint8_t>()[row] ? "TRUE" : "FALSE";
    case TypeId::kInt: return fmt::format("{}", column.values<int32_t>()[row]);
    case TypeId::kDate:
      return fmt::format("{} [{}]", column.values<int32_t>()[row],
                         runtime::expr::FormatDate(column.values<int32_t>()[row]));
    case TypeId::kTime:
      return fmt::format("{} [{}]", column.values<int32_t>()[row],
                         runtime::expr::FormatTime(column.values<int32_t>()[row]));
    case TypeId::kDouble: {
      double value = column.values<double>()[row];
      uint64_t bits;
      std::memcpy(&bits, &value, sizeof(bits));
      return fmt::format("{} (0x{:016x})", runtime::expr::FormatDouble(value), bits);
    }
    case TypeId::kVarchar: return fmt::format("'{}'", column.values<StringRef>()[row].view());
    case TypeId::kBinary:
      return "X'" + runtime::expr::EncodeHex(column.values<StringRef>()[row].view()) + "'";
    case TypeId::kDecimal:
      return runtime::expr::FormatDecimal(column.DecimalAt(row), column.type().scale());
    case TypeId::kTimestamp:
      return fmt::format("{} [{}]", column.values<int64_t>()[row],
                         runtime::expr::FormatTimestamp(column.values<int64_t>()[row]));
    default: return fmt::format("{}", column.values<int64_t>()[row]);
  }
}

// ---- expressions ----------------------------------------------------------------------------

/// Generates well-typed expressions over a fixed input schema and counts what it produced.
class ExprGenerator {
 public:
  ExprGenerator(Random& random, std::vector<LogicalType> input_types)
      : random_(random), input_types_(std::move(input_types)) {}

  ExprPtr Generate(const LogicalType& type, int depth) {
    if (depth <= 0 || random_.Chance(0.25)) return Leaf(type);
    if (type.IsNarrowNumeric()) {
      switch (random_.Between(0, 3)) {
        case 0: return Case(type, depth);
        case 1: return Leaf(type);
        default: return Cast(type, depth);
      }
    }
    switch (random_.Between(0, 9)) {
      case 0: return Case(type, depth);
      case 1: return Coalesce(type, depth);
      case 2: return NullIf(type, depth);
      case 3:
      case 4: return Cast(type, depth);
      default: return Specific(type, depth);
    }
  }

  const std::set<FunctionId>& functions_seen() const { return functions_seen_; }
  /// A ROW slot computed as the binder gives a constructed row's validity: ROW(present).
  ExprPtr RowSlot(int depth) {
    return Call(FunctionId::kRow, RowType(), {Generate(LogicalType::Boolean(), depth)});
  }
  const std::set<std::pair<std::string, std::string>>& casts_seen() const { return casts_seen_; }

 private:
  ExprPtr Leaf(const LogicalType& type) {
    if (random_.Chance(0.6) || type.id() == TypeId::kRow) {
      std::vector<int32_t> columns;
      for (size_t i = 0; i < input_types_.size(); ++i) {
        if (input_types_[i] == type) columns.push_back(static_cast<int32_t>(i));
      }
      if (!columns.empty()) return Expr::Column(random_.Pick(columns), type);
    }
    if (random_.Chance(0.1)) return Expr::Literal(Value::Null(type));
    return Expr::Literal(RandomValue(random_, type));
  }

  /// An argument that is sometimes a bare NULL-typed literal, as an unbound NULL would be.
  ExprPtr Argument(const LogicalType& type, int depth) {
    if (random_.Chance(0.02)) return Expr::Literal(Value::Null(LogicalType::Null()));
    return Generate(type, depth);
  }

  ExprPtr Call(FunctionId function, const LogicalType& type, std::vector<ExprPtr> arguments) {
    functions_seen_.insert(function);
    return Expr::Call(function, type, std::move(arguments));
  }

  ExprPtr Case(const LogicalType& type, int depth) {
    std::vector<ExprPtr> arguments;
    int64_t pairs = random_.Between(1, 3);
    for (int64_t i = 0; i < pairs; ++i) {
      arguments.push_back(Argument(LogicalType::Boolean(), depth - 1));
      arguments.push_back(Argument(type, depth - 1));
    }
    arguments.push_back(Argument(type, depth - 1));
    return Expr::Case(std::move(arguments), type);
  }

  ExprPtr Coalesce(const LogicalType& type, int depth) {
    std::vector<ExprPtr> arguments;
    int64_t count = random_.Between(1, 3);
    for (int64_t i = 0; i < count; ++i) arguments.push_back(Argument(type, depth - 1));
    return Call(FunctionId::kCoalesce, type, std::move(arguments));
  }

  ExprPtr NullIf(const LogicalType& type, int depth) {
    return Call(FunctionId::kNullIf, type, {Generate(type, depth - 1), Argument(type, depth - 1)});
  }

  ExprPtr Cast(const LogicalType& type, int depth) {
    std::vector<LogicalType> sources;
    for (const LogicalType& from : AllTypes()) {
      if (from != type && types::IsExplicitlyCastable(from, type)) sources.push_back(from);
    }
    if (sources.empty()) return Specific(type, depth);
    const LogicalType& from = random_.Pick(sources);
    casts_seen_.insert({from.ToString(), type.ToString()});
    return Expr::Cast(Generate(from, depth - 1), type);
  }

  LogicalType RandomDecimalType() {
    std::vector<LogicalType> decimals;
    for (const LogicalType& type : GeneratedTypes()) {
      if (type.id() == TypeId::kDecimal) decimals.push_back(type);
    }
    return random_.Pick(decimals);
  }

  /// `left op right` over two DECIMALs in Flink's result type, cast to `type` when that
  /// differs (the casts round half up and overflow to NULL too).
  ExprPtr DecimalArithmetic(const LogicalType& type, int depth) {
    static const std::vector<std::pair<FunctionId, char>> kOperators = {
        {FunctionId::kAdd, '+'},
        {FunctionId::kSubtract, '-'},
        {FunctionId::kMultiply, '*'},
        {FunctionId::kDivide, '/'},
        {FunctionId::kModulo, '%'}};
    auto [function, op] = random_.Pick(kOperators);
    LogicalType left = random_.Chance(0.5) ? type : RandomDecimalType();
    LogicalType right = RandomDecimalType();
    LogicalType result = types::DecimalArithmeticType(op, left, right);
    ExprPtr call = Call(function, result, {Argument(left, depth - 1), Argument(right, depth - 1)});
    return result == type ? call : Expr::Cast(call, type);
  }

  ExprPtr Binary(FunctionId function, const LogicalType& type, const LogicalType& operand,
                 int depth) {
    return Call(function, type, {Argument(operand, depth - 1), Argument(operand, depth - 1)});
  }

  /// Which values an argument of a built-in function takes (most: any of its type).
  enum class Values {
    kAny,
    kUnit,
    kRegex,
    kDateFormat,
    kCount,
    kBits,
    kJson,
    kJsonPath,
    kEpochPrecision,
    kJsonKind,
    kTimeZone,
    kTimestampText,
    kEscape,
    kCharset,
    kTrimMode,
    kUrl,
    kUrlPart,
    kJsonQueryClauses,
    kJsonExistsOnError
  };

  /// A built-in function of fixed signature (functions.def) and what its arguments take.
  struct Builtin {
    FunctionId id;
    TypeId result;
    std::vector<std::pair<TypeId, Values>> parameters;
    size_t min_arguments;
  };

  static const std::vector<Builtin>& Builtins() {
    constexpr TypeId kVarchar = TypeId::kVarchar, kTime = TypeId::kTimestamp, kInt = TypeId::kInt,
                     kBigint = TypeId::kBigint, kDouble = TypeId::kDouble,
                     kBoolean = TypeId::kBoolean;
    constexpr Values kAny = Values::kAny;
    static const std::vector<Builtin> kBuiltins = [&] {
      std::vector<Builtin> builtins = {
          {FunctionId::kFromUnixtime,
           kVarchar,
           {{kBigint, kAny}, {kVarchar, Values::kDateFormat}},
           1},
          {FunctionId::kToTimestamp, kTime, {{kVarchar, kAny}, {kVarchar, Values::kDateFormat}}, 1},
          {FunctionId::kToTimestampLtz,
           kTime,
           {{kDouble, kAny}, {kInt, Values::kEpochPrecision}},
           1},
          {FunctionId::kJsonValue,
           kVarchar,
           {{kVarchar, Values::kJson}, {kVarchar, Values::kJsonPath}},
           2},
          {FunctionId::kJsonValueOutcome,
           kBigint,
           {{kVarchar, Values::kJson}, {kVarchar, Values::kJsonPath}},
           2},
          {FunctionId::kJsonQuery,
           kVarchar,
           {{kVarchar, Values::kJson}, {kVarchar, Values::kJsonPath}},
           2},
          {FunctionId::kJsonQueryClauses,
           kVarchar,
           {{kVarchar, Values::kJson},
            {kVarchar, Values::kJsonPath},
            {kVarchar, Values::kJsonQueryClauses}},
           3},
          {FunctionId::kTrimCharacters,
           kVarchar,
           {{kVarchar, kAny}, {kInt, Values::kTrimMode}, {kVarchar, kAny}},
           3},
          {FunctionId::kStartsWith, kBoolean, {{kVarchar, kAny}, {kVarchar, kAny}}, 2},
          {FunctionId::kEndsWith, kBoolean, {{kVarchar, kAny}, {kVarchar, kAny}}, 2},
          {FunctionId::kTranslate,
           kVarchar,
           {{kVarchar, kAny}, {kVarchar, kAny}, {kVarchar, kAny}},
           3},
          {FunctionId::kParseUrl,
           kVarchar,
           {{kVarchar, Values::kUrl}, {kVarchar, Values::kUrlPart}, {kVarchar, kAny}},
           2},
          {FunctionId::kUrlEncode, kVarchar, {{kVarchar, kAny}}, 1},
          {FunctionId::kUrlDecode, kVarchar, {{kVarchar, kAny}}, 1},
          {FunctionId::kJsonExists,
           kBoolean,
           {{kVarchar, Values::kJson}, {kVarchar, Values::kJsonPath}},
           2},
          {FunctionId::kJsonExistsOnError,
           kBoolean,
           {{kVarchar, Values::kJson},
            {kVarchar, Values::kJsonPath},
            {kVarchar, Values::kJsonExistsOnError}},
           3},
          {FunctionId::kJsonObjectPut,
           kVarchar,
           {{kVarchar, Values::kJson}, {kVarchar, kAny}, {kVarchar, Values::kJson}},
           3},
          {FunctionId::kJsonArrayAppend,
           kVarchar,
           {{kVarchar, Values::kJson}, {kVarchar, Values::kJson}},
           2},
          {FunctionId::kSimilar,
           kBoolean,
           {{kVarchar, kAny}, {kVarchar, Values::kRegex}, {kVarchar, Values::kEscape}},
           2},
          {FunctionId::kConvertTz,
           kVarchar,
           {{kVarchar, Values::kTimestampText},
            {kVarchar, Values::kTimeZone},
            {kVarchar, Values::kTimeZone}},
           3},
          {FunctionId::kIsJson,
           kBoolean,
           {{kVarchar, Values::kJson}, {kVarchar, Values::kJsonKind}},
           2},
          {FunctionId::kToDate,
           TypeId::kDate,
           {{kVarchar, kAny}, {kVarchar, Values::kDateFormat}},
           1},
          {FunctionId::kTimestampAdd,
           kTime,
           {{kVarchar, Values::kUnit}, {kBigint, Values::kCount}, {kTime, kAny}},
           3},
          {FunctionId::kTimestampDiff,
           kInt,
           {{kVarchar, Values::kUnit}, {kTime, kAny}, {kTime, kAny}},
           3},
          {FunctionId::kFloorTimestamp, kTime, {{kTime, kAny}, {kVarchar, Values::kUnit}}, 2},
          {FunctionId::kLtzToTimestamp, kTime, {{kTime, kAny}, {kVarchar, Values::kTimeZone}}, 2},
          {FunctionId::kTimestampToLtz, kTime, {{kTime, kAny}, {kVarchar, Values::kTimeZone}}, 2},
          {FunctionId::kCeilTimestamp, kTime, {{kTime, kAny}, {kVarchar, Values::kUnit}}, 2},
          {FunctionId::kLog, kDouble, {{kDouble, kAny}, {kDouble, kAny}}, 1},
          {FunctionId::kPower, kDouble, {{kDouble, kAny}, {kDouble, kAny}}, 2},
          {FunctionId::kPow, kDouble, {{kDouble, kAny}, {kDouble, kAny}}, 2},
          {FunctionId::kAtan2, kDouble, {{kDouble, kAny}, {kDouble, kAny}}, 2},
          {FunctionId::kPi, kDouble, {}, 0},
          {FunctionId::kE, kDouble, {}, 0},
          {FunctionId::kReplace,
           kVarchar,
           {{kVarchar, kAny}, {kVarchar, kAny}, {kVarchar, kAny}},
           3},
          {FunctionId::kRegexpReplace,
           kVarchar,
           {{kVarchar, kAny}, {kVarchar, Values::kRegex}, {kVarchar, kAny}},
           3},
          {FunctionId::kRegexp, kBoolean, {{kVarchar, kAny}, {kVarchar, Values::kRegex}}, 2},
          {FunctionId::kRegexpCount, kInt, {{kVarchar, kAny}, {kVarchar, Values::kRegex}}, 2},
          {FunctionId::kRegexpInstr, kInt, {{kVarchar, kAny}, {kVarchar, Values::kRegex}}, 2},
          {FunctionId::kRegexpSubstr, kVarchar, {{kVarchar, kAny}, {kVarchar, Values::kRegex}}, 2},
          {FunctionId::kLpad,
           kVarchar,
           {{kVarchar, kAny}, {kInt, Values::kCount}, {kVarchar, kAny}},
           3},
          {FunctionId::kRpad,
           kVarchar,
           {{kVarchar, kAny}, {kInt, Values::kCount}, {kVarchar, kAny}},
           3},
          {FunctionId::kLocate,
           kInt,
           {{kVarchar, kAny}, {kVarchar, kAny}, {kInt, Values::kCount}},
           2},
          {FunctionId::kPosition, kInt, {{kVarchar, kAny}, {kVarchar, kAny}}, 2},
          {FunctionId::kLeft, kVarchar, {{kVarchar, kAny}, {kInt, Values::kCount}}, 2},
          {FunctionId::kRight, kVarchar, {{kVarchar, kAny}, {kInt, Values::kCount}}, 2},
          {FunctionId::kRepeat, kVarchar, {{kVarchar, kAny}, {kInt, Values::kCount}}, 2},
          {FunctionId::kSha2, kVarchar, {{kVarchar, kAny}, {kInt, Values::kBits}}, 2},
          {FunctionId::kAscii, kInt, {{kVarchar, kAny}}, 1},
          {FunctionId::kChr, kVarchar, {{kInt, kAny}}, 1},
          {FunctionId::kHexNumber, kVarchar, {{kBigint, kAny}}, 1},
          {FunctionId::kBin, kVarchar, {{kBigint, kAny}}, 1},
          {FunctionId::kEncode,
           TypeId::kBinary,
           {{kVarchar, kAny}, {kVarchar, Values::kCharset}},
           2},
          {FunctionId::kDecode,
           kVarchar,
           {{TypeId::kBinary, kAny}, {kVarchar, Values::kCharset}},
           2},
      };
      for (FunctionId id : {FunctionId::kDayOfWeek, FunctionId::kDayOfYear, FunctionId::kWeek,
                            FunctionId::kQuarter}) {
        builtins.push_back({id, kBigint, {{kTime, kAny}}, 1});
      }
      for (FunctionId id : {FunctionId::kIsDigit, FunctionId::kIsAlpha, FunctionId::kIsDecimal}) {
        builtins.push_back({id, kBoolean, {{kVarchar, kAny}}, 1});
      }
      for (FunctionId id :
           {FunctionId::kSqrt, FunctionId::kExp, FunctionId::kLn, FunctionId::kLog10,
            FunctionId::kLog2, FunctionId::kSin, FunctionId::kCos, FunctionId::kTan,
            FunctionId::kCot, FunctionId::kAsin, FunctionId::kAcos, FunctionId::kAtan,
            FunctionId::kSinh, FunctionId::kCosh, FunctionId::kTanh, FunctionId::kDegrees,
            FunctionId::kRadians}) {
        builtins.push_back({id, kDouble, {{kDouble, kAny}}, 1});
      }
      for (FunctionId id :
           {FunctionId::kInitcap, FunctionId::kLtrim, FunctionId::kRtrim, FunctionId::kMd5,
            FunctionId::kSha1, FunctionId::kSha256, FunctionId::kToBase64, FunctionId::kFromBase64,
            FunctionId::kHex, FunctionId::kJsonQuote, FunctionId::kJsonUnquote, FunctionId::kSha224,
            FunctionId::kSha384, FunctionId::kSha512}) {
        builtins.push_back({id, kVarchar, {{kVarchar, kAny}}, 1});
      }
      return builtins;
    }();
    return kBuiltins;
  }

  ExprPtr BuiltinArgument(TypeId type, Values values, int depth) {
    static const std::vector<std::string> kUnits = {"SECOND", "MINUTE",  "HOUR", "DAY",  "WEEK",
                                                    "MONTH",  "QUARTER", "YEAR", "year", "EON"};
    static const std::vector<std::string> kRegexes = {"[0-9]+", "(a)(b)?c", "é(.)", "^$",
                                                      "x*",     "(b",       "",     "\\s"};
    static const std::vector<std::string> kDateFormats = {
        "yyyy-MM-dd", "yyyy/MM/dd HH:mm", "EEE, d MMM yyyy h:mm a", "Y-w e Q z", "x", "WW"};
    static const std::vector<std::string> kJson = {
        R"({"a": 1, "b": [1, "x", {"c": true}], "d": {"e": null, "f": 2.5}})",
        R"([10, 20, {"a": "s"}])",
        "{}",
        "[]",
        R"("a\"b")",
        R"("text")",
        "12",
        "null",
        R"({"a": )",
        "not json",
        ""};
    static const std::vector<std::string> kJsonPaths = {
        "$",           "$.a",      "$.b[1]",      "$.b[2].c", "$.d", "$.d.*", "$.b[*]",
        "strict $.zz", "lax $.zz", "$['d']['f']", "$[2].a",   "$.",  "a"};
    switch (values) {
      case Values::kJson: return PatternArgument(kJson, depth);
      case Values::kJsonPath: return PatternArgument(kJsonPaths, depth);
      case Values::kTimeZone:
        return PatternArgument(
            {"UTC", "America/Los_Angeles", "Australia/Sydney", "GMT+8", "PST", "-05:30", "X/Y"},
            depth);
      case Values::kTimestampText:
        return PatternArgument({"1970-01-01 00:00:00", "2024-03-10 02:30:00", "2024-11-03 01:30:00",
                                "2050-07-01 12:00:00", "nope"},
                               depth);
      case Values::kEscape: return PatternArgument({"!", "\\", "%", "ab"}, depth);
      case Values::kUrl:
        return PatternArgument(
            {"http://u:p@a.com:80/x/y.html?k=v&k2=&k=w#r", "https://b.org", "file:/tmp/a?q",
             "ftp://[::1]:21/f", "mailto:x@y", "nope:/a", " http://c.net/ ", "http://"},
            depth);
      case Values::kUrlPart:
        return PatternArgument({"HOST", "PATH", "QUERY", "REF", "PROTOCOL", "FILE", "AUTHORITY",
                                "USERINFO", "host", "X"},
                               depth);
      case Values::kJsonQueryClauses:
        return PatternArgument({"WNN", "CNN", "UNN", "WAO", "COA", "UON", "WNA", "bad"}, depth);
      case Values::kJsonExistsOnError:
        // Not 'E' (ERROR ON ERROR fails the chain, which is not a difference to find).
        return PatternArgument({"T", "U", "F", "x"}, depth);
      case Values::kTrimMode:
        return Expr::Literal(Value::Int(static_cast<int32_t>(random_.Between(0, 2))));
      case Values::kCharset:
        // Literal charsets only: another one fails the chain, which is not a difference to find.
        return Expr::Literal(Value::Varchar(random_.Pick(std::vector<std::string>{
            "UTF-8", "utf-8", "US-ASCII", "ISO-8859-1", "UTF-16BE", "UTF-16LE", "UTF-16"})));
      case Values::kJsonKind:
        return PatternArgument({"VALUE", "SCALAR", "ARRAY", "OBJECT", "value", "X"}, depth);
      case Values::kUnit: return PatternArgument(kUnits, depth);
      case Values::kRegex: return PatternArgument(kRegexes, depth);
      case Values::kDateFormat: return PatternArgument(kDateFormats, depth);
      case Values::kCount:
      case Values::kBits:
      case Values::kEpochPrecision: {
        // Small literals: a count near INT_MAX would make REPEAT or LPAD allocate gigabytes.
        int64_t value =
            values == Values::kBits ? random_.Pick(std::vector<int64_t>{224, 256, 384, 512, 0})
            : values == Values::kEpochPrecision ? random_.Pick(std::vector<int64_t>{0, 3, 6})
                                                : random_.Between(-3, 12);
        return Expr::Literal(type == TypeId::kInt ? Value::Int(static_cast<int32_t>(value))
                                                  : Value::Bigint(value));
      }
      case Values::kAny: break;
    }
    LogicalType argument_type = type == TypeId::kInt         ? LogicalType::Int()
                                : type == TypeId::kBigint    ? LogicalType::Bigint()
                                : type == TypeId::kDouble    ? LogicalType::Double()
                                : type == TypeId::kTimestamp ? LogicalType::Timestamp()
                                : type == TypeId::kBinary    ? LogicalType::Binary()
                                                             : LogicalType::Varchar();
    return Argument(argument_type, depth - 1);
  }

  /// A built-in function returning `type`, or nullptr when none does.
  ExprPtr BuiltinFunction(const LogicalType& type, int depth) {
    TypeId id = type.id();
    // GREATEST / LEAST over any comparable type; the rounding family keeps numeric types.
    if (random_.Chance(0.2) && id != TypeId::kInterval && id != TypeId::kRow) {
      std::vector<ExprPtr> arguments;
      int64_t count = random_.Between(1, 3);
      for (int64_t i = 0; i < count; ++i) arguments.push_back(Argument(type, depth - 1));
      return Call(random_.Chance(0.5) ? FunctionId::kGreatest : FunctionId::kLeast, type,
                  std::move(arguments));
    }
    if (random_.Chance(0.3) &&
        (type.IsInteger() || id == TypeId::kDouble || id == TypeId::kDecimal)) {
      static const std::vector<FunctionId> kRounding = {FunctionId::kRound, FunctionId::kTruncate,
                                                        FunctionId::kFloor, FunctionId::kCeil,
                                                        FunctionId::kSign};
      FunctionId function = random_.Pick(kRounding);
      std::vector<ExprPtr> arguments = {Argument(type, depth - 1)};
      if (id == TypeId::kDecimal) {
        // The result type must stay `type`: digits at least the scale, FLOOR/CEIL at scale 0.
        bool keeps = function == FunctionId::kSign ||
                     ((function == FunctionId::kFloor || function == FunctionId::kCeil) &&
                      type.scale() == 0);
        if (function == FunctionId::kRound || function == FunctionId::kTruncate) {
          arguments.push_back(Expr::Literal(
              Value::Int(static_cast<int32_t>(type.scale() + random_.Between(0, 3)))));
          keeps = true;
        }
        if (!keeps) function = FunctionId::kSign;
        if (function == FunctionId::kSign) arguments.resize(1);
      } else if ((function == FunctionId::kRound || function == FunctionId::kTruncate) &&
                 random_.Chance(0.7)) {
        arguments.push_back(random_.Chance(0.7) ? Expr::Literal(Value::Int(
                                                      static_cast<int32_t>(random_.Between(-4, 4))))
                                                : Argument(LogicalType::Int(), depth - 1));
      }
      return Call(function, type, std::move(arguments));
    }
    if (id == TypeId::kVarchar && random_.Chance(0.1)) {
      // CONCAT_WS skips NULL strings: both paths must skip the same ones.
      std::vector<ExprPtr> arguments;
      int64_t count = random_.Between(2, 4);
      for (int64_t i = 0; i < count; ++i) arguments.push_back(Argument(type, depth - 1));
      return Call(FunctionId::kConcatWs, type, std::move(arguments));
    }
    std::vector<const Builtin*> candidates;
    for (const Builtin& builtin : Builtins()) {
      if (builtin.result == id) candidates.push_back(&builtin);
    }
    if (candidates.empty()) return nullptr;
    // Half the time one not generated yet, so that every one is (the test checks it).
    std::vector<const Builtin*> unseen;
    for (const Builtin* candidate : candidates) {
      if (functions_seen_.count(candidate->id) == 0) unseen.push_back(candidate);
    }
    const Builtin& builtin =
        *(unseen.empty() || random_.Chance(0.5) ? random_.Pick(candidates) : random_.Pick(unseen));
    size_t count =
        static_cast<size_t>(random_.Between(static_cast<int64_t>(builtin.min_arguments),
                                            static_cast<int64_t>(builtin.parameters.size())));
    std::vector<ExprPtr> arguments;
    for (size_t i = 0; i < count; ++i) {
      arguments.push_back(
          BuiltinArgument(builtin.parameters[i].first, builtin.parameters[i].second, depth));
    }
    return Call(builtin.id, type, std::move(arguments));
  }

  /// The functions specific to a result type.
  // ---- collections: scalar results of functions over generated arrays and maps ----

  static ExprPtr Descriptor(const LogicalType& type) {
    return Expr::Literal(Value::Varchar(runtime::expr::TypeDescriptor(type)));
  }

  /// An element type of generated collections.
  LogicalType ElementType() {
    static const std::vector<LogicalType> kElements = {
        LogicalType::Bigint(), LogicalType::Varchar(), LogicalType::Double(), LogicalType::Date(),
        LogicalType::Boolean()};
    return random_.Pick(kElements);
  }

  /// An ARRAY<element> expression: a constructor, or a function returning an array.
  ExprPtr ArrayExpression(const LogicalType& element, int depth) {
    LogicalType type = LogicalType::Array(element);
    if (depth > 1 && random_.Chance(0.5)) {
      switch (random_.Between(0, 7)) {
        case 0:
          return Call(random_.Chance(0.5) ? FunctionId::kArrayDistinct : FunctionId::kArrayReverse,
                      type, {ArrayExpression(element, depth - 1)});
        case 6: {
          // ARRAY_SORT, its order and NULL placement given or not.
          std::vector<ExprPtr> arguments{ArrayExpression(element, depth - 1)};
          int64_t flags = random_.Between(0, 2);
          for (int64_t i = 0; i < flags; ++i) {
            arguments.push_back(Generate(LogicalType::Boolean(), depth - 1));
          }
          return Call(FunctionId::kArraySort, type, std::move(arguments));
        }
        case 7:
          return Call(
              random_.Pick(std::vector<FunctionId>{
                  FunctionId::kArrayUnion, FunctionId::kArrayExcept, FunctionId::kArrayIntersect}),
              type, {ArrayExpression(element, depth - 1), ArrayExpression(element, depth - 1)});
        case 1:
          return Call(
              random_.Pick(std::vector<FunctionId>{
                  FunctionId::kArrayRemove, FunctionId::kArrayAppend, FunctionId::kArrayPrepend}),
              type,
              {Descriptor(element), ArrayExpression(element, depth - 1),
               Generate(element, depth - 1)});
        case 2:
          return Call(FunctionId::kArrayConcat, type,
                      {ArrayExpression(element, depth - 1), ArrayExpression(element, depth - 1)});
        case 4: {
          std::vector<ExprPtr> arguments{ArrayExpression(element, depth - 1),
                                         Generate(LogicalType::Bigint(), depth - 1)};
          if (random_.Chance(0.5)) arguments.push_back(Generate(LogicalType::Bigint(), depth - 1));
          return Call(FunctionId::kArraySlice, type, std::move(arguments));
        }
        case 5:
          if (element.id() == TypeId::kVarchar) {
            // In turn, so that each is generated however rarely this branch is taken.
            split_next_ = (split_next_ + 1) % 3;
            if (split_next_ == 1) {
              return Call(FunctionId::kSplit, type,
                          {Generate(element, depth - 1), Generate(element, depth - 1)});
            }
            if (split_next_ == 2) {
              return Call(FunctionId::kJsonQueryArray, type,
                          {BuiltinArgument(TypeId::kVarchar, Values::kJson, depth),
                           BuiltinArgument(TypeId::kVarchar, Values::kJsonPath, depth),
                           BuiltinArgument(TypeId::kVarchar, Values::kJsonQueryClauses, depth)});
            }
            std::vector<ExprPtr> arguments{
                Generate(element, depth - 1),
                BuiltinArgument(TypeId::kVarchar, Values::kRegex, depth)};
            if (random_.Chance(0.5)) {
              arguments.push_back(Expr::Literal(Value::Bigint(random_.Between(-1, 2))));
            }
            return Call(FunctionId::kRegexpExtractAll, type, std::move(arguments));
          }
          break;
        case 3:
          if (element.id() == TypeId::kVarchar || element.id() == TypeId::kBigint) {
            LogicalType map = MapType(element);
            // Alternating, so that both are generated however rarely this branch is taken.
            map_keys_next_ = !map_keys_next_;
            return Call(map_keys_next_ ? FunctionId::kMapKeys : FunctionId::kMapValues, type,
                        {MapExpression(map, depth - 1)});
          }
          break;
        default: break;
      }
    }
    std::vector<ExprPtr> arguments{Descriptor(element)};
    int64_t count = random_.Between(0, 3);
    for (int64_t i = 0; i < count; ++i) arguments.push_back(Generate(element, depth - 1));
    if (count == 0) arguments.push_back(Generate(element, depth - 1));
    return Call(FunctionId::kCollectionArray, type, std::move(arguments));
  }

  static LogicalType MapType(const LogicalType& value) {
    return LogicalType::Map(LogicalType::Varchar(), value);
  }

  /// A MAP<VARCHAR, value> expression.
  ExprPtr MapExpression(const LogicalType& type, int depth) {
    const LogicalType& value = type.value_type();
    if (value.id() == TypeId::kVarchar && random_.Chance(0.3)) {
      static const std::vector<std::string> kLists = {",", ";", "\\s*,\\s*"};
      static const std::vector<std::string> kPairs = {"=", ":"};
      return Call(FunctionId::kStrToMap, type,
                  {Generate(LogicalType::Varchar(), depth - 1),
                   Expr::Literal(Value::Varchar(random_.Pick(kLists))),
                   Expr::Literal(Value::Varchar(random_.Pick(kPairs)))});
    }
    if (depth > 1 && random_.Chance(0.15)) {
      // MAP_UNION of one to three maps: later values replace earlier ones.
      std::vector<ExprPtr> maps;
      int64_t count = random_.Between(1, 3);
      for (int64_t i = 0; i < count; ++i) maps.push_back(MapExpression(type, depth - 1));
      return Call(FunctionId::kMapUnion, type, std::move(maps));
    }
    if (random_.Chance(0.3)) {
      // Equal lengths: the keys and their reverse as values when both are VARCHAR.
      ExprPtr keys = ArrayExpression(LogicalType::Varchar(), depth - 1);
      if (value.id() == TypeId::kVarchar) {
        return Call(FunctionId::kMapFromArrays, type,
                    {keys, Call(FunctionId::kArrayReverse, LogicalType::Array(value), {keys})});
      }
    }
    std::vector<ExprPtr> arguments{Descriptor(LogicalType::Varchar()), Descriptor(value)};
    int64_t count = random_.Between(1, 3);
    for (int64_t i = 0; i < count; ++i) {
      arguments.push_back(Generate(LogicalType::Varchar(), depth - 1));
      arguments.push_back(Generate(value, depth - 1));
    }
    return Call(FunctionId::kCollectionMap, type, std::move(arguments));
  }

  /// An expression of `type` computed by a collection function; null when none gives it.
  ExprPtr CollectionFunction(const LogicalType& type, int depth) {
    LogicalType element = ElementType();
    switch (type.id()) {
      case TypeId::kVarchar:
        switch (random_.Between(0, 4)) {
          case 0: {
            LogicalType array = LogicalType::Array(element);
            return Call(FunctionId::kCollectionToString, type,
                        {Descriptor(array), ArrayExpression(element, depth)});
          }
          case 1: {
            LogicalType map = MapType(element);
            // In turn, so that each of the three is generated however rarely this is taken.
            map_text_next_ = (map_text_next_ + 1) % 3;
            if (map_text_next_ == 0) {
              // MAP_ENTRIES: an ARRAY<ROW<key, value>>, as text.
              LogicalType entries = LogicalType::Array(
                  LogicalType::Row({types::RowField{"key", LogicalType::Varchar()},
                                    types::RowField{"value", element}}));
              return Call(FunctionId::kCollectionToString, type,
                          {Descriptor(entries),
                           Call(FunctionId::kMapEntries, entries, {MapExpression(map, depth)})});
            }
            return Call(map_text_next_ == 1 ? FunctionId::kCollectionToJson
                                            : FunctionId::kCollectionToString,
                        type, {Descriptor(map), MapExpression(map, depth)});
          }
          case 2: {
            std::vector<ExprPtr> arguments{ArrayExpression(type, depth), Generate(type, depth - 1)};
            if (random_.Chance(0.5)) arguments.push_back(Generate(type, depth - 1));
            return Call(FunctionId::kArrayJoin, type, std::move(arguments));
          }
          case 3: {
            LogicalType map = MapType(type);
            return Call(FunctionId::kCollectionMapGet, type,
                        {Descriptor(LogicalType::Varchar()), MapExpression(map, depth),
                         Generate(LogicalType::Varchar(), depth - 1)});
          }
          default: break;
        }
        break;
      case TypeId::kInt:
        if (random_.Chance(0.5)) {
          return Call(FunctionId::kCardinality, type,
                      {random_.Chance(0.5) ? ArrayExpression(element, depth)
                                           : MapExpression(MapType(element), depth)});
        }
        return Call(
            FunctionId::kArrayPosition, type,
            {Descriptor(element), ArrayExpression(element, depth), Generate(element, depth - 1)});
      case TypeId::kBoolean:
        if (random_.Chance(0.3)) {
          return Call(random_.Chance(0.5) ? FunctionId::kEqual : FunctionId::kNotEqual, type,
                      {ArrayExpression(element, depth), ArrayExpression(element, depth)});
        }
        return Call(
            FunctionId::kArrayContains, type,
            {Descriptor(element), ArrayExpression(element, depth), Generate(element, depth - 1)});
      default: break;
    }
    bool elements = type.id() == TypeId::kBigint || type.id() == TypeId::kDouble ||
                    type.id() == TypeId::kDate || type.id() == TypeId::kBoolean ||
                    type.id() == TypeId::kVarchar;
    if (!elements) return nullptr;
    if ((type.id() == TypeId::kBigint || type.id() == TypeId::kVarchar) && random_.Chance(0.2)) {
      // A field of an encoded ROW<BIGINT, VARCHAR> element (as a[i].field reads one).
      runtime::expr::CollectionWriter row;
      runtime::expr::Item number{runtime::expr::ItemTag::kInteger, random_.Between(-9, 9), 0, {}};
      std::string text = random_.Chance(0.5) ? "ab" : "";
      runtime::expr::Item string{runtime::expr::ItemTag::kBytes, 0, 0, text};
      row.Add(random_.Chance(0.2) ? runtime::expr::Item{} : number);
      row.Add(string);
      bool first = type.id() == TypeId::kBigint;
      ExprPtr encoded = Expr::Literal(Value::Varchar(row.Finish(2)));
      if (random_.Chance(0.5)) {
        // A row built from values (ROW(...) inside a collection, a ROW column's bytes).
        LogicalType row_type = LogicalType::Row({types::RowField{"a", LogicalType::Bigint()},
                                                 types::RowField{"b", LogicalType::Varchar()}});
        encoded = Call(FunctionId::kRowEncode, LogicalType::Varchar(),
                       {Descriptor(row_type), Generate(LogicalType::Boolean(), depth - 1),
                        Generate(LogicalType::Bigint(), depth - 1),
                        Generate(LogicalType::Varchar(), depth - 1)});
      }
      return Call(FunctionId::kRowField, type,
                  {Descriptor(type), encoded, Expr::Literal(Value::Bigint(first ? 0 : 1))});
    }
    switch (random_.Between(0, 2)) {
      case 0:
        if (type.id() != TypeId::kBoolean) {
          return Call(random_.Chance(0.5) ? FunctionId::kArrayMax : FunctionId::kArrayMin, type,
                      {ArrayExpression(type, depth)});
        }
        break;
      case 1: {
        // ELEMENT of a one-element array (more than one is an error).
        std::vector<ExprPtr> arguments{Descriptor(type), Generate(type, depth - 1)};
        return Call(
            FunctionId::kElement, type,
            {Call(FunctionId::kCollectionArray, LogicalType::Array(type), std::move(arguments))});
      }
      default: break;
    }
    return Call(FunctionId::kCollectionElementAt, type,
                {Descriptor(type), ArrayExpression(type, depth),
                 Generate(LogicalType::Bigint(), depth - 1)});
  }

  ExprPtr Specific(const LogicalType& type, int depth) {
    if (random_.Chance(0.08)) {
      if (ExprPtr collection = CollectionFunction(type, depth)) return collection;
    }
    if (random_.Chance(0.3)) {
      if (ExprPtr builtin = BuiltinFunction(type, depth)) return builtin;
    }
    static const std::vector<FunctionId> kArithmetic = {
        FunctionId::kAdd,    FunctionId::kSubtract, FunctionId::kMultiply, FunctionId::kDivide,
        FunctionId::kModulo, FunctionId::kNegate,   FunctionId::kAbs};
    switch (type.id()) {
      case TypeId::kBoolean: return Predicate(depth);
      case TypeId::kInt:
        if (random_.Chance(0.15)) {
          return Call(FunctionId::kCharLength, type, {Argument(LogicalType::Varchar(), depth - 1)});
        }
        [[fallthrough]];
      case TypeId::kBigint:
      case TypeId::kDouble: {
        if (type.id() == TypeId::kBigint && random_.Chance(0.15)) {
          static const std::vector<FunctionId> kFields = {
              FunctionId::kYear,   FunctionId::kMonth,  FunctionId::kDayOfMonth, FunctionId::kHour,
              FunctionId::kMinute, FunctionId::kSecond, FunctionId::kMillisecond};
          return Call(random_.Pick(kFields), type, {Argument(LogicalType::Timestamp(), depth - 1)});
        }
        FunctionId function = random_.Pick(kArithmetic);
        if (function == FunctionId::kNegate || function == FunctionId::kAbs) {
          return Call(function, type, {Argument(type, depth - 1)});
        }
        return Binary(function, type, type, depth);
      }
      case TypeId::kDecimal:
        if (random_.Chance(0.6)) return DecimalArithmetic(type, depth);
        [[fallthrough]];
      case TypeId::kInterval:
        if (type.id() == TypeId::kInterval && random_.Chance(0.6)) {
          return Binary(random_.Chance(0.5) ? FunctionId::kAdd : FunctionId::kSubtract, type, type,
                        depth);
        }
        return Call(random_.Chance(0.5) ? FunctionId::kNegate : FunctionId::kAbs, type,
                    {Argument(type, depth - 1)});
      case TypeId::kTimestamp: {
        LogicalType interval = LogicalType::Interval();
        if (random_.Chance(0.2)) {
          return Call(FunctionId::kAdd, type,
                      {Argument(interval, depth - 1), Argument(type, depth - 1)});
        }
        return Call(random_.Chance(0.5) ? FunctionId::kAdd : FunctionId::kSubtract, type,
                    {Argument(type, depth - 1), Argument(interval, depth - 1)});
      }
      case TypeId::kVarchar: return StringFunction(depth);
      default: return Leaf(type);
    }
  }

  ExprPtr Predicate(int depth) {
    LogicalType boolean = LogicalType::Boolean();
    switch (random_.Between(0, 7)) {
      case 0:
      case 1: {
        static const std::vector<FunctionId> kComparisons = {
            FunctionId::kEqual,     FunctionId::kNotEqual, FunctionId::kLess,
            FunctionId::kLessEqual, FunctionId::kGreater,  FunctionId::kGreaterEqual};
        const LogicalType& operand = random_.Pick(GeneratedTypes());
        if (operand.id() == TypeId::kDecimal) {
          // DECIMALs of any two precisions and scales compare by value.
          return Call(random_.Pick(kComparisons), boolean,
                      {Argument(operand, depth - 1), Argument(RandomDecimalType(), depth - 1)});
        }
        return Binary(random_.Pick(kComparisons), boolean, operand, depth);
      }
      case 2: {
        // Binary only: plans carry two operands (the interpreter also folds more).
        return Binary(random_.Chance(0.5) ? FunctionId::kAnd : FunctionId::kOr, boolean, boolean,
                      depth);
      }
      case 3: return Call(FunctionId::kNot, boolean, {Argument(boolean, depth - 1)});
      case 4:
        return Call(random_.Chance(0.5) ? FunctionId::kIsNull : FunctionId::kIsNotNull, boolean,
                    {random_.Chance(0.15) ? Leaf(RowType())
                                          : Argument(random_.Pick(GeneratedTypes()), depth - 1)});
      case 5:
        return Call(random_.Chance(0.5) ? FunctionId::kIsTrue : FunctionId::kIsFalse, boolean,
                    {Argument(boolean, depth - 1)});
      default: {
        LogicalType varchar = LogicalType::Varchar();
        ExprPtr pattern = random_.Chance(0.6)
                              ? Expr::Literal(Value::Varchar(random_.Pick(StringPool())))
                              : Argument(varchar, depth - 1);
        return Call(FunctionId::kLike, boolean, {Argument(varchar, depth - 1), pattern});
      }
    }
  }

  ExprPtr Position(int depth) {
    LogicalType type = random_.Chance(0.7) ? LogicalType::Int() : LogicalType::Bigint();
    if (random_.Chance(0.6)) {
      int64_t value = random_.Chance(0.9)
                          ? random_.Between(-3, 8)
                          : random_.Pick(std::vector<int64_t>{std::numeric_limits<int32_t>::max(),
                                                              std::numeric_limits<int32_t>::min()});
      return Expr::Literal(type.id() == TypeId::kInt ? Value::Int(static_cast<int32_t>(value))
                                                     : Value::Bigint(value));
    }
    return Argument(type, depth - 1);
  }

  /// A literal from `pool` most of the time (as queries write patterns), else any string.
  ExprPtr PatternArgument(const std::vector<std::string>& pool, int depth) {
    if (random_.Chance(0.75)) return Expr::Literal(Value::Varchar(random_.Pick(pool)));
    return Argument(LogicalType::Varchar(), depth - 1);
  }

  ExprPtr PatternFunction(int depth) {
    // Valid and invalid patterns alike: both paths must give the same NULLs.
    static const std::vector<std::string> kDateFormats = {"yyyy-MM-dd",
                                                          "HH:mm",
                                                          "yyyy-MM-dd HH:mm:ss",
                                                          "yy/M/d H:m:s.SSS",
                                                          "'at' HH 'o''clock'",
                                                          "S SS SSSSSS",
                                                          "yyyyy",
                                                          "",
                                                          "QQ",
                                                          "HHH",
                                                          "'open",
                                                          "dd.MM.yyyy – é"};
    static const std::vector<std::string> kRegexes = {
        "(&|^)channel_id=([^&]*)", "[0-9]+", "(a)(b)?c", "é(.)", "^$", "x*", "(b", "(a)\\1",
        "([a-z]+) ([a-z]+)"};
    static const std::vector<std::string> kDelimiters = {"/", ",", "::", "", " ", "a", "é"};
    LogicalType varchar = LogicalType::Varchar();
    switch (random_.Between(0, 2)) {
      case 0:
        return Call(
            FunctionId::kDateFormat, varchar,
            {Argument(LogicalType::Timestamp(), depth - 1), PatternArgument(kDateFormats, depth)});
      case 1: {
        std::vector<ExprPtr> arguments = {Argument(varchar, depth - 1),
                                          PatternArgument(kRegexes, depth)};
        if (random_.Chance(0.7)) arguments.push_back(Position(depth));
        return Call(FunctionId::kRegexpExtract, varchar, std::move(arguments));
      }
      default:
        return Call(
            FunctionId::kSplitIndex, varchar,
            {Argument(varchar, depth - 1), PatternArgument(kDelimiters, depth), Position(depth)});
    }
  }

  ExprPtr StringFunction(int depth) {
    LogicalType varchar = LogicalType::Varchar();
    if (random_.Chance(0.3)) return PatternFunction(depth);
    switch (random_.Between(0, 6)) {
      case 0: return Binary(FunctionId::kConcat, varchar, varchar, depth);
      case 1: return Call(FunctionId::kUpper, varchar, {Argument(varchar, depth - 1)});
      case 2: return Call(FunctionId::kLower, varchar, {Argument(varchar, depth - 1)});
      case 3: return Call(FunctionId::kTrim, varchar, {Argument(varchar, depth - 1)});
      case 4: return Call(FunctionId::kReverse, varchar, {Argument(varchar, depth - 1)});
      default: {
        std::vector<ExprPtr> arguments = {Argument(varchar, depth - 1), Position(depth)};
        if (random_.Chance(0.6)) arguments.push_back(Position(depth));
        return Call(FunctionId::kSubstring, varchar, std::move(arguments));
      }
    }
  }

  Random& random_;
  bool map_keys_next_ = false;  // which of MAP_KEYS and MAP_VALUES comes next
  int map_text_next_ = 0;       // MAP_ENTRIES, JSON or text of a map comes next
  int split_next_ = 0;  // which of SPLIT, $JSON_QUERY_ARRAY and REGEXP_EXTRACT_ALL comes next
  std::vector<LogicalType> input_types_;
  std::set<FunctionId> functions_seen_;
  std::set<std::pair<std::string, std::string>> casts_seen_;
};

// ---- running and comparing ------------------------------------------------------------------

std::unique_ptr<Batch> RunJit(const runtime::expr::CompiledChain& chain, const ChainSpec& spec,
                              const Batch& input) {
  std::vector<LogicalType> output_types;
  for (const ExprPtr& projection : spec.projections) output_types.push_back(projection->type);
  auto output = std::make_unique<Batch>(output_types);
  std::vector<SluiceKernelColumn> inputs, outputs;
  for (size_t i = 0; i < input.column_count(); ++i) {
    auto& column = const_cast<runtime::Column&>(input.column(i));
    inputs.push_back({column.data(), column.validity()});
  }
  for (size_t i = 0; i < output->column_count(); ++i) {
    outputs.push_back({output->column(i).data(), output->column(i).validity()});
  }
  SluiceKernelContext context{&output->arena()};
  int32_t written = chain.kernel()(inputs.data(), outputs.data(), input.row_count(), &context);
  output->set_row_count(written);
  output->RetainArenasOf(input);
  return output;
}

base::Result<std::unique_ptr<Batch>> RunInterpreter(const ChainSpec& spec, const Batch& input) {
  std::vector<LogicalType> output_types;
  for (const ExprPtr& projection : spec.projections) output_types.push_back(projection->type);
  auto output = std::make_unique<Batch>(output_types);
  SLUICE_RETURN_IF_ERROR(runtime::expr::EvaluateChain(spec, input, output.get()));
  return output;
}

bool SameValue(const runtime::Column& left, const runtime::Column& right, int32_t row) {
  switch (left.type().id()) {
    case TypeId::kBoolean: return left.values<uint8_t>()[row] == right.values<uint8_t>()[row];
    case TypeId::kInt:
    case TypeId::kDate:
    case TypeId::kTime: return left.values<int32_t>()[row] == right.values<int32_t>()[row];
    case TypeId::kDouble: {
      double a = left.values<double>()[row], b = right.values<double>()[row];
      if (std::isnan(a) && std::isnan(b)) return true;
      return std::memcmp(&a, &b, sizeof(double)) == 0;
    }
    case TypeId::kVarchar:
    case TypeId::kBinary:
      return left.values<StringRef>()[row].view() == right.values<StringRef>()[row].view();
    case TypeId::kRow:
    case TypeId::kNull: return true;
    default: return left.values<int64_t>()[row] == right.values<int64_t>()[row];
  }
}

bool IsZero(const runtime::Column& column, int32_t row) {
  size_t width = static_cast<size_t>(column.type().PhysicalWidth());
  const uint8_t* bytes = column.data() + width * static_cast<size_t>(row);
  for (size_t i = 0; i < width; ++i) {
    if (bytes[i] != 0) return false;
  }
  return true;
}

/// Describes the first difference between two chain outputs, or nothing when they agree.
std::optional<std::string> FirstDifference(const Batch& jit, const Batch& interpreter) {
  if (jit.row_count() != interpreter.row_count()) {
    return fmt::format("row count: jit {} interpreter {}", jit.row_count(),
                       interpreter.row_count());
  }
  for (size_t c = 0; c < interpreter.column_count(); ++c) {
    const runtime::Column& a = jit.column(c);
    const runtime::Column& b = interpreter.column(c);
    for (int32_t row = 0; row < interpreter.row_count(); ++row) {
      bool valid_a = !a.IsNull(row), valid_b = !b.IsNull(row);
      if (valid_a != valid_b || (valid_a && !SameValue(a, b, row))) {
        return fmt::format("projection {} output row {}: jit {} interpreter {}", c, row,
                           CellText(a, row), CellText(b, row));
      }
      if (!valid_a && (!IsZero(a, row) || !IsZero(b, row))) {
        return fmt::format("projection {} output row {}: NULL not zeroed (jit {}, interpreter {})",
                           c, row, IsZero(a, row) ? "zero" : "non-zero",
                           IsZero(b, row) ? "zero" : "non-zero");
      }
    }
  }
  return std::nullopt;
}

void CollectSubexpressions(const ExprPtr& expr, std::vector<ExprPtr>* out) {
  for (const ExprPtr& argument : expr->arguments) CollectSubexpressions(argument, out);
  out->push_back(expr);
}

class DifferentialTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto compiler = MakeJitChainCompiler();
    ASSERT_TRUE(compiler.ok()) << compiler.status().ToString();
    compiler_ = std::move(compiler).value();
    for (const LogicalType& type : AllTypes()) {
      input_types_.push_back(type);
      input_types_.push_back(type);
    }
    input_types_.push_back(RowType());  // validity only: IS NULL and pass-through
  }

  /// Runs both engines; returns a difference, or an error text when either refused the spec.
  /// Compiles `spec` unless `spec_id` (>= 0) names the spec compiled last.
  const runtime::expr::CompiledChain* CompileCached(const ChainSpec& spec, int spec_id,
                                                    std::string* refused) {
    if (spec_id < 0 || cached_spec_id_ != spec_id || !cached_chain_) {
      auto compile_started = std::chrono::steady_clock::now();
      auto chain = compiler_->Compile(spec);
      compile_seconds_ +=
          std::chrono::duration<double>(std::chrono::steady_clock::now() - compile_started).count();
      cached_spec_id_ = spec_id;
      cached_chain_.reset();
      if (!chain.ok()) {
        *refused = "jit: " + chain.status().ToString();
        return nullptr;
      }
      cached_chain_ = std::move(chain).value();
    }
    return cached_chain_.get();
  }

  std::optional<std::string> Check(const ChainSpec& spec, int spec_id, const Batch& input,
                                   std::string* refused) {
    auto expected = RunInterpreter(spec, input);
    if (!expected.ok()) {
      *refused = "interpreter: " + expected.status().ToString();
      return std::nullopt;
    }
    const runtime::expr::CompiledChain* chain = CompileCached(spec, spec_id, refused);
    if (chain == nullptr) return std::nullopt;
    auto actual = RunJit(*chain, spec, input);
    for (size_t c = 0; c < (*expected)->column_count(); ++c) {
      for (int32_t row = 0; row < (*expected)->row_count(); ++row) {
        values_compared_ += !(*expected)->column(c).IsNull(row);
      }
    }
    return FirstDifference(*actual, **expected);
  }

  /// Finds the smallest subexpression of `expr` on which the engines disagree over `input`.
  std::string Minimize(const ExprPtr& expr, const Batch& input) {
    std::vector<ExprPtr> subexpressions;
    CollectSubexpressions(expr, &subexpressions);
    for (const ExprPtr& candidate : subexpressions) {
      ChainSpec spec;
      spec.input_types = input_types_;
      spec.projections = {candidate};
      std::string refused;
      std::optional<std::string> difference = Check(spec, -1, input, &refused);
      if (difference) {
        return fmt::format("smallest failing subexpression: {}\n    {}", candidate->ToString(),
                           *difference);
      }
    }
    return "no single subexpression fails alone";
  }

  /// Prints the input row behind output row `output_row` of a spec (via the interpreter).
  std::string InputRow(const ChainSpec& spec, const Batch& input, int32_t output_row) {
    int32_t seen = -1;
    int32_t input_row = output_row;
    if (spec.filter) {
      ChainSpec filter_only;
      filter_only.input_types = spec.input_types;
      filter_only.projections = {spec.filter};
      auto selected = RunInterpreter(filter_only, input);
      if (!selected.ok()) return "?";
      for (int32_t row = 0; row < input.row_count(); ++row) {
        const runtime::Column& column = (*selected)->column(0);
        if (!column.IsNull(row) && column.values<uint8_t>()[row] != 0 && ++seen == output_row) {
          input_row = row;
          break;
        }
      }
    }
    if (input_row >= input.row_count()) return "?";
    std::string text = fmt::format("input row {}:", input_row);
    for (size_t c = 0; c < input.column_count(); ++c) {
      text += fmt::format(" ${}={}", c, CellText(input.column(c), input_row));
    }
    return text;
  }

  std::unique_ptr<runtime::expr::ChainCompiler> compiler_;
  std::vector<LogicalType> input_types_;
  double compile_seconds_ = 0;
  int64_t values_compared_ = 0;
  int cached_spec_id_ = -1;
  std::shared_ptr<runtime::expr::CompiledChain> cached_chain_;
};

TEST(DifferentialComparison, DetectsDifferencesBitForBit) {
  std::vector<LogicalType> types = {LogicalType::Double(), LogicalType::Varchar()};
  Batch left(types), right(types);
  for (Batch* batch : {&left, &right}) {
    batch->set_row_count(2);
    SetCell(*batch, 0, 0, Value::Double(std::numeric_limits<double>::quiet_NaN()));
    SetCell(*batch, 1, 0, Value::Varchar("same"));
  }
  SetCell(right, 0, 0, Value::Double(-std::numeric_limits<double>::quiet_NaN()));
  EXPECT_EQ(FirstDifference(left, right), std::nullopt);  // any NaN equals any NaN
  SetCell(left, 0, 1, Value::Double(0.0));
  SetCell(right, 0, 1, Value::Double(-0.0));
  EXPECT_NE(FirstDifference(left, right), std::nullopt);  // but -0.0 is not 0.0
  SetCell(right, 0, 1, Value::Double(0.0));
  EXPECT_EQ(FirstDifference(left, right), std::nullopt);
  SetCell(right, 1, 1, Value::Varchar(""));  // NULL on the left, '' on the right
  EXPECT_NE(FirstDifference(left, right), std::nullopt);
  right.column(1).validity()[1] = 0;
  EXPECT_NE(FirstDifference(left, right), std::nullopt);  // NULL whose value is not zeroed
  right.column(1).values<StringRef>()[1] = StringRef{nullptr, 0, 0};
  EXPECT_EQ(FirstDifference(left, right), std::nullopt);
  right.set_row_count(1);
  EXPECT_NE(FirstDifference(left, right), std::nullopt);
}

TEST_F(DifferentialTest, JitMatchesInterpreterOnRandomChains) {
  const uint64_t seed = FromEnvironment("SLUICE_DIFFERENTIAL_SEED", kSeed);
  const int spec_count = static_cast<int>(FromEnvironment("SLUICE_DIFFERENTIAL_SPECS", kSpecCount));
  Random random(seed);
  ExprGenerator generator(random, input_types_);
  int mismatches = 0, refusals = 0, rows_compared = 0;
  std::map<std::string, int> refusal_kinds;
  auto started = std::chrono::steady_clock::now();
  for (int index = 0; index < spec_count; ++index) {
    ChainSpec spec;
    spec.input_types = input_types_;
    int depth = static_cast<int>(random.Between(1, kMaxDepth));
    if (random.Chance(0.6)) spec.filter = generator.Generate(LogicalType::Boolean(), depth);
    int64_t projections = random.Between(1, 5);
    if (random.Chance(0.05))
      spec.projections.push_back(
          Expr::Column(static_cast<int32_t>(input_types_.size()) - 1, RowType()));
    if (random.Chance(0.05)) spec.projections.push_back(generator.RowSlot(depth));
    for (int64_t p = 0; p < projections; ++p) {
      const LogicalType& type = random.Pick(random.Chance(0.8) ? GeneratedTypes() : NarrowTypes());
      spec.projections.push_back(
          generator.Generate(type, static_cast<int>(random.Between(1, kMaxDepth))));
    }
    for (int batch_index = 0; batch_index < kBatchesPerSpec; ++batch_index) {
      int32_t rows = static_cast<int32_t>(
          random.Pick(std::vector<int64_t>{0, 1, 7, 64, 64, 200, 200, runtime::kBatchCapacity}));
      auto input = RandomBatch(random, input_types_, rows);

      std::string refused;
      std::optional<std::string> difference = Check(spec, index, *input, &refused);
      if (!refused.empty()) {
        ++refusals;
        if (++refusal_kinds[refused] == 1) {
          ADD_FAILURE() << "spec " << index << " refused by " << refused;
        }
        continue;
      }
      rows_compared += rows;
      if (!difference) continue;
      if (++mismatches > kMaxReportedMismatches) continue;
      std::string report = fmt::format("spec {} (seed {}): {}\n", index, seed, *difference);
      if (spec.filter) report += fmt::format("  filter: {}\n", spec.filter->ToString());
      for (size_t p = 0; p < spec.projections.size(); ++p) {
        report += fmt::format("  projection {}: {}\n", p, spec.projections[p]->ToString());
      }
      int32_t output_row = -1;
      if (std::sscanf(difference->c_str(), "projection %*d output row %d", &output_row) == 1) {
        report += "  " + InputRow(spec, *input, output_row) + "\n";
      }
      if (spec.filter) report += "  filter alone: " + Minimize(spec.filter, *input) + "\n";
      for (const ExprPtr& projection : spec.projections) {
        report += "  projection alone: " + Minimize(projection, *input) + "\n";
      }
      ADD_FAILURE() << report;
    }
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf(
      "differential: %d specs, %d input rows, %lld non-NULL values compared, %d mismatches, "
      "%d refused, %.1f s (%.1f s in the JIT compiler)\n",
      spec_count, rows_compared, static_cast<long long>(values_compared_), mismatches, refusals,
      seconds, compile_seconds_);
  EXPECT_EQ(mismatches, 0);
  EXPECT_EQ(refusals, 0);
  for (const auto& [message, count] : refusal_kinds) {
    std::printf("  refused %d times: %s\n", count, message.c_str());
  }

  // The generator must have exercised every function and every cast pair between its types.
  for (int id = 0; id <= static_cast<int>(functions::kLastFunctionId); ++id) {
    // Two evaluations of a non-deterministic function cannot be compared.
    if (!functions::IsDeterministic(static_cast<FunctionId>(id))) continue;
    EXPECT_TRUE(generator.functions_seen().count(static_cast<FunctionId>(id)))
        << "never generated " << functions::FunctionName(static_cast<FunctionId>(id));
  }
  for (const LogicalType& from : AllTypes()) {
    for (const LogicalType& to : AllTypes()) {
      if (from == to || !types::IsExplicitlyCastable(from, to)) continue;
      EXPECT_TRUE(generator.casts_seen().count({from.ToString(), to.ToString()}))
          << "never generated CAST " << from.ToString() << " AS " << to.ToString();
    }
  }
}

}  // namespace
}  // namespace sluice::compiler::codegen
