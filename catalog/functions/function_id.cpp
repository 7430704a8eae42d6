#include "catalog/functions/function_id.h"

#include <cstring>

namespace sluice::functions {

namespace {

struct NamedFunction {
  FunctionId id;
  const char* name;
};

constexpr NamedFunction kNames[] = {
    {FunctionId::kAdd, "+"},
    {FunctionId::kSubtract, "-"},
    {FunctionId::kMultiply, "*"},
    {FunctionId::kDivide, "/"},
    {FunctionId::kModulo, "MOD"},
    {FunctionId::kNegate, "NEGATE"},
    {FunctionId::kAbs, "ABS"},
    {FunctionId::kEqual, "="},
    {FunctionId::kNotEqual, "<>"},
    {FunctionId::kLess, "<"},
    {FunctionId::kLessEqual, "<="},
    {FunctionId::kGreater, ">"},
    {FunctionId::kGreaterEqual, ">="},
    {FunctionId::kAnd, "AND"},
    {FunctionId::kOr, "OR"},
    {FunctionId::kNot, "NOT"},
    {FunctionId::kIsNull, "IS NULL"},
    {FunctionId::kIsNotNull, "IS NOT NULL"},
    {FunctionId::kIsTrue, "IS TRUE"},
    {FunctionId::kIsFalse, "IS FALSE"},
    {FunctionId::kConcat, "||"},
    {FunctionId::kUpper, "UPPER"},
    {FunctionId::kLower, "LOWER"},
    {FunctionId::kCharLength, "CHAR_LENGTH"},
    {FunctionId::kSubstring, "SUBSTRING"},
    {FunctionId::kTrim, "TRIM"},
    {FunctionId::kLike, "LIKE"},
    {FunctionId::kCoalesce, "COALESCE"},
    {FunctionId::kNullIf, "NULLIF"},
    {FunctionId::kDateFormat, "DATE_FORMAT"},
    {FunctionId::kYear, "YEAR"},
    {FunctionId::kMonth, "MONTH"},
    {FunctionId::kDayOfMonth, "DAYOFMONTH"},
    {FunctionId::kHour, "HOUR"},
    {FunctionId::kMinute, "MINUTE"},
    {FunctionId::kSecond, "SECOND"},
    {FunctionId::kMillisecond, "MILLISECOND"},
    {FunctionId::kRegexpExtract, "REGEXP_EXTRACT"},
    {FunctionId::kSplitIndex, "SPLIT_INDEX"},
    {FunctionId::kProctime, "PROCTIME"},
    {FunctionId::kUserDefined, "USER_DEFINED"},
};

}  // namespace

bool IsDeterministic(FunctionId id) {
  return id != FunctionId::kProctime;
}

bool IsNullPropagating(FunctionId id) {
  switch (id) {
    case FunctionId::kAnd:
    case FunctionId::kOr:
    case FunctionId::kIsNull:
    case FunctionId::kIsNotNull:
    case FunctionId::kIsTrue:
    case FunctionId::kIsFalse:
    case FunctionId::kCoalesce:
    case FunctionId::kNullIf:
    case FunctionId::kUserDefined: return false;  // see UserFunction::null_on_null_input
    default: return true;
  }
}

const char* FunctionName(FunctionId id) {
  for (const NamedFunction& entry : kNames) {
    if (entry.id == id) return entry.name;
  }
  return "?";
}

bool FunctionFromName(const char* name, FunctionId* out) {
  for (const NamedFunction& entry : kNames) {
    if (std::strcmp(entry.name, name) == 0) {
      *out = entry.id;
      return true;
    }
  }
  return false;
}

}  // namespace sluice::functions
