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

using functions::FunctionId;
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
  // Flink's SqlFunctionUtils.overlay(s, r, start, length), length defaulting to r's, in code
  // points: s itself for a start before 1 or past its end; else s.substring(0, start - 1) + r,
  // then s.substring(start - 1 + length) when start + length <= its length and length > 0.
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
  ExprPtr zero = Expr::Literal(Value::Bigint(0));
  ExprPtr one = Expr::Literal(Value::Bigint(1));
  ExprPtr chars = CastTo(BindCall("CHAR_LENGTH", {target}, span), LogicalType::Bigint());
  ExprPtr head = BindCall("SUBSTRING", {target, one, BindCall("-", {start, one}, span)}, span);
  ExprPtr rest = BindCall("SUBSTRING", {target, BindCall("+", {start, length}, span)}, span);
  ExprPtr outside = BindCall(
      "OR", {BindCall("<=", {start, zero}, span), BindCall(">", {start, chars}, span)}, span);
  ExprPtr has_rest = BindCall("AND",
                              {BindCall("<=", {BindCall("+", {start, length}, span), chars}, span),
                               BindCall(">", {length, zero}, span)},
                              span);
  if (head == nullptr || rest == nullptr || outside == nullptr || has_rest == nullptr) {
    return nullptr;
  }
  ExprPtr tail =
      Expr::Case({has_rest, rest, Expr::Literal(Value::Varchar(""))}, LogicalType::Varchar());
  ExprPtr replaced = BindCall("||", {BindCall("||", {head, replacement}, span), tail}, span);
  auto is_null = [](ExprPtr value) {
    return Expr::Call(functions::FunctionId::kIsNull, LogicalType::Boolean(), {std::move(value)});
  };
  // NULL in, NULL out (the CASE would take a NULL condition as false).
  ExprPtr any_null = BindCall("OR",
                              {BindCall("OR", {is_null(target), is_null(replacement)}, span),
                               BindCall("OR", {is_null(start), is_null(length)}, span)},
                              span);
  return Expr::Case({any_null, Expr::Literal(Value::Null(LogicalType::Varchar())), outside,
                     CastTo(target, LogicalType::Varchar()), replaced},
                    LogicalType::Varchar());
}

