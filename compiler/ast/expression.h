#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "compiler/ast/data_type.h"
#include "compiler/ast/identifier.h"
#include "compiler/ast/node.h"

namespace sluice::ast {

class Query;
using QueryPtr = std::unique_ptr<Query>;

enum class ExpressionKind {
  kLiteral,
  kColumnRef,
  kStar,
  kFieldAccess,
  kSubscript,
  kUnary,
  kBinary,
  kBetween,
  kInList,
  kInSubquery,
  kLike,
  kIs,
  kCase,
  kCast,
  kExtract,
  kFunctionCall,
  kSubquery,
  kExists,
  kDescriptor,
  kTableArgument,
  kNamedArgument,
  kGroupingSets,
};

/// A scalar expression, an argument of a table function (DESCRIPTOR, TABLE t, name => x), or
/// a GROUP BY item (GROUPING SETS, ROLLUP, CUBE).
class Expression : public Node<ExpressionKind> {
 protected:
  using Node::Node;
};
using ExpressionPtr = std::unique_ptr<Expression>;

/// How a literal was spelled. Numbers keep their text: `kInteger` (42), `kDecimal` (0.908,
/// has a point, no exponent), `kApproximate` (1e3, 1.5E-2).
enum class LiteralKind {
  kNull,
  kBoolean,
  kInteger,
  kDecimal,
  kApproximate,
  kString,
  kBinary,        // X'0A0B': `value` holds the bytes
  kTimestamp,     // TIMESTAMP '2024-01-01 00:00:00'
  kTimestampLtz,  // TIMESTAMP_LTZ '...'
  kDate,          // DATE '2024-01-01'
  kTime,          // TIME '12:00:00'
  kInterval,      // INTERVAL '4' SECOND
};

/// A constant. `value` holds the number text as written, the unescaped contents of a string
/// or typed literal (also of an interval: "4" in INTERVAL '4' SECOND), "TRUE"/"FALSE", or ""
/// for NULL.
struct LiteralExpression final : Expression {
  static constexpr ExpressionKind kKind = ExpressionKind::kLiteral;
  explicit LiteralExpression(base::SourceSpan span) : Expression(kKind, span) {}
  std::string ToString() const override;

  LiteralKind literal_kind = LiteralKind::kNull;
  std::string value;
  bool boolean_value = false;
  bool negative_interval = false;  // INTERVAL -'4' SECOND
  IntervalQualifier interval;      // only for kInterval
};

/// A possibly qualified name: `price`, `B.price`, `bid.price`, `B.bid.price`. Which parts name
/// a table, a column or nested ROW fields is the binder's call.
struct ColumnRefExpression final : Expression {
  static constexpr ExpressionKind kKind = ExpressionKind::kColumnRef;
  explicit ColumnRefExpression(base::SourceSpan span) : Expression(kKind, span) {}
  std::string ToString() const override;

  std::vector<Identifier> parts;
};

/// `*` or `t.*` in a select list; also the argument of COUNT(*).
struct StarExpression final : Expression {
  static constexpr ExpressionKind kKind = ExpressionKind::kStar;
  explicit StarExpression(base::SourceSpan span) : Expression(kKind, span) {}
  std::string ToString() const override;

  std::vector<Identifier> qualifier;  // empty for a bare `*`
};

/// `base.field` where base is not a plain name, e.g. `(SELECT ...).f` or `f(x).g`.
struct FieldAccessExpression final : Expression {
  static constexpr ExpressionKind kKind = ExpressionKind::kFieldAccess;
  explicit FieldAccessExpression(base::SourceSpan span) : Expression(kKind, span) {}
  std::string ToString() const override;

  ExpressionPtr base;
  Identifier field;
};

/// `base[index]`.
struct SubscriptExpression final : Expression {
  static constexpr ExpressionKind kKind = ExpressionKind::kSubscript;
  explicit SubscriptExpression(base::SourceSpan span) : Expression(kKind, span) {}
  std::string ToString() const override;

