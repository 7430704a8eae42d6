#include "catalog/functions/function_registry.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace sluice::functions {

using types::LogicalType;
using types::TypeId;

namespace {

std::string Upper(const std::string& text) {
  std::string out = text;
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string DescribeArguments(const std::vector<LogicalType>& arguments) {
  std::string out;
  for (size_t i = 0; i < arguments.size(); ++i) {
    if (i > 0) out += ", ";
    out += arguments[i].ToString();
  }
  return out;
}

// Unknown-typed NULL literals take the type the function wants.
LogicalType Settle(const LogicalType& type, const LogicalType& wanted) {
  return type.id() == TypeId::kNull ? wanted : type;
}

bool IsStringLike(const LogicalType& type) {
  return type.id() == TypeId::kVarchar || type.id() == TypeId::kNull;
}

// A DATE is the TIMESTAMP of its midnight for the time functions (YEAR, DATE_FORMAT, ...).
bool IsTimestampLike(const LogicalType& type) {
  return type.id() == TypeId::kTimestamp || type.id() == TypeId::kDate ||
         type.id() == TypeId::kNull;
}

bool IsIntegerLike(const LogicalType& type) {
  return type.IsInteger() || type.id() == TypeId::kNull;
}

/// YEAR(ts), HOUR(ts), ...: one TIMESTAMP, a BIGINT result (Flink's types).
bool TimestampField(FunctionId id, const std::vector<LogicalType>& arguments,
                    ResolvedFunction* out) {
  if (!IsTimestampLike(arguments[0])) return false;
  *out = {id, LogicalType::Bigint(), {LogicalType::Timestamp()}};
  return true;
}

/// GREATEST, LEAST: every argument cast to the common type, which is the result.
bool CommonTyped(FunctionId id, const std::vector<LogicalType>& arguments, ResolvedFunction* out) {
  LogicalType common = arguments[0];
  for (size_t i = 1; i < arguments.size(); ++i) {
    if (!types::CommonSupertype(common, arguments[i], &common)) return false;
  }
  if (common.id() == TypeId::kRow || common.id() == TypeId::kInterval) return false;
  if (common.id() == TypeId::kNull) common = LogicalType::Int();
  *out = {id, common, std::vector<LogicalType>(arguments.size(), common)};
  return true;
}

/// ROUND, TRUNCATE, FLOOR, CEIL, SIGN: the operand's type (Flink). A DECIMAL(p, s) rounded to
/// d digits is DECIMAL(1 + p - s + d, d) for 0 <= d < s, DECIMAL(1 + p - s, 0) for d < 0 (Flink's
/// LogicalTypeMerging.findRoundDecimalType, precision at most 38); the binder reads d from the
/// literal, here d = 0. FLOOR and CEIL of a DECIMAL(p, s) are DECIMAL(p, 0).
bool Rounding(FunctionId id, const std::vector<LogicalType>& arguments, ResolvedFunction* out) {
  LogicalType type = Settle(arguments[0], LogicalType::Int());
  if (!type.IsNumeric()) return false;
  std::vector<LogicalType> wanted = {type};
  if (arguments.size() == 2) {
    if (!IsIntegerLike(arguments[1])) return false;
    wanted.push_back(LogicalType::Int());
  }
  LogicalType result = type;
  if (type.id() == TypeId::kDecimal && id != FunctionId::kSign) {
    result = id == FunctionId::kFloor || id == FunctionId::kCeil
                 ? LogicalType::Decimal(type.precision(), 0)
                 : RoundedDecimal(type, 0);
  }
  *out = {id, result, wanted};
  return true;
}

bool Arithmetic(FunctionId id, const std::vector<LogicalType>& arguments, ResolvedFunction* out) {
  const LogicalType& left = arguments[0];
  const LogicalType& right = arguments[1];
  // Date-time arithmetic: TIMESTAMP ± INTERVAL, INTERVAL + TIMESTAMP, INTERVAL ± INTERVAL.
  if (id == FunctionId::kAdd || id == FunctionId::kSubtract) {
    if (left.id() == TypeId::kTimestamp && right.id() == TypeId::kInterval) {
      *out = {id, left, {left, right}};  // a TIMESTAMP_LTZ moves as an instant
      return true;
    }
    if (id == FunctionId::kAdd && left.id() == TypeId::kInterval &&
        right.id() == TypeId::kTimestamp) {
      // Normalize to TIMESTAMP + INTERVAL by keeping argument order; the runtime adds i64s.
      *out = {id, right, {left, right}};
      return true;
    }
    if (left.id() == TypeId::kInterval && right.id() == TypeId::kInterval) {
      *out = {id, LogicalType::Interval(), {left, right}};
      return true;
    }
  }
  // INTERVAL * integer and integer * INTERVAL (Calcite's, Flink's): the milliseconds times n.
  if (id == FunctionId::kMultiply) {
    auto integer = [](const LogicalType& type) {
      return type.IsInteger() || type.id() == TypeId::kNull;
    };
    if (left.id() == TypeId::kInterval && integer(right)) {
      *out = {id, LogicalType::Interval(), {left, LogicalType::Bigint()}};
      return true;
    }
    if (integer(left) && right.id() == TypeId::kInterval) {
      *out = {id, LogicalType::Interval(), {LogicalType::Bigint(), right}};
      return true;
    }
  }
  bool numeric_left = left.IsNumeric() || left.id() == TypeId::kNull;
  bool numeric_right = right.IsNumeric() || right.id() == TypeId::kNull;
  if (!numeric_left || !numeric_right) return false;
  // DECIMAL with an exact operand: exact, in Flink's result type (LogicalTypeMerging); an INT
  // operand counts as DECIMAL(10, 0), a BIGINT as DECIMAL(19, 0), a NULL as the other side.
  if (left.id() == TypeId::kDecimal || right.id() == TypeId::kDecimal) {
    LogicalType left_decimal, right_decimal;
    bool left_exact =
        types::DecimalOperandType(left.id() == TypeId::kNull ? right : left, &left_decimal);
    bool right_exact =
        types::DecimalOperandType(right.id() == TypeId::kNull ? left : right, &right_decimal);
    char op = 0;
    switch (id) {
      case FunctionId::kAdd: op = '+'; break;
      case FunctionId::kSubtract: op = '-'; break;
      case FunctionId::kMultiply: op = '*'; break;
      case FunctionId::kDivide: op = '/'; break;
      case FunctionId::kModulo: op = '%'; break;
      default: break;
    }
    if (left_exact && right_exact && op != 0) {
      *out = {id,
              types::DecimalArithmeticType(op, left_decimal, right_decimal),
              {left_decimal, right_decimal}};
      return true;
    }
  }
  LogicalType common;
  if (!types::CommonSupertype(left, right, &common)) return false;
  if (common.id() == TypeId::kNull) common = LogicalType::Int();
  *out = {id, common, {common, common}};
  return true;
}

bool Comparison(FunctionId id, const std::vector<LogicalType>& arguments, ResolvedFunction* out) {
  // DECIMALs of different precision or scale (an integer counting as DECIMAL(10, 0) or
  // DECIMAL(19, 0)) compare by value, exactly, without a common type that could overflow.
  LogicalType left_decimal, right_decimal;
  if ((arguments[0].id() == TypeId::kDecimal || arguments[1].id() == TypeId::kDecimal) &&
      types::DecimalOperandType(arguments[0], &left_decimal) &&
      types::DecimalOperandType(arguments[1], &right_decimal)) {
    *out = {id, LogicalType::Boolean(), {left_decimal, right_decimal}};
    return true;
  }
  LogicalType common;
  if (!types::CommonSupertype(arguments[0], arguments[1], &common)) return false;
  if (common.id() == TypeId::kRow) return false;
  if (common.id() == TypeId::kNull) common = LogicalType::Boolean();
  *out = {id, LogicalType::Boolean(), {common, common}};
  return true;
}

bool AllBoolean(FunctionId id, const std::vector<LogicalType>& arguments, ResolvedFunction* out) {
  std::vector<LogicalType> wanted;
  for (const LogicalType& argument : arguments) {
    if (argument.id() != TypeId::kBoolean && argument.id() != TypeId::kNull) return false;
    wanted.push_back(LogicalType::Boolean());
  }
  *out = {id, LogicalType::Boolean(), wanted};
  return true;
}

/// HelperShape::kStringToString: f(VARCHAR) -> VARCHAR.
bool StringToString(FunctionId id, const std::vector<LogicalType>& arguments,
                    ResolvedFunction* out) {
  if (!IsStringLike(arguments[0])) return false;
  *out = {id, LogicalType::Varchar(), {LogicalType::Varchar()}};
  return true;
}

/// HelperShape::kStringStringIndexToString: f(VARCHAR, VARCHAR [, BIGINT]) -> VARCHAR.
bool StringStringIndexToString(FunctionId id, const std::vector<LogicalType>& arguments,
                               ResolvedFunction* out) {
  if (!IsStringLike(arguments[0]) || !IsStringLike(arguments[1])) return false;
  std::vector<LogicalType> wanted = {LogicalType::Varchar(), LogicalType::Varchar()};
  if (arguments.size() == 3) {
    if (!IsIntegerLike(arguments[2])) return false;
    wanted.push_back(LogicalType::Bigint());
  }
  *out = {id, LogicalType::Varchar(), wanted};
  return true;
}

LogicalType TypeOf(TypeId id) {
  switch (id) {
    case TypeId::kBoolean: return LogicalType::Boolean();
    case TypeId::kInt: return LogicalType::Int();
    case TypeId::kBigint: return LogicalType::Bigint();
    case TypeId::kDouble: return LogicalType::Double();
    case TypeId::kTimestamp: return LogicalType::Timestamp();
    case TypeId::kDate: return LogicalType::Date();
    case TypeId::kTime: return LogicalType::Time();
    case TypeId::kBinary: return LogicalType::Binary();
    default: return LogicalType::Varchar();
  }
}

/// The parameter and result types of a value shape (function_id.h).
struct ValueShapeTypes {
  std::vector<TypeId> parameters;
  TypeId result;
};

ValueShapeTypes ValueShapeTypesOf(HelperShape shape) {
  constexpr TypeId kString = TypeId::kVarchar;
  constexpr TypeId kTime = TypeId::kTimestamp;
  switch (shape) {
    case HelperShape::kValueToTimestamp: return {{}, kTime};
    case HelperShape::kValueToDouble: return {{}, TypeId::kDouble};
    case HelperShape::kValueToString: return {{}, kString};
    case HelperShape::kValueTimestampToBigint: return {{kTime}, TypeId::kBigint};
    case HelperShape::kValueTimestampStringToTimestamp: return {{kTime, kString}, kTime};
    case HelperShape::kValueStringStringToBigint: return {{kString, kString}, TypeId::kBigint};
    case HelperShape::kValueBigintStringToString: return {{TypeId::kBigint, kString}, kString};
    case HelperShape::kValueStringStringToTimestamp: return {{kString, kString}, kTime};
    case HelperShape::kValueStringBigintTimestampToTimestamp:
      return {{kString, TypeId::kBigint, kTime}, kTime};
    case HelperShape::kValueStringTimestampTimestampToInt:
      return {{kString, kTime, kTime}, TypeId::kInt};
    case HelperShape::kValueDoubleToDouble: return {{TypeId::kDouble}, TypeId::kDouble};
    case HelperShape::kValueDoubleDoubleToDouble:
      return {{TypeId::kDouble, TypeId::kDouble}, TypeId::kDouble};
    case HelperShape::kValueIntToInt: return {{TypeId::kInt}, TypeId::kInt};
    case HelperShape::kValueIntToString: return {{TypeId::kInt}, kString};
    case HelperShape::kValueBigintToString: return {{TypeId::kBigint}, kString};
    case HelperShape::kValueStringToBoolean: return {{kString}, TypeId::kBoolean};
    case HelperShape::kValueStringToInt: return {{kString}, TypeId::kInt};
    case HelperShape::kValueStringToString: return {{kString}, kString};
    case HelperShape::kValueStringIntToString: return {{kString, TypeId::kInt}, kString};
    case HelperShape::kValueStringStringToBoolean: return {{kString, kString}, TypeId::kBoolean};
    case HelperShape::kValueStringStringStringToString:
      return {{kString, kString, kString}, kString};
    case HelperShape::kValueStringIntStringToString:
      return {{kString, TypeId::kInt, kString}, kString};
    case HelperShape::kValueStringStringIntToInt:
      return {{kString, kString, TypeId::kInt}, TypeId::kInt};
    case HelperShape::kValueToDate: return {{}, TypeId::kDate};
    case HelperShape::kValueToTime: return {{}, TypeId::kTime};
    case HelperShape::kValueStringStringToDate: return {{kString, kString}, TypeId::kDate};
    case HelperShape::kValueDoubleIntToTimestamp: return {{TypeId::kDouble, TypeId::kInt}, kTime};
    case HelperShape::kValueTimestampToTimestamp: return {{kTime}, kTime};
    case HelperShape::kValueStringStringStringToBoolean:
      return {{kString, kString, kString}, TypeId::kBoolean};
    case HelperShape::kValueStringStringToString: return {{kString, kString}, kString};
    case HelperShape::kValueStringStringToBinary: return {{kString, kString}, TypeId::kBinary};
    case HelperShape::kValueBinaryStringToString: return {{TypeId::kBinary, kString}, kString};
    case HelperShape::kValueStringStringToInt: return {{kString, kString}, TypeId::kInt};
    case HelperShape::kNone:
    case HelperShape::kStringToString:
    case HelperShape::kStringStringIndexToString:
    case HelperShape::kValueTyped:
    case HelperShape::kValueTypedNullable: break;  // no shape types
  }
  return {{}, kString};
}

/// The value shapes: each argument must fit its parameter (an INT or BIGINT parameter takes
/// any integer, a DOUBLE parameter any number) and is cast to it.
bool ValueShaped(FunctionId id, const std::vector<LogicalType>& arguments, ResolvedFunction* out) {
  ValueShapeTypes types = ValueShapeTypesOf(HelperShapeOf(id));
  if (arguments.size() > types.parameters.size()) return false;
  std::vector<LogicalType> wanted;
  for (size_t i = 0; i < arguments.size(); ++i) {
    TypeId parameter = types.parameters[i];
    const LogicalType& argument = arguments[i];
    bool fits = false;
    switch (parameter) {
      case TypeId::kInt:
      case TypeId::kBigint: fits = IsIntegerLike(argument); break;
      case TypeId::kDouble: fits = argument.IsNumeric() || argument.id() == TypeId::kNull; break;
      case TypeId::kTimestamp: fits = IsTimestampLike(argument); break;
      case TypeId::kBinary:
        fits = argument.id() == TypeId::kBinary || argument.id() == TypeId::kNull;
        break;
      default: fits = IsStringLike(argument); break;
    }
    if (!fits) return false;
    wanted.push_back(TypeOf(parameter));
  }
  *out = {id, TypeOf(types.result), wanted};
  return true;
}

struct HelperSignature {
  size_t max_arguments;
  bool (*resolve)(FunctionId, const std::vector<LogicalType>&, ResolvedFunction*);
};

/// The SQL signature every function of a helper shape has (function_id.h).
HelperSignature SignatureOf(HelperShape shape) {
  switch (shape) {
    case HelperShape::kStringToString: return {1, StringToString};
    case HelperShape::kStringStringIndexToString: return {3, StringStringIndexToString};
    case HelperShape::kNone: break;
    case HelperShape::kValueTyped:
    case HelperShape::kValueTypedNullable:
      // Bound by the binder only: no call by name resolves.
      return {0,
              [](FunctionId, const std::vector<LogicalType>&, ResolvedFunction*) { return false; }};
    default:
      if (IsValueShape(shape)) return {ValueShapeTypesOf(shape).parameters.size(), ValueShaped};
      break;
  }
  return {0, nullptr};
}

struct Signature {
  const char* name;
  FunctionId id;
  size_t min_arguments;
  size_t max_arguments;
  bool (*resolve)(FunctionId, const std::vector<LogicalType>&, ResolvedFunction*);
  bool callable;  // spelled as a function call (not only an operator)
};

const std::vector<Signature> kSignatures = {
    {"+", FunctionId::kAdd, 2, 2, Arithmetic, false},
    {"-", FunctionId::kSubtract, 2, 2, Arithmetic, false},
    {"*", FunctionId::kMultiply, 2, 2, Arithmetic, false},
    {"/", FunctionId::kDivide, 2, 2, Arithmetic, false},
    {"%", FunctionId::kModulo, 2, 2,
     [](FunctionId id, const std::vector<LogicalType>& a, ResolvedFunction* out) {
       return a[0].id() != TypeId::kInterval && a[0].id() != TypeId::kTimestamp &&
              Arithmetic(id, a, out);
     },
     false},
    {"MOD", FunctionId::kModulo, 2, 2,
     [](FunctionId id, const std::vector<LogicalType>& a, ResolvedFunction* out) {
       return a[0].id() != TypeId::kInterval && a[0].id() != TypeId::kTimestamp &&
              Arithmetic(id, a, out);
     },
     true},
    {"NEGATE", FunctionId::kNegate, 1, 1,
     [](FunctionId id, const std::vector<LogicalType>& a, ResolvedFunction* out) {
       LogicalType type = Settle(a[0], LogicalType::Int());
       if (!type.IsNumeric() && type.id() != TypeId::kInterval) return false;
       *out = {id, type, {type}};
       return true;
     },
     false},
    {"ABS", FunctionId::kAbs, 1, 1,
     [](FunctionId id, const std::vector<LogicalType>& a, ResolvedFunction* out) {
       LogicalType type = Settle(a[0], LogicalType::Int());
       if (!type.IsNumeric()) return false;
       *out = {id, type, {type}};
       return true;
     },
     true},
    {"=", FunctionId::kEqual, 2, 2, Comparison, false},
    {"<>", FunctionId::kNotEqual, 2, 2, Comparison, false},
    {"<", FunctionId::kLess, 2, 2, Comparison, false},
    {"<=", FunctionId::kLessEqual, 2, 2, Comparison, false},
    {">", FunctionId::kGreater, 2, 2, Comparison, false},
    {">=", FunctionId::kGreaterEqual, 2, 2, Comparison, false},
    {"AND", FunctionId::kAnd, 2, 2, AllBoolean, false},
    {"OR", FunctionId::kOr, 2, 2, AllBoolean, false},
    {"NOT", FunctionId::kNot, 1, 1, AllBoolean, false},
    {"IS TRUE", FunctionId::kIsTrue, 1, 1, AllBoolean, false},
    {"IS FALSE", FunctionId::kIsFalse, 1, 1, AllBoolean, false},
    {"IS NULL", FunctionId::kIsNull, 1, 1,
     [](FunctionId id, const std::vector<LogicalType>& a, ResolvedFunction* out) {
       *out = {id, LogicalType::Boolean(), {Settle(a[0], LogicalType::Boolean())}};
       return true;
     },
     false},
    {"IS NOT NULL", FunctionId::kIsNotNull, 1, 1,
     [](FunctionId id, const std::vector<LogicalType>& a, ResolvedFunction* out) {
       *out = {id, LogicalType::Boolean(), {Settle(a[0], LogicalType::Boolean())}};
       return true;
     },
     false},
    {"||", FunctionId::kConcat, 2, 2,
     [](FunctionId id, const std::vector<LogicalType>& a, ResolvedFunction* out) {
       if (!IsStringLike(a[0]) || !IsStringLike(a[1])) return false;
       *out = {id, LogicalType::Varchar(), {LogicalType::Varchar(), LogicalType::Varchar()}};
       return true;
     },
     false},
    {"TRIM", FunctionId::kTrim, 1, 1,
     [](FunctionId id, const std::vector<LogicalType>& a, ResolvedFunction* out) {
       if (!IsStringLike(a[0])) return false;
       *out = {id, LogicalType::Varchar(), {LogicalType::Varchar()}};
       return true;
     },
     true},
    {"CHAR_LENGTH", FunctionId::kCharLength, 1, 1,
     [](FunctionId id, const std::vector<LogicalType>& a, ResolvedFunction* out) {
       if (!IsStringLike(a[0])) return false;
       *out = {id, LogicalType::Int(), {LogicalType::Varchar()}};
       return true;
     },
     true},
    {"CHARACTER_LENGTH", FunctionId::kCharLength, 1, 1,
     [](FunctionId id, const std::vector<LogicalType>& a, ResolvedFunction* out) {
       if (!IsStringLike(a[0])) return false;
       *out = {id, LogicalType::Int(), {LogicalType::Varchar()}};
       return true;
     },
     true},
    {"SUBSTRING", FunctionId::kSubstring, 2, 3,
     [](FunctionId id, const std::vector<LogicalType>& a, ResolvedFunction* out) {
       if (!IsStringLike(a[0])) return false;
       std::vector<LogicalType> wanted = {LogicalType::Varchar()};
       for (size_t i = 1; i < a.size(); ++i) {
         if (!a[i].IsInteger() && a[i].id() != TypeId::kNull) return false;
         wanted.push_back(LogicalType::Bigint());
       }
       *out = {id, LogicalType::Varchar(), wanted};
       return true;
     },
     true},
    {"LIKE", FunctionId::kLike, 2, 2,
     [](FunctionId id, const std::vector<LogicalType>& a, ResolvedFunction* out) {
       if (!IsStringLike(a[0]) || !IsStringLike(a[1])) return false;
       *out = {id, LogicalType::Boolean(), {LogicalType::Varchar(), LogicalType::Varchar()}};
       return true;
     },
     false},
    {"COALESCE", FunctionId::kCoalesce, 1, 64,
     [](FunctionId id, const std::vector<LogicalType>& a, ResolvedFunction* out) {
       LogicalType common = a[0];
       for (size_t i = 1; i < a.size(); ++i) {
         if (!types::CommonSupertype(common, a[i], &common)) return false;
       }
       if (common.id() == TypeId::kRow) return false;
       if (common.id() == TypeId::kNull) common = LogicalType::Int();
       *out = {id, common, std::vector<LogicalType>(a.size(), common)};
       return true;
     },
     true},
    {"NULLIF", FunctionId::kNullIf, 2, 2,
     [](FunctionId id, const std::vector<LogicalType>& a, ResolvedFunction* out) {
       LogicalType common;
       if (!types::CommonSupertype(a[0], a[1], &common) || common.id() == TypeId::kRow) {
         return false;
       }
       if (common.id() == TypeId::kNull) common = LogicalType::Int();
       *out = {id, common, {common, common}};
       return true;
     },
     true},
    {"DATE_FORMAT", FunctionId::kDateFormat, 2, 2,
     [](FunctionId id, const std::vector<LogicalType>& a, ResolvedFunction* out) {
       // Flink also formats a VARCHAR timestamp; it is cast to TIMESTAMP first.
       if ((!IsTimestampLike(a[0]) && a[0].id() != TypeId::kVarchar) || !IsStringLike(a[1])) {
         return false;
       }
       *out = {id, LogicalType::Varchar(), {LogicalType::Timestamp(), LogicalType::Varchar()}};
       return true;
     },
     true},
    {"CONCAT_WS", FunctionId::kConcatWs, 2, 64,
     [](FunctionId id, const std::vector<LogicalType>& a, ResolvedFunction* out) {
       for (const LogicalType& argument : a) {
         if (!IsStringLike(argument)) return false;
       }
       *out = {id, LogicalType::Varchar(),
               std::vector<LogicalType>(a.size(), LogicalType::Varchar())};
       return true;
     },
     true},
    // HEX of an integer (Flink: Long.toHexString); HEX of a string is the helper function HEX.
    {"HEX", FunctionId::kHexNumber, 1, 1,
     [](FunctionId id, const std::vector<LogicalType>& a, ResolvedFunction* out) {
       if (!a[0].IsInteger()) return false;
       *out = {id, LogicalType::Varchar(), {LogicalType::Bigint()}};
       return true;
     },
     true},
    {"GREATEST", FunctionId::kGreatest, 1, 64, CommonTyped, true},
    {"LEAST", FunctionId::kLeast, 1, 64, CommonTyped, true},
    {"ROUND", FunctionId::kRound, 1, 2, Rounding, true},
    {"TRUNCATE", FunctionId::kTruncate, 1, 2, Rounding, true},
    {"FLOOR", FunctionId::kFloor, 1, 1, Rounding, true},
    {"CEIL", FunctionId::kCeil, 1, 1, Rounding, true},
    {"CEILING", FunctionId::kCeil, 1, 1, Rounding, true},
    {"SIGN", FunctionId::kSign, 1, 1, Rounding, true},
    {"YEAR", FunctionId::kYear, 1, 1, TimestampField, true},
    {"MONTH", FunctionId::kMonth, 1, 1, TimestampField, true},
    {"DAYOFMONTH", FunctionId::kDayOfMonth, 1, 1, TimestampField, true},
    {"HOUR", FunctionId::kHour, 1, 1, TimestampField, true},
    {"MINUTE", FunctionId::kMinute, 1, 1, TimestampField, true},
    {"SECOND", FunctionId::kSecond, 1, 1, TimestampField, true},
    // Only through EXTRACT(MILLISECOND FROM ts): Flink has no MILLISECOND() function.
    {"MILLISECOND", FunctionId::kMillisecond, 1, 1, TimestampField, false},
    // The wall clock as an instant: Flink's TIMESTAMP_LTZ(3).
    {"PROCTIME", FunctionId::kProctime, 0, 0,
     [](FunctionId id, const std::vector<LogicalType>&, ResolvedFunction* out) {
       *out = {id, LogicalType::TimestampLtz(), {}};
       return true;
     },
     true},
// The helper functions of functions.def, their signatures given by their shapes.
#define SLUICE_FUNCTION(id, name, null_propagating, deterministic)
#define SLUICE_HELPER_FUNCTION(id, name, shape, helper, min_arguments) \
  {name,                                                               \
   FunctionId::k##id,                                                  \
   min_arguments,                                                      \
   SignatureOf(HelperShape::shape).max_arguments,                      \
   SignatureOf(HelperShape::shape).resolve,                            \
   true},
#include "catalog/functions/functions.def"
#undef SLUICE_FUNCTION
#undef SLUICE_HELPER_FUNCTION
};

}  // namespace

LogicalType RoundedDecimal(const LogicalType& type, int32_t digits) {
  int32_t precision = type.precision(), scale = type.scale();
  if (digits >= scale) return type;
  if (digits < 0) return LogicalType::Decimal(std::min(38, 1 + precision - scale), 0);
  return LogicalType::Decimal(std::min(38, 1 + precision - scale + digits), digits);
}

bool ResolveScalarFunction(const std::string& name, const std::vector<LogicalType>& arguments,
                           ResolvedFunction* out, std::string* error) {
  std::string upper = Upper(name);
  if (upper == "!=") upper = "<>";
  if (upper == "CONCAT") {
    // CONCAT(a, b, ...) folds into nested || by the binder; here it checks one pair.
    upper = "||";
  }
  if (upper == "SUBSTR") upper = "SUBSTRING";  // Flink's alias
  bool known = false;
  bool arity_matched = false;
  std::string arity_error;
  for (const Signature& signature : kSignatures) {
    if (upper != signature.name) continue;
    known = true;
    if (arguments.size() < signature.min_arguments || arguments.size() > signature.max_arguments) {
      // Another overload of the name may take this many arguments.
      if (!arity_error.empty()) continue;
      arity_error =
          signature.min_arguments == signature.max_arguments
              ? fmt::format("{} takes {} argument{}, got {}", name, signature.min_arguments,
                            signature.min_arguments == 1 ? "" : "s", arguments.size())
              : fmt::format("{} takes {} to {} arguments, got {}", name, signature.min_arguments,
                            signature.max_arguments, arguments.size());
      continue;
    }
    arity_matched = true;
    if (signature.resolve(signature.id, arguments, out)) return true;
  }
  if (!known) {
    *error = fmt::format("unknown function '{}'", name);
    return false;
  }
  if (!arity_matched) {
    *error = arity_error;
    return false;
  }
  *error = arguments.size() == 2 && !std::isalpha(static_cast<unsigned char>(upper[0]))
               ? fmt::format("operator {} cannot be applied to {} and {}", upper,
                             arguments[0].ToString(), arguments[1].ToString())
               : fmt::format("{} cannot be applied to ({})", upper, DescribeArguments(arguments));
  return false;
}

bool IsScalarFunction(const std::string& name) {
  std::string upper = Upper(name);
  // Rewritten by the binder: CONCAT into ||, IF into CASE, IFNULL into COALESCE.
  if (upper == "CONCAT" || upper == "SUBSTR" || upper == "IF" || upper == "IFNULL") return true;
  for (const Signature& signature : kSignatures) {
    if (signature.callable && upper == signature.name) return true;
  }
  return false;
}

std::vector<std::string> ScalarFunctionNames() {
  std::vector<std::string> names = {"CONCAT", "CAST", "SUBSTR", "IF", "IFNULL"};
  for (const Signature& signature : kSignatures) {
    if (signature.callable) names.push_back(signature.name);
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

}  // namespace sluice::functions