ExprPtr Binder::BindJsonValueClauses(const ast::FunctionCallExpression& call, ExprPtr value,
                                     const Scope& scope) {
  LogicalType type = LogicalType::Varchar();
  if (call.returning) {
    std::optional<LogicalType> returning = BindDataType(*call.returning);
    if (!returning) return nullptr;
    switch (returning->id()) {
      case TypeId::kVarchar:
      case TypeId::kBoolean:
      case TypeId::kInt:
      case TypeId::kBigint:
      case TypeId::kDouble:
      case TypeId::kDecimal:
      case TypeId::kDate:
      case TypeId::kTime:
      case TypeId::kTimestamp: type = *returning; break;
      default:
        Error(base::ErrorCode::kBind,
              fmt::format("JSON_VALUE cannot return {}", returning->ToString()),
              call.returning->span);
        return nullptr;
    }
  }
  // The scalar's text converted to the RETURNING type; a text that does not convert is an
  // error (the cast's NULL under the default NULL ON ERROR).
  ExprPtr converted = CastTo(value, type);
  const ast::JsonBehavior* on_empty = nullptr;
  const ast::JsonBehavior* on_error = nullptr;
  for (const ast::JsonBehavior& behavior : call.json_behaviors) {
    if (behavior.kind != ast::JsonBehavior::Kind::kNull &&
        behavior.kind != ast::JsonBehavior::Kind::kError &&
        behavior.kind != ast::JsonBehavior::Kind::kDefault) {
      Error(base::ErrorCode::kBind,
            "JSON_VALUE takes NULL, ERROR or DEFAULT ... ON EMPTY / ON ERROR (EMPTY ARRAY and "
            "EMPTY OBJECT are JSON_QUERY's, TRUE, FALSE and UNKNOWN JSON_EXISTS')",
            behavior.span);
      return nullptr;
    }
    const ast::JsonBehavior*& slot = behavior.on_empty ? on_empty : on_error;
    if (slot != nullptr) {
      Error(base::ErrorCode::kBind,
            fmt::format("JSON_VALUE has two ON {} clauses", behavior.on_empty ? "EMPTY" : "ERROR"),
            behavior.span);
      return nullptr;
    }
    slot = &behavior;
  }
  auto is_null = [](const ast::JsonBehavior* behavior) {
    return behavior == nullptr || behavior->kind == ast::JsonBehavior::Kind::kNull;
  };
  if (is_null(on_empty) && is_null(on_error)) return converted;

  // Calcite's JsonFunctions.jsonValue (Flink's): the outcome picks the value, the ON EMPTY
  // result or the ON ERROR result; NULL arguments give NULL whatever the clauses say.
  std::string path_text = "the path";
  if (value->arguments.size() > 1 && value->arguments[1]->kind == ExprKind::kLiteral &&
      !value->arguments[1]->literal.is_null) {
    path_text = fmt::format("path '{}'", value->arguments[1]->literal.text);
  }
  auto result_of = [&](const ast::JsonBehavior* behavior, const char* what) -> ExprPtr {
    if (is_null(behavior)) return Expr::Literal(Value::Null(type));
    if (behavior->kind == ast::JsonBehavior::Kind::kError) {
      std::string message =
          fmt::format("JSON_VALUE: {} at {} (ERROR ON {})",
                      behavior->on_empty ? "no scalar value" : "an error", path_text, what);
      return CastTo(Expr::Call(FunctionId::kRaiseError, LogicalType::Varchar(),
                               {Expr::Literal(Value::Varchar(message))}),
                    type);
    }
    ExprPtr fallback = BindExpression(*behavior->default_value, scope);
    if (fallback == nullptr) return nullptr;
    if (fallback->type.id() != TypeId::kNull &&
        !types::IsExplicitlyCastable(fallback->type, type)) {
      Error(base::ErrorCode::kBind,
            fmt::format("JSON_VALUE's DEFAULT ON {} is {}, which does not convert to {}", what,
                        fallback->type.ToString(), type.ToString()),
            behavior->default_value->span);
      return nullptr;
    }
    if (fallback->type.id() == TypeId::kBoolean && type.id() == TypeId::kVarchar) {
      // Flink returns the default object's Java text: `false`, not CAST's `FALSE`.
      return Expr::Case({fallback, Expr::Literal(Value::Varchar("true")),
                         Expr::Call(FunctionId::kIsFalse, LogicalType::Boolean(), {fallback}),
                         Expr::Literal(Value::Varchar("false")), Expr::Literal(Value::Null(type))},
                        type);
    }
    return CastTo(fallback, type);
  };
  ExprPtr empty_result = result_of(on_empty, "EMPTY");
  ExprPtr error_result = result_of(on_error, "ERROR");
  if (empty_result == nullptr || error_result == nullptr) return nullptr;
  ExprPtr outcome = Expr::Call(FunctionId::kJsonValueOutcome, LogicalType::Bigint(),
                               {value->arguments[0], value->arguments[1]});
  auto outcome_is = [&](int64_t code) {
    return Expr::Call(FunctionId::kEqual, LogicalType::Boolean(),
                      {outcome, Expr::Literal(Value::Bigint(code))});
  };
  std::vector<ExprPtr> branches = {outcome_is(1), empty_result, outcome_is(2), error_result};
  if (type.id() != TypeId::kVarchar) {
    // A scalar whose text does not convert to the RETURNING type is an error too.
    ExprPtr not_converted =
        Expr::Call(FunctionId::kAnd, LogicalType::Boolean(),
                   {Expr::Call(FunctionId::kIsNotNull, LogicalType::Boolean(), {value}),
                    Expr::Call(FunctionId::kIsNull, LogicalType::Boolean(), {converted})});
    branches.push_back(not_converted);
    branches.push_back(error_result);
  }
  branches.push_back(converted);
  return Expr::Case(std::move(branches), type);
}

}  // namespace sluice::compiler::binder

