#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "catalog/functions/function_id.h"
#include "catalog/types/logical_type.h"

namespace sluice::runtime::expr {
struct UserFunction;
}

namespace sluice::runtime::plan {

/// A constant of some type; `is_null` for SQL NULL. Integers, booleans, timestamps, intervals
/// and decimals (scaled) live in `integer`, doubles in `real`, strings in `text`.
struct Value {
  types::LogicalType type;
  bool is_null = true;
  int64_t integer = 0;       // also the low 64 bits of a DECIMAL's unscaled value
  int64_t integer_high = 0;  // a DECIMAL(p > 18)'s unscaled value's high 64 bits (see Unscaled)
  double real = 0;
  std::string text;

  static Value Null(types::LogicalType type);
  static Value Boolean(bool value);
  static Value Int(int32_t value);
  static Value Bigint(int64_t value);
  static Value Double(double value);
  static Value Varchar(std::string value);
  static Value Binary(std::string bytes);
  static Value Timestamp(int64_t millis);
  static Value Interval(int64_t millis);
  static Value Date(int32_t days);
  static Value Time(int32_t millis);
  static Value Decimal(__int128 unscaled, int32_t precision, int32_t scale);

  /// A DECIMAL's unscaled value (a DECIMAL(p <= 18) keeps it all in `integer`).
  __int128 Unscaled() const {
    if (!type.IsWideDecimal()) return integer;
    return static_cast<__int128>((static_cast<unsigned __int128>(integer_high) << 64) |
                                 static_cast<uint64_t>(integer));
  }

  bool operator==(const Value& other) const;
  /// Renders the value as SQL text for EXPLAIN: `42`, `'abc'`, `NULL`, `TIMESTAMP '…'`.
  std::string ToSql() const;
};

enum class ExprKind : uint8_t {
  kColumn,   // reads slot `column_index` of the input batch
  kLiteral,  // `literal`
  kCall,     // `function` over `arguments`
  kCast,     // converts arguments[0] to `type`
  kCase,     // arguments = when1, then1, when2, then2, ..., else (always present, maybe NULL)
};

struct Expr;
using ExprPtr = std::shared_ptr<const Expr>;

/// A bound, typed scalar expression over the slots of one input batch; the contract between
/// the binder, the optimizer, the interpreter and the code generator.
struct Expr {
  ExprKind kind = ExprKind::kLiteral;
  types::LogicalType type;
  int32_t column_index = -1;
  Value literal;
  functions::FunctionId function = functions::FunctionId::kAdd;
  /// The function of a kUserDefined call (runtime/expr/user_function.h); null otherwise.
  std::shared_ptr<const expr::UserFunction> user_function;
  std::vector<ExprPtr> arguments;

  static ExprPtr Column(int32_t index, types::LogicalType type);
  static ExprPtr Literal(Value value);
  static ExprPtr Call(functions::FunctionId function, types::LogicalType type,
                      std::vector<ExprPtr> arguments);
  /// A call of a CREATE FUNCTION function; its arguments already have the declared types.
  static ExprPtr UserCall(std::shared_ptr<const expr::UserFunction> function,
                          std::vector<ExprPtr> arguments);
  static ExprPtr Cast(ExprPtr operand, types::LogicalType type);
  static ExprPtr Case(std::vector<ExprPtr> arguments, types::LogicalType type);

  bool Equals(const Expr& other) const;
  /// Renders the expression for EXPLAIN, naming columns `$index` (or by `column_names`).
  std::string ToString(const std::vector<std::string>* column_names = nullptr) const;
};

/// A fused stateless chain: keep the rows where `filter` is TRUE (all rows when null), then
/// compute one output slot per projection. Input and output are flattened slot lists.
struct ChainSpec {
  std::vector<types::LogicalType> input_types;
  ExprPtr filter;
  std::vector<ExprPtr> projections;
};

/// A text that is equal for two chains exactly when they compute the same thing (their JSON:
/// input types, filter, projections, literals included): what a cache of compiled chains is
/// keyed by (plan_json.cpp).
std::string ChainFingerprint(const ChainSpec& chain);

}  // namespace sluice::runtime::plan