  ExpressionPtr base;
  ExpressionPtr index;
};

enum class UnaryOperator { kNegate, kPlus, kNot };

struct UnaryExpression final : Expression {
  static constexpr ExpressionKind kKind = ExpressionKind::kUnary;
  explicit UnaryExpression(base::SourceSpan span) : Expression(kKind, span) {}
  std::string ToString() const override;

  UnaryOperator op = UnaryOperator::kNot;
  ExpressionPtr operand;
};

enum class BinaryOperator {
  kAdd,
  kSubtract,
  kMultiply,
  kDivide,
  kModulo,
  kConcat,
  kEqual,
  kNotEqual,
  kLess,
  kLessEqual,
  kGreater,
  kGreaterEqual,
  kAnd,
  kOr,
  kIsDistinctFrom,
  kIsNotDistinctFrom,
};

/// Renders an operator as SQL: "+", "<>", "AND", "IS DISTINCT FROM".
const char* BinaryOperatorName(BinaryOperator op);

struct BinaryExpression final : Expression {
  static constexpr ExpressionKind kKind = ExpressionKind::kBinary;
  explicit BinaryExpression(base::SourceSpan span) : Expression(kKind, span) {}
  std::string ToString() const override;

  BinaryOperator op = BinaryOperator::kAdd;
  base::SourceSpan operator_span;
  ExpressionPtr left;
  ExpressionPtr right;
};

/// `value [NOT] BETWEEN lower AND upper` (inclusive).
struct BetweenExpression final : Expression {
  static constexpr ExpressionKind kKind = ExpressionKind::kBetween;
  explicit BetweenExpression(base::SourceSpan span) : Expression(kKind, span) {}
  std::string ToString() const override;

  bool negated = false;
  bool symmetric = false;  // BETWEEN SYMMETRIC: the bounds in either order
  ExpressionPtr value;
  ExpressionPtr lower;
  ExpressionPtr upper;
};

/// `value [NOT] IN (a, b, ...)`.
struct InListExpression final : Expression {
  static constexpr ExpressionKind kKind = ExpressionKind::kInList;
  explicit InListExpression(base::SourceSpan span) : Expression(kKind, span) {}
  std::string ToString() const override;

  bool negated = false;
  ExpressionPtr value;
  std::vector<ExpressionPtr> list;
};

/// `value [NOT] IN (SELECT ...)`.
struct InSubqueryExpression final : Expression {
  static constexpr ExpressionKind kKind = ExpressionKind::kInSubquery;
  explicit InSubqueryExpression(base::SourceSpan span);
  ~InSubqueryExpression() override;
  std::string ToString() const override;

  bool negated = false;
  ExpressionPtr value;
  QueryPtr query;
};

/// `value [NOT] LIKE pattern [ESCAPE escape]`.
struct LikeExpression final : Expression {
  static constexpr ExpressionKind kKind = ExpressionKind::kLike;
  explicit LikeExpression(base::SourceSpan span) : Expression(kKind, span) {}
  std::string ToString() const override;

  bool negated = false;
  ExpressionPtr value;
  ExpressionPtr pattern;
  ExpressionPtr escape;  // may be null
};

enum class IsTest { kNull, kTrue, kFalse, kUnknown };

/// `value IS [NOT] NULL|TRUE|FALSE|UNKNOWN`.
struct IsExpression final : Expression {
  static constexpr ExpressionKind kKind = ExpressionKind::kIs;
  explicit IsExpression(base::SourceSpan span) : Expression(kKind, span) {}
  std::string ToString() const override;

  bool negated = false;
  IsTest test = IsTest::kNull;
  ExpressionPtr value;
};

struct WhenClause {
  ExpressionPtr condition;  // the compared value when the CASE has an operand
  ExpressionPtr result;
  base::SourceSpan span;
};

/// `CASE [operand] WHEN ... THEN ... [ELSE ...] END`.
struct CaseExpression final : Expression {
  static constexpr ExpressionKind kKind = ExpressionKind::kCase;
  explicit CaseExpression(base::SourceSpan span) : Expression(kKind, span) {}
  std::string ToString() const override;

