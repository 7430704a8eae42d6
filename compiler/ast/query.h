#pragma once

#include <memory>
#include <string>
#include <vector>

#include "compiler/ast/expression.h"
#include "compiler/ast/hint.h"
#include "compiler/ast/node.h"
#include "compiler/ast/pipe_operator.h"
#include "compiler/ast/select_item.h"
#include "compiler/ast/table_ref.h"

namespace sluice::ast {

enum class QueryKind { kSelect, kSetOperation, kValues, kFrom, kPipe };

/// `name [(cols)] AS (query)` of a WITH clause.
struct CommonTableExpression {
  Identifier name;
  std::vector<Identifier> columns;
  QueryPtr query;
  base::SourceSpan span;
};

/// A query. Every kind may carry a WITH clause and a trailing ORDER BY / LIMIT, which apply
/// to the whole node (e.g. to the union, not to its right input).
///
/// SELECT spelling: SelectQuery (or SetOperationQuery / ValuesQuery).
/// Pipe spelling: PipeQuery{input, operators}, where input is a FromQuery for `FROM t |> ...`
/// or any other query for `SELECT ... |> ...`.
class Query : public Node<QueryKind> {
 public:
  std::vector<CommonTableExpression> with;
  std::vector<OrderItem> order_by;
  ExpressionPtr limit;   // may be null
  ExpressionPtr offset;  // may be null

 protected:
  using Node::Node;
  /// Renders WITH, then `body`, then ORDER BY / LIMIT.
  std::string Wrap(const std::string& body) const;
};

/// `SELECT [hints] [DISTINCT] items [FROM from] [WHERE] [GROUP BY] [HAVING]`.
/// `WINDOW name AS (PARTITION BY … ORDER BY … frame)` of a SELECT, named by `OVER name`.
struct NamedWindow {
  Identifier name;
  std::unique_ptr<WindowSpecification> specification;
  base::SourceSpan span;
};

struct SelectQuery final : Query {
  static constexpr QueryKind kKind = QueryKind::kSelect;
  explicit SelectQuery(base::SourceSpan span) : Query(kKind, span) {}
  std::string ToString() const override;

  std::vector<Hint> hints;
  bool distinct = false;
  std::vector<SelectItem> items;
  TableRefPtr from;                     // may be null (SELECT 1)
  ExpressionPtr where;                  // may be null
  std::vector<ExpressionPtr> group_by;  // may hold TUMBLE(ts, INTERVAL ...) calls
  ExpressionPtr having;                 // may be null
  std::vector<NamedWindow> windows;     // the WINDOW clause
};

enum class SetOperation { kUnion, kIntersect, kExcept };

const char* SetOperationName(SetOperation operation);

/// `left {UNION | INTERSECT | EXCEPT} [ALL|DISTINCT] right`.
struct SetOperationQuery final : Query {
  static constexpr QueryKind kKind = QueryKind::kSetOperation;
  explicit SetOperationQuery(base::SourceSpan span) : Query(kKind, span) {}
  std::string ToString() const override;

  SetOperation operation = SetOperation::kUnion;
  bool all = false;
  QueryPtr left;
  QueryPtr right;
};

/// `VALUES (1, 'a'), (2, 'b')`.
struct ValuesQuery final : Query {
  static constexpr QueryKind kKind = QueryKind::kValues;
  explicit ValuesQuery(base::SourceSpan span) : Query(kKind, span) {}
  std::string ToString() const override;

  std::vector<std::vector<ExpressionPtr>> rows;
};

/// `FROM from`, the start of a pipe query (all columns of `from`).
struct FromQuery final : Query {
  static constexpr QueryKind kKind = QueryKind::kFrom;
  explicit FromQuery(base::SourceSpan span) : Query(kKind, span) {}
  std::string ToString() const override;

  TableRefPtr from;
};

/// `input |> op |> op ...`; operators apply in order.
struct PipeQuery final : Query {
  static constexpr QueryKind kKind = QueryKind::kPipe;
  explicit PipeQuery(base::SourceSpan span) : Query(kKind, span) {}
  std::string ToString() const override;

  QueryPtr input;
  std::vector<PipeOperatorPtr> operators;
};

}  // namespace sluice::ast
