#include "runtime/plan/expr.h"

#include <fmt/format.h>

#include <cstring>

#include "runtime/expr/collection_value.h"
#include "runtime/expr/user_function.h"
#include "runtime/expr/value_format.h"

namespace sluice::runtime::plan {

using functions::FunctionId;
using types::LogicalType;
using types::TypeId;

Value Value::Null(LogicalType type) {
  Value value;
  value.type = std::move(type);
  return value;
}

namespace {

Value MakeInteger(LogicalType type, int64_t integer) {
  Value value;
  value.type = std::move(type);
  value.is_null = false;
  value.integer = integer;
  return value;
}

}  // namespace

Value Value::Boolean(bool value) {
  return MakeInteger(LogicalType::Boolean(), value ? 1 : 0);
}
Value Value::Int(int32_t value) {
  return MakeInteger(LogicalType::Int(), value);
}
Value Value::Bigint(int64_t value) {
  return MakeInteger(LogicalType::Bigint(), value);
}
Value Value::Binary(std::string bytes) {
  Value value;
  value.type = LogicalType::Binary();
  value.is_null = false;
  value.text = std::move(bytes);
  return value;
}

Value Value::Timestamp(int64_t millis) {
  return MakeInteger(LogicalType::Timestamp(), millis);
}
Value Value::Interval(int64_t millis) {
  return MakeInteger(LogicalType::Interval(), millis);
}
Value Value::Date(int32_t days) {
  return MakeInteger(LogicalType::Date(), days);
}
Value Value::Time(int32_t millis) {
  return MakeInteger(LogicalType::Time(), millis);
}
Value Value::Decimal(__int128 unscaled, int32_t precision, int32_t scale) {
  Value value = MakeInteger(LogicalType::Decimal(precision, scale), static_cast<int64_t>(unscaled));
  if (value.type.IsWideDecimal()) value.integer_high = static_cast<int64_t>(unscaled >> 64);
  return value;
}

Value Value::Double(double real) {
  Value value;
  value.type = LogicalType::Double();
  value.is_null = false;
  value.real = real;
  return value;
}

Value Value::Varchar(std::string text) {
  Value value;
  value.type = LogicalType::Varchar();
  value.is_null = false;
  value.text = std::move(text);
  return value;
}

bool Value::operator==(const Value& other) const {
  if (type != other.type || is_null != other.is_null) return false;
  if (is_null) return true;
  switch (type.id()) {
    case TypeId::kDouble:
      // Bitwise, so that a NaN literal equals itself and -0.0 stays distinct from 0.0.
      return std::memcmp(&real, &other.real, sizeof(double)) == 0;
    case TypeId::kVarchar:
    case TypeId::kArray:
    case TypeId::kMap:
    case TypeId::kMultiset:
    case TypeId::kBinary: return text == other.text;
    default: return integer == other.integer && integer_high == other.integer_high;
  }
}

std::string Value::ToSql() const {
  if (is_null) return "NULL";
  switch (type.id()) {
    case TypeId::kNull: return "NULL";
    case TypeId::kBoolean: return integer != 0 ? "TRUE" : "FALSE";
    case TypeId::kInt:
    case TypeId::kBigint: return fmt::format("{}", integer);
    case TypeId::kDouble: return expr::FormatReal(real, type);
    case TypeId::kDecimal: return expr::FormatDecimal(Unscaled(), type.scale());
    case TypeId::kVarchar: {
      std::string out = "'";
      for (char c : text) {
        if (c == '\'') out += '\'';
        out += c;
      }
      out += '\'';
      return out;
    }
    case TypeId::kBinary: return "X'" + expr::EncodeHex(text) + "'";
    case TypeId::kTimestamp: return "TIMESTAMP '" + expr::FormatTimestamp(integer) + "'";
    case TypeId::kInterval: return "INTERVAL '" + expr::FormatInterval(integer) + "' DAY TO SECOND";
    case TypeId::kDate: return "DATE '" + expr::FormatDate(static_cast<int32_t>(integer)) + "'";
    case TypeId::kTime: return "TIME '" + expr::FormatTime(static_cast<int32_t>(integer)) + "'";
    case TypeId::kRow: return "ROW(?)";
    case TypeId::kArray:
    case TypeId::kMap:
    case TypeId::kMultiset: {
      std::string rendered;
      if (!expr::AppendCollectionText(text, expr::TypeDescriptor(type), &rendered)) return "?";
      return "CAST('" + rendered + "' AS " + type.ToString() + ")";
    }
  }
  return "?";
}

ExprPtr Expr::Column(int32_t index, LogicalType type) {
  auto expr = std::make_shared<Expr>();
  expr->kind = ExprKind::kColumn;
  expr->type = std::move(type);
  expr->column_index = index;
  return expr;
}

ExprPtr Expr::Literal(Value value) {
  auto expr = std::make_shared<Expr>();
  expr->kind = ExprKind::kLiteral;
  expr->type = value.type;
  expr->literal = std::move(value);
  return expr;
}

ExprPtr Expr::Call(FunctionId function, LogicalType type, std::vector<ExprPtr> arguments) {
  auto expr = std::make_shared<Expr>();
  expr->kind = ExprKind::kCall;
  expr->type = std::move(type);
  expr->function = function;
  expr->arguments = std::move(arguments);
  return expr;
}

ExprPtr Expr::UserCall(std::shared_ptr<const expr::UserFunction> function,
                       std::vector<ExprPtr> arguments) {
  auto expr = std::make_shared<Expr>();
  expr->kind = ExprKind::kCall;
  expr->type = function->return_type;
  expr->function = FunctionId::kUserDefined;
  expr->user_function = std::move(function);
  expr->arguments = std::move(arguments);
  return expr;
}

ExprPtr Expr::Cast(ExprPtr operand, LogicalType type) {
  auto expr = std::make_shared<Expr>();
  expr->kind = ExprKind::kCast;
  expr->type = std::move(type);
  expr->arguments.push_back(std::move(operand));
  return expr;
}

ExprPtr Expr::Case(std::vector<ExprPtr> arguments, LogicalType type) {
  auto expr = std::make_shared<Expr>();
  expr->kind = ExprKind::kCase;
  expr->type = std::move(type);
  expr->arguments = std::move(arguments);
  return expr;
}

bool Expr::Equals(const Expr& other) const {
  if (kind != other.kind || type != other.type) return false;
  switch (kind) {
    case ExprKind::kColumn: return column_index == other.column_index;
    case ExprKind::kLiteral: return literal == other.literal;
    case ExprKind::kCall:
      if (function != other.function) return false;
      if ((user_function == nullptr) != (other.user_function == nullptr)) return false;
      // A plan read from JSON holds references, a compiled one linked functions: the same
      // function either way when they name the same library, symbol and signature.
      if (user_function != nullptr && user_function != other.user_function &&
          !user_function->SameReference(*other.user_function)) {
        return false;
      }
      break;
    case ExprKind::kCast:
    case ExprKind::kCase: break;
  }
  if (arguments.size() != other.arguments.size()) return false;
  for (size_t i = 0; i < arguments.size(); ++i) {
    if (arguments[i] == other.arguments[i]) continue;
    if (!arguments[i] || !other.arguments[i]) return false;
    if (!arguments[i]->Equals(*other.arguments[i])) return false;
  }
  return true;
}

namespace {

bool IsInfix(FunctionId function) {
  switch (function) {
    case FunctionId::kAdd:
    case FunctionId::kSubtract:
    case FunctionId::kMultiply:
    case FunctionId::kDivide:
    case FunctionId::kEqual:
    case FunctionId::kNotEqual:
    case FunctionId::kLess:
    case FunctionId::kLessEqual:
    case FunctionId::kGreater:
    case FunctionId::kGreaterEqual:
    case FunctionId::kAnd:
    case FunctionId::kOr:
    case FunctionId::kConcat:
    case FunctionId::kLike: return true;
    default: return false;
  }
}

bool IsPostfix(FunctionId function) {
  return function == FunctionId::kIsNull || function == FunctionId::kIsNotNull ||
         function == FunctionId::kIsTrue || function == FunctionId::kIsFalse;
}

}  // namespace

std::string Expr::ToString(const std::vector<std::string>* column_names) const {
  auto argument = [&](size_t index) {
    if (index >= arguments.size() || !arguments[index]) return std::string("?");
    return arguments[index]->ToString(column_names);
  };
  switch (kind) {
    case ExprKind::kColumn:
      if (column_names && column_index >= 0 &&
          static_cast<size_t>(column_index) < column_names->size()) {
        return (*column_names)[column_index];
      }
      return fmt::format("${}", column_index);
    case ExprKind::kLiteral: return literal.ToSql();
    case ExprKind::kCast: return fmt::format("CAST({} AS {})", argument(0), type.ToString());
    case ExprKind::kCase: {
      std::string out = "CASE";
      size_t pairs = arguments.empty() ? 0 : (arguments.size() - 1) / 2;
      for (size_t i = 0; i < pairs; ++i) {
        out += fmt::format(" WHEN {} THEN {}", argument(2 * i), argument(2 * i + 1));
      }
      if (!arguments.empty()) out += fmt::format(" ELSE {}", argument(arguments.size() - 1));
      out += " END";
      return out;
    }
    case ExprKind::kCall: break;
  }
  const char* name =
      user_function != nullptr ? user_function->name.c_str() : functions::FunctionName(function);
  if (IsInfix(function) && arguments.size() >= 2) {
    std::string out = "(";
    out += argument(0);
    for (size_t i = 1; i < arguments.size(); ++i) out += fmt::format(" {} {}", name, argument(i));
    out += ')';
    return out;
  }
  if (IsPostfix(function) && arguments.size() == 1) {
    return fmt::format("({} {})", argument(0), name);
  }
  if (function == FunctionId::kNegate && arguments.size() == 1) {
    return fmt::format("(- {})", argument(0));
  }
  if (function == FunctionId::kNot && arguments.size() == 1) {
    return fmt::format("(NOT {})", argument(0));
  }
  std::string out = name;
  out += '(';
  for (size_t i = 0; i < arguments.size(); ++i) {
    if (i > 0) out += ", ";
    out += argument(i);
  }
  out += ')';
  return out;
}

}  // namespace sluice::runtime::plan
