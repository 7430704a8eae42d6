// ARRAY, MAP and MULTISET values: the constructors ARRAY[...] and MAP[...], `array[index]`,
// `map[key]` and the functions over collections, with Flink's types. Each becomes one call of
// a helper of runtime/expr/collection_functions.cpp; where the helper must know how an element
// is held, the element type's descriptor (runtime/expr/collection_value.h) goes first, as a
// literal.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "compiler/binder/binder.h"
#include "runtime/expr/collection_value.h"
#include "runtime/expr/literal_arguments.h"

namespace sluice::compiler::binder {

using functions::FunctionId;
using runtime::plan::Expr;
using runtime::plan::ExprKind;
using runtime::plan::ExprPtr;
using runtime::plan::Value;
using types::LogicalType;
using types::TypeId;

ExprPtr TypeDescriptorLiteral(const LogicalType& type) {
  return Expr::Literal(Value::Varchar(runtime::expr::TypeDescriptor(type)));
}

bool IsCollectionFunctionName(const std::string& upper) {
  static const char* const kNames[] = {"ARRAY",
                                       "MAP",
                                       "CARDINALITY",
                                       "ELEMENT",
                                       "ARRAY_CONTAINS",
                                       "ARRAY_POSITION",
                                       "ARRAY_DISTINCT",
                                       "ARRAY_REVERSE",
                                       "ARRAY_REMOVE",
                                       "ARRAY_APPEND",
                                       "ARRAY_PREPEND",
                                       "ARRAY_CONCAT",
                                       "ARRAY_JOIN",
                                       "ARRAY_MAX",
                                       "ARRAY_MIN",
                                       "MAP_KEYS",
                                       "MAP_VALUES",
                                       "MAP_FROM_ARRAYS",
                                       "STR_TO_MAP",
                                       "ARRAY_SLICE",
                                       "MAP_ENTRIES",
                                       "SPLIT",
                                       "REGEXP_EXTRACT_ALL",
                                       "ARRAY_SORT",
                                       "ARRAY_UNION",
                                       "ARRAY_EXCEPT",
                                       "ARRAY_INTERSECT",
                                       "MAP_UNION"};
  for (const char* name : kNames) {
    if (upper == name) return true;
  }
  return false;
}

ExprPtr Binder::BindCollectionFunction(const ast::FunctionCallExpression& call,
                                       std::vector<ExprPtr> arguments, const std::string& upper) {
  const base::SourceSpan span = call.span;
  auto fail = [&](const std::string& message) -> ExprPtr {
    Error(base::ErrorCode::kBind, message, span);
    return nullptr;
  };
  auto arity = [&](size_t low, size_t high, const char* signature) {
    if (arguments.size() >= low && arguments.size() <= high) return true;
    Error(base::ErrorCode::kBind,
          fmt::format("{} takes {}, got {} argument{}", upper, signature, arguments.size(),
                      arguments.size() == 1 ? "" : "s"),
          span);
    return false;
  };
  // The argument at `index` must be of `kind` (or NULL, then typed as `fallback`).
  auto collection = [&](size_t index, TypeId kind, const char* what) -> bool {
    if (arguments[index]->type.id() == kind) return true;
    Error(base::ErrorCode::kBind,
          fmt::format("{} needs {} as argument {}, got {}", upper, what, index + 1,
                      arguments[index]->type.ToString()),
          call.arguments[index]->span);
    return false;
  };
  // Casts argument `index` to `type` when it converts implicitly.
  auto assignable = [&](size_t index, const LogicalType& type) -> bool {
    const LogicalType& from = arguments[index]->type;
    if (type.id() == TypeId::kRow && RowCastable(from, type, RowCast::kImplicit) &&
        (from.id() == TypeId::kNull || IsSlotRow(arguments[index]))) {
      arguments[index] = EncodeRow(CastTo(arguments[index], type));
      return true;
    }
    if (from.id() == TypeId::kNull || types::IsImplicitlyCastable(from, type)) {
      arguments[index] = CastTo(arguments[index], type);
      return true;
    }
    Error(base::ErrorCode::kBind,
          fmt::format("{}: argument {} has type {}, which is not the element type {}", upper,
                      index + 1, from.ToString(), type.ToString()),
          call.arguments[index]->span);
    return false;
  };
  // The common type of arguments [first, last), each cast to it.
  auto common_type = [&](size_t first, size_t last, size_t step, LogicalType* out) -> bool {
    LogicalType common = LogicalType::Null();
    for (size_t i = first; i < last; i += step) {
      LogicalType next;
      if (!CommonValueType(common, arguments[i]->type, &next) ||
          (arguments[i]->type.id() == TypeId::kRow && !IsSlotRow(arguments[i]))) {
        Error(base::ErrorCode::kBind,
              fmt::format("{}[...]: the element {} of type {} has no common type with {}", upper,
                          call.arguments[i]->ToString(), arguments[i]->type.ToString(),
                          common.ToString()),
              call.arguments[i]->span);
        return false;
      }
      common = next;
    }
    if (common.id() == TypeId::kNull) {
      Error(base::ErrorCode::kBind,
            fmt::format("{}[...] of only NULLs has no element type: CAST one of them", upper),
            span);
      return false;
    }
    if (common.IsWideDecimal()) {
      Error(base::ErrorCode::kBind,
            fmt::format("{}[...] of {} is not supported yet (collection elements hold DECIMALs "
                        "of precision up to 18)",
                        upper, common.ToString()),
            span);
      return false;
    }
    for (size_t i = first; i < last; i += step) {
      arguments[i] = CastTo(arguments[i], common);
      // A ROW element travels as its bytes.
      if (common.id() == TypeId::kRow) arguments[i] = EncodeRow(arguments[i]);
    }
    *out = common;
    return true;
  };
  auto call_of = [&](FunctionId id, LogicalType type, std::vector<ExprPtr> args) {
    return Expr::Call(id, std::move(type), std::move(args));
  };

  if (upper == "ARRAY") {
    if (arguments.empty()) return fail("ARRAY[] needs at least one element");
    LogicalType element;
    if (!common_type(0, arguments.size(), 1, &element)) return nullptr;
    std::vector<ExprPtr> args{TypeDescriptorLiteral(element)};
    for (auto& argument : arguments) args.push_back(std::move(argument));
    return call_of(FunctionId::kCollectionArray, LogicalType::Array(element), std::move(args));
  }
  if (upper == "MAP") {
    if (arguments.empty() || arguments.size() % 2 != 0) {
      return fail("MAP[...] needs keys and values in pairs: MAP[k1, v1, k2, v2, ...]");
    }
    LogicalType key, value;
    if (!common_type(0, arguments.size(), 2, &key) || !common_type(1, arguments.size(), 2, &value))
      return nullptr;
    std::vector<ExprPtr> args{TypeDescriptorLiteral(key), TypeDescriptorLiteral(value)};
    for (auto& argument : arguments) args.push_back(std::move(argument));
    return call_of(FunctionId::kCollectionMap, LogicalType::Map(key, value), std::move(args));
  }
  if (upper == "STR_TO_MAP") {
    if (!arity(1, 3, "(text [, list_delimiter [, key_value_delimiter]])")) return nullptr;
    for (size_t i = 0; i < arguments.size(); ++i) {
      if (!assignable(i, LogicalType::Varchar())) return nullptr;
    }
    return call_of(FunctionId::kStrToMap,
                   LogicalType::Map(LogicalType::Varchar(), LogicalType::Varchar()),
                   std::move(arguments));
  }
  if (upper == "SPLIT") {
    if (!arity(2, 2, "(text, delimiter)")) return nullptr;
    for (size_t i = 0; i < arguments.size(); ++i) {
      if (!assignable(i, LogicalType::Varchar())) return nullptr;
    }
    return call_of(FunctionId::kSplit, LogicalType::Array(LogicalType::Varchar()),
                   std::move(arguments));
  }
  if (upper == "REGEXP_EXTRACT_ALL") {
    if (!arity(2, 3, "(text, regex [, group])")) return nullptr;
    for (size_t i = 0; i < 2; ++i) {
      if (!assignable(i, LogicalType::Varchar())) return nullptr;
    }
    if (arguments.size() == 3) {
      if (!(arguments[2]->type.IsInteger() || arguments[2]->type.id() == TypeId::kNull)) {
        Error(base::ErrorCode::kBind,
              fmt::format("REGEXP_EXTRACT_ALL takes an integer group, got {}",
                          arguments[2]->type.ToString()),
              call.arguments[2]->span);
        return nullptr;
      }
      arguments[2] = CastTo(arguments[2], LogicalType::Bigint());
    }
    // A literal regex that does not compile would make every row NULL: an error here.
    const ExprPtr& regex = arguments[1];
    if (regex->kind == ExprKind::kLiteral && !regex->literal.is_null) {
      std::string problem = runtime::expr::CheckLiteralArgument(FunctionId::kRegexpExtractAll, 1,
                                                                regex->literal.text);
      if (!problem.empty()) {
        Error(base::ErrorCode::kBind, problem, call.arguments[1]->span);
        return nullptr;
      }
    }
    return call_of(FunctionId::kRegexpExtractAll, LogicalType::Array(LogicalType::Varchar()),
                   std::move(arguments));
  }
  if (upper == "ARRAY_UNION" || upper == "ARRAY_EXCEPT" || upper == "ARRAY_INTERSECT" ||
      upper == "MAP_UNION") {
    // Collections of one type (a NULL takes it), like ARRAY_CONCAT's.
    bool map = upper == "MAP_UNION";
    if (map ? arguments.empty() : !arity(2, 2, "(array1, array2)")) {
      return fail("MAP_UNION takes one or more maps");
    }
    LogicalType type = LogicalType::Null();
    for (size_t i = 0; i < arguments.size(); ++i) {
      if (arguments[i]->type.id() == TypeId::kNull) continue;
      if (!collection(i, map ? TypeId::kMap : TypeId::kArray, map ? "a MAP" : "an ARRAY")) {
        return nullptr;
      }
      if (type.id() == TypeId::kNull) type = arguments[i]->type;
      if (arguments[i]->type != type) {
        return fail(fmt::format("{} needs {} of one type, got {} and {}", upper,
                                map ? "maps" : "arrays", type.ToString(),
                                arguments[i]->type.ToString()));
      }
    }
    if (type.id() == TypeId::kNull) return fail(upper + " of only NULLs has no type");
    for (auto& argument : arguments) argument = CastTo(argument, type);
    FunctionId id = map                       ? FunctionId::kMapUnion
                    : upper == "ARRAY_UNION"  ? FunctionId::kArrayUnion
                    : upper == "ARRAY_EXCEPT" ? FunctionId::kArrayExcept
                                              : FunctionId::kArrayIntersect;
    return call_of(id, type, std::move(arguments));
  }
  if (upper == "ARRAY_CONCAT") {
    if (arguments.empty()) return fail("ARRAY_CONCAT takes one or more arrays");
    LogicalType type = LogicalType::Null();
    for (size_t i = 0; i < arguments.size(); ++i) {
      if (arguments[i]->type.id() == TypeId::kNull) continue;
      if (!collection(i, TypeId::kArray, "an ARRAY")) return nullptr;
      if (type.id() == TypeId::kNull) type = arguments[i]->type;
      if (arguments[i]->type != type) {
        return fail(fmt::format("ARRAY_CONCAT needs arrays of one type, got {} and {}",
                                type.ToString(), arguments[i]->type.ToString()));
      }
    }
    if (type.id() == TypeId::kNull) return fail("ARRAY_CONCAT of only NULLs has no type");
    for (auto& argument : arguments) argument = CastTo(argument, type);
    return call_of(FunctionId::kArrayConcat, type, std::move(arguments));
  }
  if (upper == "MAP_FROM_ARRAYS") {
    if (!arity(2, 2, "(keys ARRAY, values ARRAY)")) return nullptr;
    if (!collection(0, TypeId::kArray, "an ARRAY") || !collection(1, TypeId::kArray, "an ARRAY"))
      return nullptr;
    LogicalType type =
        LogicalType::Map(arguments[0]->type.element_type(), arguments[1]->type.element_type());
    return call_of(FunctionId::kMapFromArrays, type, std::move(arguments));
  }

  // The rest take a collection first.
  if (arguments.empty()) return fail(upper + " takes a collection as argument 1");
  if (arguments[0]->type.id() == TypeId::kNull) {
    return fail(
        fmt::format("{}(NULL, ...): the collection's type is unknown; CAST the NULL to "
                    "an ARRAY or MAP type",
                    upper));
  }
  const LogicalType type = arguments[0]->type;
  if (upper == "CARDINALITY") {
    if (!arity(1, 1, "one collection")) return nullptr;
    if (!type.IsCollection()) {
      return fail("CARDINALITY needs an ARRAY, MAP or MULTISET, got " + type.ToString());
    }
    return call_of(FunctionId::kCardinality, LogicalType::Int(), std::move(arguments));
  }
  if (upper == "MAP_ENTRIES") {
    if (!arity(1, 1, "one MAP") || !collection(0, TypeId::kMap, "a MAP")) return nullptr;
    LogicalType entry = LogicalType::Row(
        {types::RowField{"key", type.element_type()}, types::RowField{"value", type.value_type()}});
    return call_of(FunctionId::kMapEntries, LogicalType::Array(entry), std::move(arguments));
  }
  if (upper == "MAP_KEYS" || upper == "MAP_VALUES") {
    if (!arity(1, 1, "one MAP") || !collection(0, TypeId::kMap, "a MAP")) return nullptr;
    bool keys = upper == "MAP_KEYS";
    return call_of(keys ? FunctionId::kMapKeys : FunctionId::kMapValues,
                   LogicalType::Array(keys ? type.element_type() : type.value_type()),
                   std::move(arguments));
  }
  if (!collection(0, TypeId::kArray, "an ARRAY")) return nullptr;
  const LogicalType element = type.element_type();
  if ((upper == "ARRAY_MAX" || upper == "ARRAY_MIN") && element.id() == TypeId::kRow) {
    return fail(upper + " needs an array of comparable elements, got " + type.ToString());
  }
  if (upper == "ELEMENT" && element.id() == TypeId::kRow) {
    if (!arity(1, 1, "one ARRAY")) return nullptr;
    return DecodeRow(call_of(FunctionId::kElement, LogicalType::Varchar(), std::move(arguments)),
                     element);
  }
  if (upper == "ELEMENT" || upper == "ARRAY_DISTINCT" || upper == "ARRAY_REVERSE" ||
      upper == "ARRAY_MAX" || upper == "ARRAY_MIN") {
    if (!arity(1, 1, "one ARRAY")) return nullptr;
    FunctionId id = upper == "ELEMENT"          ? FunctionId::kElement
                    : upper == "ARRAY_DISTINCT" ? FunctionId::kArrayDistinct
                    : upper == "ARRAY_REVERSE"  ? FunctionId::kArrayReverse
                    : upper == "ARRAY_MAX"      ? FunctionId::kArrayMax
                                                : FunctionId::kArrayMin;
    bool to_element = upper == "ELEMENT" || upper == "ARRAY_MAX" || upper == "ARRAY_MIN";
    if ((upper == "ARRAY_MAX" || upper == "ARRAY_MIN") &&
        (element.IsCollection() || element.id() == TypeId::kBoolean)) {
      return fail(upper + " needs an array of comparable elements, got " + type.ToString());
    }
    return call_of(id, to_element ? element : type, std::move(arguments));
  }
  if (upper == "ARRAY_SORT") {
    if (!arity(1, 3, "(array [, ascending BOOLEAN [, nulls_first BOOLEAN]])")) return nullptr;
    if (element.IsCollection() || element.id() == TypeId::kRow) {
      return fail("ARRAY_SORT needs an array of comparable elements, got " + type.ToString());
    }
    for (size_t i = 1; i < arguments.size(); ++i) {
      TypeId argument = arguments[i]->type.id();
      if (argument != TypeId::kBoolean && argument != TypeId::kNull) {
        Error(base::ErrorCode::kBind,
              fmt::format("ARRAY_SORT takes BOOLEAN ascending and nulls_first, got {}",
                          arguments[i]->type.ToString()),
              call.arguments[i]->span);
        return nullptr;
      }
      arguments[i] = CastTo(arguments[i], LogicalType::Boolean());
    }
    return call_of(FunctionId::kArraySort, type, std::move(arguments));
  }
  if (upper == "ARRAY_SLICE") {
    if (!arity(2, 3, "(array, start [, end])")) return nullptr;
    for (size_t i = 1; i < arguments.size(); ++i) {
      if (!(arguments[i]->type.IsInteger() || arguments[i]->type.id() == TypeId::kNull)) {
        Error(
            base::ErrorCode::kBind,
            fmt::format("ARRAY_SLICE takes integer offsets, got {}", arguments[i]->type.ToString()),
            call.arguments[i]->span);
        return nullptr;
      }
      arguments[i] = CastTo(arguments[i], LogicalType::Bigint());
    }
    return call_of(FunctionId::kArraySlice, type, std::move(arguments));
  }
  if (upper == "ARRAY_JOIN") {
    if (!arity(2, 3, "(array ARRAY<STRING>, delimiter [, null_replacement])")) return nullptr;
    if (element.id() != TypeId::kVarchar) {
      return fail("ARRAY_JOIN needs an ARRAY<STRING>, got " + type.ToString());
    }
    for (size_t i = 1; i < arguments.size(); ++i) {
      if (!assignable(i, LogicalType::Varchar())) return nullptr;
    }
    return call_of(FunctionId::kArrayJoin, LogicalType::Varchar(), std::move(arguments));
  }
  // (array, element): ARRAY_CONTAINS, ARRAY_POSITION, ARRAY_REMOVE, ARRAY_APPEND, ARRAY_PREPEND.
  if (!arity(2, 2, "(array, element)")) return nullptr;
  if (!assignable(1, element)) return nullptr;
  std::vector<ExprPtr> args{TypeDescriptorLiteral(element), arguments[0], arguments[1]};
  if (upper == "ARRAY_CONTAINS") {
    return call_of(FunctionId::kArrayContains, LogicalType::Boolean(), std::move(args));
  }
  if (upper == "ARRAY_POSITION") {
    return call_of(FunctionId::kArrayPosition, LogicalType::Int(), std::move(args));
  }
  if (upper == "ARRAY_REMOVE") return call_of(FunctionId::kArrayRemove, type, std::move(args));
  if (upper == "ARRAY_APPEND") return call_of(FunctionId::kArrayAppend, type, std::move(args));
  return call_of(FunctionId::kArrayPrepend, type, std::move(args));
}

ExprPtr Binder::BindSubscript(const ast::SubscriptExpression& subscript, const Scope& scope,
                              LogicalType* row_out) {
  ExprPtr base = BindExpression(*subscript.base, scope);
  ExprPtr index = BindExpression(*subscript.index, scope);
  if (base == nullptr || index == nullptr) return nullptr;
  const LogicalType& type = base->type;
  if (type.IsCollection()) {
    const LogicalType& element =
        type.id() == TypeId::kMap ? type.value_type() : type.element_type();
    if (element.id() == TypeId::kRow) {
      if (row_out == nullptr) {
        // The element as a whole row: its fields read from its bytes.
        LogicalType row;
        ExprPtr encoding = BindSubscript(subscript, scope, &row);
        return encoding == nullptr ? nullptr : DecodeRow(encoding, row);
      }
      *row_out = element;
    }
  }
  // A ROW element travels as its encoding (a VARCHAR-typed value) to $ROW_FIELD.
  auto result_type = [&](const LogicalType& element) {
    return element.id() == TypeId::kRow ? LogicalType::Varchar() : element;
  };
  if (type.id() == TypeId::kArray) {
    if (!(index->type.IsInteger() || index->type.id() == TypeId::kNull)) {
      Error(base::ErrorCode::kBind,
            fmt::format("an array's index must be an integer (1 for the first element), got {}",
                        index->type.ToString()),
            subscript.index->span);
      return nullptr;
    }
    return Expr::Call(
        FunctionId::kCollectionElementAt, result_type(type.element_type()),
        {TypeDescriptorLiteral(type.element_type()), base, CastTo(index, LogicalType::Bigint())});
  }
  if (type.id() == TypeId::kMap) {
    const LogicalType& key = type.element_type();
    if (index->type.id() != TypeId::kNull && !types::IsImplicitlyCastable(index->type, key)) {
      Error(base::ErrorCode::kBind,
            fmt::format("the key {} of type {} does not fit the map's key type {}",
                        subscript.index->ToString(), index->type.ToString(), key.ToString()),
            subscript.index->span);
      return nullptr;
    }
    return Expr::Call(FunctionId::kCollectionMapGet, result_type(type.value_type()),
                      {TypeDescriptorLiteral(key), base, CastTo(index, key)});
  }
  Error(base::ErrorCode::kBind,
        fmt::format("'{}' is not an ARRAY or a MAP (it is {}): only they take [...]",
                    subscript.base->ToString(), type.ToString()),
        subscript.base->span);
  return nullptr;
}

ExprPtr Binder::BindFieldAccess(const ast::FieldAccessExpression& access, const Scope& scope) {
  ExprPtr base = BindExpression(*access.base, scope);
  if (base == nullptr) return nullptr;
  if (base->type.id() != TypeId::kRow) {
    Error(base::ErrorCode::kBind,
          fmt::format("'{}' is a {}, not a ROW: it has no field '{}'", access.base->ToString(),
                      base->type.ToString(), access.field.name),
          access.span);
    return nullptr;
  }
  if (!IsSlotRow(base)) {
    Error(base::ErrorCode::kPlan,
          fmt::format("'{}' is not supported: fields are read from a ROW column (t.r.field), a "
                      "ROW element of an array or map (a[i].field) or a ROW(...)",
                      access.ToString()),
          access.span);
    return nullptr;
  }
  const LogicalType& row = base->type;
  const auto& fields = row.fields();
  for (size_t i = 0; i < fields.size(); ++i) {
    if (!types::IdentifierEquals(fields[i].name, access.field.name)) continue;
    return AsRowValue(base)->arguments[i + 1];
  }
  std::vector<std::string> names;
  for (const auto& field : fields) names.push_back(field.name);
  Error(base::ErrorCode::kBind,
        fmt::format("the ROW {} has no field '{}' (it has: {})", row.ToString(), access.field.name,
                    fmt::join(names, ", ")),
        access.field.span);
  return nullptr;
}

}  // namespace sluice::compiler::binder