  ExpressionPtr operand;  // may be null (searched CASE)
  std::vector<WhenClause> whens;
  ExpressionPtr else_result;  // may be null
};

/// `CAST(operand AS type)` or `TRY_CAST(...)`.
struct CastExpression final : Expression {
  static constexpr ExpressionKind kKind = ExpressionKind::kCast;
  explicit CastExpression(base::SourceSpan span) : Expression(kKind, span) {}
  std::string ToString() const override;

  bool is_try = false;
  ExpressionPtr operand;
  DataType target;
};

/// `EXTRACT(unit FROM operand)`.
struct ExtractExpression final : Expression {
  static constexpr ExpressionKind kKind = ExpressionKind::kExtract;
  explicit ExtractExpression(base::SourceSpan span) : Expression(kKind, span) {}
  std::string ToString() const override;

  TimeUnit unit = TimeUnit::kSecond;
  base::SourceSpan unit_span;
  ExpressionPtr operand;
};

enum class NullOrder { kDefault, kFirst, kLast };

/// One key of ORDER BY (in a query, a pipe, a window or a TABLE argument).
struct OrderItem {
  ExpressionPtr expression;
  bool descending = false;
  NullOrder nulls = NullOrder::kDefault;
  base::SourceSpan span;

  std::string ToString() const;
};

enum class FrameUnit { kRows, kRange };
enum class FrameBoundKind {
  kUnboundedPreceding,
  kPreceding,
  kCurrentRow,
  kFollowing,
  kUnboundedFollowing
};

struct FrameBound {
  FrameBoundKind kind = FrameBoundKind::kCurrentRow;
  ExpressionPtr offset;  // for kPreceding / kFollowing
  base::SourceSpan span;
};

/// `ROWS BETWEEN 10 PRECEDING AND CURRENT ROW`. A frame written with one bound gets
/// `end` = CURRENT ROW.
struct WindowFrame {
  FrameUnit unit = FrameUnit::kRows;
  FrameBound start;
  FrameBound end;
  base::SourceSpan span;
};

/// The parenthesized part of `OVER (PARTITION BY ... ORDER BY ... ROWS ...)`.
struct WindowSpecification {
  std::vector<ExpressionPtr> partition_by;
  std::vector<OrderItem> order_by;
  std::optional<WindowFrame> frame;
  base::SourceSpan span;

  std::string ToString() const;
};

/// A call of a scalar, aggregate, window or table function. Special SQL forms are normalized:
/// SUBSTRING(s FROM a FOR b) → SUBSTRING(s, a, b); POSITION(a IN b) → POSITION(a, b);
/// TRIM([BOTH|LEADING|TRAILING] [c] FROM s) → TRIM|LTRIM|RTRIM(s[, c]); ROW(a, b) → ROW(a, b).
/// COUNT(*) has one StarExpression argument. Table-function arguments may be
/// TableArgumentExpression, DescriptorExpression and NamedArgumentExpression.
/// `NULL | ERROR | DEFAULT x` `ON EMPTY | ON ERROR` of a JSON_VALUE call.
struct JsonBehavior {
  enum class Kind { kNull, kError, kDefault, kEmptyArray, kEmptyObject, kTrue, kFalse, kUnknown };
  Kind kind = Kind::kNull;
  bool on_empty = false;  // ON EMPTY, else ON ERROR
  std::shared_ptr<Expression> default_value;
  base::SourceSpan span;
};

/// JSON_QUERY's `{WITHOUT | WITH [CONDITIONAL | UNCONDITIONAL]} [ARRAY] WRAPPER` (unset: WITHOUT).
enum class JsonWrapper { kWithout, kConditional, kUnconditional };

/// `NULL ON NULL` / `ABSENT ON NULL` of JSON_OBJECT and JSON_ARRAY (unset: the function's
/// default).
enum class JsonOnNull { kDefault, kNull, kAbsent };

/// A function call. The parser also gives constructs with their own syntax this form:
/// `JSON_OBJECT(KEY k VALUE v, ...)` (arguments k1, v1, k2, v2, ...), `JSON_ARRAY(...)` and
/// `x IS JSON [kind]` (`$IS_JSON(x, 'KIND')`).
struct FunctionCallExpression final : Expression {
  static constexpr ExpressionKind kKind = ExpressionKind::kFunctionCall;
  explicit FunctionCallExpression(base::SourceSpan span) : Expression(kKind, span) {}
  std::string ToString() const override;

