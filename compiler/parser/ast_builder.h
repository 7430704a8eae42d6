#pragma once

// Internal to compiler/parser: includes ANTLR-generated headers. Never include it from a public
// header or from outside compiler/parser/*.cpp.

#include <string>
#include <vector>

#include "SluiceParser.h"
#include "catalog/base/diagnostic.h"
#include "compiler/ast/statement.h"
#include "compiler/parser/source_text.h"

namespace sluice::parser {

/// Turns the parse tree of one statement (already free of syntax errors) into AST nodes with
/// spans. Left-deep chains (a + b + c ..., joins, unions, a.b.c) are built iteratively, so a
/// long chain does not deepen the C++ stack. Problems the grammar cannot express (a number
/// out of range, a malformed hint) are added to `errors`.
class AstBuilder {
 public:
  using P = grammar::SluiceParser;

  AstBuilder(const SourceText& source, std::vector<base::Diagnostic>* errors)
      : source_(source), errors_(errors) {}

  /// Builds one statement; returns nullptr (after adding an error) for BEGIN/END inside EXPLAIN.
  ast::StatementPtr BuildStatement(P::StatementContext* context);
  ast::QueryPtr BuildQuery(P::QueryContext* context);
  ast::ExpressionPtr BuildExpression(P::ExpressionContext* context);

 private:
  // Statements, types, hints and shared helpers: ast_builder.cpp.
  ast::StatementPtr BuildCreateTable(P::CreateTableStatementContext* context);
  ast::DataType BuildDataType(P::DataTypeContext* context);
  std::vector<ast::Hint> BuildHints(antlr4::tree::TerminalNode* hint);
  base::SourceSpan Span(antlr4::ParserRuleContext* context) const;
  base::SourceSpan Span(antlr4::Token* token) const;
  base::SourceSpan Span(antlr4::tree::TerminalNode* node) const { return Span(node->getSymbol()); }
  std::string Text(antlr4::Token* token) const;
  std::string Text(antlr4::tree::TerminalNode* node) const { return Text(node->getSymbol()); }
  /// Returns the contents of a quoted token ('it''s' → it's, `a``b` → a`b).
  std::string Unquote(antlr4::tree::TerminalNode* node) const;
  /// Returns the bytes of an X'0A0B' literal, or "" after reporting a bad digit or odd count.
  std::string HexLiteralBytes(antlr4::tree::TerminalNode* node);
  ast::Identifier BuildIdentifier(P::IdentifierContext* context) const;
  ast::QualifiedName BuildQualifiedName(P::QualifiedNameContext* context) const;
  std::vector<ast::Identifier> BuildColumnList(P::ColumnListContext* context) const;
  /// Parses an integer token; reports an error and returns 0 when it is above `max_value`.
  int64_t ParseInteger(antlr4::tree::TerminalNode* node, int64_t max_value);
  void AddError(const std::string& message, base::SourceSpan span);

  // Queries, FROM items and pipe operators: query_builder.cpp.
  ast::QueryPtr BuildQueryTerm(P::QueryTermContext* context);
  ast::QueryPtr BuildQueryPrimary(P::QueryPrimaryContext* context);
  ast::QueryPtr BuildSelect(P::SelectClauseContext* context);
  ast::SelectItem BuildSelectItem(P::SelectItemContext* context);
  std::vector<ast::SelectItem> BuildSelectItems(const std::vector<P::SelectItemContext*>& items);
  std::vector<ast::OrderItem> BuildOrderBy(P::OrderByClauseContext* context);
  /// `LIMIT n [OFFSET m]`, `[OFFSET m ROWS] [FETCH FIRST [n] ROWS ONLY]`: the row count (null
  /// without one; 1 for a FETCH without a count) and the offset (null without one).
  void BuildLimit(P::LimitClauseContext* context, ast::ExpressionPtr* limit,
                  ast::ExpressionPtr* offset);
  ast::OrderItem BuildOrderItem(P::OrderItemContext* context);
  ast::TableRefPtr BuildFrom(P::FromClauseContext* context);
  ast::TableRefPtr BuildRelation(P::RelationContext* context);
  ast::TableRefPtr BuildRelationPrimary(P::RelationPrimaryContext* context);
  void BuildTableAlias(P::TableAliasContext* context, ast::TableRef* table);
  /// Wraps `input` (alias-less) in its MATCH_RECOGNIZE clause (match_recognize_builder.cpp).
  ast::TableRefPtr BuildMatchRecognize(P::MatchRecognizeContext* context, ast::TableRefPtr input);
  ast::PatternTerm BuildPattern(P::PatternAlternationContext* context);
  ast::PatternTerm BuildPatternConcatenation(P::PatternConcatenationContext* context);
  ast::JoinType BuildJoinType(P::JoinTypeContext* context);
  /// Builds a GROUP BY item: an expression, or a GroupingSetsExpression.
  ast::ExpressionPtr BuildGroupItem(P::GroupItemContext* context);
  ast::PipeOperatorPtr BuildPipeOperator(P::PipeOperationContext* context);

  // Expressions: expression_builder.cpp.
  ast::ExpressionPtr BuildBoolean(P::BooleanExpressionContext* context);
  ast::ExpressionPtr BuildPredicate(ast::ExpressionPtr value, P::PredicateContext* context,
                                    antlr4::ParserRuleContext* whole);
  ast::ExpressionPtr BuildValue(P::ValueExpressionContext* context);
  ast::ExpressionPtr BuildPrimary(P::PrimaryExpressionContext* context);
  ast::ExpressionPtr BuildLiteral(P::LiteralContext* context);
  std::unique_ptr<ast::FunctionCallExpression> BuildFunctionCall(P::FunctionCallContext* context);
  ast::ExpressionPtr BuildFunctionArgument(P::FunctionArgumentContext* context);
  static ast::JsonOnNull BuildJsonOnNull(P::JsonNullClauseContext* context);
  /// JSON_ARRAYAGG(value) (`key` null) and JSON_OBJECTAGG(KEY key VALUE value), written as the
  /// LISTAGG of each row's JSON text they are.
  ast::ExpressionPtr BuildJsonAggregate(base::SourceSpan span, base::SourceSpan name_span,
                                        ast::ExpressionPtr key, ast::ExpressionPtr value,
                                        ast::JsonOnNull on_null, P::FilterClauseContext* filter);
  std::unique_ptr<ast::WindowSpecification> BuildWindow(P::WindowSpecificationContext* context);
  ast::FrameBound BuildFrameBound(P::FrameBoundContext* context);
  ast::IntervalQualifier BuildIntervalQualifier(P::IntervalQualifierContext* context);
  ast::TimeUnit BuildTimeUnit(P::TimeUnitContext* context);
  ast::TimeUnit BuildExtractUnit(P::ExtractUnitContext* context);

  const SourceText& source_;
  std::vector<base::Diagnostic>* errors_;
};

}  // namespace sluice::parser
