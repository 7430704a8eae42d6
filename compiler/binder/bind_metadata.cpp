#include <fmt/format.h>

#include <algorithm>

#include "catalog/base/suggest.h"
#include "compiler/binder/binder.h"

namespace sluice::compiler::binder {

using runtime::connectors::Connector;
using runtime::connectors::MetadataColumn;
using runtime::connectors::MetadataKey;
using runtime::connectors::TableDescriptor;
using runtime::plan::Expr;
using runtime::plan::ExprPtr;

namespace {

/// The connector a table names, or null when it names none or an unknown one (both are
/// reported elsewhere: by BindCreateTable, and by the planner where the table is used).
const Connector* ConnectorOf(const TableDescriptor& table) {
  auto name = table.options.find("connector");
  if (name == table.options.end()) return nullptr;
  return runtime::connectors::FindConnector(name->second);
}

const MetadataKey* FindKey(const std::vector<MetadataKey>& offered, const std::string& key) {
  for (const MetadataKey& candidate : offered) {
    if (candidate.key == key) return &candidate;
  }
  return nullptr;
}

/// `a, b, c`: the keys of `offered`, in the connector's order; only writable ones if asked.
std::string KeyList(const std::vector<MetadataKey>& offered, bool writable_only) {
  std::string out;
  for (const MetadataKey& key : offered) {
    if (writable_only && !key.writable) continue;
    out += (out.empty() ? "" : ", ") + key.key;
  }
  return out;
}

}  // namespace

void Binder::CheckMetadataColumns(const TableDefinition& definition,
                                  const TableDescriptor& descriptor) {
  if (descriptor.metadata_columns.empty()) return;
  const Connector* connector = ConnectorOf(descriptor);
  if (connector == nullptr) return;
  const std::vector<MetadataKey> offered = connector->SupportedMetadata(descriptor);
  std::vector<std::string> offered_keys;
  for (const MetadataKey& key : offered) offered_keys.push_back(key.key);
  for (const ast::ColumnDefinition* definition_column : definition.columns) {
    const ast::ColumnDefinition& column = *definition_column;
    if (!column.metadata) continue;
    if (offered.empty()) {
      // Once per table: every other metadata column has the same problem.
      Error(base::ErrorCode::kBind,
            fmt::format("table '{}' declares metadata column '{}', but connector '{}' offers no "
                        "metadata",
                        descriptor.name, column.name.name, connector->name()),
            column.metadata->span);
      return;
    }
    const std::string key = column.metadata->key.value_or(column.name.name);
    const MetadataKey* found = FindKey(offered, key);
    if (found == nullptr) {
      std::string suggestion = base::ClosestName(key, offered_keys);
      Error(base::ErrorCode::kBind,
            fmt::format("unknown metadata key '{}' in column '{}' of table '{}'{}; connector '{}' "
                        "offers: {}",
                        key, column.name.name, descriptor.name,
                        suggestion.empty() ? "" : " (did you mean '" + suggestion + "'?)",
                        connector->name(), KeyList(offered, /*writable_only=*/false)),
            column.metadata->key ? column.metadata->key_span : column.name.span);
      continue;
    }
    // Sluice's types have no NOT NULL and one length per string family (STRING is VARCHAR), so
    // equal types are Flink's "the same type up to nullability and precision"; any other
    // conversion (a SMALLINT for an INT key too) is a computed column's CAST.
    const types::LogicalType* declared = nullptr;
    for (const types::RowField& field : descriptor.schema.columns) {
      if (field.name == column.name.name) declared = &field.type;
    }
    // A TIMESTAMP(3) for a TIMESTAMP_LTZ(3) key holds the same instant (as Sluice read it
    // before it had TIMESTAMP_LTZ), so either is accepted.
    const bool both_timestamps = declared != nullptr &&
                                 declared->id() == types::TypeId::kTimestamp &&
                                 found->type.id() == types::TypeId::kTimestamp;
    if (declared != nullptr && *declared != found->type && !both_timestamps) {
      Error(base::ErrorCode::kBind,
            fmt::format("metadata column '{}' of table '{}' is declared {}, but connector '{}' "
                        "gives key '{}' as {}; declare it {} (and CAST it in a computed column "
                        "to have another type)",
                        column.name.name, descriptor.name, declared->ToString(), connector->name(),
                        key, found->type.ToString(), found->type.ToString()),
            column.type->span);
    }
  }
}

bool Binder::CheckInsertTarget(const CatalogTable& table,
                               const std::vector<ast::Identifier>& columns) {
  const TableDescriptor& descriptor = table.scan->descriptor;
  if (descriptor.metadata_columns.empty()) return true;
  const size_t errors_before = diagnostics_.size();
  for (const ast::Identifier& listed : columns) {
    for (const MetadataColumn& column : descriptor.metadata_columns) {
      if (!column.is_virtual || !types::IdentifierEquals(column.column, listed.name)) continue;
      Error(base::ErrorCode::kBind,
            fmt::format("column '{}' of table '{}' is a VIRTUAL metadata column, which is "
                        "read-only; leave it out of the INSERT column list",
                        column.column, descriptor.name),
            listed.span);
    }
  }
  const Connector* connector = ConnectorOf(descriptor);
  if (connector != nullptr) {
    // Keys and types were checked by CREATE TABLE; what a sink adds is writing them.
    const std::vector<MetadataKey> offered = connector->SupportedMetadata(descriptor);
    std::map<std::string, const MetadataColumn*> writers;  // key → the column writing it
    for (const MetadataColumn& column : descriptor.metadata_columns) {
      if (column.is_virtual) continue;
      const MetadataKey* key = FindKey(offered, column.key);
      if (key == nullptr) continue;
      const base::SourceSpan span = table.metadata_spans.count(column.column)
                                        ? table.metadata_spans.at(column.column)
                                        : table.span;
      if (!key->writable) {
        std::string writable = KeyList(offered, /*writable_only=*/true);
        Error(base::ErrorCode::kBind,
              fmt::format("table '{}' is written by INSERT, but connector '{}' cannot write "
                          "metadata key '{}' (column '{}'); declare the column VIRTUAL to read it "
                          "only ({})",
                          descriptor.name, connector->name(), column.key, column.column,
                          writable.empty() ? "the connector writes no metadata"
                                           : "the keys it writes: " + writable),
              span);
        continue;
      }
      auto [earlier, inserted] = writers.emplace(column.key, &column);
      if (!inserted) {
        Error(base::ErrorCode::kBind,
              fmt::format("columns '{}' and '{}' of table '{}' both write metadata key '{}'; "
                          "declare one of them VIRTUAL",
                          earlier->second->column, column.column, descriptor.name, column.key),
              span);
      }
    }
  }
  return diagnostics_.size() == errors_before;
}

std::optional<BoundRelation> Binder::PlaceInsertColumns(BoundRelation query,
                                                        const types::Schema& written,
                                                        const std::vector<ast::Identifier>& columns,
                                                        base::SourceSpan span) {
  std::vector<int32_t> source(written.columns.size(), -1);  // per written column: the query's
  bool failed = false;
  for (size_t i = 0; i < columns.size(); ++i) {
    const ast::Identifier& listed = columns[i];
    auto found = std::find_if(written.columns.begin(), written.columns.end(),
                              [&](const types::RowField& column) {
                                return types::IdentifierEquals(column.name, listed.name);
                              });
    if (found == written.columns.end()) {
      Error(base::ErrorCode::kBind,
            fmt::format("column '{}' is not a column the INSERT writes (its columns: {})",
                        listed.name, written.ToString()),
            listed.span);
      failed = true;
      continue;
    }
    auto index = static_cast<size_t>(found - written.columns.begin());
    if (source[index] >= 0) {
      Error(base::ErrorCode::kBind, fmt::format("column '{}' is listed twice", listed.name),
            listed.span);
      failed = true;
      continue;
    }
    source[index] = static_cast<int32_t>(i);
  }
  if (failed) return std::nullopt;
  if (query.scope.columns.size() != columns.size()) {
    Error(base::ErrorCode::kBind,
          fmt::format("the INSERT lists {} columns but the query produces {}", columns.size(),
                      query.scope.columns.size()),
          span);
    return std::nullopt;
  }
  std::vector<std::string> names;
  std::vector<ExprPtr> expressions;
  std::vector<base::SourceSpan> spans;
  for (size_t i = 0; i < written.columns.size(); ++i) {
    names.push_back(written.columns[i].name);
    spans.push_back(span);
    if (source[i] < 0) {
      expressions.push_back(Expr::Literal(runtime::plan::Value::Null(written.columns[i].type)));
      continue;
    }
    const ScopeColumn& column = query.scope.columns[static_cast<size_t>(source[i])];
    expressions.push_back(Expr::Column(column.slot, column.type));
  }
  return MakeProject(std::move(query), names, expressions, spans);
}

}  // namespace sluice::compiler::binder
