#include "compiler/ast/expression.h"

#include <fmt/format.h>

#include "compiler/ast/query.h"

// GCC 12 reports a false -Wrestrict on `"literal" + std::string` at -O3 (GCC bug 105329).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

namespace sluice::ast {

namespace {

std::string JoinExpressions(const std::vector<ExpressionPtr>& expressions) {
  std::string out;
  for (size_t i = 0; i < expressions.size(); ++i) {
    if (i > 0) out += ", ";
    out += expressions[i]->ToString();
  }
  return out;
}

std::string JoinOrderItems(const std::vector<OrderItem>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    out += items[i].ToString();
  }
  return out;
}

std::string FrameBoundToString(const FrameBound& bound) {
  switch (bound.kind) {
    case FrameBoundKind::kUnboundedPreceding: return "UNBOUNDED PRECEDING";
    case FrameBoundKind::kPreceding: return bound.offset->ToString() + " PRECEDING";
    case FrameBoundKind::kCurrentRow: return "CURRENT ROW";
    case FrameBoundKind::kFollowing: return bound.offset->ToString() + " FOLLOWING";
    case FrameBoundKind::kUnboundedFollowing: return "UNBOUNDED FOLLOWING";
  }
  return "?";
}

}  // namespace

InSubqueryExpression::InSubqueryExpression(base::SourceSpan span) : Expression(kKind, span) {}
InSubqueryExpression::~InSubqueryExpression() = default;
SubqueryExpression::SubqueryExpression(base::SourceSpan span) : Expression(kKind, span) {}
SubqueryExpression::~SubqueryExpression() = default;
ExistsExpression::ExistsExpression(base::SourceSpan span) : Expression(kKind, span) {}
ExistsExpression::~ExistsExpression() = default;

std::string LiteralExpression::ToString() const {
  switch (literal_kind) {
    case LiteralKind::kNull: return "NULL";
    case LiteralKind::kBoolean: return boolean_value ? "TRUE" : "FALSE";
    case LiteralKind::kInteger:
    case LiteralKind::kDecimal:
    case LiteralKind::kApproximate: return value;
    case LiteralKind::kString: return QuoteString(value);
    case LiteralKind::kBinary: {
      std::string out = "X'";
      for (char c : value) out += fmt::format("{:02X}", static_cast<unsigned char>(c));
      return out + "'";
    }
    case LiteralKind::kTimestamp: return "TIMESTAMP " + QuoteString(value);
    case LiteralKind::kTimestampLtz: return "TIMESTAMP_LTZ " + QuoteString(value);
    case LiteralKind::kDate: return "DATE " + QuoteString(value);
    case LiteralKind::kTime: return "TIME " + QuoteString(value);
    case LiteralKind::kInterval:
      return std::string("INTERVAL ") + (negative_interval ? "-" : "") + QuoteString(value) + " " +
             interval.ToString();
  }
  return "?";
}

std::string ColumnRefExpression::ToString() const {
  return JoinIdentifiers(parts, ".");
}

std::string StarExpression::ToString() const {
  return qualifier.empty() ? "*" : JoinIdentifiers(qualifier, ".") + ".*";
}

std::string FieldAccessExpression::ToString() const {
  return "(" + base->ToString() + ")." + field.ToString();
}

std::string SubscriptExpression::ToString() const {
  return base->ToString() + "[" + index->ToString() + "]";
}

std::string UnaryExpression::ToString() const {
  switch (op) {
    case UnaryOperator::kNegate: return "(-" + operand->ToString() + ")";
    case UnaryOperator::kPlus: return "(+" + operand->ToString() + ")";
    case UnaryOperator::kNot: return "(NOT " + operand->ToString() + ")";
  }
  return "?";
}

