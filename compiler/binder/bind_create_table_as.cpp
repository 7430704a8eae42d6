#include <fmt/format.h>

#include "compiler/binder/binder.h"

namespace sluice::compiler::binder {

using types::LogicalType;
using types::TypeId;

namespace {

/// The written form of `type`, which BindDataType binds back to `type`. A NULL-typed column
/// (a bare `NULL` in the query) has none.
std::optional<ast::DataType> WrittenType(const LogicalType& type, base::SourceSpan span) {
  ast::DataType written;
  written.span = span;
  switch (type.id()) {
    case TypeId::kNull: return std::nullopt;
    case TypeId::kBoolean: written.name = "BOOLEAN"; break;
    case TypeId::kInt:
      written.name = type.IsTinyint() ? "TINYINT" : type.IsSmallint() ? "SMALLINT" : "INT";
      break;
    case TypeId::kBigint: written.name = "BIGINT"; break;
    case TypeId::kDouble: written.name = type.IsFloat() ? "FLOAT" : "DOUBLE"; break;
    case TypeId::kDecimal:
      written.name = "DECIMAL";
      written.parameters = {type.precision(), type.scale()};
      break;
    case TypeId::kVarchar: written.name = "STRING"; break;
    case TypeId::kBinary: written.name = "BYTES"; break;
    case TypeId::kTimestamp:
      written.name = type.IsTimestampLtz() ? "TIMESTAMP_LTZ" : "TIMESTAMP";
      written.parameters = {3};
      break;
    case TypeId::kInterval: written.name = "INTERVAL"; break;
    case TypeId::kDate: written.name = "DATE"; break;
    case TypeId::kTime: written.name = "TIME"; break;
    case TypeId::kArray:
    case TypeId::kMultiset:
    case TypeId::kMap: {
      written.name = type.id() == TypeId::kArray      ? "ARRAY"
                     : type.id() == TypeId::kMultiset ? "MULTISET"
                                                      : "MAP";
      auto element = WrittenType(type.element_type(), span);
      if (!element) return std::nullopt;
      written.type_arguments.push_back(std::move(*element));
      if (type.id() == TypeId::kMap) {
        auto value = WrittenType(type.value_type(), span);
        if (!value) return std::nullopt;
        written.type_arguments.push_back(std::move(*value));
      }
      break;
    }
    case TypeId::kRow:
      written.name = "ROW";
      for (const types::RowField& field : type.fields()) {
        auto field_type = WrittenType(field.type, span);
        if (!field_type) return std::nullopt;
        written.fields.push_back(
            {ast::Identifier{field.name, false, span}, std::move(*field_type), ""});
      }
      break;
  }
  return written;
}

}  // namespace

bool Binder::AddQueryColumns(const ast::CreateTableStatement& statement,
                             const types::Schema& schema, TableDefinition* definition) {
  const base::SourceSpan query_span = statement.as_query->span;
  // Flink 2.0 (FLIP-463) also takes columns before AS, merged with the query's; Flink 1.20,
  // whose semantics Sluice follows, takes none. A PRIMARY KEY, a WATERMARK and PARTITIONED BY
  // over the query's columns are Flink 2.0's and are kept.
  if (statement.like) {
    Error(base::ErrorCode::kPlan,
          "CREATE TABLE … AS query cannot also be LIKE another table: its columns are the "
          "query's",
          statement.like->span);
    return false;
  }
  for (const ast::ColumnDefinition& column : statement.columns) {
    Error(base::ErrorCode::kPlan,
          column.primary_key
              ? std::string("CREATE TABLE … AS query takes its columns from the query: declare "
                            "its key as PRIMARY KEY (columns) NOT ENFORCED")
              : fmt::format("CREATE TABLE … AS query with declared columns is not supported: "
                            "the table's columns are the query's (declare a PRIMARY KEY or a "
                            "WATERMARK over them, or CAST in the query); column '{}'",
                            column.name.name),
          column.span);
    return false;
  }
  for (const types::RowField& column : schema.columns) {
    auto type = WrittenType(column.type, query_span);
    if (!type) {
      Error(base::ErrorCode::kBind,
            fmt::format("CREATE TABLE … AS query: the query's column '{}' has no type (a bare "
                        "NULL); CAST it, e.g. CAST(NULL AS STRING)",
                        column.name),
            query_span);
      return false;
    }
    ast::ColumnDefinition& written = definition->query_columns.emplace_back();
    written.name = ast::Identifier{column.name, false, query_span};
    written.type = std::move(*type);
    written.span = query_span;
    definition->columns.push_back(&written);
  }
  return true;
}

}  // namespace sluice::compiler::binder
