#include <nlohmann/json.hpp>

#include "runtime/expr/collection_value.h"
#include "runtime/expr/kernel_abi.h"
#include "runtime/expr/time_zone.h"
#include "runtime/expr/user_function.h"
#include "runtime/expr/value_format.h"
#include "runtime/plan/plan_graph.h"

namespace sluice::runtime::plan {

using nlohmann::ordered_json;
using types::LogicalType;
using types::TypeId;

namespace {

// Thrown only inside this file while reading; converted to a Status by PlanFromJson.
struct JsonError {
  std::string message;
};

const char* TypeIdName(TypeId id) {
  switch (id) {
    case TypeId::kNull: return "NULL";
    case TypeId::kBoolean: return "BOOLEAN";
    case TypeId::kInt: return "INT";
    case TypeId::kBigint: return "BIGINT";
    case TypeId::kDouble: return "DOUBLE";
    case TypeId::kDecimal: return "DECIMAL";
    case TypeId::kVarchar: return "VARCHAR";
    case TypeId::kTimestamp: return "TIMESTAMP";
    case TypeId::kInterval: return "INTERVAL";
    case TypeId::kRow: return "ROW";
    case TypeId::kDate: return "DATE";
    case TypeId::kTime: return "TIME";
    case TypeId::kArray: return "ARRAY";
    case TypeId::kMap: return "MAP";
    case TypeId::kMultiset: return "MULTISET";
    case TypeId::kBinary: return "BYTES";
  }
  return "?";
}

const ordered_json& Field(const ordered_json& object, const char* key, const std::string& path) {
  if (!object.is_object() || !object.contains(key)) {
    throw JsonError{"missing field '" + std::string(key) + "' at " + path};
  }
  return object.at(key);
}

template <typename T>
T Get(const ordered_json& object, const char* key, const std::string& path) {
  const ordered_json& value = Field(object, key, path);
  try {
    return value.get<T>();
  } catch (const nlohmann::json::exception&) {
    throw JsonError{"field '" + std::string(key) + "' at " + path + " has the wrong type"};
  }
}

ordered_json TypeToJson(const LogicalType& type) {
  ordered_json out;
  out["type"] = type.IsTimestampLtz()    ? "TIMESTAMP_LTZ"
                : type.IsNarrowNumeric() ? type.ToString()  // TINYINT, SMALLINT, FLOAT
                                         : TypeIdName(type.id());
  if (type.id() == TypeId::kDecimal) {
    out["precision"] = type.precision();
    out["scale"] = type.scale();
  }
  if (type.IsCollection()) {
    out["element"] = TypeToJson(type.element_type());
    if (type.id() == TypeId::kMap) out["value"] = TypeToJson(type.value_type());
  }
  if (type.id() == TypeId::kRow) {
    ordered_json fields = ordered_json::array();
    for (const auto& field : type.fields()) {
      fields.push_back({{"name", field.name}, {"type", TypeToJson(field.type)}});
    }
    out["fields"] = fields;
  }
  return out;
}

LogicalType TypeFromJson(const ordered_json& json, const std::string& path) {
  std::string name = Get<std::string>(json, "type", path);
  for (TypeId id : {TypeId::kNull, TypeId::kBoolean, TypeId::kInt, TypeId::kBigint, TypeId::kDouble,
                    TypeId::kVarchar, TypeId::kTimestamp, TypeId::kInterval, TypeId::kDate,
                    TypeId::kTime, TypeId::kBinary}) {
    if (name == TypeIdName(id)) return LogicalType(id);
  }
  if (name == "TIMESTAMP_LTZ") return LogicalType::TimestampLtz();
  if (name == "TINYINT") return LogicalType::Tinyint();
  if (name == "SMALLINT") return LogicalType::Smallint();
  if (name == "FLOAT") return LogicalType::Float();
  if (name == "DECIMAL") {
    return LogicalType::Decimal(Get<int32_t>(json, "precision", path),
                                Get<int32_t>(json, "scale", path));
  }
  if (name == "ARRAY" || name == "MULTISET" || name == "MAP") {
    if (path.size() > 4096) throw JsonError{"types nested too deeply at " + path.substr(0, 200)};
    LogicalType element = TypeFromJson(Field(json, "element", path), path + ".element");
    if (name == "ARRAY") return LogicalType::Array(std::move(element));
    if (name == "MULTISET") return LogicalType::Multiset(std::move(element));
    return LogicalType::Map(std::move(element),
                            TypeFromJson(Field(json, "value", path), path + ".value"));
  }
  if (name == "ROW") {
    std::vector<types::RowField> fields;
    const auto& list = Field(json, "fields", path);
    for (size_t i = 0; i < list.size(); ++i) {
      std::string field_path = path + ".fields[" + std::to_string(i) + "]";
      fields.push_back({Get<std::string>(list[i], "name", field_path),
                        TypeFromJson(Field(list[i], "type", field_path), field_path + ".type")});
    }
    return LogicalType::Row(std::move(fields));
  }
  throw JsonError{"unknown type '" + name + "' at " + path};
}

ordered_json SchemaToJson(const types::Schema& schema) {
  ordered_json out = ordered_json::array();
  for (const auto& column : schema.columns) {
    out.push_back({{"name", column.name}, {"type", TypeToJson(column.type)}});
  }
  return out;
}

types::Schema SchemaFromJson(const ordered_json& json, const std::string& path) {
  types::Schema schema;
  for (size_t i = 0; i < json.size(); ++i) {
    std::string column_path = path + "[" + std::to_string(i) + "]";
    schema.columns.push_back({Get<std::string>(json[i], "name", column_path),
                              TypeFromJson(Field(json[i], "type", column_path), column_path)});
  }
  return schema;
}

ordered_json ValueToJson(const Value& value) {
  ordered_json out;
  out["type"] = TypeToJson(value.type);
  if (value.is_null) {
    out["null"] = true;
  } else if (value.type.id() == TypeId::kDouble) {
    // JSON has no NaN/Infinity; keep the bit pattern exact through text.
    out["real"] = fmt::format("{}", value.real);
  } else if (value.type.id() == TypeId::kVarchar) {
    out["text"] = value.text;
  } else if (value.type.IsCollection() || value.type.id() == TypeId::kBinary) {
    // BYTES and an encoded collection are bytes, not text: hexadecimal.
    out["bytes"] = expr::EncodeHex(value.text);
  } else if (value.type.IsWideDecimal()) {
    out["unscaled"] = expr::FormatDecimal(value.Unscaled(), 0);  // beyond int64: as text
  } else {
    out["integer"] = value.integer;
  }
  return out;
}

Value ValueFromJson(const ordered_json& json, const std::string& path) {
  Value value;
  value.type = TypeFromJson(Field(json, "type", path), path + ".type");
  if (json.contains("null")) return value;
  value.is_null = false;
  if (value.type.id() == TypeId::kDouble) {
    std::string text = Get<std::string>(json, "real", path);
    char* end = nullptr;
    value.real = std::strtod(text.c_str(), &end);
    if (end == text.c_str()) throw JsonError{"bad double '" + text + "' at " + path};
  } else if (value.type.id() == TypeId::kVarchar) {
    value.text = Get<std::string>(json, "text", path);
  } else if (value.type.IsCollection() || value.type.id() == TypeId::kBinary) {
    if (!expr::DecodeHex(Get<std::string>(json, "bytes", path), &value.text)) {
      throw JsonError{"bad hexadecimal bytes at " + path};
    }
  } else if (value.type.IsWideDecimal()) {
    std::string text = Get<std::string>(json, "unscaled", path);
    runtime::StringRef ref{text.data(), static_cast<uint32_t>(text.size()), 0};
    __int128 unscaled = 0;
    if (sluice_cast_string_to_decimal(&ref, 38, 0, &unscaled) == 0) {
      throw JsonError{"bad DECIMAL '" + text + "' at " + path};
    }
    value = Value::Decimal(unscaled, value.type.precision(), value.type.scale());
  } else {
    value.integer = Get<int64_t>(json, "integer", path);
  }
  return value;
}

const char* ExprKindName(ExprKind kind) {
  switch (kind) {
    case ExprKind::kColumn: return "column";
    case ExprKind::kLiteral: return "literal";
    case ExprKind::kCall: return "call";
    case ExprKind::kCast: return "cast";
    case ExprKind::kCase: return "case";
  }
  return "?";
}

/// The reference a plan names (name, library, symbol; the signature is the call's): reading a
/// plan opens no library and runs no code. expr::LinkUserFunctions loads it when a chain is
/// built.
std::shared_ptr<const expr::UserFunction> UserFunctionFromJson(const ordered_json& json,
                                                               const std::string& path,
                                                               const Expr& call) {
  std::string name = Get<std::string>(json, "name", path);
  std::string library = Get<std::string>(json, "library", path);
  std::string symbol = Get<std::string>(json, "symbol", path);
  std::vector<types::LogicalType> argument_types;
  for (size_t i = 0; i < call.arguments.size(); ++i) {
    if (!call.arguments[i]) {
      throw JsonError{"user-defined function '" + name + "' at " + path + " has a null argument"};
    }
    argument_types.push_back(call.arguments[i]->type);
  }
  return expr::UserFunctionReference(std::move(name), std::move(library), std::move(symbol),
                                     std::move(argument_types), call.type);
}

ordered_json ExprToJson(const ExprPtr& expr) {
  if (!expr) return nullptr;
  ordered_json out;
  out["kind"] = ExprKindName(expr->kind);
  out["type"] = TypeToJson(expr->type);
  switch (expr->kind) {
    case ExprKind::kColumn: out["column"] = expr->column_index; break;
    case ExprKind::kLiteral: out["value"] = ValueToJson(expr->literal); break;
    case ExprKind::kCall:
      out["function"] = functions::FunctionName(expr->function);
      if (expr->user_function != nullptr) {
        // Read back as a reference; the library is opened by this path when a chain is built.
        out["user_function"] = {{"name", expr->user_function->name},
                                {"library", expr->user_function->library},
                                {"symbol", expr->user_function->symbol}};
      }
      break;
    case ExprKind::kCast:
    case ExprKind::kCase: break;
  }
  if (!expr->arguments.empty()) {
    ordered_json arguments = ordered_json::array();
    for (const auto& argument : expr->arguments) arguments.push_back(ExprToJson(argument));
    out["arguments"] = arguments;
  }
  return out;
}

ExprPtr ExprFromJson(const ordered_json& json, const std::string& path) {
  if (json.is_null()) return nullptr;
  auto expr = std::make_shared<Expr>();
  std::string kind = Get<std::string>(json, "kind", path);
  expr->type = TypeFromJson(Field(json, "type", path), path + ".type");
  if (json.contains("arguments")) {
    const auto& arguments = json.at("arguments");
    for (size_t i = 0; i < arguments.size(); ++i) {
      expr->arguments.push_back(
          ExprFromJson(arguments[i], path + ".arguments[" + std::to_string(i) + "]"));
    }
  }
  if (kind == "column") {
    expr->kind = ExprKind::kColumn;
    expr->column_index = Get<int32_t>(json, "column", path);
  } else if (kind == "literal") {
    expr->kind = ExprKind::kLiteral;
    expr->literal = ValueFromJson(Field(json, "value", path), path + ".value");
  } else if (kind == "call") {
    expr->kind = ExprKind::kCall;
    std::string name = Get<std::string>(json, "function", path);
    if (!functions::FunctionFromName(name.c_str(), &expr->function)) {
      throw JsonError{"unknown function '" + name + "' at " + path};
    }
    if (expr->function == functions::FunctionId::kUserDefined) {
      expr->user_function =
          UserFunctionFromJson(Field(json, "user_function", path), path + ".user_function", *expr);
    }
  } else if (kind == "cast") {
    expr->kind = ExprKind::kCast;
  } else if (kind == "case") {
    expr->kind = ExprKind::kCase;
  } else {
    throw JsonError{"unknown expression kind '" + kind + "' at " + path};
  }
  return expr;
}

ordered_json ChainToJson(const ChainSpec& chain) {
  ordered_json inputs = ordered_json::array();
  for (const auto& type : chain.input_types) inputs.push_back(TypeToJson(type));
  ordered_json projections = ordered_json::array();
  for (const auto& projection : chain.projections) projections.push_back(ExprToJson(projection));
  return {
      {"input_types", inputs}, {"filter", ExprToJson(chain.filter)}, {"projections", projections}};
}

ChainSpec ChainFromJson(const ordered_json& json, const std::string& path) {
  ChainSpec chain;
  const auto& inputs = Field(json, "input_types", path);
  for (size_t i = 0; i < inputs.size(); ++i) {
    chain.input_types.push_back(
        TypeFromJson(inputs[i], path + ".input_types[" + std::to_string(i) + "]"));
  }
  chain.filter = ExprFromJson(Field(json, "filter", path), path + ".filter");
  const auto& projections = Field(json, "projections", path);
  for (size_t i = 0; i < projections.size(); ++i) {
    chain.projections.push_back(
        ExprFromJson(projections[i], path + ".projections[" + std::to_string(i) + "]"));
  }
  return chain;
}

ordered_json TableToJson(const connectors::TableDescriptor& table) {
  ordered_json out;
  out["name"] = table.name;
  out["schema"] = SchemaToJson(table.schema);
  ordered_json options = ordered_json::object();
  for (const auto& [key, value] : table.options) options[key] = value;
  out["options"] = options;
  if (!table.inline_rows.empty()) {
    ordered_json rows = ordered_json::array();
    for (const auto& row : table.inline_rows) {
      ordered_json fields = ordered_json::array();
      for (const auto& field : row) fields.push_back(field ? ordered_json(*field) : nullptr);
      rows.push_back(fields);
    }
    out["rows"] = rows;
  }
  if (!table.partition_keys.empty()) out["partition_keys"] = table.partition_keys;
  if (!table.metadata_columns.empty()) {
    ordered_json columns = ordered_json::array();
    for (const connectors::MetadataColumn& column : table.metadata_columns) {
      columns.push_back(ordered_json{
          {"column", column.column}, {"key", column.key}, {"virtual", column.is_virtual}});
    }
    out["metadata_columns"] = columns;
  }
  if (!table.primary_key.empty()) out["primary_key"] = table.primary_key;
  return out;
}

/// Throws unless `table` names its connector (the runtime opens tables by it).
void RequireConnector(const connectors::TableDescriptor& table, const std::string& path) {
  auto connector = table.options.find("connector");
  if (connector == table.options.end() || connector->second.empty()) {
    throw JsonError{"table '" + table.name + "' has no 'connector' option at " + path};
  }
}

connectors::TableDescriptor TableFromJson(const ordered_json& json, const std::string& path) {
  connectors::TableDescriptor table;
  table.name = Get<std::string>(json, "name", path);
  table.schema = SchemaFromJson(Field(json, "schema", path), path + ".schema");
  for (const auto& [key, value] : Field(json, "options", path).items()) {
    if (!value.is_string()) throw JsonError{"option '" + key + "' at " + path + " is not a string"};
    table.options[key] = value.get<std::string>();
  }
  if (json.contains("rows")) {
    for (const auto& row : json.at("rows")) {
      std::vector<std::optional<std::string>> fields;
      for (const auto& field : row) {
        if (field.is_null()) {
          fields.push_back(std::nullopt);
        } else if (field.is_string()) {
          fields.push_back(field.get<std::string>());
        } else {
          throw JsonError{"a row field at " + path + ".rows is neither a string nor null"};
        }
      }
      table.inline_rows.push_back(std::move(fields));
    }
  }
  if (json.contains("partition_keys")) {
    if (!json.at("partition_keys").is_array()) {
      throw JsonError{"partition_keys at " + path + " is not an array"};
    }
    for (const auto& key : json.at("partition_keys")) {
      if (!key.is_string()) throw JsonError{"a partition key at " + path + " is not a string"};
      table.partition_keys.push_back(key.get<std::string>());
    }
  }
  if (json.contains("metadata_columns")) {
    const ordered_json& columns = json.at("metadata_columns");
    if (!columns.is_array()) throw JsonError{"metadata_columns at " + path + " is not an array"};
    for (const auto& column : columns) {
      const std::string at = path + ".metadata_columns";
      connectors::MetadataColumn metadata;
      metadata.column = Get<std::string>(column, "column", at);
      metadata.key = Get<std::string>(column, "key", at);
      metadata.is_virtual = Get<bool>(column, "virtual", at);
      if (!table.schema.Find(metadata.column)) {
        throw JsonError{"metadata column '" + metadata.column + "' at " + at +
                        " is not a column of table '" + table.name + "'"};
      }
      table.metadata_columns.push_back(std::move(metadata));
    }
  }
  if (json.contains("primary_key")) {
    if (!json.at("primary_key").is_array()) {
      throw JsonError{"primary_key at " + path + " is not an array"};
    }
    for (const auto& key : json.at("primary_key")) {
      if (!key.is_string()) throw JsonError{"a primary key column at " + path + " is not a string"};
      table.primary_key.push_back(key.get<std::string>());
    }
  }
  return table;
}

template <typename Enum, size_t N>
Enum EnumFromName(const std::string& name, const std::pair<Enum, const char*> (&names)[N],
                  const std::string& path) {
  for (const auto& [value, text] : names) {
    if (name == text) return value;
  }
  throw JsonError{"unknown value '" + name + "' at " + path};
}

constexpr std::pair<OperatorKind, const char*> kOperatorKinds[] = {
    {OperatorKind::kSource, "source"},
    {OperatorKind::kCalc, "calc"},
    {OperatorKind::kSink, "sink"},
    {OperatorKind::kUnion, "union"},
    {OperatorKind::kWindowAggregate, "window-aggregate"},
    {OperatorKind::kGroupAggregate, "group-aggregate"},
    {OperatorKind::kJoin, "join"},
    {OperatorKind::kTopN, "top-n"},
    {OperatorKind::kLookupJoin, "lookup-join"},
    {OperatorKind::kIntervalJoin, "interval-join"},
    {OperatorKind::kWindowJoin, "window-join"},
    {OperatorKind::kOverAggregate, "over-aggregate"},
    {OperatorKind::kChangelogNormalize, "changelog-normalize"},
    {OperatorKind::kSetOperation, "set-operation"},
    {OperatorKind::kWindowTableFunction, "window-table-function"},
    {OperatorKind::kWindowRank, "window-rank"},
    {OperatorKind::kExpand, "expand"},
    {OperatorKind::kUnnest, "unnest"},
    {OperatorKind::kTemporalJoin, "temporal-join"},
    {OperatorKind::kMatchRecognize, "match-recognize"},
    {OperatorKind::kTimeSort, "time-sort"}};
constexpr std::pair<SetOperationKind, const char*> kSetOperationKinds[] = {
    {SetOperationKind::kIntersect, "INTERSECT"}, {SetOperationKind::kExcept, "EXCEPT"}};
constexpr std::pair<RankFunction, const char*> kRankFunctions[] = {
    {RankFunction::kRowNumber, "ROW_NUMBER"},
    {RankFunction::kRank, "RANK"},
    {RankFunction::kDenseRank, "DENSE_RANK"}};
constexpr std::pair<OverFrameUnit, const char*> kFrameUnits[] = {{OverFrameUnit::kRows, "ROWS"},
                                                                 {OverFrameUnit::kRange, "RANGE"}};
constexpr std::pair<JoinType, const char*> kJoinTypes[] = {
    {JoinType::kInner, "inner"}, {JoinType::kLeft, "left"}, {JoinType::kFull, "full"},
    {JoinType::kSemi, "semi"},   {JoinType::kAnti, "anti"}, {JoinType::kRight, "right"}};
constexpr std::pair<AggregateKind, const char*> kAggregateKinds[] = {
    {AggregateKind::kCountStar, "COUNT(*)"},
    {AggregateKind::kCount, "COUNT"},
    {AggregateKind::kSum, "SUM"},
    {AggregateKind::kMin, "MIN"},
    {AggregateKind::kMax, "MAX"},
    {AggregateKind::kAvg, "AVG"},
    {AggregateKind::kStddevPop, "STDDEV_POP"},
    {AggregateKind::kStddevSamp, "STDDEV_SAMP"},
    {AggregateKind::kVarPop, "VAR_POP"},
    {AggregateKind::kVarSamp, "VAR_SAMP"},
    {AggregateKind::kBoolAnd, "BOOL_AND"},
    {AggregateKind::kBoolOr, "BOOL_OR"},
    {AggregateKind::kFirstValue, "FIRST_VALUE"},
    {AggregateKind::kLastValue, "LAST_VALUE"},
    {AggregateKind::kListAgg, "LISTAGG"},
    {AggregateKind::kCollect, "COLLECT"},
    {AggregateKind::kArrayAgg, "ARRAY_AGG"},
    {AggregateKind::kLag, "LAG"}};
constexpr std::pair<WindowKind, const char*> kWindowKinds[] = {{WindowKind::kTumble, "TUMBLE"},
                                                               {WindowKind::kHop, "HOP"},
                                                               {WindowKind::kCumulate, "CUMULATE"},
                                                               {WindowKind::kSession, "SESSION"}};
constexpr std::pair<ExchangeKind, const char*> kExchangeKinds[] = {
    {ExchangeKind::kForward, "forward"},
    {ExchangeKind::kHash, "hash"},
    {ExchangeKind::kBroadcast, "broadcast"},
    {ExchangeKind::kRebalance, "rebalance"}};
constexpr std::pair<ChangelogMode, const char*> kChangelogModes[] = {
    {ChangelogMode::kInsertOnly, "insert-only"}, {ChangelogMode::kUpdating, "updating"}};
constexpr std::pair<StateNamespace, const char*> kNamespaces[] = {
    {StateNamespace::kNone, "none"},
    {StateNamespace::kWindow, "window"},
    {StateNamespace::kTime, "time"}};
constexpr std::pair<MatchAccessorKind, const char*> kMatchAccessorKinds[] = {
    {MatchAccessorKind::kLast, "last"},
    {MatchAccessorKind::kFirst, "first"},
    {MatchAccessorKind::kPrevious, "prev"},
    {MatchAccessorKind::kSum, "sum"},
    {MatchAccessorKind::kCount, "count"},
    {MatchAccessorKind::kAverage, "avg"},
    {MatchAccessorKind::kMin, "min"},
    {MatchAccessorKind::kMax, "max"},
    {MatchAccessorKind::kMatchRowtime, "match_rowtime"},
    {MatchAccessorKind::kMatchProctime, "match_proctime"},
    {MatchAccessorKind::kClassifier, "classifier"}};
constexpr std::pair<MatchInstructionKind, const char*> kMatchInstructionKinds[] = {
    {MatchInstructionKind::kVariable, "variable"},
    {MatchInstructionKind::kSplit, "split"},
    {MatchInstructionKind::kJump, "jump"},
    {MatchInstructionKind::kMatch, "match"}};
constexpr std::pair<MatchSkip, const char*> kMatchSkips[] = {
    {MatchSkip::kPastLastRow, "past-last-row"},
    {MatchSkip::kToNextRow, "to-next-row"},
    {MatchSkip::kToFirst, "to-first"},
    {MatchSkip::kToLast, "to-last"}};

template <typename Enum, size_t N>
const char* EnumName(Enum value, const std::pair<Enum, const char*> (&names)[N]) {
  for (const auto& [candidate, text] : names) {
    if (candidate == value) return text;
  }
  return "?";
}

ordered_json WindowToJson(const WindowSpec& window) {
  ordered_json out = {{"kind", EnumName(window.kind, kWindowKinds)},
                      {"time_slot", window.time_slot},
                      {"size", window.size},
                      {"step", window.step},
                      {"gap", window.gap},
                      {"offset", window.offset}};
  if (window.processing_time) out["processing_time"] = true;
  if (!window.time_zone.empty()) out["time_zone"] = window.time_zone;
  return out;
}

WindowSpec WindowFromJson(const ordered_json& window, const std::string& window_path) {
  WindowSpec parsed;
  parsed.kind = EnumFromName(Get<std::string>(window, "kind", window_path), kWindowKinds,
                             window_path + ".kind");
  parsed.time_slot = Get<int32_t>(window, "time_slot", window_path);
  parsed.size = Get<int64_t>(window, "size", window_path);
  parsed.step = Get<int64_t>(window, "step", window_path);
  parsed.gap = Get<int64_t>(window, "gap", window_path);
  parsed.offset = Get<int64_t>(window, "offset", window_path);
  if (window.contains("processing_time")) {
    parsed.processing_time = Get<bool>(window, "processing_time", window_path);
  }
  if (window.contains("time_zone")) {
    parsed.time_zone = Get<std::string>(window, "time_zone", window_path);
    if (expr::TimeZone::Find(parsed.time_zone) == nullptr) {
      throw JsonError{"unknown time zone '" + parsed.time_zone.substr(0, 100) + "' at " +
                      window_path + ".time_zone"};
    }
  }
  return parsed;
}

ordered_json SortKeysToJson(const std::vector<SortKey>& keys) {
  ordered_json out = ordered_json::array();
  for (const SortKey& key : keys) {
    out.push_back(
        {{"slot", key.slot}, {"ascending", key.ascending}, {"nulls_first", key.nulls_first}});
  }
  return out;
}

std::vector<SortKey> SortKeysFromJson(const ordered_json& json, const std::string& path) {
  std::vector<SortKey> keys;
  for (size_t i = 0; i < json.size(); ++i) {
    std::string key_path = path + "[" + std::to_string(i) + "]";
    keys.push_back(SortKey{Get<int32_t>(json[i], "slot", key_path),
                           Get<bool>(json[i], "ascending", key_path),
                           Get<bool>(json[i], "nulls_first", key_path)});
  }
  return keys;
}

ordered_json MatchAccessorsToJson(const std::vector<MatchAccessor>& accessors) {
  ordered_json out = ordered_json::array();
  for (const MatchAccessor& accessor : accessors) {
    out.push_back({{"kind", EnumName(accessor.kind, kMatchAccessorKinds)},
                   {"variable", accessor.variable},
                   {"slot", accessor.slot},
                   {"offset", accessor.offset},
                   {"type", TypeToJson(accessor.type)}});
  }
  return out;
}

std::vector<MatchAccessor> MatchAccessorsFromJson(const ordered_json& json,
                                                  const std::string& path) {
  std::vector<MatchAccessor> accessors;
  if (!json.is_array()) throw JsonError{"accessors are not a list at " + path};
  for (size_t i = 0; i < json.size(); ++i) {
    std::string item_path = path + "[" + std::to_string(i) + "]";
    MatchAccessor accessor;
    accessor.kind = EnumFromName(Get<std::string>(json[i], "kind", item_path), kMatchAccessorKinds,
                                 item_path + ".kind");
    accessor.variable = Get<int32_t>(json[i], "variable", item_path);
    accessor.slot = Get<int32_t>(json[i], "slot", item_path);
    accessor.offset = Get<int64_t>(json[i], "offset", item_path);
    accessor.type = TypeFromJson(Field(json[i], "type", item_path), item_path + ".type");
    accessors.push_back(accessor);
  }
  return accessors;
}

ordered_json MatchRecognizeToJson(const MatchRecognizeSpec& spec) {
  ordered_json program = ordered_json::array();
  for (const MatchInstruction& instruction : spec.program) {
    program.push_back({{"kind", EnumName(instruction.kind, kMatchInstructionKinds)},
                       {"variable", instruction.variable},
                       {"next", instruction.next},
                       {"alternative", instruction.alternative},
                       {"exclusive", instruction.exclusive}});
  }
  ordered_json defines = ordered_json::array();
  for (const MatchExpression& define : spec.defines) {
    defines.push_back({{"accessors", MatchAccessorsToJson(define.accessors)},
                       {"expression", ExprToJson(define.expression)}});
  }
  ordered_json measures = ordered_json::array();
  for (const ExprPtr& measure : spec.measures) measures.push_back(ExprToJson(measure));
  ordered_json row_expressions = ordered_json::array();
  for (const ExprPtr& expression : spec.row_expressions) {
    row_expressions.push_back(ExprToJson(expression));
  }
  return {{"partition_slots", spec.partition_slots},
          {"order_slot", spec.order_slot},
          {"event_time", spec.event_time},
          {"order_keys", SortKeysToJson(spec.order_keys)},
          {"variables", spec.variables},
          {"pattern", spec.pattern},
          {"program", program},
          {"defines", defines},
          {"row_expressions", row_expressions},
          {"measure_accessors", MatchAccessorsToJson(spec.measure_accessors)},
          {"measures", measures},
          {"skip", EnumName(spec.skip, kMatchSkips)},
          {"skip_variable", spec.skip_variable},
          {"within_ms", spec.within_millis}};
}

MatchRecognizeSpec MatchRecognizeFromJson(const ordered_json& json, const std::string& path) {
  MatchRecognizeSpec spec;
  spec.partition_slots = Get<std::vector<int32_t>>(json, "partition_slots", path);
  spec.order_slot = Get<int32_t>(json, "order_slot", path);
  spec.event_time = Get<bool>(json, "event_time", path);
  spec.order_keys = SortKeysFromJson(Field(json, "order_keys", path), path + ".order_keys");
  spec.variables = Get<std::vector<std::string>>(json, "variables", path);
  spec.pattern = Get<std::string>(json, "pattern", path);
  const ordered_json& program = Field(json, "program", path);
  for (size_t i = 0; i < program.size(); ++i) {
    std::string item_path = path + ".program[" + std::to_string(i) + "]";
    MatchInstruction instruction;
    instruction.kind = EnumFromName(Get<std::string>(program[i], "kind", item_path),
                                    kMatchInstructionKinds, item_path + ".kind");
    instruction.variable = Get<int32_t>(program[i], "variable", item_path);
    instruction.next = Get<int32_t>(program[i], "next", item_path);
    instruction.alternative = Get<int32_t>(program[i], "alternative", item_path);
    instruction.exclusive = Get<bool>(program[i], "exclusive", item_path);
    spec.program.push_back(instruction);
  }
  const ordered_json& defines = Field(json, "defines", path);
  for (size_t i = 0; i < defines.size(); ++i) {
    std::string item_path = path + ".defines[" + std::to_string(i) + "]";
    MatchExpression define;
    define.accessors =
        MatchAccessorsFromJson(Field(defines[i], "accessors", item_path), item_path + ".accessors");
    define.expression =
        ExprFromJson(Field(defines[i], "expression", item_path), item_path + ".expression");
    spec.defines.push_back(std::move(define));
  }
  const ordered_json& row_expressions = Field(json, "row_expressions", path);
  for (size_t i = 0; i < row_expressions.size(); ++i) {
    spec.row_expressions.push_back(
        ExprFromJson(row_expressions[i], path + ".row_expressions[" + std::to_string(i) + "]"));
  }
  spec.measure_accessors =
      MatchAccessorsFromJson(Field(json, "measure_accessors", path), path + ".measure_accessors");
  const ordered_json& measures = Field(json, "measures", path);
  for (size_t i = 0; i < measures.size(); ++i) {
    spec.measures.push_back(
        ExprFromJson(measures[i], path + ".measures[" + std::to_string(i) + "]"));
  }
  spec.skip = EnumFromName(Get<std::string>(json, "skip", path), kMatchSkips, path + ".skip");
  spec.skip_variable = Get<int32_t>(json, "skip_variable", path);
  spec.within_millis = Get<int64_t>(json, "within_ms", path);
  return spec;
}

ordered_json AggregateToJson(const AggregateSpec& spec) {
  ordered_json calls = ordered_json::array();
  for (const AggregateCall& call : spec.calls) {
    calls.push_back({{"kind", EnumName(call.kind, kAggregateKinds)},
                     {"argument_slot", call.argument_slot},
                     {"argument_type", TypeToJson(call.argument_type)},
                     {"result_type", TypeToJson(call.result_type)},
                     {"distinct", call.distinct},
                     {"filter_slot", call.filter_slot},
                     {"retractable", call.retractable}});
    // Only the calls that have them carry these, so older plans read and write unchanged.
    if (call.kind == AggregateKind::kListAgg) calls.back()["separator"] = call.separator;
    if (call.kind == AggregateKind::kLag) {
      calls.back()["offset"] = call.offset;
      calls.back()["default_slot"] = call.default_slot;
    }
  }
  ordered_json out = {{"key_slots", spec.key_slots}, {"calls", calls}};
  if (spec.window) out["window"] = WindowToJson(*spec.window);
  return out;
}

AggregateSpec AggregateFromJson(const ordered_json& json, const std::string& path) {
  AggregateSpec spec;
  spec.key_slots = Get<std::vector<int32_t>>(json, "key_slots", path);
  const auto& calls = Field(json, "calls", path);
  for (size_t i = 0; i < calls.size(); ++i) {
    std::string call_path = path + ".calls[" + std::to_string(i) + "]";
    AggregateCall call;
    call.kind = EnumFromName(Get<std::string>(calls[i], "kind", call_path), kAggregateKinds,
                             call_path + ".kind");
    call.argument_slot = Get<int32_t>(calls[i], "argument_slot", call_path);
    call.argument_type = TypeFromJson(Field(calls[i], "argument_type", call_path), call_path);
    call.result_type = TypeFromJson(Field(calls[i], "result_type", call_path), call_path);
    call.distinct = Get<bool>(calls[i], "distinct", call_path);
    call.filter_slot = Get<int32_t>(calls[i], "filter_slot", call_path);
    call.retractable = Get<bool>(calls[i], "retractable", call_path);
    if (calls[i].contains("separator")) {
      call.separator = Get<std::string>(calls[i], "separator", call_path);
    }
    if (calls[i].contains("offset")) call.offset = Get<int64_t>(calls[i], "offset", call_path);
    if (calls[i].contains("default_slot")) {
      call.default_slot = Get<int32_t>(calls[i], "default_slot", call_path);
    }
    spec.calls.push_back(std::move(call));
  }
  if (json.contains("window")) {
    spec.window = WindowFromJson(json.at("window"), path + ".window");
  }
  return spec;
}

ordered_json LookupJoinToJson(const LookupJoinSpec& spec) {
  ordered_json out = {
      {"type", EnumName(spec.type, kJoinTypes)},       {"table", TableToJson(spec.table)},
      {"table_output_slots", spec.table_output_slots}, {"left_key_slots", spec.left_key_slots},
      {"table_key_slots", spec.table_key_slots},       {"residual", ExprToJson(spec.residual)}};
  if (spec.table_chain) out["table_chain"] = ChainToJson(*spec.table_chain);
  return out;
}

LookupJoinSpec LookupJoinFromJson(const ordered_json& json, const std::string& path) {
  LookupJoinSpec spec;
  spec.type = EnumFromName(Get<std::string>(json, "type", path), kJoinTypes, path + ".type");
  if (spec.type != JoinType::kInner && spec.type != JoinType::kLeft) {
    throw JsonError{"a lookup join is inner or left at " + path + ".type"};
  }
  spec.table = TableFromJson(Field(json, "table", path), path + ".table");
  RequireConnector(spec.table, path + ".table");
  spec.table_output_slots = Get<int32_t>(json, "table_output_slots", path);
  spec.left_key_slots = Get<std::vector<int32_t>>(json, "left_key_slots", path);
  spec.table_key_slots = Get<std::vector<int32_t>>(json, "table_key_slots", path);
  spec.residual = ExprFromJson(Field(json, "residual", path), path + ".residual");
  if (json.contains("table_chain")) {
    spec.table_chain = ChainFromJson(json.at("table_chain"), path + ".table_chain");
  }
  return spec;
}

ordered_json SignatureToJson(const StateSignature& signature) {
  ordered_json components = ordered_json::array();
  for (const SignatureComponent& component : signature.components) {
    ordered_json fields = ordered_json::array();
    for (const SignatureField& field : component.fields) {
      fields.push_back({{"name", field.name}, {"type", field.type}});
    }
    components.push_back(
        {{"name", component.name}, {"evolvable", component.evolvable}, {"fields", fields}});
  }
  return {{"hash", signature.hash}, {"components", components}};
}

StateSignature SignatureFromJson(const ordered_json& json, const std::string& path) {
  StateSignature signature;
  signature.hash = Get<std::string>(json, "hash", path);
  const auto& components = Field(json, "components", path);
  for (size_t i = 0; i < components.size(); ++i) {
    std::string component_path = path + ".components[" + std::to_string(i) + "]";
    SignatureComponent component;
    component.name = Get<std::string>(components[i], "name", component_path);
    component.evolvable = Get<bool>(components[i], "evolvable", component_path);
    const auto& fields = Field(components[i], "fields", component_path);
    for (size_t j = 0; j < fields.size(); ++j) {
      std::string field_path = component_path + ".fields[" + std::to_string(j) + "]";
      component.fields.push_back({Get<std::string>(fields[j], "name", field_path),
                                  Get<std::string>(fields[j], "type", field_path)});
    }
    signature.components.push_back(std::move(component));
  }
  return signature;
}

ordered_json NodeToJson(const PlanNode& node) {
  ordered_json out;
  out["id"] = node.id;
  out["uid"] = node.uid;
  out["kind"] = EnumName(node.kind, kOperatorKinds);
  out["kind_version"] = node.kind_version;
  out["parallelism"] = node.parallelism;
  out["description"] = node.description;
  out["output_schema"] = SchemaToJson(node.output_schema);
  out["changelog_mode"] = EnumName(node.changelog_mode, kChangelogModes);
  ordered_json state = ordered_json::array();
  for (const auto& spec : node.state) {
    state.push_back({{"name", spec.name},
                     {"key_schema", SchemaToJson(spec.key_schema)},
                     {"namespace", EnumName(spec.state_namespace, kNamespaces)},
                     {"value_schema", SchemaToJson(spec.value_schema)},
                     {"ttl_ms", spec.ttl_millis}});
  }
  out["state"] = state;
  if (node.table) out["table"] = TableToJson(*node.table);
  if (node.computed_columns) out["computed_columns"] = ChainToJson(*node.computed_columns);
  if (node.watermark) {
    out["watermark"] = {{"rowtime_slot", node.watermark->rowtime_slot},
                        {"expression", ExprToJson(node.watermark->expression)}};
  }
  if (node.idle_timeout > 0) {
    out["idle_timeout"] = node.idle_timeout;
  }
  if (node.chain) out["chain"] = ChainToJson(*node.chain);
  if (node.filter_as_last_projection) out["filter_as_last_projection"] = true;
  if (node.aggregate) out["aggregate"] = AggregateToJson(*node.aggregate);
  if (node.top_n) {
    out["top_n"] = {{"partition_slots", node.top_n->partition_slots},
                    {"sort", SortKeysToJson(node.top_n->sort)},
                    {"limit", node.top_n->limit},
                    {"emit_row_number", node.top_n->emit_row_number},
                    {"keep_first_only", node.top_n->keep_first_only}};
    if (node.top_n->newest_first_on_ties) out["top_n"]["newest_first_on_ties"] = true;
    if (node.top_n->window_end_slot >= 0) {
      out["top_n"]["window_end_slot"] = node.top_n->window_end_slot;
      if (!node.top_n->window_time_zone.empty()) {
        out["top_n"]["window_time_zone"] = node.top_n->window_time_zone;
      }
    }
    if (node.top_n->function != RankFunction::kRowNumber) {
      out["top_n"]["function"] = EnumName(node.top_n->function, kRankFunctions);
    }
  }
  if (node.normalize) out["normalize"] = {{"key_slots", node.normalize->key_slots}};
  if (node.window_table_function) {
    out["window_table_function"] = WindowToJson(*node.window_table_function);
  }
  if (node.expand) {
    ordered_json sets = ordered_json::array();
    for (const ExpandSet& set : node.expand->sets) {
      sets.push_back({{"id", set.id}, {"absent", set.absent}});
    }
    out["expand"] = {{"grouping_slots", node.expand->grouping_slots}, {"sets", sets}};
  }
  if (node.unnest) {
    out["unnest"] = {{"collection_slot", node.unnest->collection_slot},
                     {"collection_type", TypeToJson(node.unnest->collection_type)},
                     {"outer", node.unnest->outer},
                     {"ordinality", node.unnest->ordinality}};
  }
  if (node.set_operation) {
    out["set_operation"] = {{"kind", EnumName(node.set_operation->kind, kSetOperationKinds)},
                            {"all", node.set_operation->all}};
  }
  if (node.over_aggregate) {
    const OverAggregateSpec& over = *node.over_aggregate;
    ordered_json calls = AggregateToJson(AggregateSpec{over.partition_slots, over.calls, {}});
    out["over_aggregate"] = {{"partition_slots", over.partition_slots},
                             {"order_slot", over.order_slot},
                             {"unit", EnumName(over.unit, kFrameUnits)},
                             {"preceding", over.preceding},
                             {"calls", calls.at("calls")},
                             {"changelog", over.changelog}};
    if (over.processing_time) out["over_aggregate"]["processing_time"] = true;
  }
  if (node.join) {
    out["join"] = {{"type", EnumName(node.join->type, kJoinTypes)},
                   {"left_key_slots", node.join->left_key_slots},
                   {"right_key_slots", node.join->right_key_slots},
                   {"residual", ExprToJson(node.join->residual)},
                   {"state_ttl_ms", node.join->state_ttl}};
    if (node.join->left_window_end_slot >= 0) {
      out["join"]["window_end_slots"] = {node.join->left_window_end_slot,
                                         node.join->right_window_end_slot};
    }
    if (node.join->single_right_row) out["join"]["single_right_row"] = true;
    for (const auto& [name, expiries] : {std::pair{"left_expiry", &node.join->left_expiry},
                                         std::pair{"right_expiry", &node.join->right_expiry}}) {
      if (expiries->empty()) continue;
      ordered_json list = ordered_json::array();
      for (const RowExpiry& expiry : *expiries) {
        list.push_back({{"slot", expiry.slot}, {"offset_ms", expiry.offset}});
      }
      out["join"][name] = std::move(list);
    }
  }
  if (node.lookup_join) out["lookup_join"] = LookupJoinToJson(*node.lookup_join);
  if (node.interval_join) {
    out["interval_join"] = {{"left_time_slot", node.interval_join->left_time_slot},
                            {"right_time_slot", node.interval_join->right_time_slot},
                            {"lower_ms", node.interval_join->lower},
                            {"upper_ms", node.interval_join->upper}};
  }
  if (node.match_recognize) out["match_recognize"] = MatchRecognizeToJson(*node.match_recognize);
  if (node.time_sort) {
    out["time_sort"] = {{"time_slot", node.time_sort->time_slot},
                        {"event_time", node.time_sort->event_time},
                        {"order_keys", SortKeysToJson(node.time_sort->order_keys)}};
  }
  if (node.temporal_join) {
    out["temporal_join"] = {{"left_time_slot", node.temporal_join->left_time_slot},
                            {"right_time_slot", node.temporal_join->right_time_slot}};
  }
  if (node.window_join) {
    out["window_join"] = {{"window", WindowToJson(node.window_join->window)},
                          {"left_time_slot", node.window_join->left_time_slot},
                          {"right_time_slot", node.window_join->right_time_slot}};
  }
  if (node.signature) out["signature"] = SignatureToJson(*node.signature);
  return out;
}

PlanNode NodeFromJson(const ordered_json& json, const std::string& path) {
  PlanNode node;
  node.id = Get<int32_t>(json, "id", path);
  node.uid = Get<std::string>(json, "uid", path);
  node.kind = EnumFromName(Get<std::string>(json, "kind", path), kOperatorKinds, path + ".kind");
  node.kind_version = Get<int32_t>(json, "kind_version", path);
  node.parallelism = Get<int32_t>(json, "parallelism", path);
  node.description = Get<std::string>(json, "description", path);
  node.output_schema = SchemaFromJson(Field(json, "output_schema", path), path + ".output_schema");
  node.changelog_mode = EnumFromName(Get<std::string>(json, "changelog_mode", path),
                                     kChangelogModes, path + ".changelog_mode");
  const auto& state = Field(json, "state", path);
  for (size_t i = 0; i < state.size(); ++i) {
    std::string state_path = path + ".state[" + std::to_string(i) + "]";
    StateSpec spec;
    spec.name = Get<std::string>(state[i], "name", state_path);
    spec.key_schema = SchemaFromJson(Field(state[i], "key_schema", state_path), state_path);
    spec.state_namespace = EnumFromName(Get<std::string>(state[i], "namespace", state_path),
                                        kNamespaces, state_path + ".namespace");
    spec.value_schema = SchemaFromJson(Field(state[i], "value_schema", state_path), state_path);
    spec.ttl_millis = Get<int64_t>(state[i], "ttl_ms", state_path);
    node.state.push_back(std::move(spec));
  }
  if (json.contains("table")) node.table = TableFromJson(json.at("table"), path + ".table");
  // The runtime opens a source or sink by its table's connector: a plan without one is
  // refused here, not when an operator looks the option up.
  if (node.kind == OperatorKind::kSource || node.kind == OperatorKind::kSink) {
    if (!node.table) {
      throw JsonError{"a " + std::string(OperatorKindName(node.kind)) + " without a table at " +
                      path};
    }
    RequireConnector(*node.table, path + ".table");
  }
  if (json.contains("computed_columns")) {
    node.computed_columns = ChainFromJson(json.at("computed_columns"), path + ".computed_columns");
  }
  if (json.contains("idle_timeout")) {
    node.idle_timeout = Get<int64_t>(json, "idle_timeout", path);
  }
  if (json.contains("watermark")) {
    const auto& watermark = json.at("watermark");
    node.watermark = WatermarkSpec{Get<int32_t>(watermark, "rowtime_slot", path + ".watermark"),
                                   ExprFromJson(Field(watermark, "expression", path + ".watermark"),
                                                path + ".watermark.expression")};
  }
  if (json.contains("chain")) node.chain = ChainFromJson(json.at("chain"), path + ".chain");
  node.filter_as_last_projection = json.value("filter_as_last_projection", false);
  if (json.contains("aggregate")) {
    node.aggregate = AggregateFromJson(json.at("aggregate"), path + ".aggregate");
  }
  if (json.contains("top_n")) {
    const auto& top_n = json.at("top_n");
    std::string top_path = path + ".top_n";
    TopNSpec spec;
    spec.partition_slots = Get<std::vector<int32_t>>(top_n, "partition_slots", top_path);
    spec.sort = SortKeysFromJson(Field(top_n, "sort", top_path), top_path + ".sort");
    spec.limit = Get<int64_t>(top_n, "limit", top_path);
    spec.emit_row_number = Get<bool>(top_n, "emit_row_number", top_path);
    spec.keep_first_only = Get<bool>(top_n, "keep_first_only", top_path);
    if (top_n.contains("newest_first_on_ties")) {
      spec.newest_first_on_ties = Get<bool>(top_n, "newest_first_on_ties", top_path);
    }
    if (top_n.contains("window_end_slot")) {
      spec.window_end_slot = Get<int32_t>(top_n, "window_end_slot", top_path);
      if (top_n.contains("window_time_zone")) {
        spec.window_time_zone = Get<std::string>(top_n, "window_time_zone", top_path);
        if (expr::TimeZone::Find(spec.window_time_zone) == nullptr) {
          throw JsonError{"unknown time zone at " + top_path + ".window_time_zone"};
        }
      }
    }
    if (top_n.contains("function")) {
      spec.function = EnumFromName(Get<std::string>(top_n, "function", top_path), kRankFunctions,
                                   top_path + ".function");
    }
    node.top_n = spec;
  }
  if (json.contains("normalize")) {
    ChangelogNormalizeSpec spec;
    spec.key_slots =
        Get<std::vector<int32_t>>(json.at("normalize"), "key_slots", path + ".normalize");
    node.normalize = spec;
  }
  if (json.contains("window_table_function")) {
    node.window_table_function =
        WindowFromJson(json.at("window_table_function"), path + ".window_table_function");
  }
  if (json.contains("expand")) {
    const auto& expand = json.at("expand");
    std::string expand_path = path + ".expand";
    ExpandSpec spec;
    spec.grouping_slots = Get<std::vector<int32_t>>(expand, "grouping_slots", expand_path);
    const auto& sets = Field(expand, "sets", expand_path);
    if (!sets.is_array()) throw JsonError{"sets at " + expand_path + " is not an array"};
    for (size_t i = 0; i < sets.size(); ++i) {
      std::string set_path = fmt::format("{}.sets[{}]", expand_path, i);
      ExpandSet set;
      set.id = Get<int64_t>(sets[i], "id", set_path);
      set.absent = Get<std::vector<int32_t>>(sets[i], "absent", set_path);
      spec.sets.push_back(std::move(set));
    }
    node.expand = std::move(spec);
  }
  if (json.contains("unnest")) {
    const auto& unnest = json.at("unnest");
    std::string unnest_path = path + ".unnest";
    UnnestSpec spec;
    spec.collection_slot = Get<int32_t>(unnest, "collection_slot", unnest_path);
    spec.collection_type = TypeFromJson(Field(unnest, "collection_type", unnest_path),
                                        unnest_path + ".collection_type");
    spec.outer = Get<bool>(unnest, "outer", unnest_path);
    spec.ordinality = Get<bool>(unnest, "ordinality", unnest_path);
    node.unnest = spec;
  }
  if (json.contains("set_operation")) {
    const auto& set_operation = json.at("set_operation");
    std::string set_path = path + ".set_operation";
    SetOperationSpec spec;
    spec.kind = EnumFromName(Get<std::string>(set_operation, "kind", set_path), kSetOperationKinds,
                             set_path + ".kind");
    spec.all = Get<bool>(set_operation, "all", set_path);
    node.set_operation = spec;
  }
  if (json.contains("over_aggregate")) {
    const auto& over = json.at("over_aggregate");
    std::string over_path = path + ".over_aggregate";
    OverAggregateSpec spec;
    spec.partition_slots = Get<std::vector<int32_t>>(over, "partition_slots", over_path);
    spec.order_slot = Get<int32_t>(over, "order_slot", over_path);
    spec.unit =
        EnumFromName(Get<std::string>(over, "unit", over_path), kFrameUnits, over_path + ".unit");
    spec.preceding = Get<int64_t>(over, "preceding", over_path);
    ordered_json calls = {{"key_slots", ordered_json::array()},
                          {"calls", Field(over, "calls", over_path)}};
    spec.calls = AggregateFromJson(calls, over_path).calls;
    spec.changelog = Get<bool>(over, "changelog", over_path);
    if (over.contains("processing_time")) {
      spec.processing_time = Get<bool>(over, "processing_time", over_path);
    }
    node.over_aggregate = spec;
  }
  if (json.contains("join")) {
    const auto& join = json.at("join");
    std::string join_path = path + ".join";
    JoinSpec spec;
    spec.type =
        EnumFromName(Get<std::string>(join, "type", join_path), kJoinTypes, join_path + ".type");
    spec.left_key_slots = Get<std::vector<int32_t>>(join, "left_key_slots", join_path);
    spec.right_key_slots = Get<std::vector<int32_t>>(join, "right_key_slots", join_path);
    spec.residual = ExprFromJson(Field(join, "residual", join_path), join_path + ".residual");
    spec.state_ttl = Get<int64_t>(join, "state_ttl_ms", join_path);
    if (join.contains("window_end_slots")) {
      auto slots = Get<std::vector<int32_t>>(join, "window_end_slots", join_path);
      if (slots.size() != 2) throw JsonError{"window_end_slots needs two slots at " + join_path};
      spec.left_window_end_slot = slots[0];
      spec.right_window_end_slot = slots[1];
    }
    if (join.contains("single_right_row")) {
      spec.single_right_row = Get<bool>(join, "single_right_row", join_path);
    }
    for (const auto& [name, expiries] : {std::pair{"left_expiry", &spec.left_expiry},
                                         std::pair{"right_expiry", &spec.right_expiry}}) {
      if (!join.contains(name)) continue;
      std::string list_path = join_path + "." + name;
      const auto& list = join.at(name);
      if (!list.is_array()) throw JsonError{"an array is needed at " + list_path};
      for (size_t i = 0; i < list.size(); ++i) {
        std::string item_path = list_path + "[" + std::to_string(i) + "]";
        expiries->push_back({Get<int32_t>(list[i], "slot", item_path),
                             Get<int64_t>(list[i], "offset_ms", item_path)});
      }
    }
    node.join = spec;
  }
  if (json.contains("lookup_join")) {
    node.lookup_join = LookupJoinFromJson(json.at("lookup_join"), path + ".lookup_join");
  }
  if (json.contains("interval_join")) {
    const auto& interval = json.at("interval_join");
    std::string interval_path = path + ".interval_join";
    IntervalJoinSpec spec;
    spec.left_time_slot = Get<int32_t>(interval, "left_time_slot", interval_path);
    spec.right_time_slot = Get<int32_t>(interval, "right_time_slot", interval_path);
    spec.lower = Get<int64_t>(interval, "lower_ms", interval_path);
    spec.upper = Get<int64_t>(interval, "upper_ms", interval_path);
    node.interval_join = spec;
  }
  if (json.contains("match_recognize")) {
    node.match_recognize =
        MatchRecognizeFromJson(json.at("match_recognize"), path + ".match_recognize");
  }
  if (json.contains("time_sort")) {
    const auto& sort = json.at("time_sort");
    std::string sort_path = path + ".time_sort";
    TimeSortSpec spec;
    spec.time_slot = Get<int32_t>(sort, "time_slot", sort_path);
    spec.event_time = Get<bool>(sort, "event_time", sort_path);
    spec.order_keys =
        SortKeysFromJson(Field(sort, "order_keys", sort_path), sort_path + ".order_keys");
    node.time_sort = spec;
  }
  if (json.contains("temporal_join")) {
    const auto& temporal = json.at("temporal_join");
    std::string temporal_path = path + ".temporal_join";
    TemporalJoinSpec spec;
    spec.left_time_slot = Get<int32_t>(temporal, "left_time_slot", temporal_path);
    spec.right_time_slot = Get<int32_t>(temporal, "right_time_slot", temporal_path);
    node.temporal_join = spec;
  }
  if (json.contains("window_join")) {
    const auto& window_join = json.at("window_join");
    std::string window_path = path + ".window_join";
    WindowJoinSpec spec;
    spec.window =
        WindowFromJson(Field(window_join, "window", window_path), window_path + ".window");
    spec.left_time_slot = Get<int32_t>(window_join, "left_time_slot", window_path);
    spec.right_time_slot = Get<int32_t>(window_join, "right_time_slot", window_path);
    node.window_join = spec;
  }
  if (json.contains("signature")) {
    node.signature = SignatureFromJson(json.at("signature"), path + ".signature");
  }
  return node;
}

}  // namespace

std::string ChainFingerprint(const ChainSpec& chain) {
  return ChainToJson(chain).dump();
}

std::string GroupingSetsText(const ExpandSpec& spec, const std::vector<std::string>& input_names) {
  std::string out = "GROUPING SETS (";
  for (size_t set = 0; set < spec.sets.size(); ++set) {
    std::vector<bool> present(spec.grouping_slots.size(), true);
    for (int32_t absent : spec.sets[set].absent) {
      if (absent >= 0 && static_cast<size_t>(absent) < present.size()) present[absent] = false;
    }
    out += set > 0 ? ", (" : "(";
    bool first = true;
    for (size_t i = 0; i < present.size(); ++i) {
      if (!present[i]) continue;
      int32_t slot = spec.grouping_slots[i];
      out += first ? "" : ", ";
      out += slot >= 0 && static_cast<size_t>(slot) < input_names.size() ? input_names[slot] : "?";
      first = false;
    }
    out += ")";
  }
  return out + ")";
}

std::string TimeSortText(const TimeSortSpec& spec, const std::vector<std::string>& input_names) {
  auto name = [&](int32_t slot) {
    return slot >= 0 && static_cast<size_t>(slot) < input_names.size() ? input_names[slot] : "?";
  };
  std::string out = "ORDER BY " + name(spec.time_slot) +
                    (spec.event_time ? " (event time)" : " (processing time)");
  for (const SortKey& key : spec.order_keys) {
    out += ", " + name(key.slot) + (key.ascending ? " ASC" : " DESC") +
           (key.nulls_first ? " NULLS FIRST" : " NULLS LAST");
  }
  return out;
}

const char* OperatorKindName(OperatorKind kind) {
  return EnumName(kind, kOperatorKinds);
}
const char* JoinTypeName(JoinType type) {
  switch (type) {
    case JoinType::kInner: return "INNER";
    case JoinType::kLeft: return "LEFT";
    case JoinType::kFull: return "FULL";
    case JoinType::kSemi: return "SEMI";
    case JoinType::kAnti: return "ANTI";
    case JoinType::kRight: return "RIGHT";
  }
  return "?";
}
const char* ExchangeKindName(ExchangeKind kind) {
  return EnumName(kind, kExchangeKinds);
}

std::vector<const PlanEdge*> PlanGraph::InputsOf(int32_t node) const {
  std::vector<const PlanEdge*> out;
  for (const PlanEdge& edge : edges) {
    if (edge.target_node == node) out.push_back(&edge);
  }
  return out;
}

std::vector<const PlanEdge*> PlanGraph::OutputsOf(int32_t node) const {
  std::vector<const PlanEdge*> out;
  for (const PlanEdge& edge : edges) {
    if (edge.source_node == node) out.push_back(&edge);
  }
  return out;
}

std::string PlanToJson(const PlanGraph& plan) {
  ordered_json out;
  out["format_version"] = PlanGraph::kFormatVersion;
  out["job_name"] = plan.job_name;
  out["max_parallelism"] = plan.max_parallelism;
  ordered_json options = ordered_json::object();
  for (const auto& [key, value] : plan.options) options[key] = value;
  out["options"] = options;
  ordered_json nodes = ordered_json::array();
  for (const PlanNode& node : plan.nodes) nodes.push_back(NodeToJson(node));
  out["nodes"] = nodes;
  ordered_json edges = ordered_json::array();
  for (const PlanEdge& edge : plan.edges) {
    ordered_json json = {{"source", edge.source_node},
                         {"target", edge.target_node},
                         {"input", edge.target_input},
                         {"exchange", EnumName(edge.exchange, kExchangeKinds)}};
    if (!edge.hash_slots.empty()) json["hash_slots"] = edge.hash_slots;
    edges.push_back(json);
  }
  out["edges"] = edges;
  return out.dump(2);
}

base::Result<PlanGraph> PlanFromJson(const std::string& text) {
  ordered_json json = ordered_json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return base::Status::Error(base::ErrorCode::kData, "the plan is not valid JSON");
  }
  try {
    int32_t version = Get<int32_t>(json, "format_version", "$");
    if (version != PlanGraph::kFormatVersion) {
      return base::Status::Error(base::ErrorCode::kData,
                                 fmt::format("plan format version {} is not supported (this engine "
                                             "reads version {})",
                                             version, PlanGraph::kFormatVersion));
    }
    PlanGraph plan;
    plan.job_name = Get<std::string>(json, "job_name", "$");
    plan.max_parallelism = Get<int32_t>(json, "max_parallelism", "$");
    for (const auto& [key, value] : Field(json, "options", "$").items()) {
      plan.options[key] = value.is_string() ? value.get<std::string>() : value.dump();
    }
    const auto& nodes = Field(json, "nodes", "$");
    for (size_t i = 0; i < nodes.size(); ++i) {
      plan.nodes.push_back(NodeFromJson(nodes[i], "$.nodes[" + std::to_string(i) + "]"));
      if (plan.nodes.back().id != static_cast<int32_t>(i)) {
        throw JsonError{"node ids must equal their positions at $.nodes[" + std::to_string(i) +
                        "]"};
      }
    }
    const auto& edges = Field(json, "edges", "$");
    for (size_t i = 0; i < edges.size(); ++i) {
      std::string path = "$.edges[" + std::to_string(i) + "]";
      PlanEdge edge;
      edge.source_node = Get<int32_t>(edges[i], "source", path);
      edge.target_node = Get<int32_t>(edges[i], "target", path);
      edge.target_input = Get<int32_t>(edges[i], "input", path);
      edge.exchange = EnumFromName(Get<std::string>(edges[i], "exchange", path), kExchangeKinds,
                                   path + ".exchange");
      if (edges[i].contains("hash_slots")) {
        edge.hash_slots = Get<std::vector<int32_t>>(edges[i], "hash_slots", path);
      }
      int32_t node_count = static_cast<int32_t>(plan.nodes.size());
      if (edge.source_node < 0 || edge.source_node >= node_count || edge.target_node < 0 ||
          edge.target_node >= node_count) {
        throw JsonError{"edge refers to a missing node at " + path};
      }
      plan.edges.push_back(std::move(edge));
    }
    return plan;
  } catch (const JsonError& error) {
    return base::Status::Error(base::ErrorCode::kData, "invalid plan: " + error.message);
  } catch (const nlohmann::json::exception& error) {
    return base::Status::Error(base::ErrorCode::kData,
                               std::string("invalid plan: ") + error.what());
  }
}

}  // namespace sluice::runtime::plan
