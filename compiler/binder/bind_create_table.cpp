#include <fmt/format.h>

#include <algorithm>

#include "catalog/base/suggest.h"
#include "compiler/binder/binder.h"

namespace sluice::compiler::binder {

using runtime::plan::Expr;
using runtime::plan::ExprPtr;
using types::LogicalType;
using types::TypeId;

namespace {

/// Renames Flink's legacy (pre-1.11) option keys that the Nexmark suite's q13 writes —
/// 'connector.type', 'connector.path', 'format.type' — to 'connector', 'path', 'format'.
void AcceptLegacyOptionKeys(Binder* binder, std::map<std::string, std::string>* options,
                            std::map<std::string, base::SourceSpan>* spans) {
  static const std::pair<const char*, const char*> kLegacyKeys[] = {
      {"connector.type", "connector"}, {"connector.path", "path"}, {"format.type", "format"}};
  for (const auto& [legacy, key] : kLegacyKeys) {
    auto found = options->find(legacy);
    if (found == options->end()) continue;
    if (options->count(key)) {
      binder->Error(
          base::ErrorCode::kOption,
          fmt::format("option '{}' is the legacy name of '{}'; give only one of them", legacy, key),
          (*spans)[legacy]);
      continue;
    }
    (*options)[key] = found->second;
    (*spans)[key] = (*spans)[legacy];
    options->erase(found);
    spans->erase(legacy);
  }
}

/// Resolves `PARTITIONED BY (…)` against the physical columns into `descriptor`.
void BindPartitionKeys(Binder* binder, const TableDefinition& definition,
                       runtime::connectors::TableDescriptor* descriptor) {
  // Partition values become directory names, so a key must be a stored, scalar column; and a
  // table of partition columns only would write files without a field.
  std::vector<std::string> physical_names;
  for (const types::RowField& column : descriptor->schema.columns) {
    physical_names.push_back(column.name);
  }
  for (const ast::Identifier& key : definition.partitioned_by) {
    const types::RowField* found = nullptr;
    for (const types::RowField& column : descriptor->schema.columns) {
      if (types::IdentifierEquals(column.name, key.name)) found = &column;
    }
    if (found == nullptr) {
      bool computed = false;
      for (const ast::ColumnDefinition* column : definition.columns) {
        computed |= column->IsComputed() && types::IdentifierEquals(column->name.name, key.name);
      }
      if (computed) {
        binder->Error(base::ErrorCode::kBind,
                      "PARTITIONED BY column '" + key.name +
                          "' is a computed column; partition by a physical column",
                      key.span);
        continue;
      }
      std::string suggestion = base::ClosestName(key.name, physical_names);
      binder->Error(base::ErrorCode::kBind,
                    fmt::format("PARTITIONED BY column not found: '{}'{}", key.name,
                                suggestion.empty() ? "" : " (did you mean '" + suggestion + "'?)"),
                    key.span);
      continue;
    }
    bool metadata = false;
    for (const runtime::connectors::MetadataColumn& column : descriptor->metadata_columns) {
      metadata |= column.column == found->name;
    }
    if (metadata) {
      binder->Error(base::ErrorCode::kBind,
                    "PARTITIONED BY column '" + found->name +
                        "' is a metadata column; partition by a physical column",
                    key.span);
      continue;
    }
    if (found->type.id() == TypeId::kRow) {
      binder->Error(
          base::ErrorCode::kBind,
          "PARTITIONED BY column '" + found->name + "' is a ROW; partition by a scalar column",
          key.span);
      continue;
    }
    bool duplicate = false;
    for (const std::string& earlier : descriptor->partition_keys) {
      duplicate |= earlier == found->name;
    }
    if (duplicate) {
      binder->Error(base::ErrorCode::kBind,
                    "PARTITIONED BY names column '" + found->name + "' twice", key.span);
      continue;
    }
    descriptor->partition_keys.push_back(found->name);
  }
  if (!definition.partitioned_by.empty() &&
      descriptor->partition_keys.size() == descriptor->schema.columns.size()) {
    binder->Error(
        base::ErrorCode::kBind,
        "table '" + descriptor->name +
            "' is partitioned by all of its columns; at least one column must be stored in "
            "the files",
        definition.partitioned_by.front().span);
  }
}

}  // namespace

std::optional<CatalogTable> Binder::BindCreateTable(const ast::CreateTableStatement& statement,
                                                    const types::Schema* query_schema) {
  const size_t errors_before = diagnostics_.size();
  auto scan = std::make_shared<logical::ScanTable>();
  CatalogTable table;
  table.span = statement.name.span;
  scan->descriptor.name = statement.name.Last().name;

  SLUICE_CHECK((statement.as_query != nullptr) == (query_schema != nullptr),
               "CREATE TABLE … AS binds with its query's schema, and only it");
  // The definition: the statement's own elements, merged with a LIKE source's.
  auto merged = std::make_shared<TableDefinition>();
  TableDefinition& definition = *merged;
  for (const ast::ColumnDefinition& column : statement.columns)
    definition.columns.push_back(&column);
  for (const ast::WatermarkDefinition& watermark : statement.watermarks) {
    definition.watermarks.push_back(&watermark);
  }
  // PRIMARY KEY (…) NOT ENFORCED, or a column's own PRIMARY KEY.
  definition.primary_key = statement.primary_key;
  definition.primary_key_span = statement.primary_key_span;
  for (const ast::ColumnDefinition& column : statement.columns) {
    if (!column.primary_key) continue;
    if (!definition.primary_key.empty()) {
      Error(base::ErrorCode::kBind, "duplicate PRIMARY KEY", column.name.span);
      return std::nullopt;
    }
    definition.primary_key.push_back(column.name);
    definition.primary_key_span = column.span;
  }
  definition.partitioned_by = statement.partitioned_by;
  definition.options = statement.options;
  if (statement.like && !MergeLikeSource(*statement.like, &definition)) return std::nullopt;
  if (query_schema != nullptr && !AddQueryColumns(statement, *query_schema, &definition)) {
    return std::nullopt;
  }
  if (definition.columns.empty()) {
    Error(base::ErrorCode::kBind,
          fmt::format("table '{}' has no columns: list them, or copy another table's with "
                      "CREATE TABLE {} ... LIKE other",
                      scan->descriptor.name, scan->descriptor.name),
          statement.name.span);
    return std::nullopt;
  }

  // Physical columns first: computed columns are expressions over them.
  for (const ast::ColumnDefinition* definition_column : definition.columns) {
    const ast::ColumnDefinition& column = *definition_column;
    for (const auto& other : scan->full_schema.columns) {
      if (types::IdentifierEquals(other.name, column.name.name)) {
        Error(base::ErrorCode::kBind, "duplicate column '" + column.name.name + "'",
              column.name.span);
      }
    }
    if (column.IsComputed()) {
      scan->full_schema.columns.push_back({column.name.name, LogicalType::Null()});
      continue;
    }
    auto type = BindDataType(*column.type);
    if (!type) continue;
    // A metadata column takes a slot among the physical ones: the connector fills it.
    scan->descriptor.schema.columns.push_back({column.name.name, *type});
    scan->full_schema.columns.push_back({column.name.name, *type});
    if (column.metadata) {
      scan->descriptor.metadata_columns.push_back({column.name.name,
                                                   column.metadata->key.value_or(column.name.name),
                                                   column.metadata->is_virtual});
      table.metadata_spans[column.name.name] = column.metadata->span;
    }
  }
  if (diagnostics_.size() > errors_before) return std::nullopt;

  // PRIMARY KEY (…) NOT ENFORCED, or a column's own PRIMARY KEY: physical columns (upsert-kafka
  // writes them as the record key).
  for (const ast::Identifier& key : definition.primary_key) {
    auto found = scan->descriptor.schema.Find(key.name);
    bool metadata = false;
    for (const auto& meta : scan->descriptor.metadata_columns) {
      metadata |= found && types::IdentifierEquals(meta.column, key.name);
    }
    if (!found || metadata) {
      Error(base::ErrorCode::kBind,
            fmt::format("PRIMARY KEY column '{}' is not a physical column of table '{}'", key.name,
                        scan->descriptor.name),
            key.span);
      return std::nullopt;
    }
    const std::string& name = scan->descriptor.schema.columns[*found].name;
    if (std::find(scan->descriptor.primary_key.begin(), scan->descriptor.primary_key.end(), name) !=
        scan->descriptor.primary_key.end()) {
      Error(base::ErrorCode::kBind, "PRIMARY KEY names column '" + name + "' twice", key.span);
      return std::nullopt;
    }
    scan->descriptor.primary_key.push_back(name);
  }

  // The computed-column chain maps the physical slots to the full row, in declared order.
  Scope physical_scope = Scope::FromSchema(scan->descriptor.schema, scan->descriptor.name);
  bool has_computed = false;
  runtime::plan::ChainSpec chain;
  chain.input_types = logical::SlotTypes(scan->descriptor.schema);
  size_t physical_index = 0;
  for (size_t i = 0; i < definition.columns.size(); ++i) {
    const ast::ColumnDefinition& column = *definition.columns[i];
    if (!column.IsComputed()) {
      const ScopeColumn& source = physical_scope.columns[physical_index++];
      for (int32_t k = 0; k < SlotCount(source.type); ++k) {
        chain.projections.push_back(
            Expr::Column(source.slot + k, chain.input_types[source.slot + k]));
      }
      continue;
    }
    has_computed = true;
    ExprPtr bound = BindExpression(*column.computed, physical_scope);
    if (bound == nullptr) continue;
    if (bound->type.id() == TypeId::kRow) {
      Error(base::ErrorCode::kPlan, "a computed column cannot be a ROW", column.computed->span);
      continue;
    }
    if (bound->type.id() == TypeId::kNull) bound = CastTo(bound, LogicalType::Varchar());
    scan->full_schema.columns[i].type = bound->type;
    chain.projections.push_back(bound);
  }
  if (diagnostics_.size() > errors_before) return std::nullopt;
  if (has_computed) scan->computed_columns = std::move(chain);

  // WATERMARK FOR column AS expression, over the full row.
  if (definition.watermarks.size() > 1) {
    Error(base::ErrorCode::kBind, "a table can declare only one WATERMARK",
          definition.watermarks[1]->span);
    return std::nullopt;
  }
  if (!definition.watermarks.empty()) {
    const ast::WatermarkDefinition& watermark = *definition.watermarks.front();
    Scope full_scope = Scope::FromSchema(scan->full_schema, scan->descriptor.name);
    const ScopeColumn* rowtime = nullptr;
    for (const ScopeColumn& column : full_scope.columns) {
      if (types::IdentifierEquals(column.name, watermark.column.name)) rowtime = &column;
    }
    if (rowtime == nullptr) {
      std::vector<std::string> names;
      for (const auto& column : full_scope.columns) names.push_back(column.name);
      std::string suggestion = base::ClosestName(watermark.column.name, names);
      Error(base::ErrorCode::kBind,
            fmt::format("WATERMARK FOR column not found: '{}'{}", watermark.column.name,
                        suggestion.empty() ? "" : " (did you mean '" + suggestion + "'?)"),
            watermark.column.span);
      return std::nullopt;
    }
    if (rowtime->type.id() != TypeId::kTimestamp) {
      Error(base::ErrorCode::kBind,
            fmt::format("WATERMARK FOR '{}' needs a TIMESTAMP(3) column, but it is {}",
                        rowtime->name, rowtime->type.ToString()),
            watermark.column.span);
      return std::nullopt;
    }
    ExprPtr expression = BindExpression(*watermark.expression, full_scope);
    if (expression == nullptr) return std::nullopt;
    if (expression->type.id() != TypeId::kTimestamp) {
      Error(base::ErrorCode::kBind,
            fmt::format("a watermark expression must be a TIMESTAMP(3), got {}",
                        expression->type.ToString()),
            watermark.expression->span);
      return std::nullopt;
    }
    scan->watermark = runtime::plan::WatermarkSpec{rowtime->slot, expression};
  }

  for (const ast::TableOption& option : definition.options) {
    if (scan->descriptor.options.count(option.key)) {
      Error(base::ErrorCode::kOption, "option '" + option.key + "' is given twice",
            option.key_span);
      continue;
    }
    scan->descriptor.options[option.key] = option.value;
    table.option_spans[option.key] = option.value_span;
  }
  AcceptLegacyOptionKeys(this, &scan->descriptor.options, &table.option_spans);
  if (!scan->descriptor.options.count("connector")) {
    Error(base::ErrorCode::kOption,
          "table '" + scan->descriptor.name +
              "' needs a 'connector' option, e.g. WITH "
              "('connector' = 'nexmark')",
          statement.name.span);
  }
  BindPartitionKeys(this, definition, &scan->descriptor);
  CheckMetadataColumns(definition, scan->descriptor);
  if (diagnostics_.size() > errors_before) return std::nullopt;
  table.scan = std::move(scan);
  table.definition = std::move(merged);
  return table;
}

}  // namespace sluice::compiler::binder
