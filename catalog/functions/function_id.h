#pragma once

#include <cstdint>

namespace sluice::functions {

/// Identifies a built-in scalar function or operator in bound expressions and plans.
/// Semantics are specified in runtime/expr/SEMANTICS.md; the interpreter is the reference.
enum class FunctionId : uint8_t {
  // arithmetic (numeric operands already cast to one common type; TIMESTAMP ± INTERVAL too)
  kAdd,
  kSubtract,
  kMultiply,
  kDivide,
  kModulo,
  kNegate,
  kAbs,
  // comparison (operands of one common type; strings compare bytewise)
  kEqual,
  kNotEqual,
  kLess,
  kLessEqual,
  kGreater,
  kGreaterEqual,
  // logic (three-valued)
  kAnd,
  kOr,
  kNot,
  kIsNull,
  kIsNotNull,
  kIsTrue,
  kIsFalse,
  // strings
  kConcat,
  kUpper,
  kLower,
  kCharLength,
  kSubstring,  // 2 or 3 arguments, 1-based start, in characters
  kTrim,
  kLike,
  // conditional
  kCoalesce,
  kNullIf,
  // date-time (a TIMESTAMP operand, read in UTC)
  kDateFormat,  // DATE_FORMAT(ts, pattern) -> VARCHAR
  kYear,        // the calendar fields, each BIGINT; EXTRACT(unit FROM ts) binds to them
  kMonth,
  kDayOfMonth,
  kHour,
  kMinute,
  kSecond,
  kMillisecond,  // EXTRACT(MILLISECOND ...): seconds * 1000 + milliseconds, as Calcite
  // strings (added for Nexmark q21, q22)
  kRegexpExtract,  // 2 or 3 arguments
  kSplitIndex,
  // time
  kProctime,  // PROCTIME(): the wall-clock time (UTC) at evaluation; not deterministic
  // a function of CREATE FUNCTION: Expr::user_function says which (udf/README.md)
  kUserDefined,
};

/// The last built-in FunctionId, for loops over every built-in function (kUserDefined, after
/// it, needs an Expr::user_function).
inline constexpr FunctionId kLastFunctionId = FunctionId::kProctime;

/// Tells whether the function returns NULL whenever an argument is NULL (most do; AND, OR,
/// the IS tests, COALESCE and NULLIF do not; a user-defined function's descriptor says).
bool IsNullPropagating(FunctionId id);

/// Tells whether the function returns the same result for the same arguments (PROCTIME does
/// not: constant folding must leave it alone and tests cannot compare two evaluations).
bool IsDeterministic(FunctionId id);

/// Returns the SQL spelling used in EXPLAIN and JSON plans ("+", "MOD", "UPPER", ...).
const char* FunctionName(FunctionId id);

/// Parses a name produced by FunctionName; returns false when it names no function.
bool FunctionFromName(const char* name, FunctionId* out);

}  // namespace sluice::functions
