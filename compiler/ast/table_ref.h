#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "compiler/ast/expression.h"
#include "compiler/ast/hint.h"
#include "compiler/ast/node.h"

namespace sluice::ast {

enum class TableRefKind { kBaseTable, kSubquery, kTableFunction, kJoin, kMatchRecognize };

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

/// A node of a MATCH_RECOGNIZE pattern: a variable, a concatenation or an alternation of
/// terms, each with a quantifier ({1,1} when none is written).
struct PatternTerm {
  enum class Kind { kVariable, kConcatenation, kAlternation };
  Kind kind = Kind::kVariable;
  Identifier variable;                // kVariable
  std::vector<PatternTerm> children;  // kConcatenation, kAlternation
  int64_t min = 1;
  int64_t max = 1;  // -1: unbounded
  bool reluctant = false;
  bool quantified = false;  // a quantifier was written
  base::SourceSpan span;
  base::SourceSpan quantifier_span;

  std::string ToString() const;
};

/// `input MATCH_RECOGNIZE (PARTITION BY … ORDER BY … MEASURES … PATTERN (…) DEFINE …) [AS a]`.
struct MatchRecognizeRef final : TableRef {
  static constexpr TableRefKind kKind = TableRefKind::kMatchRecognize;
  explicit MatchRecognizeRef(base::SourceSpan span) : TableRef(kKind, span) {}
  std::string ToString() const override;

  enum class SkipKind { kPastLastRow, kToNextRow, kToFirst, kToLast };
  struct Measure {
    ExpressionPtr expression;
    Identifier name;
  };
  struct Define {
    Identifier variable;
    ExpressionPtr condition;
  };

  TableRefPtr input;
  std::vector<ExpressionPtr> partition_by;
  std::vector<OrderItem> order_by;
  base::SourceSpan order_span;  // the MATCH_RECOGNIZE clause when there is no ORDER BY
  std::vector<Measure> measures;
  bool all_rows = false;  // ALL ROWS PER MATCH (refused by the binder)
  base::SourceSpan rows_span;
  SkipKind skip = SkipKind::kPastLastRow;
  Identifier skip_variable;  // kToFirst, kToLast
  base::SourceSpan skip_span;
  PatternTerm pattern;
  ExpressionPtr within;  // an INTERVAL literal; may be null
  std::vector<Define> defines;
};

}  // namespace sluice::ast
