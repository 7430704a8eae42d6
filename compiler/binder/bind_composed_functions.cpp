// Functions the binder composes from others: OVERLAY, and the JSON constructors and the
// JSON_VALUE clauses over the scalar helpers of runtime/expr/json_functions.cpp (JSON_OBJECT,
// JSON_ARRAY, JSON_STRING, `x IS [NOT] JSON [kind]`, JSON_VALUE(... RETURNING type [NULL ON
// EMPTY] [NULL ON ERROR])).
//
// A value becomes JSON text by its type (JsonText); JSON_OBJECT and JSON_ARRAY then append
// each entry to the text built so far with $JSON_OBJECT_PUT / $JSON_ARRAY_APPEND, which leave
// it unchanged for the empty text: an ABSENT ON NULL value that is NULL. A value that is itself
// a JSON_OBJECT or JSON_ARRAY call is inserted as JSON, not as a string (Flink's rule).

#include <fmt/format.h>

#include "compiler/binder/binder.h"
#include "runtime/expr/collection_value.h"

namespace sluice::compiler::binder {

using runtime::plan::Expr;
using runtime::plan::ExprKind;
using runtime::plan::ExprPtr;
using runtime::plan::Value;
using types::LogicalType;
using types::TypeId;

namespace {

bool IsJsonConstructor(const ast::Expression& expression) {
  if (!expression.Is<ast::FunctionCallExpression>()) return false;
  const auto& call = expression.Cast<ast::FunctionCallExpression>();
  const std::string& name = call.name.Last().name;
  return name == "JSON_OBJECT" || name == "JSON_ARRAY";
}

ExprPtr Text(std::string text) {
  return Expr::Literal(Value::Varchar(std::move(text)));
}

}  // namespace

bool IsJsonFunctionName(const std::string& upper) {
  return upper == "JSON_OBJECT" || upper == "JSON_ARRAY" || upper == "JSON_STRING" ||
         upper == "$IS_JSON";
}

ExprPtr Binder::JsonText(ExprPtr value, const ast::Expression& written) {
  if (IsJsonConstructor(written)) return value;  // JSON already
  const base::SourceSpan span = written.span;
  switch (value->type.id()) {
    case TypeId::kNull: return Expr::Literal(Value::Null(LogicalType::Varchar()));
    case TypeId::kVarchar: return BindCall("JSON_QUOTE", {std::move(value)}, span);
    case TypeId::kBoolean: {
      ExprPtr negated = BindCall("NOT", {value}, span);
      return Expr::Case({value, Text("true"), negated, Text("false"),
                         Expr::Literal(Value::Null(LogicalType::Varchar()))},
                        LogicalType::Varchar());
    }
    case TypeId::kInt:
    case TypeId::kBigint:
    case TypeId::kDecimal: return CastTo(std::move(value), LogicalType::Varchar());
    case TypeId::kDouble: {
      // Jackson quotes the non-numbers ("NaN", "Infinity"), which are not JSON numbers.
      ExprPtr text = CastTo(std::move(value), LogicalType::Varchar());
      auto is = [&](const char* spelled) { return BindCall("=", {text, Text(spelled)}, span); };
      return Expr::Case({is("NaN"), Text("\"NaN\""), is("Infinity"), Text("\"Infinity\""),
                         is("-Infinity"), Text("\"-Infinity\""), text},
                        LogicalType::Varchar());
    }
    case TypeId::kTimestamp:
    case TypeId::kDate:
    case TypeId::kTime:
    case TypeId::kInterval:
      return BindCall("JSON_QUOTE", {CastTo(std::move(value), LogicalType::Varchar())}, span);
    case TypeId::kArray:
    case TypeId::kMap:
    case TypeId::kMultiset:
      return Expr::Call(functions::FunctionId::kCollectionToJson, LogicalType::Varchar(),
                        {Text(runtime::expr::TypeDescriptor(value->type)), std::move(value)});
    case TypeId::kRow:
    case TypeId::kBinary: break;
  }
  Error(base::ErrorCode::kBind,
        fmt::format("a {} value cannot be written as JSON yet", value->type.ToString()), span);
  return nullptr;
}

ExprPtr Binder::BindJsonFunction(const ast::FunctionCallExpression& call,
                                 std::vector<ExprPtr> arguments, const std::string& upper) {
  const base::SourceSpan span = call.span;
  if (upper == "$IS_JSON") {
    // Calcite's IS JSON is never NULL: a NULL text is not JSON.
    if (arguments[0]->type.id() != TypeId::kVarchar && arguments[0]->type.id() != TypeId::kNull) {
      Error(base::ErrorCode::kBind,
            fmt::format("IS JSON needs a VARCHAR, got {}", arguments[0]->type.ToString()),
            call.arguments[0]->span);
      return nullptr;
    }
    ExprPtr test = BindCall("$IS_JSON", std::move(arguments), span);
    if (test == nullptr) return nullptr;
    return BindCall("COALESCE", {test, Expr::Literal(Value::Boolean(false))}, span);
  }
  if (upper == "JSON_STRING") {
    if (arguments.size() != 1) {
      Error(base::ErrorCode::kBind,
            fmt::format("JSON_STRING takes 1 argument, got {}", arguments.size()), span);
      return nullptr;
    }
    return JsonText(std::move(arguments[0]), *call.arguments[0]);
  }
  // JSON_OBJECT: NULL ON NULL by default; JSON_ARRAY: ABSENT ON NULL.
  const bool object = upper == "JSON_OBJECT";
  const bool absent = call.json_on_null == ast::JsonOnNull::kAbsent ||
                      (!object && call.json_on_null == ast::JsonOnNull::kDefault);
  ExprPtr built = Text(object ? "{}" : "[]");
  for (size_t i = object ? 1 : 0; i < arguments.size(); i += object ? 2 : 1) {
    ExprPtr value = JsonText(arguments[i], *call.arguments[i]);
    if (value == nullptr) return nullptr;
    value = BindCall("COALESCE", {value, Text(absent ? "" : "null")}, span);
    if (!object) {
      built = BindCall("$JSON_ARRAY_APPEND", {built, value}, span);
      continue;
    }
    const ExprPtr& key = arguments[i - 1];
    if (key->kind != ExprKind::kLiteral || key->literal.is_null ||
        key->type.id() != TypeId::kVarchar) {
      Error(base::ErrorCode::kBind,
            "a JSON_OBJECT key must be a string literal (KEY 'name' VALUE value)",
            call.arguments[i - 1]->span);
      return nullptr;
    }
    built = BindCall("$JSON_OBJECT_PUT", {built, key, value}, span);
  }
  return built;
}

ExprPtr Binder::BindOverlay(const ast::FunctionCallExpression& call,
                            std::vector<ExprPtr> arguments) {
  // Calcite's overlay(s, r, start, length) = s.substring(0, start - 1) + r
  // + s.substring(start - 1 + length), length defaulting to r's: in code points, with
  // SUBSTRING's clipping (a start before 1 gives NULL where Java throws).
  if (arguments.size() != 3 && arguments.size() != 4) {
    Error(base::ErrorCode::kBind,
          fmt::format("OVERLAY takes (s PLACING r FROM start [FOR length]), got {} arguments",
                      arguments.size()),
          call.span);
    return nullptr;
  }
  for (size_t i = 2; i < arguments.size(); ++i) {
    if (!arguments[i]->type.IsInteger() && arguments[i]->type.id() != TypeId::kNull) {
      Error(base::ErrorCode::kBind,
            fmt::format("OVERLAY's {} must be an integer, got {}", i == 2 ? "FROM" : "FOR",
                        arguments[i]->type.ToString()),
            call.arguments[i]->span);
      return nullptr;
    }
  }
  const base::SourceSpan span = call.span;
  ExprPtr target = arguments[0];
  ExprPtr replacement = arguments[1];
  ExprPtr start = CastTo(arguments[2], LogicalType::Bigint());
  ExprPtr length = arguments.size() == 4 ? CastTo(arguments[3], LogicalType::Bigint())
                                         : CastTo(BindCall("CHAR_LENGTH", {replacement}, span),
                                                  LogicalType::Bigint());
  if (length == nullptr) return nullptr;
  ExprPtr one = Expr::Literal(Value::Bigint(1));
  ExprPtr head = BindCall("SUBSTRING", {target, one, BindCall("-", {start, one}, span)}, span);
  ExprPtr tail = BindCall("SUBSTRING", {target, BindCall("+", {start, length}, span)}, span);
  if (head == nullptr || tail == nullptr) return nullptr;
  return BindCall("||", {BindCall("||", {head, replacement}, span), tail}, span);
}

ExprPtr Binder::BindJsonValueClauses(const ast::FunctionCallExpression& call, ExprPtr value) {
  for (const ast::JsonBehavior& behavior : call.json_behaviors) {
    if (behavior.kind != ast::JsonBehavior::Kind::kNull) {
      Error(base::ErrorCode::kPlan,
            fmt::format("JSON_VALUE's {} ON {} is not supported yet (NULL ON EMPTY and NULL ON "
                        "ERROR are: wrap the call in COALESCE for a default)",
                        behavior.kind == ast::JsonBehavior::Kind::kError ? "ERROR" : "DEFAULT",
                        behavior.on_empty ? "EMPTY" : "ERROR"),
            behavior.span);
      return nullptr;
    }
  }
  if (!call.returning) return value;
  std::optional<LogicalType> type = BindDataType(*call.returning);
  if (!type) return nullptr;
  switch (type->id()) {
    case TypeId::kVarchar:
    case TypeId::kBoolean:
    case TypeId::kInt:
    case TypeId::kBigint:
    case TypeId::kDouble:
    case TypeId::kDecimal:
    case TypeId::kDate:
    case TypeId::kTime:
    case TypeId::kTimestamp:
      // A text that does not convert is an error, which is NULL ON ERROR: the cast's NULL.
      return CastTo(std::move(value), *type);
    default: break;
  }
  Error(base::ErrorCode::kBind, fmt::format("JSON_VALUE cannot return {}", type->ToString()),
        call.returning->span);
  return nullptr;
}

}  // namespace sluice::compiler::binder
