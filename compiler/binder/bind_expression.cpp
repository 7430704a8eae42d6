#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>

#include "catalog/base/suggest.h"
#include "catalog/functions/function_registry.h"
#include "compiler/binder/binder.h"
#include "runtime/expr/collection_value.h"
#include "runtime/expr/kernel_abi.h"
#include "runtime/expr/literal_arguments.h"
#include "runtime/expr/time_zone.h"
#include "runtime/expr/value_format.h"

namespace sluice::compiler::binder {

using runtime::plan::Expr;
using runtime::plan::ExprKind;
using runtime::plan::ExprPtr;
using runtime::plan::Value;
using types::LogicalType;
using types::TypeId;

namespace {

const char* kAggregateNames[] = {
    "COUNT",       "SUM",      "MIN",        "MAX",       "AVG",       "FIRST_VALUE",
    "LAST_VALUE",  "LISTAGG",  "COLLECT",    "ARRAY_AGG", "STDDEV",    "STDDEV_POP",
    "STDDEV_SAMP", "VARIANCE", "VAR_POP",    "VAR_SAMP",  "BOOL_AND",  "BOOL_OR",
    "LAG",         "LEAD",     "ROW_NUMBER", "RANK",      "DENSE_RANK"};

std::string Upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

bool IsAggregateName(const std::string& upper) {
  for (const char* name : kAggregateNames) {
    if (upper == name) return true;
  }
  return false;
}

/// The value of an integer literal, possibly negated or cast (ROUND(x, -1)); nullopt when
/// `expr` is not one.
std::optional<int64_t> IntegerConstant(const Expr& expr) {
  if (expr.kind == ExprKind::kLiteral && !expr.literal.is_null && expr.type.IsInteger()) {
    return expr.literal.integer;
  }
  if (expr.arguments.size() == 1 && expr.arguments[0] != nullptr) {
    bool negate = expr.kind == ExprKind::kCall && expr.function == functions::FunctionId::kNegate;
    if (negate || expr.kind == ExprKind::kCast) {
      std::optional<int64_t> value = IntegerConstant(*expr.arguments[0]);
      if (value && negate) return -*value;
      return value;
    }
  }
  return std::nullopt;
}

const char* BinaryFunctionName(ast::BinaryOperator op) {
  switch (op) {
    case ast::BinaryOperator::kAdd: return "+";
    case ast::BinaryOperator::kSubtract: return "-";
    case ast::BinaryOperator::kMultiply: return "*";
    case ast::BinaryOperator::kDivide: return "/";
    case ast::BinaryOperator::kModulo: return "%";
    case ast::BinaryOperator::kConcat: return "||";
    case ast::BinaryOperator::kEqual: return "=";
    case ast::BinaryOperator::kNotEqual: return "<>";
    case ast::BinaryOperator::kLess: return "<";
    case ast::BinaryOperator::kLessEqual: return "<=";
    case ast::BinaryOperator::kGreater: return ">";
    case ast::BinaryOperator::kGreaterEqual: return ">=";
    case ast::BinaryOperator::kAnd: return "AND";
    case ast::BinaryOperator::kOr: return "OR";
    default: return nullptr;
  }
}

/// Binds a call of a CREATE FUNCTION function: the arguments must be implicitly castable to
/// the declared types (runtime/expr/user_function.h), and are cast to them.
ExprPtr BindUserFunctionCall(Binder* binder,
                             std::shared_ptr<const runtime::expr::UserFunction> function,
                             std::vector<ExprPtr> arguments,
                             const ast::FunctionCallExpression& call) {
  const std::vector<LogicalType>& expected = function->argument_types;
  if (arguments.size() != expected.size()) {
    binder->Error(
        base::ErrorCode::kBind,
        fmt::format("{} takes {} argument{}, got {}: {}", function->name, expected.size(),
                    expected.size() == 1 ? "" : "s", arguments.size(), function->Signature()),
        call.span);
    return nullptr;
  }
  for (size_t i = 0; i <= arguments.size(); ++i) {
    if (i == arguments.size()) {
      if (!function->return_type.IsWideDecimal()) break;
      binder->Error(base::ErrorCode::kBind,
                    fmt::format("{} returns {}: a DECIMAL of precision above 18 does not cross "
                                "the function ABI yet (SluiceUdfValue holds an int64)",
                                function->name, function->return_type.ToString()),
                    call.span);
      return nullptr;
    }
    // A wide argument is cast to the declared type before it crosses (to a DOUBLE, say).
    if (expected[i].IsWideDecimal()) {
      binder->Error(base::ErrorCode::kBind,
                    fmt::format("argument {} of {}: a DECIMAL of precision above 18 does not "
                                "cross the function ABI yet (SluiceUdfValue holds an int64)",
                                i + 1, function->name),
                    call.arguments[i]->span);
      return nullptr;
    }
    if (!types::IsImplicitlyCastable(arguments[i]->type, expected[i])) {
      binder->Error(base::ErrorCode::kBind,
                    fmt::format("argument {} of {} must be {}, got {}", i + 1, function->name,
                                expected[i].ToString(), arguments[i]->type.ToString()),
                    call.arguments[i]->span);
      return nullptr;
    }
    arguments[i] = binder->CastTo(std::move(arguments[i]), expected[i]);
  }
  return Expr::UserCall(std::move(function), std::move(arguments));
}

}  // namespace

/// The unit keyword of TIMESTAMPADD and TIMESTAMPDIFF (parsed as a column name), upper case;
/// nullopt when `argument` is not one.
std::optional<std::string> TimeUnitArgument(const ast::Expression& argument) {
  auto upper = [](std::string text) {
    for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return text;
  };
  if (!argument.Is<ast::ColumnRefExpression>()) return std::nullopt;
  const auto& parts = argument.Cast<ast::ColumnRefExpression>().parts;
  if (parts.size() != 1 || parts[0].quoted) return std::nullopt;
  std::string unit = upper(parts[0].name);
  for (const char* known :
       {"SECOND", "MINUTE", "HOUR", "DAY", "WEEK", "MONTH", "QUARTER", "YEAR"}) {
    if (unit == known) return unit;
  }
  return std::nullopt;
}

void Binder::Error(base::ErrorCode code, std::string message, base::SourceSpan span) {
  diagnostics_.push_back(base::Diagnostic{code, std::move(message), span, {}});
}

namespace {

bool IsUtc(const std::string& zone) {
  auto found = runtime::expr::TimeZone::Find(zone);
  return found == nullptr || found->IsUtc();
}

/// `expression` typed `type` (TIMESTAMP ↔ TIMESTAMP_LTZ in UTC, where the value stays): a copy
/// of its node, so that patterns over columns (interval bounds, keys) still see a column.
ExprPtr Relabeled(ExprPtr expression, const LogicalType& type) {
  auto copy = std::make_shared<Expr>(*expression);
  copy->type = type;
  if (copy->kind == ExprKind::kLiteral) copy->literal.type = type;
  return copy;
}

}  // namespace

ExprPtr Binder::LtzToWallTime(ExprPtr instant) const {
  if (IsUtc(local_time_zone_)) return Relabeled(std::move(instant), LogicalType::Timestamp());
  return Expr::Call(functions::FunctionId::kLtzToTimestamp, LogicalType::Timestamp(),
                    {std::move(instant), Expr::Literal(Value::Varchar(local_time_zone_))});
}

ExprPtr Binder::WallTimeToLtz(ExprPtr wall_time) const {
  if (IsUtc(local_time_zone_)) return Relabeled(std::move(wall_time), LogicalType::TimestampLtz());
  return Expr::Call(functions::FunctionId::kTimestampToLtz, LogicalType::TimestampLtz(),
                    {std::move(wall_time), Expr::Literal(Value::Varchar(local_time_zone_))});
}

ExprPtr Binder::CastTo(ExprPtr expression, const LogicalType& type) const {
  if (expression == nullptr || expression->type == type) return expression;
  if (type.id() == TypeId::kRow) return CastRow(std::move(expression), type);
  if (expression->kind == ExprKind::kLiteral && expression->literal.is_null) {
    return Expr::Literal(Value::Null(type));
  }
  // A TIMESTAMP_LTZ meets a wall time through the session zone; with a number (epoch
  // seconds) it is an instant as a TIMESTAMP is.
  const bool from_ltz = expression->type.IsTimestampLtz(), to_ltz = type.IsTimestampLtz();
  if (from_ltz && !to_ltz && !type.IsNumeric()) {
    return CastTo(LtzToWallTime(std::move(expression)), type);
  }
  if (to_ltz && !from_ltz && !expression->type.IsNumeric()) {
    return WallTimeToLtz(CastTo(std::move(expression), LogicalType::Timestamp()));
  }
  if (expression->type.IsCollection() && type.id() == TypeId::kVarchar) {
    // A collection's text form, as Flink casts it: `[1, 2]`, `{a=1}`.
    std::string descriptor = runtime::expr::TypeDescriptor(expression->type);
    return Expr::Call(
        functions::FunctionId::kCollectionToString, LogicalType::Varchar(),
        {Expr::Literal(Value::Varchar(std::move(descriptor))), std::move(expression)});
  }
  return Expr::Cast(std::move(expression), type);
}

ExprPtr Binder::BindDecimalLiteral(const ast::LiteralExpression& literal) {
  // Calcite's typing, which Flink's is: the literal's characters but the point are its
  // precision (leading zeros count: 0.908 is DECIMAL(4, 3)), those after the point its scale;
  // `5.` has none after it and is an INT (or a BIGINT) as `5` is.
  const std::string& text = literal.value;
  size_t point = text.find('.');
  if (point == std::string::npos || point + 1 == text.size()) {
    ast::LiteralExpression integer(literal.span);
    integer.literal_kind = ast::LiteralKind::kInteger;
    integer.value = text.substr(0, point);
    if (integer.value.empty()) integer.value = "0";
    return BindLiteral(integer);
  }
  auto precision = static_cast<int32_t>(text.size() - 1);
  auto scale = static_cast<int32_t>(text.size() - point - 1);
  if (precision > LogicalType::kMaxDecimalPrecision) {
    Error(base::ErrorCode::kBind,
          fmt::format("decimal literal {} has {} digits, more than DECIMAL's 38; write it as an "
                      "approximate number (DOUBLE), e.g. {}E0",
                      text, precision, text),
          literal.span);
    return nullptr;
  }
  runtime::StringRef ref{text.data(), static_cast<uint32_t>(text.size()), 0};
  __int128 unscaled = 0;
  if (sluice_cast_string_to_decimal(&ref, precision, scale, &unscaled) == 0) {
    Error(base::ErrorCode::kBind, "invalid number: " + text, literal.span);
    return nullptr;
  }
  return Expr::Literal(Value::Decimal(unscaled, precision, scale));
}

ExprPtr Binder::BindLiteral(const ast::LiteralExpression& literal) {
  switch (literal.literal_kind) {
    case ast::LiteralKind::kNull: return Expr::Literal(Value::Null(LogicalType::Null()));
    case ast::LiteralKind::kBoolean: return Expr::Literal(Value::Boolean(literal.boolean_value));
    case ast::LiteralKind::kInteger: {
      errno = 0;
      char* end = nullptr;
      long long value = std::strtoll(literal.value.c_str(), &end, 10);
      if (errno == ERANGE && literal.value.size() <= 38 &&
          literal.value.find_first_not_of("0123456789") == std::string::npos) {
        // Past BIGINT: an exact DECIMAL(digits, 0), as Flink types such a literal.
        runtime::StringRef text{literal.value.data(), static_cast<uint32_t>(literal.value.size()),
                                0};
        __int128 unscaled = 0;
        auto digits = static_cast<int32_t>(literal.value.size());
        if (sluice_cast_string_to_decimal(&text, digits, 0, &unscaled) != 0) {
          return Expr::Literal(Value::Decimal(unscaled, digits, 0));
        }
      }
      if (errno == ERANGE || end == literal.value.c_str() || *end != '\0') {
        Error(base::ErrorCode::kBind, "integer literal out of range: " + literal.value,
              literal.span);
        return nullptr;
      }
      if (value >= INT32_MIN && value <= INT32_MAX) {
        return Expr::Literal(Value::Int(static_cast<int32_t>(value)));
      }
      return Expr::Literal(Value::Bigint(value));
    }
    case ast::LiteralKind::kDecimal: return BindDecimalLiteral(literal);
    case ast::LiteralKind::kApproximate: {
      char* end = nullptr;
      double value = std::strtod(literal.value.c_str(), &end);
      if (end == literal.value.c_str()) {
        Error(base::ErrorCode::kBind, "invalid number: " + literal.value, literal.span);
        return nullptr;
      }
      return Expr::Literal(Value::Double(value));
    }
    case ast::LiteralKind::kString: return Expr::Literal(Value::Varchar(literal.value));
    case ast::LiteralKind::kBinary: return Expr::Literal(Value::Binary(literal.value));
    case ast::LiteralKind::kTimestamp:
    case ast::LiteralKind::kTimestampLtz: {
      auto millis = runtime::expr::ParseTimestamp(literal.value);
      if (!millis) {
        Error(base::ErrorCode::kBind,
              "invalid timestamp '" + literal.value + "' (expected 'YYYY-MM-DD HH:MM:SS[.fff]')",
              literal.span);
        return nullptr;
      }
      ExprPtr wall = Expr::Literal(Value::Timestamp(*millis));
      // TIMESTAMP_LTZ '…' is that wall time in the session zone (Flink's).
      if (literal.literal_kind == ast::LiteralKind::kTimestampLtz) return WallTimeToLtz(wall);
      return wall;
    }
    case ast::LiteralKind::kInterval: return BindIntervalLiteral(literal);
    case ast::LiteralKind::kDate: {
      auto days = runtime::expr::ParseDate(literal.value);
      if (!days) {
        Error(base::ErrorCode::kBind,
              "invalid date '" + literal.value + "' (expected 'YYYY-MM-DD')", literal.span);
        return nullptr;
      }
      return Expr::Literal(Value::Date(*days));
    }
    case ast::LiteralKind::kTime: {
      auto millis = runtime::expr::ParseTime(literal.value);
      if (!millis) {
        Error(base::ErrorCode::kBind,
              "invalid time '" + literal.value + "' (expected 'HH:MM:SS[.fff]')", literal.span);
        return nullptr;
      }
      return Expr::Literal(Value::Time(*millis));
    }
  }
  return nullptr;
}

int32_t SlotCount(const LogicalType& type) {
  int32_t count = 1;
  for (const auto& field : type.fields()) count += SlotCount(field.type);
  return count;
}

ExprPtr Binder::BindColumnRef(const ast::ColumnRefExpression& ref, const Scope& scope) {
  const auto& parts = ref.parts;
  const ScopeColumn* column = nullptr;
  size_t next_part = 1;
  // A qualified name first: `B.price` where B is a table alias.
  if (parts.size() >= 2) {
    for (const ScopeColumn& candidate : scope.columns) {
      if (types::IdentifierEquals(candidate.qualifier, parts[0].name) &&
          types::IdentifierEquals(candidate.name, parts[1].name)) {
        column = &candidate;
        next_part = 2;
        break;
      }
    }
  }
  if (column == nullptr) {
    std::vector<const ScopeColumn*> matches;
    for (const ScopeColumn& candidate : scope.columns) {
      if (types::IdentifierEquals(candidate.name, parts[0].name)) matches.push_back(&candidate);
    }
    // A subquery's own column hides an enclosing query's of the same name.
    if (matches.size() > 1 &&
        std::any_of(matches.begin(), matches.end(), [](const auto* m) { return !m->outer; })) {
      matches.erase(
          std::remove_if(matches.begin(), matches.end(), [](const auto* m) { return m->outer; }),
          matches.end());
    }
    if (matches.size() > 1) {
      Error(base::ErrorCode::kBind,
            fmt::format("column reference '{}' is ambiguous (it is in '{}' and '{}')",
                        parts[0].name, matches[0]->qualifier, matches[1]->qualifier),
            parts[0].span);
      return nullptr;
    }
    if (matches.empty() && pre_aggregation_scope_ != nullptr) {
      for (const ScopeColumn& candidate : pre_aggregation_scope_->columns) {
        if (types::IdentifierEquals(candidate.name, parts.back().name)) {
          Error(base::ErrorCode::kBind,
                fmt::format("column '{}' must appear in GROUP BY or be used in an aggregate "
                            "function",
                            ref.ToString()),
                ref.span);
          return nullptr;
        }
      }
    }
    if (matches.empty() && parts.size() == 1 && !parts[0].quoted) {
      // Flink's niladic functions, written without parentheses.
      std::string upper = Upper(parts[0].name);
      if (upper == "CURRENT_TIMESTAMP" || upper == "LOCALTIMESTAMP" || upper == "CURRENT_DATE" ||
          upper == "CURRENT_TIME" || upper == "LOCALTIME") {
        return BindCall(upper, {}, ref.span);
      }
      if (upper == "CURRENT_CATALOG") return Expr::Literal(Value::Varchar("default_catalog"));
    }
    if (matches.empty() && correlation_scope_ != nullptr) {
      for (const ScopeColumn& candidate : correlation_scope_->columns) {
        bool qualified = parts.size() >= 2 &&
                         types::IdentifierEquals(candidate.qualifier, parts[0].name) &&
                         types::IdentifierEquals(candidate.name, parts[1].name);
        if (qualified || types::IdentifierEquals(candidate.name, parts[0].name)) {
          Error(base::ErrorCode::kPlan,
                fmt::format("{} correlated here is not supported: '{}' refers to the outer "
                            "query; only `inner column = outer column` conditions in the WHERE "
                            "of a plain SELECT ... FROM ... WHERE (no GROUP BY, HAVING, "
                            "DISTINCT, ORDER BY or LIMIT) may",
                            correlation_construct_, ref.ToString()),
                ref.span);
          return nullptr;
        }
      }
    }
    if (matches.empty()) {
      bool is_qualifier = false;
      for (const ScopeColumn& candidate : scope.columns) {
        if (parts.size() >= 2 && types::IdentifierEquals(candidate.qualifier, parts[0].name)) {
          is_qualifier = true;
        }
      }
      std::vector<std::string> names;
      for (const ScopeColumn& candidate : scope.columns) names.push_back(candidate.name);
      const ast::Identifier& missing = is_qualifier ? parts[1] : parts[0];
      std::string suggestion = base::ClosestName(missing.name, names);
      Error(base::ErrorCode::kBind,
            fmt::format("column not found: '{}'{}", missing.name,
                        suggestion.empty() ? "" : " (did you mean '" + suggestion + "'?)"),
            missing.span);
      return nullptr;
    }
    column = matches[0];
  }
  LogicalType type = column->type;
  int32_t slot = column->slot;
  for (size_t i = next_part; i < parts.size(); ++i) {
    if (type.id() != TypeId::kRow) {
      Error(base::ErrorCode::kBind,
            fmt::format("'{}' has type {}, which has no field '{}'", parts[i - 1].name,
                        type.ToString(), parts[i].name),
            parts[i].span);
      return nullptr;
    }
    int32_t field_slot = slot + 1;
    const types::RowField* found = nullptr;
    for (const auto& field : type.fields()) {
      if (types::IdentifierEquals(field.name, parts[i].name)) {
        found = &field;
        break;
      }
      field_slot += SlotCount(field.type);
    }
    if (found == nullptr) {
      std::vector<std::string> names;
      for (const auto& field : type.fields()) names.push_back(field.name);
      std::string suggestion = base::ClosestName(parts[i].name, names);
      Error(base::ErrorCode::kBind,
            fmt::format("field not found: '{}' in {}{}", parts[i].name, parts[i - 1].name,
                        suggestion.empty() ? "" : " (did you mean '" + suggestion + "'?)"),
            parts[i].span);
      return nullptr;
    }
    type = found->type;
    slot = field_slot;
  }
  return Expr::Column(slot, type);
}

ExprPtr Binder::BindCall(const std::string& name, std::vector<ExprPtr> arguments,
                         base::SourceSpan span) {
  for (const auto& argument : arguments) {
    if (argument == nullptr) return nullptr;
  }
  if ((name == "+" || name == "-") && arguments.size() == 2) {
    // DATE ± INTERVAL (and INTERVAL + DATE) is a DATE moved by the interval's whole days
    // (Flink's: INTERVAL '36' HOUR moves it by one day). A literal interval is truncated here;
    // the day of a computed one is the day of midnight moved by it (SEMANTICS.md).
    TypeId left = arguments[0]->type.id(), right = arguments[1]->type.id();
    bool date_first = left == TypeId::kDate && right == TypeId::kInterval;
    bool date_second = name == "+" && left == TypeId::kInterval && right == TypeId::kDate;
    if (date_first || date_second) {
      constexpr int64_t kMillisPerDay = 86'400'000;
      for (auto& argument : arguments) {
        if (argument->type.id() == TypeId::kDate) {
          argument = CastTo(std::move(argument), LogicalType::Timestamp());
        } else if (argument->kind == ExprKind::kLiteral && !argument->literal.is_null) {
          argument = Expr::Literal(
              Value::Interval(argument->literal.integer / kMillisPerDay * kMillisPerDay));
        }
      }
      ExprPtr moved = BindCall(name, std::move(arguments), span);
      if (moved == nullptr) return nullptr;
      return Expr::Cast(std::move(moved), LogicalType::Date());
    }
  }
  if ((name == "+" || name == "-") && arguments.size() == 2) {
    // TIME ± INTERVAL is a TIME: the time of day moved by the interval, around midnight
    // (Flink's: ((time + a day) ± interval % a day) % a day), here as the time of day of
    // 1970-01-01's TIMESTAMP moved by it.
    TypeId left = arguments[0]->type.id(), right = arguments[1]->type.id();
    if ((left == TypeId::kTime && right == TypeId::kInterval) ||
        (name == "+" && left == TypeId::kInterval && right == TypeId::kTime)) {
      for (auto& argument : arguments) {
        if (argument->type.id() == TypeId::kTime) {
          argument = CastTo(std::move(argument), LogicalType::Timestamp());
        }
      }
      ExprPtr moved = BindCall(name, std::move(arguments), span);
      if (moved == nullptr) return nullptr;
      return CastTo(std::move(moved), LogicalType::Time());
    }
  }
  // FLOOR/CEIL(x TO unit) of a DATE or a TIME keeps its type (Flink's: FLOOR(DATE '2024-01-17'
  // TO MONTH) is DATE '2024-01-01', FLOOR(TIME '12:44:31' TO MINUTE) is TIME '12:44:00'):
  // rounded as the TIMESTAMP of that day or of 1970-01-01.
  if ((name == "FLOOR_TIMESTAMP" || name == "CEIL_TIMESTAMP") && arguments.size() == 2 &&
      (arguments[0]->type.id() == TypeId::kDate || arguments[0]->type.id() == TypeId::kTime)) {
    const LogicalType type = arguments[0]->type;
    arguments[0] = CastTo(std::move(arguments[0]), LogicalType::Timestamp());
    ExprPtr rounded = BindCall(name, std::move(arguments), span);
    if (rounded == nullptr) return nullptr;
    return CastTo(std::move(rounded), type);
  }
  // TO_TIMESTAMP_LTZ(text [, format [, zone]]) (Flink 1.20): the text's wall time read in the
  // given zone, else the session's.
  if (name == "TO_TIMESTAMP_LTZ" && !arguments.empty() && arguments.size() <= 3 &&
      arguments[0]->type.id() == TypeId::kVarchar) {
    std::vector<ExprPtr> parse = {arguments[0]};
    if (arguments.size() >= 2) parse.push_back(arguments[1]);
    ExprPtr wall = BindCall("TO_TIMESTAMP", std::move(parse), span);
    if (wall == nullptr) return nullptr;
    if (arguments.size() < 3) return WallTimeToLtz(std::move(wall));
    if (arguments[2]->type.id() != TypeId::kVarchar && arguments[2]->type.id() != TypeId::kNull) {
      Error(base::ErrorCode::kBind,
            fmt::format("TO_TIMESTAMP_LTZ's time zone must be a string, got {}",
                        arguments[2]->type.ToString()),
            span);
      return nullptr;
    }
    return Expr::Call(functions::FunctionId::kTimestampToLtz, LogicalType::TimestampLtz(),
                      {std::move(wall), CastTo(arguments[2], LogicalType::Varchar())});
  }
  if (name == "COALESCE" &&
      std::any_of(arguments.begin(), arguments.end(),
                  [](const ExprPtr& argument) { return argument->type.id() == TypeId::kRow; })) {
    // Rows: the first non-NULL one's bytes, read back as a row.
    LogicalType common = LogicalType::Null();
    for (const auto& argument : arguments) {
      LogicalType next;
      if ((argument->type.id() == TypeId::kRow && !IsSlotRow(argument)) ||
          !CommonValueType(common, argument->type, &next)) {
        Error(base::ErrorCode::kBind,
              fmt::format("COALESCE cannot be applied to {} and {}", common.ToString(),
                          argument->type.ToString()),
              span);
        return nullptr;
      }
      common = next;
    }
    std::vector<ExprPtr> encoded;
    for (const auto& argument : arguments) encoded.push_back(EncodeRow(CastTo(argument, common)));
    return DecodeRow(
        Expr::Call(functions::FunctionId::kCoalesce, LogicalType::Varchar(), std::move(encoded)),
        common);
  }
  bool comparison =
      name == "=" || name == "<>" || name == "<" || name == "<=" || name == ">" || name == ">=";
  if (comparison && arguments.size() == 2 &&
      (arguments[0]->type.id() == TypeId::kRow || arguments[1]->type.id() == TypeId::kRow)) {
    return CompareRows(name, std::move(arguments[0]), std::move(arguments[1]), span);
  }
  if (name == "<" || name == "<=" || name == ">" || name == ">=") {
    for (const auto& argument : arguments) {
      if (argument->type.IsCollection()) {
        Error(base::ErrorCode::kBind,
              fmt::format("{} values have no order: compare them with = or <> only",
                          argument->type.ToString()),
              span);
        return nullptr;
      }
    }
  }
  std::vector<LogicalType> types;
  for (const auto& argument : arguments) types.push_back(argument->type);
  functions::ResolvedFunction resolved;
  std::string error;
  if (!functions::ResolveScalarFunction(name, types, &resolved, &error)) {
    if (error.rfind("unknown function", 0) == 0) {
      std::string suggestion = base::ClosestName(name, functions::ScalarFunctionNames());
      if (!suggestion.empty()) error += " (did you mean '" + suggestion + "'?)";
    }
    Error(base::ErrorCode::kBind, error, span);
    return nullptr;
  }
  // TINYINT, SMALLINT and FLOAT are computed in the type whose storage they share and narrowed
  // back, as Java's arithmetic is (a TINYINT sum wraps, a FLOAT product rounds to a float):
  // functions never see them.
  LogicalType narrow_result;
  if (resolved.return_type.IsNarrowNumeric()) {
    narrow_result = resolved.return_type;
    resolved.return_type = narrow_result.Widened();
  }
  for (size_t i = 0; i < arguments.size(); ++i) {
    arguments[i] = CastTo(std::move(arguments[i]), resolved.argument_types[i].Widened());
  }
  ExprPtr call = WithSessionTimeZone(resolved, types, std::move(arguments));
  if (call == nullptr || !narrow_result.IsNarrowNumeric()) return call;
  return Expr::Cast(std::move(call), narrow_result);
}

ExprPtr Binder::WithSessionTimeZone(const functions::ResolvedFunction& resolved,
                                    const std::vector<LogicalType>& types,
                                    std::vector<ExprPtr> arguments) const {
  using functions::FunctionId;
  const bool utc = IsUtc(local_time_zone_);
  auto call = [&](LogicalType type) {
    return Expr::Call(resolved.id, std::move(type), std::move(arguments));
  };
  switch (resolved.id) {
    // The clock read as an instant (Flink: TIMESTAMP_LTZ(3)).
    case FunctionId::kCurrentTimestamp:
    case FunctionId::kCurrentRowTimestamp:
    case FunctionId::kNow:
    case FunctionId::kToTimestampLtz: return call(LogicalType::TimestampLtz());
    // The watermark has its attribute's type.
    case FunctionId::kCurrentWatermark:
      return call(!types.empty() && types[0].IsTimestampLtz() ? LogicalType::TimestampLtz()
                                                              : resolved.return_type);
    // The clock read as the session zone's wall time.
    case FunctionId::kLocalTimestamp: return LtzToWallTime(call(LogicalType::TimestampLtz()));
    case FunctionId::kCurrentDate:
    case FunctionId::kCurrentTime:
    case FunctionId::kLocalTime:
      if (utc) break;
      return CastTo(
          LtzToWallTime(Expr::Call(FunctionId::kCurrentTimestamp, LogicalType::TimestampLtz(), {})),
          resolved.return_type);
    // A TIMESTAMP_LTZ moved or rounded on the session zone's clock stays one (Flink's types).
    case FunctionId::kFloorTimestamp:
    case FunctionId::kCeilTimestamp:
      if (!types.empty() && types[0].IsTimestampLtz()) {
        return WallTimeToLtz(call(resolved.return_type));
      }
      break;
    case FunctionId::kTimestampAdd:
      if (types.size() == 3 && types[2].IsTimestampLtz()) {
        return WallTimeToLtz(call(resolved.return_type));
      }
      break;
    // Text read as the session zone's wall time: the seconds of that instant, Long.MIN_VALUE
    // for text that does not parse (a format with an offset letter reads its own offset).
    case FunctionId::kUnixTimestamp: {
      if (utc || arguments.empty()) break;
      if (arguments.size() > 1 && arguments[1]->kind == ExprKind::kLiteral &&
          !arguments[1]->literal.is_null &&
          arguments[1]->literal.text.find_first_of("XxZ") != std::string::npos) {
        break;
      }
      std::vector<ExprPtr> parse_arguments = arguments;
      ExprPtr wall = Expr::Call(FunctionId::kToTimestamp, LogicalType::Timestamp(),
                                std::move(parse_arguments));
      // The instant's UTC text, read back by UNIX_TIMESTAMP as UTC: its floored seconds.
      ExprPtr instant_text = Expr::Cast(Relabeled(WallTimeToLtz(wall), LogicalType::Timestamp()),
                                        LogicalType::Varchar());
      ExprPtr seconds =
          Expr::Call(FunctionId::kUnixTimestamp, LogicalType::Bigint(), {instant_text});
      ExprPtr any_null = Expr::Literal(Value::Boolean(false));
      for (const ExprPtr& argument : arguments) {
        any_null = Expr::Call(
            FunctionId::kOr, LogicalType::Boolean(),
            {any_null, Expr::Call(FunctionId::kIsNull, LogicalType::Boolean(), {argument})});
      }
      return Expr::Case(
          {any_null, Expr::Literal(Value::Null(LogicalType::Bigint())),
           Expr::Call(FunctionId::kIsNull, LogicalType::Boolean(), {wall}),
           Expr::Literal(Value::Bigint(std::numeric_limits<int64_t>::min())), seconds},
          LogicalType::Bigint());
    }
    // Epoch seconds written as the session zone's wall time.
    case FunctionId::kFromUnixtime: {
      if (utc || arguments.empty()) break;
      ExprPtr millis = Expr::Call(FunctionId::kMultiply, LogicalType::Bigint(),
                                  {arguments[0], Expr::Literal(Value::Bigint(1000))});
      ExprPtr pattern = arguments.size() > 1 ? arguments[1]
                                             : Expr::Literal(Value::Varchar("yyyy-MM-dd HH:mm:ss"));
      return Expr::Call(FunctionId::kDateFormat, LogicalType::Varchar(),
                        {LtzToWallTime(Expr::Cast(millis, LogicalType::TimestampLtz())), pattern});
    }
    default: break;
  }
  return call(resolved.return_type);
}

ExprPtr Binder::BindPredicate(const ast::Expression& expression, const Scope& scope,
                              const char* clause) {
  ExprPtr bound = BindExpression(expression, scope);
  if (bound == nullptr) return nullptr;
  if (bound->type.id() == TypeId::kNull) return CastTo(bound, LogicalType::Boolean());
  if (bound->type.id() != TypeId::kBoolean) {
    Error(base::ErrorCode::kBind,
          fmt::format("{} needs a BOOLEAN condition, got {}", clause, bound->type.ToString()),
          expression.span);
    return nullptr;
  }
  return bound;
}

ExprPtr Binder::BindCase(const ast::CaseExpression& expression, const Scope& scope) {
  ExprPtr operand;
  if (expression.operand) {
    operand = BindExpression(*expression.operand, scope);
    if (operand == nullptr) return nullptr;
  }
  std::vector<ExprPtr> conditions, results;
  bool failed = false;
  for (const ast::WhenClause& when : expression.whens) {
    ExprPtr condition;
    if (operand) {
      ExprPtr value = BindExpression(*when.condition, scope);
      condition = value ? BindCall("=", {operand, value}, when.condition->span) : nullptr;
    } else {
      condition = BindPredicate(*when.condition, scope, "WHEN");
    }
    ExprPtr result = BindExpression(*when.result, scope);
    failed |= condition == nullptr || result == nullptr;
    conditions.push_back(condition);
    results.push_back(result);
  }
  ExprPtr else_result;
  if (expression.else_result) {
    else_result = BindExpression(*expression.else_result, scope);
    failed |= else_result == nullptr;
  }
  if (failed) return nullptr;
  LogicalType common = else_result ? else_result->type : LogicalType::Null();
  for (size_t i = 0; i < results.size(); ++i) {
    LogicalType next;
    bool row_value = results[i]->type.id() != TypeId::kRow || IsSlotRow(results[i]);
    if (!CommonValueType(common, results[i]->type, &next) || !row_value) {
      Error(base::ErrorCode::kBind,
            fmt::format("CASE branches have incompatible types {} and {}", common.ToString(),
                        results[i]->type.ToString()),
            expression.whens[i].result->span);
      return nullptr;
    }
    common = next;
  }
  if (common.id() == TypeId::kNull) common = LogicalType::Int();
  if (else_result && else_result->type.id() == TypeId::kRow && !IsSlotRow(else_result)) {
    Error(base::ErrorCode::kBind, "this ROW value cannot be a CASE result",
          expression.else_result->span);
    return nullptr;
  }
  // Rows are chosen as their bytes and read back as a row.
  const bool rows = common.id() == TypeId::kRow;
  auto branch = [&](const ExprPtr& result) {
    return rows ? EncodeRow(CastTo(result, common)) : CastTo(result, common);
  };
  const LogicalType chosen = rows ? LogicalType::Varchar() : common;
  std::vector<ExprPtr> arguments;
  for (size_t i = 0; i < results.size(); ++i) {
    arguments.push_back(conditions[i]);
    arguments.push_back(branch(results[i]));
  }
  arguments.push_back(else_result ? branch(else_result) : Expr::Literal(Value::Null(chosen)));
  if (rows) return DecodeRow(Expr::Case(std::move(arguments), chosen), common);
  return Expr::Case(std::move(arguments), common);
}

ExprPtr Binder::BindExtract(const ast::ExtractExpression& extract, const Scope& scope) {
  using Unit = ast::TimeUnit;
  const Unit unit = extract.unit;
  if (unit == Unit::kMicrosecond || unit == Unit::kNanosecond) {
    Error(base::ErrorCode::kPlan,
          fmt::format("EXTRACT({} FROM ...) is not supported: Sluice's timestamps have "
                      "millisecond precision; use MILLISECOND",
                      ast::TimeUnitName(unit)),
          extract.unit_span);
    return nullptr;
  }
  ExprPtr operand = BindExpression(*extract.operand, scope);
  if (operand == nullptr) return nullptr;
  if (operand->type.id() == TypeId::kDate || operand->type.id() == TypeId::kTime) {
    // A DATE's midnight; a TIME on 1970-01-01 (its hour, minute and second).
    operand = CastTo(std::move(operand), LogicalType::Timestamp());
  }
  if (operand->type.id() != TypeId::kTimestamp && operand->type.id() != TypeId::kNull) {
    Error(base::ErrorCode::kBind,
          fmt::format("EXTRACT({} FROM ...) needs a TIMESTAMP, DATE or TIME, got {}",
                      ast::TimeUnitName(unit), operand->type.ToString()),
          extract.operand->span);
    return nullptr;
  }
  if (operand->type.id() == TypeId::kNull) operand = CastTo(operand, LogicalType::Timestamp());
  // The calendar fields are their functions: HOUR(ts), DAYOFWEEK(ts), ...; the derived ones
  // are composed from them as Calcite's DateTimeUtils computes them (Flink's).
  const base::SourceSpan span = extract.span;
  auto field = [&](const char* function) { return BindCall(function, {operand}, span); };
  auto number = [](int64_t value) { return Expr::Literal(Value::Bigint(value)); };
  auto apply = [&](const char* op, ExprPtr left, ExprPtr right) {
    return left && right ? BindCall(op, {left, right}, span) : nullptr;
  };
  switch (unit) {
    case Unit::kYear: return field("YEAR");
    case Unit::kQuarter: return field("QUARTER");
    case Unit::kMonth: return field("MONTH");
    case Unit::kWeek: return field("WEEK");
    case Unit::kDay: return field("DAYOFMONTH");
    case Unit::kHour: return field("HOUR");
    case Unit::kMinute: return field("MINUTE");
    case Unit::kSecond: return field("SECOND");
    case Unit::kMillisecond: return field("MILLISECOND");
    case Unit::kDayOfWeek: return field("DAYOFWEEK");  // Sunday 1 … Saturday 7
    case Unit::kDayOfYear: return field("DAYOFYEAR");
    case Unit::kIsoDayOfWeek:  // Monday 1 … Sunday 7
      return apply("+", apply("MOD", apply("+", field("DAYOFWEEK"), number(5)), number(7)),
                   number(1));
    case Unit::kIsoYear: {
      // The year of the ISO week: a late-December day of week 1 belongs to the next year, an
      // early-January day of week 52 or 53 to the one before.
      ExprPtr year = field("YEAR");
      ExprPtr week = field("WEEK");
      ExprPtr month = field("MONTH");
      ExprPtr next = apply("AND", apply("=", week, number(1)), apply("=", month, number(12)));
      ExprPtr previous = apply("AND", apply(">", week, number(50)), apply("=", month, number(1)));
      if (!next || !previous || !year) return nullptr;
      return Expr::Case(
          {next, apply("+", year, number(1)), previous, apply("-", year, number(1)), year},
          LogicalType::Bigint());
    }
    case Unit::kDecade: return apply("/", field("YEAR"), number(10));
    case Unit::kCentury:
    case Unit::kMillennium: {
      const int64_t size = unit == Unit::kCentury ? 100 : 1000;
      ExprPtr year = field("YEAR");
      ExprPtr positive = apply(">", year, number(0));
      if (!positive) return nullptr;
      return Expr::Case({positive, apply("/", apply("+", year, number(size - 1)), number(size)),
                         apply("/", apply("-", year, number(size - 1)), number(size))},
                        LogicalType::Bigint());
    }
    case Unit::kEpoch:
      // Seconds since the epoch, truncated (Java's long division): of the wall time read as
      // UTC for a TIMESTAMP, of the instant for a TIMESTAMP_LTZ.
      return apply("/",
                   Expr::Cast(Relabeled(operand, LogicalType::Timestamp()), LogicalType::Bigint()),
                   number(1000));
    case Unit::kMicrosecond:
    case Unit::kNanosecond: break;
  }
  return nullptr;
}

ExprPtr Binder::BindLikeEscape(const ast::LikeExpression& like, ExprPtr value, ExprPtr pattern,
                               const Scope& scope) {
  ExprPtr escape = BindExpression(*like.escape, scope);
  if (escape == nullptr) return nullptr;
  auto literal_text = [](const ExprPtr& expression) -> const std::string* {
    if (expression->kind != ExprKind::kLiteral || expression->literal.is_null ||
        expression->type.id() != TypeId::kVarchar) {
      return nullptr;
    }
    return &expression->literal.text;
  };
  const std::string* pattern_text = literal_text(pattern);
  const std::string* escape_text = literal_text(escape);
  if (pattern_text == nullptr || escape_text == nullptr) {
    Error(base::ErrorCode::kPlan,
          "LIKE ... ESCAPE needs a string literal pattern and escape character",
          pattern_text == nullptr ? like.pattern->span : like.escape->span);
    return nullptr;
  }
  if (escape_text->size() != 1) {
    // Calcite's Like.sqlToRegexLike (Flink's): "Invalid escape character".
    Error(base::ErrorCode::kBind,
          fmt::format("invalid LIKE escape character '{}': it must be one character", *escape_text),
          like.escape->span);
    return nullptr;
  }
  // The same pattern as SIMILAR TO with the same escape: `%`, `_` and escaped characters keep
  // their meaning; SIMILAR TO's own operators are escaped to stay literal.
  const char escape_char = (*escape_text)[0];
  std::string similar;
  for (size_t i = 0; i < pattern_text->size(); ++i) {
    const char c = (*pattern_text)[i];
    if (c == escape_char) {
      const char next = i + 1 < pattern_text->size() ? (*pattern_text)[i + 1] : '\0';
      if (i + 1 >= pattern_text->size() || (next != '%' && next != '_' && next != escape_char)) {
        Error(base::ErrorCode::kBind,
              fmt::format("invalid LIKE pattern '{}': the escape character '{}' must precede "
                          "'%', '_' or itself (at character {})",
                          *pattern_text, escape_char, i + 1),
              like.pattern->span);
        return nullptr;
      }
      similar += escape_char;
      similar += next;
      ++i;
    } else if (std::string_view("|*+?{}()[]").find(c) != std::string_view::npos) {
      similar += escape_char;
      similar += c;
    } else {
      similar += c;
    }
  }
  return BindCall("$SIMILAR", {value, Expr::Literal(Value::Varchar(similar)), escape}, like.span);
}

ExprPtr Binder::BindCast(const ast::CastExpression& expression, const Scope& scope) {
  ExprPtr operand = BindExpression(*expression.operand, scope);
  auto target = BindDataType(expression.target);
  if (operand == nullptr || !target) return nullptr;
  // Flink (since 1.14) refuses casts between the timestamps and the numbers, whose unit (seconds
  // before 1.14, milliseconds in Java) is ambiguous; Sluice does the same, with Flink's advice.
  if (operand->type.id() == TypeId::kTimestamp && target->IsNumeric()) {
    Error(base::ErrorCode::kBind,
          fmt::format("the cast from {} to {} is not allowed (as in Flink): use "
                      "UNIX_TIMESTAMP(CAST(ts AS STRING)) for epoch seconds",
                      operand->type.ToString(), target->ToString()),
          expression.span);
    return nullptr;
  }
  if (operand->type.IsNumeric() && target->id() == TypeId::kTimestamp) {
    Error(base::ErrorCode::kBind,
          fmt::format("the cast from {} to {} is not allowed (as in Flink): use {}",
                      operand->type.ToString(), target->ToString(),
                      target->IsTimestampLtz()
                          ? "TO_TIMESTAMP_LTZ(n, 0) for epoch seconds, TO_TIMESTAMP_LTZ(n, 3) "
                            "for milliseconds"
                          : "TO_TIMESTAMP(FROM_UNIXTIME(n)) for epoch seconds"),
          expression.span);
    return nullptr;
  }
  if (operand->type.id() == TypeId::kRow && target->id() == TypeId::kVarchar &&
      IsSlotRow(operand)) {
    // Flink's text of a row: `(1, a)`.
    return Expr::Call(functions::FunctionId::kCollectionToString, *target,
                      {TypeDescriptorLiteral(operand->type), EncodeRow(operand)});
  }
  if (operand->type.id() == TypeId::kRow || target->id() == TypeId::kRow) {
    // Field by field (Flink): as many fields, each castable; the target's names.
    if (!RowCastable(operand->type, *target, RowCast::kExplicit) ||
        (operand->type.id() == TypeId::kRow && !IsSlotRow(operand))) {
      Error(base::ErrorCode::kBind,
            fmt::format("cannot cast {} to {}", operand->type.ToString(), target->ToString()),
            expression.span);
      return nullptr;
    }
    return CastTo(operand, *target);
  }
  if (operand->type.id() != TypeId::kNull && !types::IsExplicitlyCastable(operand->type, *target)) {
    Error(base::ErrorCode::kBind,
          fmt::format("cannot cast {} to {}", operand->type.ToString(), target->ToString()),
          expression.span);
    return nullptr;
  }
  if (operand->type == *target) return operand;
  if (operand->kind == ExprKind::kLiteral && operand->literal.is_null) {
    return Expr::Literal(Value::Null(*target));
  }
  return CastTo(operand, *target);
}

ExprPtr Binder::BindFunctionCall(const ast::FunctionCallExpression& call, const Scope& scope) {
  const ast::Identifier& name = call.name.Last();
  std::string upper = Upper(name.name);
  if (call.over || call.over_window_name) {
    Error(base::ErrorCode::kPlan,
          fmt::format("{}(...) OVER is only allowed in SELECT items and |> EXTEND", upper),
          name.span);
    return nullptr;
  }
  // Flink's aggregates that Sluice lacks are named as such (not as a column outside GROUP BY).
  static const char* const kUnsupportedAggregates[] = {
      "APPROX_COUNT_DISTINCT", "PERCENTILE", "CUME_DIST", "PERCENT_RANK", "NTILE", "SINGLE_VALUE"};
  for (const char* unsupported : kUnsupportedAggregates) {
    if (upper != unsupported || catalog_->FindFunction(name.name)) continue;
    Error(base::ErrorCode::kBind,
          fmt::format(
              "aggregate function {} is not supported (Sluice's aggregates: COUNT, SUM, "
              "MIN, MAX, AVG, STDDEV_POP, STDDEV_SAMP, VAR_POP, VAR_SAMP, COLLECT, "
              "LISTAGG, ARRAY_AGG, FIRST_VALUE, LAST_VALUE, BOOL_AND, BOOL_OR, JSON_ARRAYAGG, "
              "JSON_OBJECTAGG)",
              upper),
          name.span);
    return nullptr;
  }
  if (IsAggregateName(upper) || call.distinct || call.filter) {
    Error(base::ErrorCode::kBind,
          fmt::format("aggregate function {} is not allowed here (only in SELECT, HAVING and "
                      "|> AGGREGATE)",
                      upper),
          name.span);
    return nullptr;
  }
  // The session's catalog and database (a script has one catalog; USE picks the database).
  if ((upper == "CURRENT_DATABASE" || upper == "CURRENT_CATALOG") && call.arguments.empty() &&
      !catalog_->FindFunction(name.name)) {
    return Expr::Literal(
        Value::Varchar(upper == "CURRENT_DATABASE" ? current_database_ : "default_catalog"));
  }
  if ((upper == "ROLLUP" || upper == "CUBE") && !catalog_->FindFunction(name.name)) {
    Error(base::ErrorCode::kPlan,
          fmt::format("{}(...) is only supported as an item of a SELECT's GROUP BY or in its "
                      "GROUPING SETS (...), not nested in ROLLUP or CUBE or in |> AGGREGATE",
                      upper),
          call.span);
    return nullptr;
  }
  if (upper == "GROUPING" || upper == "GROUPING_ID" || upper == "GROUP_ID") {
    // An aggregation replaces the calls of its SELECT list and HAVING (bind_grouping_sets.cpp).
    Error(base::ErrorCode::kBind,
          fmt::format("{}(...) is only allowed in the SELECT list or HAVING of a query with GROUP "
                      "BY{}",
                      upper, upper == "GROUP_ID" ? "" : ", its arguments grouping columns"),
          name.span);
    return nullptr;
  }
  std::vector<ExprPtr> arguments;
  bool failed = false;
  // TIMESTAMPADD(unit, n, ts) and TIMESTAMPDIFF(unit, a, b) take a time unit keyword first; it
  // becomes a VARCHAR literal argument ('DAY').
  bool takes_unit =
      (upper == "TIMESTAMPADD" || upper == "TIMESTAMPDIFF") && !catalog_->FindFunction(name.name);
  if (takes_unit && !call.arguments.empty()) {
    std::optional<std::string> unit = TimeUnitArgument(*call.arguments[0]);
    if (!unit) {
      Error(base::ErrorCode::kBind,
            fmt::format("{} takes a time unit (SECOND, MINUTE, HOUR, DAY, WEEK, MONTH, QUARTER or "
                        "YEAR) as argument 1, got {}",
                        upper, call.arguments[0]->ToString()),
            call.arguments[0]->span);
      return nullptr;
    }
    arguments.push_back(Expr::Literal(Value::Varchar(*unit)));
  }
  for (const auto& argument : call.arguments) {
    if (takes_unit && &argument == &call.arguments[0]) continue;
    if (argument->Is<ast::StarExpression>() || argument->Is<ast::DescriptorExpression>() ||
        argument->Is<ast::TableArgumentExpression>() ||
        argument->Is<ast::NamedArgumentExpression>()) {
      Error(base::ErrorCode::kBind,
            fmt::format("{} does not take a {} argument", upper, argument->ToString()),
            argument->span);
      return nullptr;
    }
    ExprPtr bound = BindExpression(*argument, scope);
    failed |= bound == nullptr;
    arguments.push_back(bound);
  }
  if (failed) return nullptr;
  // CREATE FUNCTION cannot shadow a built-in, so looking user functions up first changes
  // nothing for built-ins.
  if (auto function = catalog_->FindFunction(name.name)) {
    if (function->table_function() && !lateral_table_call_) {
      Error(base::ErrorCode::kBind,
            fmt::format("{} is a table function: call it in FROM, as in FROM t, LATERAL "
                        "TABLE({}(...)) AS u (x)",
                        function->name, function->name),
            call.span);
      return nullptr;
    }
    return BindUserFunctionCall(this, std::move(function), std::move(arguments), call);
  }
  // TYPEOF(x): the type of x as text, a constant (Flink's TYPEOF; all Sluice types are nullable,
  // so there is no NOT NULL suffix).
  if (upper == "TYPEOF" && !catalog_->FindFunction(name.name)) {
    if (arguments.size() != 1) {
      Error(base::ErrorCode::kBind,
            fmt::format("TYPEOF takes 1 argument, got {}", arguments.size()), call.span);
      return nullptr;
    }
    return Expr::Literal(Value::Varchar(arguments[0]->type.ToString()));
  }
  if ((upper == "IF" && arguments.size() != 3) || (upper == "IFNULL" && arguments.size() != 2)) {
    Error(base::ErrorCode::kBind,
          fmt::format("{} takes {} arguments, got {}", upper, upper == "IF" ? 3 : 2,
                      arguments.size()),
          call.span);
    return nullptr;
  }
  if (upper == "IF") {
    // IF(c, a, b) = CASE WHEN c THEN a ELSE b END: only the chosen branch is evaluated.
    ExprPtr condition = arguments[0];
    if (condition->type.id() == TypeId::kNull)
      condition = CastTo(condition, LogicalType::Boolean());
    if (condition->type.id() != TypeId::kBoolean) {
      Error(base::ErrorCode::kBind,
            fmt::format("IF needs a BOOLEAN condition as argument 1, got {}",
                        condition->type.ToString()),
            call.arguments[0]->span);
      return nullptr;
    }
    LogicalType common;
    if (!types::CommonSupertype(arguments[1]->type, arguments[2]->type, &common) ||
        common.id() == TypeId::kRow) {
      Error(base::ErrorCode::kBind,
            fmt::format("IF branches have incompatible types {} and {}",
                        arguments[1]->type.ToString(), arguments[2]->type.ToString()),
            call.span);
      return nullptr;
    }
    if (common.id() == TypeId::kNull) common = LogicalType::Int();
    return Expr::Case({condition, CastTo(arguments[1], common), CastTo(arguments[2], common)},
                      common);
  }
  if (upper == "IFNULL") {
    // IFNULL(a, b) = COALESCE(a, b), the result of their common type.
    LogicalType common;
    if (!CommonValueType(arguments[0]->type, arguments[1]->type, &common)) {
      Error(base::ErrorCode::kBind,
            fmt::format("IFNULL cannot be applied to ({}, {})", arguments[0]->type.ToString(),
                        arguments[1]->type.ToString()),
            call.span);
      return nullptr;
    }
    return BindCall("COALESCE", std::move(arguments), call.span);
  }
  if (upper == "CURRENT_WATERMARK") {
    // Flink: the argument must be a rowtime attribute; the value is the watermark, not the
    // argument's (runtime/expr/current_watermark.h).
    const ScopeColumn* column = nullptr;
    if (arguments.size() == 1 && arguments[0]->kind == ExprKind::kColumn) {
      for (const ScopeColumn& candidate : scope.columns) {
        if (candidate.slot == arguments[0]->column_index) column = &candidate;
      }
    }
    if (column == nullptr || !column->time_attribute) {
      Error(
          base::ErrorCode::kBind,
          fmt::format("CURRENT_WATERMARK takes one event-time attribute (a column with a "
                      "WATERMARK FOR on its table, passed through unchanged), got {}",
                      call.arguments.empty() ? std::string("none") : call.arguments[0]->ToString()),
          call.arguments.empty() ? call.span : call.arguments[0]->span);
      return nullptr;
    }
  }
  if (upper == "CONCAT" && arguments.size() >= 2) {
    // CONCAT(a, b, c) = (a || b) || c.
    ExprPtr folded = arguments[0];
    for (size_t i = 1; i < arguments.size() && folded; ++i) {
      folded = BindCall("||", {folded, arguments[i]}, call.span);
    }
    return folded;
  }
  if (upper == "JSON_QUERY" &&
      (call.returning || call.json_wrapper || !call.json_behaviors.empty())) {
    return BindJsonQueryClauses(call, std::move(arguments));
  }
  if (call.json_wrapper) {
    Error(base::ErrorCode::kBind,
          fmt::format("{} takes no WRAPPER clause (JSON_QUERY does)", upper), call.span);
    return nullptr;
  }
  if (upper == "JSON_EXISTS" && !call.returning && !call.json_behaviors.empty()) {
    return BindJsonExistsOnError(call, std::move(arguments));
  }
  if ((call.returning || !call.json_behaviors.empty()) && upper != "JSON_VALUE") {
    Error(base::ErrorCode::kBind,
          fmt::format("{} takes no RETURNING or ON EMPTY / ON ERROR clause (JSON_VALUE and "
                      "JSON_QUERY do)",
                      upper),
          call.span);
    return nullptr;
  }
  if (IsComposedStringCall(upper, arguments.size())) {
    return BindComposedStringCall(call, std::move(arguments), upper);
  }
  if (IsJsonFunctionName(upper)) return BindJsonFunction(call, std::move(arguments), upper);
  if (upper == "ROW" && call.name.parts.size() == 1) {
    return BindRowConstructor(call, std::move(arguments));
  }
  if (IsCollectionFunctionName(upper)) {
    return BindCollectionFunction(call, std::move(arguments), upper);
  }
  if (upper == "OVERLAY") return BindOverlay(call, std::move(arguments));
  if (!functions::IsScalarFunction(upper)) {
    std::string suggestion = base::ClosestName(upper, functions::ScalarFunctionNames());
    Error(base::ErrorCode::kBind,
          fmt::format("unknown function '{}'{}", name.name,
                      suggestion.empty() ? "" : " (did you mean '" + suggestion + "'?)"),
          name.span);
    return nullptr;
  }
  ExprPtr bound = KeepDateOfTimestampAdd(BindCall(upper, std::move(arguments), call.span));
  bool rounds_decimal = bound != nullptr &&
                        (bound->function == functions::FunctionId::kRound ||
                         bound->function == functions::FunctionId::kTruncate) &&
                        bound->arguments.size() == 2 && bound->type.id() == TypeId::kDecimal;
  if (rounds_decimal &&
      !(bound->arguments[1]->kind == ExprKind::kLiteral && bound->arguments[1]->literal.is_null)) {
    // The result's scale is the number of digits (Flink): it must be known here.
    std::optional<int64_t> digits = IntegerConstant(*bound->arguments[1]);
    if (!digits) {
      Error(base::ErrorCode::kBind,
            fmt::format("{} of a DECIMAL needs a constant number of digits", upper),
            call.arguments[1]->span);
      return nullptr;
    }
    LogicalType type =
        functions::RoundedDecimal(bound->arguments[0]->type, static_cast<int32_t>(*digits));
    bound = Expr::Call(bound->function, type, bound->arguments);
  }
  if (bound != nullptr && bound->function == functions::FunctionId::kToTimestampLtz &&
      bound->arguments.size() == 2) {
    std::optional<int64_t> precision = IntegerConstant(*bound->arguments[1]);
    if (!precision || (*precision != 0 && *precision != 3)) {
      Error(base::ErrorCode::kBind,
            "the precision of TO_TIMESTAMP_LTZ(numeric, precision) must be 0 (epoch seconds) or "
            "3 (epoch milliseconds)",
            call.arguments[1]->span);
      return nullptr;
    }
  }
  if (bound != nullptr && bound->function == functions::FunctionId::kSimilar &&
      bound->arguments[1]->kind == ExprKind::kLiteral && !bound->arguments[1]->literal.is_null) {
    // A literal pattern (and escape) that is not valid is an error here, not NULL per row.
    std::string escape;
    bool known = bound->arguments.size() < 3;
    if (!known && bound->arguments[2]->kind == ExprKind::kLiteral &&
        !bound->arguments[2]->literal.is_null) {
      escape = bound->arguments[2]->literal.text;
      known = escape.size() == 1;
    }
    const std::string& pattern = bound->arguments[1]->literal.text;
    std::optional<std::string> regex = runtime::expr::detail::SimilarToRegex(pattern, escape);
    std::string problem = !regex ? "an unclosed bracket or an escape at its end"
                                 : runtime::expr::detail::CheckRegex(*regex);
    if (known && !problem.empty()) {
      Error(base::ErrorCode::kBind,
            fmt::format("invalid SIMILAR TO pattern '{}': {}", pattern, problem),
            call.arguments[1]->span);
      return nullptr;
    }
  }
  // A literal DATE_FORMAT pattern or regular expression that can only give NULL is an error.
  for (size_t i = 0; bound != nullptr && i < bound->arguments.size(); ++i) {
    const ExprPtr& argument = bound->arguments[i];
    if (argument->kind != ExprKind::kLiteral || argument->literal.is_null ||
        argument->type.id() != TypeId::kVarchar) {
      continue;
    }
    std::string error =
        runtime::expr::CheckLiteralArgument(bound->function, i, argument->literal.text);
    if (!error.empty()) {
      Error(base::ErrorCode::kBind, error, call.arguments[i]->span);
      return nullptr;
    }
  }
  if (bound != nullptr && upper == "JSON_VALUE") return BindJsonValueClauses(call, bound, scope);
  return bound;
}

ExprPtr Binder::BindExpression(const ast::Expression& expression, const Scope& scope) {
  if (!replacements_.empty()) {
    auto replaced = replacements_.find(&expression);
    if (replaced != replacements_.end()) return replaced->second;
  }
  switch (expression.kind()) {
    case ast::ExpressionKind::kLiteral:
      return BindLiteral(expression.Cast<ast::LiteralExpression>());
    case ast::ExpressionKind::kColumnRef:
      return BindColumnRef(expression.Cast<ast::ColumnRefExpression>(), scope);
    case ast::ExpressionKind::kUnary: {
      const auto& unary = expression.Cast<ast::UnaryExpression>();
      ExprPtr operand = BindExpression(*unary.operand, scope);
      if (operand == nullptr) return nullptr;
      switch (unary.op) {
        case ast::UnaryOperator::kPlus:
          if (!operand->type.IsNumeric() && operand->type.id() != TypeId::kInterval) {
            Error(base::ErrorCode::kBind, "unary + needs a number, got " + operand->type.ToString(),
                  expression.span);
            return nullptr;
          }
          return operand;
        case ast::UnaryOperator::kNegate: return BindCall("NEGATE", {operand}, expression.span);
        case ast::UnaryOperator::kNot: return BindCall("NOT", {operand}, expression.span);
      }
      return nullptr;
    }
    case ast::ExpressionKind::kBinary: {
      const auto& binary = expression.Cast<ast::BinaryExpression>();
      if ((binary.op == ast::BinaryOperator::kAdd || binary.op == ast::BinaryOperator::kSubtract) &&
          (YearMonthLiteral(*binary.right) || YearMonthLiteral(*binary.left))) {
        return BindYearMonthArithmetic(binary, scope);
      }
      ExprPtr left = BindExpression(*binary.left, scope);
      ExprPtr right = BindExpression(*binary.right, scope);
      if (left == nullptr || right == nullptr) return nullptr;
      if (binary.op == ast::BinaryOperator::kIsDistinctFrom ||
          binary.op == ast::BinaryOperator::kIsNotDistinctFrom) {
        // a IS NOT DISTINCT FROM b = CASE WHEN a IS NULL THEN b IS NULL
        //                                 WHEN b IS NULL THEN FALSE ELSE a = b END
        ExprPtr equal = BindCall("=", {left, right}, binary.operator_span);
        if (equal == nullptr) return nullptr;
        ExprPtr left_null = BindCall("IS NULL", {left}, binary.span);
        ExprPtr right_null = BindCall("IS NULL", {right}, binary.span);
        ExprPtr same = Expr::Case(
            {left_null, right_null, right_null, Expr::Literal(Value::Boolean(false)), equal},
            LogicalType::Boolean());
        if (binary.op == ast::BinaryOperator::kIsNotDistinctFrom) return same;
        return BindCall("NOT", {same}, binary.span);
      }
      const char* name = BinaryFunctionName(binary.op);
      return BindCall(name, {left, right},
                      binary.operator_span.IsKnown() ? binary.operator_span : binary.span);
    }
    case ast::ExpressionKind::kBetween: {
      const auto& between = expression.Cast<ast::BetweenExpression>();
      ExprPtr value = BindExpression(*between.value, scope);
      ExprPtr lower = BindExpression(*between.lower, scope);
      ExprPtr upper = BindExpression(*between.upper, scope);
      if (!value || !lower || !upper) return nullptr;
      ExprPtr low = BindCall(">=", {value, lower}, between.span);
      ExprPtr high = BindCall("<=", {value, upper}, between.span);
      ExprPtr both = low && high ? BindCall("AND", {low, high}, between.span) : nullptr;
      if (both && between.symmetric) {
        // Calcite's: (value BETWEEN lower AND upper) OR (value BETWEEN upper AND lower).
        ExprPtr swapped_low = BindCall(">=", {value, upper}, between.span);
        ExprPtr swapped_high = BindCall("<=", {value, lower}, between.span);
        ExprPtr swapped = swapped_low && swapped_high
                              ? BindCall("AND", {swapped_low, swapped_high}, between.span)
                              : nullptr;
        both = swapped ? BindCall("OR", {both, swapped}, between.span) : nullptr;
      }
      if (both && between.negated) return BindCall("NOT", {both}, between.span);
      return both;
    }
    case ast::ExpressionKind::kInList: {
      const auto& in = expression.Cast<ast::InListExpression>();
      ExprPtr value = BindExpression(*in.value, scope);
      if (value == nullptr) return nullptr;
      ExprPtr any;
      for (const auto& item : in.list) {
        ExprPtr bound = BindExpression(*item, scope);
        ExprPtr equal = bound ? BindCall("=", {value, bound}, item->span) : nullptr;
        if (equal == nullptr) return nullptr;
        any = any ? BindCall("OR", {any, equal}, in.span) : equal;
      }
      if (any && in.negated) return BindCall("NOT", {any}, in.span);
      return any;
    }
    case ast::ExpressionKind::kLike: {
      const auto& like = expression.Cast<ast::LikeExpression>();
      ExprPtr value = BindExpression(*like.value, scope);
      ExprPtr pattern = BindExpression(*like.pattern, scope);
      ExprPtr matched;
      if (like.escape && value && pattern) {
        matched = BindLikeEscape(like, value, pattern, scope);
      } else if (value && pattern) {
        matched = BindCall("LIKE", {value, pattern}, like.span);
      }
      if (matched && like.negated) return BindCall("NOT", {matched}, like.span);
      return matched;
    }
    case ast::ExpressionKind::kIs: {
      const auto& is = expression.Cast<ast::IsExpression>();
      ExprPtr value = BindExpression(*is.value, scope);
      if (value == nullptr) return nullptr;
      const char* name = "IS NULL";
      switch (is.test) {
        case ast::IsTest::kNull: name = is.negated ? "IS NOT NULL" : "IS NULL"; break;
        case ast::IsTest::kUnknown:
          if (value->type.id() != TypeId::kBoolean && value->type.id() != TypeId::kNull) {
            Error(base::ErrorCode::kBind,
                  "IS UNKNOWN needs a BOOLEAN, got " + value->type.ToString(), is.span);
            return nullptr;
          }
          name = is.negated ? "IS NOT NULL" : "IS NULL";
          break;
        case ast::IsTest::kTrue: name = "IS TRUE"; break;
        case ast::IsTest::kFalse: name = "IS FALSE"; break;
      }
      ExprPtr tested = BindCall(name, {value}, is.span);
      if (tested && is.negated &&
          (is.test == ast::IsTest::kTrue || is.test == ast::IsTest::kFalse)) {
        return BindCall("NOT", {tested}, is.span);
      }
      return tested;
    }
    case ast::ExpressionKind::kCase: return BindCase(expression.Cast<ast::CaseExpression>(), scope);
    case ast::ExpressionKind::kCast: return BindCast(expression.Cast<ast::CastExpression>(), scope);
    case ast::ExpressionKind::kFunctionCall:
      return BindFunctionCall(expression.Cast<ast::FunctionCallExpression>(), scope);
    case ast::ExpressionKind::kStar:
      Error(base::ErrorCode::kBind, "'*' is only allowed in a select list or COUNT(*)",
            expression.span);
      return nullptr;
    case ast::ExpressionKind::kExtract:
      return BindExtract(expression.Cast<ast::ExtractExpression>(), scope);
    case ast::ExpressionKind::kInSubquery:
    case ast::ExpressionKind::kExists:
      // BindWhere turns these into semi / anti joins; anywhere else they are not supported.
      Error(base::ErrorCode::kPlan,
            fmt::format("'{}' is not supported here yet: [NOT] IN (SELECT ...) and [NOT] EXISTS "
                        "are supported as conditions of a WHERE, alone or ANDed with others",
                        expression.ToString()),
            expression.span);
      return nullptr;
    case ast::ExpressionKind::kSubscript:
      return BindSubscript(expression.Cast<ast::SubscriptExpression>(), scope);
    case ast::ExpressionKind::kFieldAccess:
      return BindFieldAccess(expression.Cast<ast::FieldAccessExpression>(), scope);
    case ast::ExpressionKind::kSubquery:
      // BindScalarSubqueries joins those of a SELECT list and a WHERE (replacements_).
      Error(base::ErrorCode::kPlan,
            fmt::format("scalar subquery '{}' is not supported here: only in the SELECT list, "
                        "the WHERE and the HAVING of a query (not in a GROUP BY key, an "
                        "aggregate's argument or an outer join's ON)",
                        expression.ToString()),
            expression.span);
      return nullptr;
    case ast::ExpressionKind::kDescriptor:
    case ast::ExpressionKind::kTableArgument:
    case ast::ExpressionKind::kNamedArgument:
      Error(base::ErrorCode::kBind,
            fmt::format("'{}' is only allowed as a table function argument", expression.ToString()),
            expression.span);
      return nullptr;
    case ast::ExpressionKind::kGroupingSets:
      Error(base::ErrorCode::kBind,
            fmt::format("'{}' is only allowed in GROUP BY", expression.ToString()),
            expression.span);
      return nullptr;
  }
  return nullptr;
}

}  // namespace sluice::compiler::binder
