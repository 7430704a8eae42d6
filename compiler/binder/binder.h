#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "catalog/base/diagnostic.h"
#include "compiler/ast/statement.h"
#include "compiler/binder/catalog.h"
#include "compiler/logical/logical_plan.h"

namespace sluice::compiler::binder {

/// One column visible to expressions: who qualifies it (a table alias), its name, its type
/// and its first slot in the input batch.
struct ScopeColumn {
  std::string qualifier;
  std::string name;
  types::LogicalType type;
  int32_t slot = 0;
};

/// The columns an expression may refer to, in output order.
struct Scope {
  std::vector<ScopeColumn> columns;

  /// Builds the scope of a schema: every column qualified by `qualifier`.
  static Scope FromSchema(const types::Schema& schema, const std::string& qualifier);
  types::Schema ToSchema() const;
};

/// A bound query: its logical plan and the scope its output exposes.
struct BoundRelation {
  logical::LogicalNodePtr node;
  Scope scope;
};

/// Resolves names and types of the AST against a catalog, producing logical plans and bound
/// expressions. Errors are collected (several per statement where independent) rather than
/// returned one at a time; a failed bind returns nullopt / nullptr.
class Binder {
 public:
  explicit Binder(Catalog* catalog) : catalog_(catalog) {}

  std::optional<BoundRelation> BindQuery(const ast::Query& query);
  runtime::plan::ExprPtr BindExpression(const ast::Expression& expression, const Scope& scope);
  std::optional<types::LogicalType> BindDataType(const ast::DataType& type);

  /// Binds CREATE TABLE into a catalog entry (options unvalidated: a connector checks them
  /// when the table is used as a source or a sink).
  std::optional<CatalogTable> BindCreateTable(const ast::CreateTableStatement& statement);

  /// Adds `expression` cast to `type` (a no-op when it has that type already).
  static runtime::plan::ExprPtr CastTo(runtime::plan::ExprPtr expression,
                                       const types::LogicalType& type);

  std::vector<base::Diagnostic>& diagnostics() { return diagnostics_; }
  void Error(base::ErrorCode code, std::string message, base::SourceSpan span);

 private:
  // Queries
  std::optional<BoundRelation> BindSelect(const ast::SelectQuery& select);
  std::optional<BoundRelation> BindPipe(const ast::PipeQuery& pipe);
  std::optional<BoundRelation> BindPipeOperator(const ast::PipeOperator& op, BoundRelation input);
  std::optional<BoundRelation> BindTableRef(const ast::TableRef& ref);
  std::optional<BoundRelation> BindNamedTable(const ast::BaseTableRef& ref);
  std::optional<BoundRelation> BindFilter(BoundRelation input, const ast::Expression& condition,
                                          const char* clause);
  /// Projects select items (stars expanded) over `input`.
  std::optional<BoundRelation> BindSelectItems(BoundRelation input,
                                               const std::vector<ast::SelectItem>& items);
  /// Makes a Project node from named expressions (ROW-typed column references expand to
  /// every slot of the ROW).
  std::optional<BoundRelation> MakeProject(BoundRelation input, std::vector<std::string> names,
                                           std::vector<runtime::plan::ExprPtr> expressions,
                                           std::vector<base::SourceSpan> spans);
  bool RejectUnsupportedQueryParts(const ast::Query& query);

  // Expressions
  runtime::plan::ExprPtr BindLiteral(const ast::LiteralExpression& literal);
  runtime::plan::ExprPtr BindColumnRef(const ast::ColumnRefExpression& ref, const Scope& scope);
  runtime::plan::ExprPtr BindCall(const std::string& name,
                                  std::vector<runtime::plan::ExprPtr> arguments,
                                  base::SourceSpan span);
  runtime::plan::ExprPtr BindFunctionCall(const ast::FunctionCallExpression& call,
                                          const Scope& scope);
  runtime::plan::ExprPtr BindCase(const ast::CaseExpression& expression, const Scope& scope);
  runtime::plan::ExprPtr BindCast(const ast::CastExpression& expression, const Scope& scope);
  /// Binds a predicate and checks it is BOOLEAN.
  runtime::plan::ExprPtr BindPredicate(const ast::Expression& expression, const Scope& scope,
                                       const char* clause);
  /// Derives an output column name for a select item without an alias (Flink: EXPR$n).
  static std::string DefaultName(const ast::Expression& expression, size_t position);

  Catalog* catalog_;
  std::vector<base::Diagnostic> diagnostics_;
  /// CTEs of the queries being bound, innermost last.
  std::vector<std::map<std::string, const ast::CommonTableExpression*>> ctes_;
  /// Views being expanded, to report a view that refers to itself.
  std::vector<std::string> expanding_views_;
};

/// Counts the slots a value of `type` takes in a batch (1, plus its fields' slots for ROW).
int32_t SlotCount(const types::LogicalType& type);

}  // namespace sluice::compiler::binder
