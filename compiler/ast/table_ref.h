#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "compiler/ast/expression.h"
#include "compiler/ast/hint.h"
#include "compiler/ast/node.h"

namespace sluice::ast {

enum class TableRefKind { kBaseTable, kSubquery, kTableFunction, kJoin };

/// An item of a FROM clause (or the right side of a pipe JOIN), with an optional alias
/// `AS a (c1, c2)`.
class TableRef : public Node<TableRefKind> {
 public:
  std::optional<Identifier> alias;
  std::vector<Identifier> column_aliases;

 protected:
  using Node::Node;
  std::string AliasToString() const;
};
using TableRefPtr = std::unique_ptr<TableRef>;

/// A named table or view: `bid AS B`, `side_input FOR SYSTEM_TIME AS OF B.p_time AS S`,
/// `t /*+ OPTIONS(...) */`.
struct BaseTableRef final : TableRef {
  static constexpr TableRefKind kKind = TableRefKind::kBaseTable;
  explicit BaseTableRef(base::SourceSpan span) : TableRef(kKind, span) {}
  std::string ToString() const override;

  QualifiedName name;
  std::vector<Hint> hints;
  ExpressionPtr system_time;  // FOR SYSTEM_TIME AS OF expr; may be null
};

/// `(query) [AS] alias`, optionally LATERAL.
struct SubqueryRef final : TableRef {
  static constexpr TableRefKind kKind = TableRefKind::kSubquery;
  explicit SubqueryRef(base::SourceSpan span);
  ~SubqueryRef() override;
  std::string ToString() const override;

  bool lateral = false;
  QueryPtr query;
};

/// `TABLE(TUMBLE(TABLE bid, DESCRIPTOR(ts), INTERVAL '10' SECOND))`, `LATERAL TABLE(f(x))`,
/// `UNNEST(t.tags) [WITH ORDINALITY]` (`unnest` set, the call named UNNEST).
struct TableFunctionRef final : TableRef {
  static constexpr TableRefKind kKind = TableRefKind::kTableFunction;
  explicit TableFunctionRef(base::SourceSpan span) : TableRef(kKind, span) {}
  std::string ToString() const override;

  bool lateral = false;
  bool unnest = false;
  bool with_ordinality = false;
  std::unique_ptr<FunctionCallExpression> call;
};

enum class JoinType { kInner, kLeft, kRight, kFull, kCross };

const char* JoinTypeName(JoinType type);

/// `left [INNER|LEFT|RIGHT|FULL] JOIN right ON condition`, `left CROSS JOIN right`, or the
/// comma join `left, right` (kCross with `comma` set). Joins nest left-deep.
struct JoinRef final : TableRef {
  static constexpr TableRefKind kKind = TableRefKind::kJoin;
  explicit JoinRef(base::SourceSpan span) : TableRef(kKind, span) {}
  std::string ToString() const override;

  JoinType join_type = JoinType::kInner;
  bool comma = false;
  TableRefPtr left;
  TableRefPtr right;
  ExpressionPtr condition;                // ON ...; may be null
  std::vector<Identifier> using_columns;  // USING (...)
};

}  // namespace sluice::ast