  QualifiedName name;
  bool distinct = false;
  std::vector<ExpressionPtr> arguments;
  ExpressionPtr filter;                        // agg(x) FILTER (WHERE filter); may be null
  std::unique_ptr<WindowSpecification> over;   // OVER (...); may be null
  std::optional<Identifier> over_window_name;  // OVER w
  std::optional<DataType> returning;           // JSON_VALUE(... RETURNING type)
  std::vector<JsonBehavior> json_behaviors;    // JSON_VALUE(... NULL ON EMPTY ...)
  std::optional<JsonWrapper> json_wrapper;     // JSON_QUERY(... WITH WRAPPER)
  JsonOnNull json_on_null = JsonOnNull::kDefault;
  bool implicit_row = false;  // `(e1, e2, …)`: a ROW(…) written without the keyword
};

/// A scalar subquery `(SELECT ...)`.
struct SubqueryExpression final : Expression {
  static constexpr ExpressionKind kKind = ExpressionKind::kSubquery;
  explicit SubqueryExpression(base::SourceSpan span);
  ~SubqueryExpression() override;
  std::string ToString() const override;

  QueryPtr query;
};

/// `EXISTS (SELECT ...)`.
struct ExistsExpression final : Expression {
  static constexpr ExpressionKind kKind = ExpressionKind::kExists;
  explicit ExistsExpression(base::SourceSpan span);
  ~ExistsExpression() override;
  std::string ToString() const override;

  QueryPtr query;
};

/// `DESCRIPTOR(col, ...)`, a window TVF argument naming the time column.
struct DescriptorExpression final : Expression {
  static constexpr ExpressionKind kKind = ExpressionKind::kDescriptor;
  explicit DescriptorExpression(base::SourceSpan span) : Expression(kKind, span) {}
  std::string ToString() const override;

  std::vector<Identifier> columns;
};

/// `TABLE t [PARTITION BY ...] [ORDER BY ...]`, a table argument of a table function.
struct TableArgumentExpression final : Expression {
  static constexpr ExpressionKind kKind = ExpressionKind::kTableArgument;
  explicit TableArgumentExpression(base::SourceSpan span) : Expression(kKind, span) {}
  std::string ToString() const override;

  QualifiedName table;
  std::vector<ExpressionPtr> partition_by;
  std::vector<OrderItem> order_by;
};

/// `name => value`, a named function argument.
struct NamedArgumentExpression final : Expression {
  static constexpr ExpressionKind kKind = ExpressionKind::kNamedArgument;
  explicit NamedArgumentExpression(base::SourceSpan span) : Expression(kKind, span) {}
  std::string ToString() const override;

  Identifier name;
  ExpressionPtr value;
};

enum class GroupingKind { kGroupingSets, kRollup, kCube };

/// A GROUP BY item that lists grouping sets: `GROUPING SETS (…)`, `ROLLUP (…)`, `CUBE (…)`;
/// `GROUP BY ()` is `GROUPING SETS (())`. Never a scalar: the binder expands it into sets.
struct GroupingSetsExpression final : Expression {
  static constexpr ExpressionKind kKind = ExpressionKind::kGroupingSets;
  explicit GroupingSetsExpression(base::SourceSpan span) : Expression(kKind, span) {}
  std::string ToString() const override;

  GroupingKind grouping_kind = GroupingKind::kGroupingSets;
  /// GROUPING SETS: one list per set (`()` is empty; a nested GROUPING SETS, ROLLUP or CUBE is
  /// alone in its list). ROLLUP and CUBE: one list per element, a column or a composite
  /// `(a, b)` that is rolled up as one.
  std::vector<std::vector<ExpressionPtr>> elements;
};

}  // namespace sluice::ast