const char* BinaryOperatorName(BinaryOperator op) {
  switch (op) {
    case BinaryOperator::kAdd: return "+";
    case BinaryOperator::kSubtract: return "-";
    case BinaryOperator::kMultiply: return "*";
    case BinaryOperator::kDivide: return "/";
    case BinaryOperator::kModulo: return "%";
    case BinaryOperator::kConcat: return "||";
    case BinaryOperator::kEqual: return "=";
    case BinaryOperator::kNotEqual: return "<>";
    case BinaryOperator::kLess: return "<";
    case BinaryOperator::kLessEqual: return "<=";
    case BinaryOperator::kGreater: return ">";
    case BinaryOperator::kGreaterEqual: return ">=";
    case BinaryOperator::kAnd: return "AND";
    case BinaryOperator::kOr: return "OR";
    case BinaryOperator::kIsDistinctFrom: return "IS DISTINCT FROM";
    case BinaryOperator::kIsNotDistinctFrom: return "IS NOT DISTINCT FROM";
  }
  return "?";
}

std::string BinaryExpression::ToString() const {
  return "(" + left->ToString() + " " + BinaryOperatorName(op) + " " + right->ToString() + ")";
}

std::string BetweenExpression::ToString() const {
  return "(" + value->ToString() + (negated ? " NOT" : "") + " BETWEEN " +
         (symmetric ? "SYMMETRIC " : "") + lower->ToString() + " AND " + upper->ToString() + ")";
}

std::string InListExpression::ToString() const {
  return "(" + value->ToString() + (negated ? " NOT" : "") + " IN (" + JoinExpressions(list) + "))";
}

std::string InSubqueryExpression::ToString() const {
  return "(" + value->ToString() + (negated ? " NOT" : "") + " IN (" + query->ToString() + "))";
}

std::string LikeExpression::ToString() const {
  std::string out =
      "(" + value->ToString() + (negated ? " NOT" : "") + " LIKE " + pattern->ToString();
  if (escape) out += " ESCAPE " + escape->ToString();
  return out + ")";
}

std::string IsExpression::ToString() const {
  const char* test_name = "NULL";
  switch (test) {
    case IsTest::kNull: test_name = "NULL"; break;
    case IsTest::kTrue: test_name = "TRUE"; break;
    case IsTest::kFalse: test_name = "FALSE"; break;
    case IsTest::kUnknown: test_name = "UNKNOWN"; break;
  }
  return "(" + value->ToString() + (negated ? " IS NOT " : " IS ") + test_name + ")";
}

std::string CaseExpression::ToString() const {
  std::string out = "CASE";
  if (operand) out += " " + operand->ToString();
  for (const WhenClause& when : whens) {
    out += " WHEN " + when.condition->ToString() + " THEN " + when.result->ToString();
  }
  if (else_result) out += " ELSE " + else_result->ToString();
  return out + " END";
}

std::string CastExpression::ToString() const {
  return std::string(is_try ? "TRY_CAST(" : "CAST(") + operand->ToString() + " AS " +
         target.ToString() + ")";
}

std::string ExtractExpression::ToString() const {
  return std::string("EXTRACT(") + TimeUnitName(unit) + " FROM " + operand->ToString() + ")";
}

std::string OrderItem::ToString() const {
  std::string out = expression->ToString();
  if (descending) out += " DESC";
  if (nulls == NullOrder::kFirst) out += " NULLS FIRST";
  if (nulls == NullOrder::kLast) out += " NULLS LAST";
  return out;
}

std::string WindowSpecification::ToString() const {
  std::string out;
  auto add = [&out](const std::string& part) {
    if (!out.empty()) out += " ";
    out += part;
  };
  if (!partition_by.empty()) add("PARTITION BY " + JoinExpressions(partition_by));
  if (!order_by.empty()) add("ORDER BY " + JoinOrderItems(order_by));
  if (frame.has_value()) {
    add(std::string(frame->unit == FrameUnit::kRows ? "ROWS" : "RANGE") + " BETWEEN " +
        FrameBoundToString(frame->start) + " AND " + FrameBoundToString(frame->end));
  }
  return out;
}

