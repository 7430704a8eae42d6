#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "compiler/ast/expression.h"
#include "compiler/ast/hint.h"
#include "compiler/ast/node.h"
#include "compiler/ast/select_item.h"
#include "compiler/ast/table_ref.h"

namespace sluice::ast {

enum class PipeOperatorKind {
  kWhere,
  kSelect,
  kExtend,
  kSet,
  kDrop,
  kRename,
  kAs,
  kAggregate,
  kJoin,
  kCall,
  kUnion,
  kOrderBy,
  kLimit,
};

/// One `|> ...` step of a pipe query; `hints` are those written right after its keyword
/// (`|> AGGREGATE /*+ UID('x') */ ...`).
class PipeOperator : public Node<PipeOperatorKind> {
 public:
  std::vector<Hint> hints;

 protected:
  using Node::Node;
};
using PipeOperatorPtr = std::unique_ptr<PipeOperator>;

/// `|> WHERE condition`.
struct PipeWhere final : PipeOperator {
  static constexpr PipeOperatorKind kKind = PipeOperatorKind::kWhere;
  explicit PipeWhere(base::SourceSpan span) : PipeOperator(kKind, span) {}
  std::string ToString() const override;

  ExpressionPtr condition;
};

/// `|> SELECT [DISTINCT] items`.
struct PipeSelect final : PipeOperator {
  static constexpr PipeOperatorKind kKind = PipeOperatorKind::kSelect;
  explicit PipeSelect(base::SourceSpan span) : PipeOperator(kKind, span) {}
  std::string ToString() const override;

  bool distinct = false;
  std::vector<SelectItem> items;
};

/// `|> EXTEND expr AS name, ...`: appends columns.
struct PipeExtend final : PipeOperator {
  static constexpr PipeOperatorKind kKind = PipeOperatorKind::kExtend;
  explicit PipeExtend(base::SourceSpan span) : PipeOperator(kKind, span) {}
  std::string ToString() const override;

  std::vector<SelectItem> items;
};

struct PipeAssignment {
  Identifier column;
  ExpressionPtr value;
  base::SourceSpan span;
};

/// `|> SET col = expr, ...`: replaces columns in place.
struct PipeSet final : PipeOperator {
  static constexpr PipeOperatorKind kKind = PipeOperatorKind::kSet;
  explicit PipeSet(base::SourceSpan span) : PipeOperator(kKind, span) {}
  std::string ToString() const override;

  std::vector<PipeAssignment> assignments;
};

/// `|> DROP col, ...`.
struct PipeDrop final : PipeOperator {
  static constexpr PipeOperatorKind kKind = PipeOperatorKind::kDrop;
  explicit PipeDrop(base::SourceSpan span) : PipeOperator(kKind, span) {}
  std::string ToString() const override;

  std::vector<Identifier> columns;
};

struct PipeRenaming {
  Identifier from;
  Identifier to;
  base::SourceSpan span;
};

/// `|> RENAME a AS b, ...`.
struct PipeRename final : PipeOperator {
  static constexpr PipeOperatorKind kKind = PipeOperatorKind::kRename;
  explicit PipeRename(base::SourceSpan span) : PipeOperator(kKind, span) {}
  std::string ToString() const override;

  std::vector<PipeRenaming> renamings;
};

/// `|> AS alias`: names the current table for later qualified references.
struct PipeAs final : PipeOperator {
  static constexpr PipeOperatorKind kKind = PipeOperatorKind::kAs;
  explicit PipeAs(base::SourceSpan span) : PipeOperator(kKind, span) {}
  std::string ToString() const override;

  Identifier alias;
};

/// `|> AGGREGATE aggs [GROUP BY keys]`; output columns are the keys, then the aggregates.
struct PipeAggregate final : PipeOperator {
  static constexpr PipeOperatorKind kKind = PipeOperatorKind::kAggregate;
  explicit PipeAggregate(base::SourceSpan span) : PipeOperator(kKind, span) {}
  std::string ToString() const override;

  std::vector<SelectItem> aggregates;
  std::vector<SelectItem> group_by;
};

/// `|> [LEFT|RIGHT|FULL|CROSS] JOIN right [ON condition | USING (cols)]`; the left side is the
/// pipe input.
struct PipeJoin final : PipeOperator {
  static constexpr PipeOperatorKind kKind = PipeOperatorKind::kJoin;
  explicit PipeJoin(base::SourceSpan span) : PipeOperator(kKind, span) {}
  std::string ToString() const override;

  JoinType join_type = JoinType::kInner;
  TableRefPtr right;
  ExpressionPtr condition;  // may be null
  std::vector<Identifier> using_columns;
};

/// `|> CALL HOP(DESCRIPTOR(ts), INTERVAL '2' SECOND, ...) [AS alias]`: a table function whose
/// first table argument is the pipe input (not written).
struct PipeCall final : PipeOperator {
  static constexpr PipeOperatorKind kKind = PipeOperatorKind::kCall;
  explicit PipeCall(base::SourceSpan span) : PipeOperator(kKind, span) {}
  std::string ToString() const override;

  std::unique_ptr<FunctionCallExpression> call;
  std::optional<Identifier> alias;
};

/// `|> UNION ALL (query), (query)`.
struct PipeUnion final : PipeOperator {
  static constexpr PipeOperatorKind kKind = PipeOperatorKind::kUnion;
  explicit PipeUnion(base::SourceSpan span);
  ~PipeUnion() override;
  std::string ToString() const override;

  bool all = false;
  std::vector<QueryPtr> queries;
};

/// `|> ORDER BY keys [LIMIT n [OFFSET m]]`.
struct PipeOrderBy final : PipeOperator {
  static constexpr PipeOperatorKind kKind = PipeOperatorKind::kOrderBy;
  explicit PipeOrderBy(base::SourceSpan span) : PipeOperator(kKind, span) {}
  std::string ToString() const override;

  std::vector<OrderItem> order_by;
  ExpressionPtr limit;   // may be null
  ExpressionPtr offset;  // may be null
};

/// `|> LIMIT n [OFFSET m]`.
struct PipeLimit final : PipeOperator {
  static constexpr PipeOperatorKind kKind = PipeOperatorKind::kLimit;
  explicit PipeLimit(base::SourceSpan span) : PipeOperator(kKind, span) {}
  std::string ToString() const override;

  ExpressionPtr limit;
  ExpressionPtr offset;  // may be null
};

}  // namespace sluice::ast
