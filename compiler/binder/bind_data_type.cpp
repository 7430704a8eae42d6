#include <fmt/format.h>

#include "compiler/binder/binder.h"

namespace sluice::compiler::binder {

using types::LogicalType;

std::optional<LogicalType> Binder::BindDataType(const ast::DataType& type) {
  const std::string& name = type.name;
  auto no_parameters = [&]() {
    if (!type.parameters.empty()) {
      Error(base::ErrorCode::kBind, fmt::format("type {} takes no parameters", name), type.span);
      return false;
    }
    return true;
  };
  if (name == "INT" || name == "INTEGER") {
    if (!no_parameters()) return std::nullopt;
    return LogicalType::Int();
  }
  if (name == "TINYINT" || name == "SMALLINT") {
    if (!no_parameters()) return std::nullopt;
    return name == "TINYINT" ? LogicalType::Tinyint() : LogicalType::Smallint();
  }
  if (name == "BIGINT") {
    if (!no_parameters()) return std::nullopt;
    return LogicalType::Bigint();
  }
  if (name == "BOOLEAN" || name == "BOOL") {
    if (!no_parameters()) return std::nullopt;
    return LogicalType::Boolean();
  }
  if (name == "DOUBLE") {
    if (!no_parameters()) return std::nullopt;
    return LogicalType::Double();
  }
  if (name == "FLOAT" || name == "REAL") {  // Flink's FLOAT: a 4-byte float (Calcite's REAL)
    if (!no_parameters()) return std::nullopt;
    return LogicalType::Float();
  }
  if (name == "VARCHAR" || name == "STRING" || name == "CHAR") {
    return LogicalType::Varchar();
  }
  // BINARY(n) and VARBINARY(n) are BYTES, as CHAR(n) and VARCHAR(n) are VARCHAR: the length is
  // not kept (runtime/expr/SEMANTICS.md "Binary strings").
  if (name == "BYTES" || name == "VARBINARY" || name == "BINARY") {
    if (name == "BYTES" && !no_parameters()) return std::nullopt;
    if (type.parameters.size() > 1 || (!type.parameters.empty() && type.parameters[0] < 1)) {
      Error(base::ErrorCode::kBind,
            fmt::format("invalid {}: the length must be one positive integer", type.ToString()),
            type.span);
      return std::nullopt;
    }
    return LogicalType::Binary();
  }
  if (name == "DECIMAL" || name == "NUMERIC" || name == "DEC") {
    int64_t precision = type.parameters.size() > 0 ? type.parameters[0] : 10;
    int64_t scale = type.parameters.size() > 1 ? type.parameters[1] : 0;
    if (precision < 1 || precision > 38 || scale < 0 || scale > precision ||
        type.parameters.size() > 2) {
      Error(base::ErrorCode::kBind,
            fmt::format("invalid {}: precision must be 1..38 and scale 0..precision",
                        type.ToString()),
            type.span);
      return std::nullopt;
    }
    return LogicalType::Decimal(static_cast<int32_t>(precision), static_cast<int32_t>(scale));
  }
  if (name == "TIMESTAMP" || name == "TIMESTAMP_LTZ") {
    if (type.parameters.size() > 1 || (!type.parameters.empty() && type.parameters[0] > 3)) {
      Error(base::ErrorCode::kBind,
            fmt::format("{}: Sluice timestamps have millisecond precision; use {}(3)",
                        type.ToString(), name),
            type.span);
      return std::nullopt;
    }
    return name == "TIMESTAMP" ? LogicalType::Timestamp() : LogicalType::TimestampLtz();
  }
  if (name == "DATE") {
    if (!no_parameters()) return std::nullopt;
    return LogicalType::Date();
  }
  if (name == "TIME") {
    if (type.parameters.size() > 1 || (!type.parameters.empty() && type.parameters[0] > 3)) {
      Error(base::ErrorCode::kBind,
            fmt::format("{}: Sluice times have millisecond precision; use TIME or TIME(3)",
                        type.ToString()),
            type.span);
      return std::nullopt;
    }
    return LogicalType::Time();
  }
  if (name == "INTERVAL") return LogicalType::Interval();
  if (name == "ARRAY" || name == "MULTISET" || name == "MAP") {
    size_t wanted = name == "MAP" ? 2 : 1;
    if (type.type_arguments.size() != wanted || !type.parameters.empty()) {
      Error(base::ErrorCode::kBind,
            fmt::format("{} takes {} inside <...>: {}", name,
                        wanted == 2 ? "a key type and a value type" : "an element type",
                        name == "MAP" ? "MAP<STRING, INT>" : name + "<INT>"),
            type.span);
      return std::nullopt;
    }
    std::vector<LogicalType> arguments;
    for (const ast::DataType& argument : type.type_arguments) {
      auto bound = BindDataType(argument);
      if (!bound) return std::nullopt;
      if (bound->id() == types::TypeId::kInterval) {
        Error(base::ErrorCode::kBind,
              fmt::format(
                  "{} of {} is not supported yet (elements may be scalars, ROWs or collections)",
                  name, bound->ToString()),
              argument.span);
        return std::nullopt;
      }
      if (bound->IsWideDecimal()) {
        Error(base::ErrorCode::kBind,
              fmt::format("{} of {} is not supported yet (collection elements hold DECIMALs of "
                          "precision up to 18)",
                          name, bound->ToString()),
              argument.span);
        return std::nullopt;
      }
      arguments.push_back(*bound);
    }
    if (name == "ARRAY") return LogicalType::Array(arguments[0]);
    if (name == "MULTISET") return LogicalType::Multiset(arguments[0]);
    return LogicalType::Map(arguments[0], arguments[1]);
  }
  if (name == "ROW") {
    std::vector<types::RowField> fields;
    for (const ast::DataTypeField& field : type.fields) {
      auto field_type = BindDataType(field.type);
      if (!field_type) return std::nullopt;
      for (const auto& existing : fields) {
        if (types::IdentifierEquals(existing.name, field.name.name)) {
          Error(base::ErrorCode::kBind, "duplicate ROW field '" + field.name.name + "'",
                field.name.span);
          return std::nullopt;
        }
      }
      fields.push_back({field.name.name, *field_type});
    }
    return LogicalType::Row(std::move(fields));
  }
  Error(
      base::ErrorCode::kBind,
      fmt::format(
          "type {} is not supported (supported: BOOLEAN, TINYINT, SMALLINT, INT, BIGINT, FLOAT, "
          "DOUBLE, "
          "DECIMAL(p, s), VARCHAR, BYTES, DATE, TIME, TIMESTAMP(3), INTERVAL, ROW<...>, ARRAY<T>, "
          "MAP<K, V>, MULTISET<T>)",
          type.ToString()),
      type.span);
  return std::nullopt;
}

}  // namespace sluice::compiler::binder