std::string FunctionCallExpression::ToString() const {
  const std::string function = name.ToString();
  if (function == "$IS_JSON" && arguments.size() == 2) {
    const Expression& kind = *arguments[1];
    return arguments[0]->ToString() + " IS JSON " +
           (kind.Is<LiteralExpression>() ? kind.Cast<LiteralExpression>().value : kind.ToString());
  }
  if (function == "$SIMILAR" && arguments.size() >= 2) {
    return arguments[0]->ToString() + " SIMILAR TO " + arguments[1]->ToString() +
           (arguments.size() > 2 ? " ESCAPE " + arguments[2]->ToString() : "");
  }
  std::string inner = (distinct ? "DISTINCT " : "") + JoinExpressions(arguments);
  if (function == "JSON_OBJECT") {
    inner.clear();
    for (size_t i = 0; i + 1 < arguments.size(); i += 2) {
      if (i > 0) inner += ", ";
      inner += "KEY " + arguments[i]->ToString() + " VALUE " + arguments[i + 1]->ToString();
    }
  }
  if (json_on_null != JsonOnNull::kDefault) {
    inner += json_on_null == JsonOnNull::kNull ? " NULL ON NULL" : " ABSENT ON NULL";
  }
  if (returning) inner += " RETURNING " + returning->ToString();
  if (json_wrapper) {
    inner += *json_wrapper == JsonWrapper::kWithout       ? " WITHOUT ARRAY WRAPPER"
             : *json_wrapper == JsonWrapper::kConditional ? " WITH CONDITIONAL ARRAY WRAPPER"
                                                          : " WITH UNCONDITIONAL ARRAY WRAPPER";
  }
  for (const JsonBehavior& behavior : json_behaviors) {
    switch (behavior.kind) {
      case JsonBehavior::Kind::kNull: inner += " NULL"; break;
      case JsonBehavior::Kind::kError: inner += " ERROR"; break;
      case JsonBehavior::Kind::kEmptyArray: inner += " EMPTY ARRAY"; break;
      case JsonBehavior::Kind::kEmptyObject: inner += " EMPTY OBJECT"; break;
      case JsonBehavior::Kind::kTrue: inner += " TRUE"; break;
      case JsonBehavior::Kind::kFalse: inner += " FALSE"; break;
      case JsonBehavior::Kind::kUnknown: inner += " UNKNOWN"; break;
      case JsonBehavior::Kind::kDefault:
        inner += " DEFAULT " + behavior.default_value->ToString();
        break;
    }
    inner += behavior.on_empty ? " ON EMPTY" : " ON ERROR";
  }
  std::string out = function + "(" + inner + ")";
  if (filter) out += " FILTER (WHERE " + filter->ToString() + ")";
  if (over) out += " OVER (" + over->ToString() + ")";
  if (over_window_name.has_value()) out += " OVER " + over_window_name->ToString();
  return out;
}

std::string SubqueryExpression::ToString() const {
  return "(" + query->ToString() + ")";
}

std::string ExistsExpression::ToString() const {
  return "EXISTS (" + query->ToString() + ")";
}

std::string DescriptorExpression::ToString() const {
  return "DESCRIPTOR(" + JoinIdentifiers(columns, ", ") + ")";
}

std::string TableArgumentExpression::ToString() const {
  std::string out = "TABLE " + table.ToString();
  if (!partition_by.empty()) out += " PARTITION BY " + JoinExpressions(partition_by);
  if (!order_by.empty()) out += " ORDER BY " + JoinOrderItems(order_by);
  return out;
}

std::string NamedArgumentExpression::ToString() const {
  return name.ToString() + " => " + value->ToString();
}

std::string GroupingSetsExpression::ToString() const {
  std::string out = grouping_kind == GroupingKind::kRollup ? "ROLLUP("
                    : grouping_kind == GroupingKind::kCube ? "CUBE("
                                                           : "GROUPING SETS (";
  for (size_t i = 0; i < elements.size(); ++i) {
    if (i > 0) out += ", ";
    const auto& element = elements[i];
    bool nested = element.size() == 1 && element.front()->Is<GroupingSetsExpression>();
    bool parenthesize =
        !nested && (element.size() != 1 || grouping_kind == GroupingKind::kGroupingSets);
    out += parenthesize ? "(" + JoinExpressions(element) + ")" : JoinExpressions(element);
  }
  return out + ")";
}

}  // namespace sluice::ast
