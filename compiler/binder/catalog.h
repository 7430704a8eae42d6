#pragma once

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "catalog/base/source_span.h"
#include "compiler/ast/query.h"
#include "compiler/ast/statement.h"
#include "compiler/logical/logical_plan.h"
#include "runtime/expr/user_function.h"

namespace sluice::compiler::binder {

/// A table's definition as written, merged with the table it is LIKE (if any): the columns in
/// order (physical, computed and metadata ones), watermarks, primary key, partition keys and
/// options. Columns and watermarks point into the scripts' ASTs, which outlive the catalog (as
/// views' queries do).
struct TableDefinition {
  std::vector<const ast::ColumnDefinition*> columns;
  std::vector<const ast::WatermarkDefinition*> watermarks;
  std::vector<ast::Identifier> primary_key;
  base::SourceSpan primary_key_span;
  std::vector<ast::Identifier> partitioned_by;
  std::vector<ast::TableOption> options;
  /// CREATE TABLE … AS query: the query's columns as written definitions, owned here
  /// (`columns` points at them).
  std::deque<ast::ColumnDefinition> query_columns;
};

/// A table created by CREATE TABLE. `scan` is filled in place as `INSERT INTO t VALUES`
/// statements add rows to a `values` table.
struct CatalogTable {
  std::shared_ptr<logical::ScanTable> scan;
  base::SourceSpan span;
  /// Span of each `WITH` option's value, by key, for errors that point at an option.
  std::map<std::string, base::SourceSpan> option_spans;
  /// Span of each metadata column's `METADATA [FROM 'key'] [VIRTUAL]`, by column name, for
  /// errors found when an INSERT writes the table.
  std::map<std::string, base::SourceSpan> metadata_spans;
  /// What CREATE TABLE wrote, for a later CREATE TABLE ... LIKE this table.
  std::shared_ptr<const TableDefinition> definition;
};

/// A view created by CREATE VIEW; bound again, inline, wherever it is used.
struct CatalogView {
  std::string name;
  const ast::Query* query = nullptr;  // owned by the script's AST
  std::vector<ast::Identifier> column_names;
  base::SourceSpan span;
};

/// The tables, views and user-defined functions (CREATE FUNCTION) of one script (or REPL
/// session), looked up case-insensitively.
class Catalog {
 public:
  /// Adds a table; false when a table or view of that name exists.
  bool AddTable(const std::string& name, CatalogTable table);
  bool AddView(const std::string& name, CatalogView view);
  CatalogTable* FindTable(const std::string& name);
  /// Removes a table (or view, or function); false when there is none of that name.
  bool RemoveTable(const std::string& name);
  bool RemoveView(const std::string& name);
  bool RemoveFunction(const std::string& name);
  const CatalogView* FindView(const std::string& name) const;
  /// Adds a user-defined function; false when one of that name exists.
  bool AddFunction(const std::string& name,
                   std::shared_ptr<const runtime::expr::UserFunction> function);
  /// The user-defined function called `name`, or null.
  std::shared_ptr<const runtime::expr::UserFunction> FindFunction(const std::string& name) const;
  /// Every table and view name, for suggestions and SHOW TABLES.
  std::vector<std::string> Names() const;
  std::vector<std::string> TableNames() const;
  std::vector<std::string> ViewNames() const;

 private:
  static std::string Key(const std::string& name);
  std::map<std::string, CatalogTable> tables_;
  std::map<std::string, CatalogView> views_;
  std::map<std::string, std::shared_ptr<const runtime::expr::UserFunction>> functions_;
  std::map<std::string, std::string> spelled_;  // key → name as first written
};

}  // namespace sluice::compiler::binder