namespace sluice::compiler::binder {

bool IsComposedStringCall(const std::string& upper, size_t count) {
  return ((upper == "TRIM" || upper == "LTRIM" || upper == "RTRIM") && count == 2) ||
         upper == "BTRIM" || (upper == "INSTR" && count == 2) || upper == "ELT";
}

namespace {

/// Whether `expr` calls a function that is not deterministic (RAND, the clock).
bool CallsNondeterministic(const ExprPtr& expr) {
  if (expr->kind == ExprKind::kCall && !functions::IsDeterministic(expr->function)) return true;
  for (const ExprPtr& argument : expr->arguments) {
    if (argument != nullptr && CallsNondeterministic(argument)) return true;
  }
  return false;
}

}  // namespace

ExprPtr Binder::BindComposedStringCall(const ast::FunctionCallExpression& call,
                                       std::vector<ExprPtr> arguments, const std::string& upper) {
  if (upper == "ELT") {
    // Flink's ELT(index, expr1, expr2, ...): expr<index>, NULL when index is NULL or not in
    // 1..n; the exprs are STRING or BINARY, of their least common type. A CASE on index, so
    // that only the chosen expression counts (a NULL elsewhere does not make it NULL).
    if (arguments.size() < 2) {
      Error(base::ErrorCode::kBind,
            fmt::format("ELT takes (index, expr1 [, expr2 ...]), got {} argument{}",
                        arguments.size(), arguments.size() == 1 ? "" : "s"),
            call.span);
      return nullptr;
    }
    const ExprPtr& index = arguments[0];
    if (!(index->type.IsInteger() || index->type.id() == TypeId::kNull)) {
      Error(base::ErrorCode::kBind,
            fmt::format("ELT takes an integer index, got {}", index->type.ToString()),
            call.arguments[0]->span);
      return nullptr;
    }
    if (CallsNondeterministic(index)) {
      Error(base::ErrorCode::kPlan,
            "ELT's index must be deterministic (it is compared once per expression)",
            call.arguments[0]->span);
      return nullptr;
    }
    LogicalType common = LogicalType::Null();
    for (size_t i = 1; i < arguments.size(); ++i) {
      TypeId kind = arguments[i]->type.id();
      LogicalType next;
      bool text = kind == TypeId::kVarchar || kind == TypeId::kBinary || kind == TypeId::kNull;
      if (!text || !CommonValueType(common, arguments[i]->type, &next)) {
        Error(base::ErrorCode::kBind,
              fmt::format("ELT's expressions must be STRING or BINARY of a common type, got {}",
                          arguments[i]->type.ToString()),
              call.arguments[i]->span);
        return nullptr;
      }
      common = next;
    }
    if (common.id() == TypeId::kNull) common = LogicalType::Varchar();
    ExprPtr position = CastTo(index, LogicalType::Bigint());
    std::vector<ExprPtr> branches;
    for (size_t i = 1; i < arguments.size(); ++i) {
      ExprPtr condition = BindCall(
          "=", {position, Expr::Literal(Value::Bigint(static_cast<int64_t>(i)))}, call.span);
      if (condition == nullptr) return nullptr;
      branches.push_back(condition);
      branches.push_back(CastTo(arguments[i], common));
    }
    branches.push_back(Expr::Literal(Value::Null(common)));
    return Expr::Case(std::move(branches), common);
  }
  if (upper == "INSTR") {
    // Flink's INSTR(s, sub): LOCATE(sub, s), the first position of sub in s (0 when none).
    return BindCall("LOCATE", {arguments[1], arguments[0]}, call.span);
  }
  if (upper == "BTRIM" && arguments.size() == 1) return BindCall("TRIM", arguments, call.span);
  if (upper == "BTRIM" && arguments.size() != 2) {
    Error(base::ErrorCode::kBind,
          fmt::format("BTRIM takes 1 or 2 arguments, got {}", arguments.size()), call.span);
    return nullptr;
  }
  // TRIM([BOTH | LEADING | TRAILING] characters FROM s) and BTRIM(s, characters): every one of
  // the characters is trimmed (Flink's), not the string as a whole.
  int32_t mode = upper == "LTRIM" ? 1 : upper == "RTRIM" ? 2 : 0;
  return BindCall("$TRIM_CHARACTERS", {arguments[0], Expr::Literal(Value::Int(mode)), arguments[1]},
                  call.span);
}

ExprPtr Binder::BindJsonExistsOnError(const ast::FunctionCallExpression& call,
                                      std::vector<ExprPtr> arguments) {
  const ast::JsonBehavior& behavior = call.json_behaviors.front();
  const bool supported = behavior.kind == ast::JsonBehavior::Kind::kTrue ||
                         behavior.kind == ast::JsonBehavior::Kind::kFalse ||
                         behavior.kind == ast::JsonBehavior::Kind::kUnknown ||
                         behavior.kind == ast::JsonBehavior::Kind::kError;
  if (call.json_behaviors.size() > 1 || behavior.on_empty || !supported) {
    Error(base::ErrorCode::kBind,
          "JSON_EXISTS takes one {TRUE | FALSE | UNKNOWN | ERROR} ON ERROR clause",
          call.json_behaviors.size() > 1 ? call.json_behaviors[1].span : behavior.span);
    return nullptr;
  }
  if (arguments.size() != 2) {
    Error(base::ErrorCode::kBind,
          fmt::format("JSON_EXISTS takes 2 arguments, got {}", arguments.size()), call.span);
    return nullptr;
  }
  // FALSE ON ERROR is the default (JSON_EXISTS itself).
  if (behavior.kind == ast::JsonBehavior::Kind::kFalse) {
    return BindCall("JSON_EXISTS", std::move(arguments), call.span);
  }
  const char* code = behavior.kind == ast::JsonBehavior::Kind::kTrue      ? "T"
                     : behavior.kind == ast::JsonBehavior::Kind::kUnknown ? "U"
                                                                          : "E";
  arguments.push_back(Text(code));
  return BindCall("$JSON_EXISTS", std::move(arguments), call.span);
}

ExprPtr Binder::BindJsonQueryClauses(const ast::FunctionCallExpression& call,
                                     std::vector<ExprPtr> arguments) {
  bool as_array = false;  // RETURNING ARRAY<STRING>
  if (call.returning) {
    auto returning = BindDataType(*call.returning);
    if (!returning) return nullptr;
    as_array =
        returning->id() == TypeId::kArray && returning->element_type().id() == TypeId::kVarchar;
    if (returning->id() != TypeId::kVarchar && !as_array) {
      Error(base::ErrorCode::kBind,
            fmt::format("JSON_QUERY cannot return {} (only STRING or ARRAY<STRING>)",
                        returning->ToString()),
            call.returning->span);
      return nullptr;
    }
  }
  char clauses[4] = {'W', 'N', 'N', '\0'};
  if (call.json_wrapper == ast::JsonWrapper::kConditional) clauses[0] = 'C';
  if (call.json_wrapper == ast::JsonWrapper::kUnconditional) clauses[0] = 'U';
  bool seen[2] = {false, false};
  for (const ast::JsonBehavior& behavior : call.json_behaviors) {
    const int index = behavior.on_empty ? 1 : 2;
    const char* what = behavior.on_empty ? "EMPTY" : "ERROR";
    if (seen[index - 1]) {
      Error(base::ErrorCode::kBind, fmt::format("JSON_QUERY has two ON {} clauses", what),
            behavior.span);
      return nullptr;
    }
    seen[index - 1] = true;
    switch (behavior.kind) {
      case ast::JsonBehavior::Kind::kNull: clauses[index] = 'N'; break;
      case ast::JsonBehavior::Kind::kError: clauses[index] = 'E'; break;
      case ast::JsonBehavior::Kind::kEmptyArray: clauses[index] = 'A'; break;
      case ast::JsonBehavior::Kind::kEmptyObject:
        if (as_array) {
          Error(base::ErrorCode::kBind,
                fmt::format("JSON_QUERY … RETURNING ARRAY<STRING> cannot give an EMPTY OBJECT ON "
                            "{} (as Flink's)",
                            what),
                behavior.span);
          return nullptr;
        }
        clauses[index] = 'O';
        break;
      case ast::JsonBehavior::Kind::kDefault:
      case ast::JsonBehavior::Kind::kTrue:
      case ast::JsonBehavior::Kind::kFalse:
      case ast::JsonBehavior::Kind::kUnknown:
        Error(base::ErrorCode::kBind,
              fmt::format("JSON_QUERY takes NULL, ERROR, EMPTY ARRAY or EMPTY OBJECT ON {}", what),
              behavior.span);
        return nullptr;
    }
  }
  arguments.push_back(Text(clauses));
  if (as_array) {
    if (arguments.size() != 3) {
      Error(base::ErrorCode::kBind,
            fmt::format("JSON_QUERY takes 2 arguments, got {}", arguments.size() - 1), call.span);
      return nullptr;
    }
    for (size_t i = 0; i < 2; ++i) {
      const TypeId id = arguments[i]->type.id();
      if (id != TypeId::kVarchar && id != TypeId::kNull) {
        Error(base::ErrorCode::kBind,
              fmt::format("JSON_QUERY needs a STRING as argument {}, got {}", i + 1,
                          arguments[i]->type.ToString()),
              call.arguments[i]->span);
        return nullptr;
      }
      arguments[i] = CastTo(arguments[i], LogicalType::Varchar());
    }
    return Expr::Call(FunctionId::kJsonQueryArray, LogicalType::Array(LogicalType::Varchar()),
                      std::move(arguments));
  }
  return BindCall("$JSON_QUERY", std::move(arguments), call.span);
}

}  // namespace sluice::compiler::binder
