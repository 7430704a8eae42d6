#pragma once

#include <cstdint>

namespace sluice::functions {

/// Identifies a built-in scalar function or operator in bound expressions and plans; one
/// enumerator per entry of functions.def, in its order. Semantics are specified in
/// runtime/expr/SEMANTICS.md; the interpreter is the reference.
enum class FunctionId : uint8_t {
#define SLUICE_FUNCTION(id, name, null_propagating, deterministic) k##id,
#define SLUICE_HELPER_FUNCTION(id, name, shape, helper, min_arguments) k##id,
#define SLUICE_NONDETERMINISTIC_HELPER_FUNCTION(id, name, shape, helper, min_arguments) k##id,
#include "catalog/functions/functions.def"
#undef SLUICE_FUNCTION
#undef SLUICE_HELPER_FUNCTION
#undef SLUICE_NONDETERMINISTIC_HELPER_FUNCTION
  // a function of CREATE FUNCTION: Expr::user_function says which (udf/README.md)
  kUserDefined,
};

/// The last built-in FunctionId, for loops over every built-in function (kUserDefined, after
/// it, needs an Expr::user_function).
inline constexpr FunctionId kLastFunctionId =
    static_cast<FunctionId>(static_cast<int>(FunctionId::kUserDefined) - 1);

/// How a helper function's arguments, result and C helper look (functions.def). Each shape is
/// implemented once in the registry, the interpreter and the code generator.
enum class HelperShape : uint8_t {
  kNone,  // not a helper function: hand-written everywhere
  /// f(VARCHAR) -> VARCHAR; never NULL for a non-NULL argument. C:
  /// `void helper(SluiceKernelContext*, const StringRef* in, StringRef* out)`.
  kStringToString,
  /// f(VARCHAR, VARCHAR [, BIGINT index = 0]) -> VARCHAR, NULL when the helper says so. C:
  /// `uint8_t helper(const StringRef*, const StringRef*, int64_t, StringRef* out)`.
  kStringStringIndexToString,
  // The value shapes: every one has the same C helper, which reads its arguments from an
  // array of values (the binder has cast them to the shape's types) and returns the result's
  // validity, so it may also return NULL; trailing arguments past `min_arguments` may be
  // missing (`count` says how many there are). C:
  // `uint8_t helper(SluiceKernelContext*, const SluiceUdfValue* arguments, int32_t count,
  //                 SluiceUdfValue* out)`; BOOLEAN, INT, BIGINT, TIMESTAMP, DATE, TIME live in
  // `integer`, DOUBLE in `real`, VARCHAR in `data`/`length`. An INT argument accepts INT or
  // BIGINT (cast to the named type); a DOUBLE argument any number.
  kValueToTimestamp,                       // f() -> TIMESTAMP
  kValueToDouble,                          // f() -> DOUBLE
  kValueToString,                          // f() -> VARCHAR
  kValueTimestampToBigint,                 // f(TIMESTAMP) -> BIGINT
  kValueTimestampStringToTimestamp,        // f(TIMESTAMP, VARCHAR) -> TIMESTAMP
  kValueStringStringToBigint,              // f([VARCHAR [, VARCHAR]]) -> BIGINT
  kValueBigintStringToString,              // f(BIGINT [, VARCHAR]) -> VARCHAR
  kValueStringStringToTimestamp,           // f(VARCHAR [, VARCHAR]) -> TIMESTAMP
  kValueStringBigintTimestampToTimestamp,  // f(VARCHAR, BIGINT, TIMESTAMP) -> TIMESTAMP
  kValueStringTimestampTimestampToInt,     // f(VARCHAR, TIMESTAMP, TIMESTAMP) -> INT
  kValueDoubleToDouble,                    // f(DOUBLE) -> DOUBLE
  kValueDoubleDoubleToDouble,              // f(DOUBLE [, DOUBLE]) -> DOUBLE
  kValueIntToInt,                          // f(INT) -> INT
  kValueIntToString,                       // f(INT) -> VARCHAR
  kValueBigintToString,                    // f(BIGINT) -> VARCHAR
  kValueStringToBoolean,                   // f(VARCHAR) -> BOOLEAN
  kValueStringToInt,                       // f(VARCHAR) -> INT
  kValueStringToString,                    // f(VARCHAR) -> VARCHAR, may be NULL
  kValueStringIntToString,                 // f(VARCHAR, INT) -> VARCHAR
  kValueStringStringToBoolean,             // f(VARCHAR, VARCHAR) -> BOOLEAN
  kValueStringStringStringToString,        // f(VARCHAR, VARCHAR, VARCHAR) -> VARCHAR
  kValueStringIntStringToString,           // f(VARCHAR, INT, VARCHAR) -> VARCHAR
  kValueStringStringIntToInt,              // f(VARCHAR, VARCHAR [, INT]) -> INT
  kValueToDate,                            // f() -> DATE
  kValueToTime,                            // f() -> TIME
  kValueStringStringToDate,                // f(VARCHAR [, VARCHAR]) -> DATE
  kValueStringStringToString,              // f(VARCHAR, VARCHAR) -> VARCHAR, may be NULL
  kValueDoubleIntToTimestamp,              // f(DOUBLE [, INT]) -> TIMESTAMP
  kValueTimestampToTimestamp,              // f(TIMESTAMP) -> TIMESTAMP
  kValueStringStringStringToBoolean,       // f(VARCHAR, VARCHAR [, VARCHAR]) -> BOOLEAN
  kValueStringStringToBinary,              // f(VARCHAR, VARCHAR) -> BYTES
  kValueBinaryStringToString,              // f(BYTES, VARCHAR) -> VARCHAR
  kValueStringStringToInt,                 // f(VARCHAR, VARCHAR) -> INT
  // Types chosen by the binder (the collection functions, compiler/binder/bind_collections.cpp):
  // no SQL signature of their own, never called by name. Collections live in `data`/`length`,
  // DECIMAL (unscaled) and INTERVAL in `integer`.
  kValueTyped,          // NULL when an argument is NULL
  kValueTypedNullable,  // called with NULL arguments too (`is_null` set): not null-propagating
};

/// Tells whether `shape` is one of the value shapes (the shared C signature above).
constexpr bool IsValueShape(HelperShape shape) {
  return shape >= HelperShape::kValueToTimestamp;
}

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

/// Returns the shape of a helper function, kNone for the others.
HelperShape HelperShapeOf(FunctionId id);

/// Returns the C symbol of a helper function's helper (what generated code calls), or nullptr.
const char* HelperSymbolOf(FunctionId id);

/// Returns how many arguments a helper function needs at least (its shape says the most).
int HelperMinArgumentsOf(FunctionId id);

}  // namespace sluice::functions
