// VALUES as a table expression: a bounded table of literal rows.
#include <fmt/format.h>

#include "compiler/binder/binder.h"
#include "compiler/optimizer/optimizer.h"
#include "runtime/expr/collection_value.h"

namespace sluice::compiler::binder {

using runtime::plan::ExprPtr;
using types::LogicalType;
using types::TypeId;

namespace {

/// FNV-1a over the rows' text: the same VALUES always names the same table (and so the same
/// source UID), whatever else the script holds.
std::string ValuesTableName(const types::Schema& schema,
                            const std::vector<std::vector<std::optional<std::string>>>& rows) {
  uint64_t hash = 1469598103934665603ull;
  auto mix = [&](std::string_view text) {
    for (unsigned char c : text) {
      hash ^= c;
      hash *= 1099511628211ull;
    }
    hash ^= 0xff;
    hash *= 1099511628211ull;
  };
  for (const auto& column : schema.columns) mix(column.type.ToString());
  for (const auto& row : rows) {
    for (const auto& field : row) mix(field ? "v" + *field : "null");
  }
  return fmt::format("values_{:08x}", static_cast<uint32_t>(hash ^ (hash >> 32)));
}

}  // namespace

std::optional<BoundRelation> Binder::BindValues(const ast::ValuesQuery& values,
                                                const types::Schema* column_types) {
  const size_t width = values.rows.front().size();
  std::vector<std::vector<ExprPtr>> bound_rows;
  std::vector<LogicalType> types(width, LogicalType::Null());
  bool failed = false;
  for (const auto& row : values.rows) {
    if (row.size() != width) {
      Error(base::ErrorCode::kBind,
            fmt::format("VALUES rows have {} and {} values", width, row.size()),
            row.empty() ? values.span : row.front()->span);
      return std::nullopt;
    }
    std::vector<ExprPtr> bound_row;
    for (size_t c = 0; c < width; ++c) {
      ExprPtr bound = BindExpression(*row[c], Scope{});
      if (bound == nullptr) {
        failed = true;
        continue;
      }
      LogicalType common;
      if ((bound->type.id() == TypeId::kRow && !IsSlotRow(bound)) ||
          !CommonValueType(types[c], bound->type, &common)) {
        Error(base::ErrorCode::kBind,
              fmt::format("VALUES column {} is {} in one row and {} in another", c + 1,
                          types[c].ToString(), bound->type.ToString()),
              row[c]->span);
        failed = true;
        continue;
      }
      types[c] = common;
      bound_row.push_back(bound);
    }
    bound_rows.push_back(std::move(bound_row));
  }
  if (failed) return std::nullopt;

  if (column_types != nullptr && column_types->columns.size() == width) {
    // INSERT INTO t VALUES: the rows take t's column types where they convert (a NULL, a
    // narrower number); the sink's own check reports the others.
    for (size_t c = 0; c < width; ++c) {
      const LogicalType& want = column_types->columns[c].type;
      if (want.id() == TypeId::kRow) continue;
      if (types[c].id() == TypeId::kNull || (types[c].IsNumeric() && want.IsNumeric()) ||
          types::IsImplicitlyCastable(types[c], want)) {
        types[c] = want;
      }
    }
  }
  // A ROW column is read as its bytes (those of a ROW element, which read as an array of its
  // fields) and made a row again by a projection.
  const LogicalType row_bytes = LogicalType::Array(LogicalType::Varchar());
  bool has_rows = false;
  auto table = std::make_shared<logical::ScanTable>();
  for (size_t c = 0; c < width; ++c) {
    if (types[c].id() == TypeId::kNull) types[c] = LogicalType::Int();
    if (types[c].id() == TypeId::kRow && RowHoldsWideDecimal(types[c])) {
      Error(base::ErrorCode::kPlan,
            fmt::format("VALUES column {}: a ROW with a DECIMAL field of precision above 18 is "
                        "not supported yet",
                        c + 1),
            values.span);
      return std::nullopt;
    }
    has_rows |= types[c].id() == TypeId::kRow;
    table->descriptor.schema.columns.push_back(
        {fmt::format("EXPR${}", c), types[c].id() == TypeId::kRow ? row_bytes : types[c]});
  }
  // The values connector reads each field as CAST(text AS column type).
  for (size_t r = 0; r < bound_rows.size(); ++r) {
    std::vector<std::optional<std::string>> fields;
    for (size_t c = 0; c < width; ++c) {
      // A collection or a ROW has no text form to read back: its encoding, in hexadecimal; so
      // are BYTES (whose bytes need not be UTF-8).
      const bool encoded = types[c].IsCollection() || types[c].id() == TypeId::kRow ||
                           types[c].id() == TypeId::kBinary;
      ExprPtr text = CastTo(bound_rows[r][c], types[c]);
      if (types[c].id() == TypeId::kRow) {
        text = EncodeRow(text);
      } else if (!encoded) {
        text = CastTo(text, LogicalType::Varchar());
      }
      auto value = optimizer::EvaluateConstant(text);
      if (!value.ok()) {
        Error(base::ErrorCode::kBind, "not a constant: " + value.status().message(),
              values.rows[r][c]->span);
        return std::nullopt;
      }
      if (value->is_null) {
        fields.push_back(std::nullopt);
      } else if (encoded) {
        fields.push_back(runtime::expr::EncodeHex(value->text));
      } else {
        fields.push_back(value->text);
      }
    }
    table->descriptor.inline_rows.push_back(std::move(fields));
  }
  table->descriptor.name = ValuesTableName(table->descriptor.schema, table->descriptor.inline_rows);
  table->descriptor.options = {{"connector", "values"}};
  table->full_schema = table->descriptor.schema;

  auto node = std::make_shared<logical::LogicalNode>();
  node->kind = logical::LogicalKind::kScan;
  node->table = table;
  node->schema = table->full_schema;
  node->span = values.span;
  BoundRelation scan{node, Scope::FromSchema(node->schema, ""), std::nullopt};
  if (!has_rows) return scan;
  std::vector<std::string> names;
  std::vector<ExprPtr> columns;
  std::vector<base::SourceSpan> spans;
  for (size_t c = 0; c < width; ++c) {
    names.push_back(fmt::format("EXPR${}", c));
    const LogicalType& stored = table->descriptor.schema.columns[c].type;
    ExprPtr column = runtime::plan::Expr::Column(static_cast<int32_t>(c), stored);
    columns.push_back(types[c].id() == TypeId::kRow ? DecodeRow(column, types[c]) : column);
    spans.push_back(values.span);
  }
  return MakeProject(std::move(scan), std::move(names), std::move(columns), std::move(spans));
}

}  // namespace sluice::compiler::binder
