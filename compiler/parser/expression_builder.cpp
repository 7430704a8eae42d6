// Builds expressions, function calls, window specifications and literals.
#include <fmt/format.h>

#include <cctype>

#include "compiler/parser/ast_builder.h"

namespace sluice::parser {

using P = grammar::SluiceParser;

namespace {

ast::QualifiedName SingleName(const std::string& name, base::SourceSpan span) {
  ast::QualifiedName qualified;
  qualified.parts.push_back(ast::Identifier{name, false, span});
  qualified.span = span;
  return qualified;
}

ast::BinaryOperator BinaryOperatorOf(size_t token_type) {
  switch (token_type) {
    case P::PLUS: return ast::BinaryOperator::kAdd;
    case P::MINUS: return ast::BinaryOperator::kSubtract;
    case P::STAR: return ast::BinaryOperator::kMultiply;
    case P::SLASH: return ast::BinaryOperator::kDivide;
    case P::PERCENT: return ast::BinaryOperator::kModulo;
    case P::CONCAT: return ast::BinaryOperator::kConcat;
    case P::EQ: return ast::BinaryOperator::kEqual;
    case P::NEQ: return ast::BinaryOperator::kNotEqual;
    case P::LT: return ast::BinaryOperator::kLess;
    case P::LTE: return ast::BinaryOperator::kLessEqual;
    case P::GT: return ast::BinaryOperator::kGreater;
    case P::GTE: return ast::BinaryOperator::kGreaterEqual;
    case P::AND: return ast::BinaryOperator::kAnd;
    default: return ast::BinaryOperator::kOr;
  }
}

}  // namespace

ast::ExpressionPtr AstBuilder::BuildExpression(P::ExpressionContext* context) {
  return BuildBoolean(context->booleanExpression());
}

ast::ExpressionPtr AstBuilder::BuildBoolean(P::BooleanExpressionContext* context) {
  // AND/OR chains are left-deep in the parse tree; walk the spine instead of recursing.
  std::vector<P::BooleanExpressionContext*> spine;
  P::BooleanExpressionContext* current = context;
  while (true) {
    if (auto* conjunction = dynamic_cast<P::LogicalAndContext*>(current)) {
      spine.push_back(current);
      current = conjunction->left;
    } else if (auto* disjunction = dynamic_cast<P::LogicalOrContext*>(current)) {
      spine.push_back(current);
      current = disjunction->left;
    } else {
      break;
    }
  }
  ast::ExpressionPtr result;
  if (auto* negation = dynamic_cast<P::LogicalNotContext*>(current)) {
    auto unary = std::make_unique<ast::UnaryExpression>(Span(negation));
    unary->op = ast::UnaryOperator::kNot;
    unary->operand = BuildBoolean(negation->booleanExpression());
    result = std::move(unary);
  } else if (auto* exists = dynamic_cast<P::ExistsContext*>(current)) {
    auto expression = std::make_unique<ast::ExistsExpression>(Span(exists));
    expression->query = BuildQuery(exists->query());
    result = std::move(expression);
  } else {
    auto* predicated = dynamic_cast<P::PredicatedContext*>(current);
    result = BuildValue(predicated->valueExpression());
    if (predicated->predicate() != nullptr) {
      result = BuildPredicate(std::move(result), predicated->predicate(), predicated);
    }
  }
  for (auto it = spine.rbegin(); it != spine.rend(); ++it) {
    auto binary = std::make_unique<ast::BinaryExpression>(Span(*it));
    P::BooleanExpressionContext* right = nullptr;
    antlr4::tree::TerminalNode* keyword = nullptr;
    if (auto* conjunction = dynamic_cast<P::LogicalAndContext*>(*it)) {
      binary->op = ast::BinaryOperator::kAnd;
      right = conjunction->right;
      keyword = conjunction->AND();
    } else {
      auto* disjunction = dynamic_cast<P::LogicalOrContext*>(*it);
      binary->op = ast::BinaryOperator::kOr;
      right = disjunction->right;
      keyword = disjunction->OR();
    }
    binary->operator_span = Span(keyword);
    binary->left = std::move(result);
    binary->right = BuildBoolean(right);
    result = std::move(binary);
  }
  return result;
}

ast::ExpressionPtr AstBuilder::BuildPredicate(ast::ExpressionPtr value,
                                              P::PredicateContext* context,
                                              antlr4::ParserRuleContext* whole) {
  base::SourceSpan span = Span(whole);
  if (auto* between = dynamic_cast<P::BetweenPredicateContext*>(context)) {
    auto expression = std::make_unique<ast::BetweenExpression>(span);
    expression->negated = between->NOT() != nullptr;
    expression->symmetric =
        between->symmetry != nullptr && between->symmetry->getType() == P::SYMMETRIC;
    expression->value = std::move(value);
    expression->lower = BuildValue(between->lower);
    expression->upper = BuildValue(between->upper);
    return expression;
  }
  if (auto* in_subquery = dynamic_cast<P::InSubqueryPredicateContext*>(context)) {
    auto expression = std::make_unique<ast::InSubqueryExpression>(span);
    expression->negated = in_subquery->NOT() != nullptr;
    expression->value = std::move(value);
    expression->query = BuildQuery(in_subquery->query());
    return expression;
  }
  if (auto* in_list = dynamic_cast<P::InListPredicateContext*>(context)) {
    auto expression = std::make_unique<ast::InListExpression>(span);
    expression->negated = in_list->NOT() != nullptr;
    expression->value = std::move(value);
    for (P::ExpressionContext* item : in_list->expression())
      expression->list.push_back(BuildExpression(item));
    return expression;
  }
  if (auto* like = dynamic_cast<P::LikePredicateContext*>(context)) {
    auto expression = std::make_unique<ast::LikeExpression>(span);
    expression->negated = like->NOT() != nullptr;
    expression->value = std::move(value);
    expression->pattern = BuildValue(like->pattern);
    if (like->escape != nullptr) expression->escape = BuildValue(like->escape);
    return expression;
  }
  if (auto* similar = dynamic_cast<P::SimilarPredicateContext*>(context)) {
    // x [NOT] SIMILAR TO p [ESCAPE e] → [NOT] $SIMILAR(x, p [, e])
    auto call = std::make_unique<ast::FunctionCallExpression>(span);
    call->name = SingleName("$SIMILAR", span);
    call->arguments.push_back(std::move(value));
    call->arguments.push_back(BuildValue(similar->pattern));
    if (similar->escape != nullptr) call->arguments.push_back(BuildValue(similar->escape));
    if (similar->NOT() == nullptr) return call;
    auto negated = std::make_unique<ast::UnaryExpression>(span);
    negated->op = ast::UnaryOperator::kNot;
    negated->operand = std::move(call);
    return negated;
  }
  if (auto* is_json = dynamic_cast<P::IsJsonPredicateContext*>(context)) {
    // x IS [NOT] JSON [VALUE | SCALAR | ARRAY | OBJECT] → [NOT] $IS_JSON(x, 'KIND')
    auto call = std::make_unique<ast::FunctionCallExpression>(span);
    call->name = SingleName("$IS_JSON", span);
    call->arguments.push_back(std::move(value));
    auto kind = std::make_unique<ast::LiteralExpression>(span);
    kind->literal_kind = ast::LiteralKind::kString;
    std::string json_kind = is_json->jsonKind == nullptr ? "VALUE" : Text(is_json->jsonKind);
    for (char& c : json_kind) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    kind->value = json_kind;
    call->arguments.push_back(std::move(kind));
    if (is_json->NOT() == nullptr) return call;
    auto negated = std::make_unique<ast::UnaryExpression>(span);
    negated->op = ast::UnaryOperator::kNot;
    negated->operand = std::move(call);
    return negated;
  }
  if (auto* is = dynamic_cast<P::IsPredicateContext*>(context)) {
    auto expression = std::make_unique<ast::IsExpression>(span);
    expression->negated = is->NOT() != nullptr;
    if (is->TRUE() != nullptr) expression->test = ast::IsTest::kTrue;
    if (is->FALSE() != nullptr) expression->test = ast::IsTest::kFalse;
    if (is->UNKNOWN() != nullptr) expression->test = ast::IsTest::kUnknown;
    expression->value = std::move(value);
    return expression;
  }
  auto* distinct = dynamic_cast<P::DistinctFromPredicateContext*>(context);
  auto expression = std::make_unique<ast::BinaryExpression>(span);
  expression->op = distinct->NOT() != nullptr ? ast::BinaryOperator::kIsNotDistinctFrom
                                              : ast::BinaryOperator::kIsDistinctFrom;
  expression->operator_span = Span(distinct);
  expression->left = std::move(value);
  expression->right = BuildValue(distinct->other);
  return expression;
}

ast::ExpressionPtr AstBuilder::BuildValue(P::ValueExpressionContext* context) {
  struct Step {
    P::ValueExpressionContext* context;
    P::ValueExpressionContext* right;
    antlr4::Token* op;
  };
  std::vector<Step> spine;
  P::ValueExpressionContext* current = context;
  while (true) {
    if (auto* multiplicative = dynamic_cast<P::MultiplicativeValueContext*>(current)) {
      spine.push_back({current, multiplicative->right, multiplicative->op});
      current = multiplicative->left;
    } else if (auto* additive = dynamic_cast<P::AdditiveValueContext*>(current)) {
      spine.push_back({current, additive->right, additive->op});
      current = additive->left;
    } else if (auto* concat = dynamic_cast<P::ConcatValueContext*>(current)) {
      spine.push_back({current, concat->right, concat->CONCAT()->getSymbol()});
      current = concat->left;
    } else if (auto* comparison = dynamic_cast<P::ComparisonValueContext*>(current)) {
      spine.push_back({current, comparison->right, comparison->comparisonOperator()->getStart()});
      current = comparison->left;
    } else {
      break;
    }
  }
  ast::ExpressionPtr result;
  if (auto* unary = dynamic_cast<P::UnaryValueContext*>(current)) {
    auto expression = std::make_unique<ast::UnaryExpression>(Span(unary));
    expression->op =
        unary->op->getType() == P::MINUS ? ast::UnaryOperator::kNegate : ast::UnaryOperator::kPlus;
    expression->operand = BuildValue(unary->valueExpression());
    result = std::move(expression);
  } else {
    result = BuildPrimary(dynamic_cast<P::PrimaryValueContext*>(current)->primaryExpression());
  }
  for (auto it = spine.rbegin(); it != spine.rend(); ++it) {
    auto binary = std::make_unique<ast::BinaryExpression>(Span(it->context));
    binary->op = BinaryOperatorOf(it->op->getType());
    binary->operator_span = Span(it->op);
    binary->left = std::move(result);
    binary->right = BuildValue(it->right);
    result = std::move(binary);
  }
  return result;
}

ast::ExpressionPtr AstBuilder::BuildPrimary(P::PrimaryExpressionContext* context) {
  // `a.b.c` and `x[1][2]` are left-deep too.
  std::vector<P::PrimaryExpressionContext*> spine;
  P::PrimaryExpressionContext* current = context;
  while (true) {
    if (auto* dereference = dynamic_cast<P::DereferenceContext*>(current)) {
      spine.push_back(current);
      current = dereference->base;
    } else if (auto* subscript = dynamic_cast<P::SubscriptContext*>(current)) {
      spine.push_back(current);
      current = subscript->base;
    } else {
      break;
    }
  }
  ast::ExpressionPtr result;
  base::SourceSpan span = Span(current);
  if (auto* literal = dynamic_cast<P::LiteralExpressionContext*>(current)) {
    result = BuildLiteral(literal->literal());
  } else if (auto* case_context = dynamic_cast<P::CaseExpressionContext*>(current)) {
    auto expression = std::make_unique<ast::CaseExpression>(span);
    if (case_context->operand != nullptr)
      expression->operand = BuildExpression(case_context->operand);
    for (P::WhenClauseContext* when : case_context->whenClause()) {
      expression->whens.push_back(ast::WhenClause{BuildExpression(when->condition),
                                                  BuildExpression(when->result), Span(when)});
      // `CASE x WHEN 1, 3 THEN r` (Flink's docs): one WHEN per value, with the same result.
      if (!when->values.empty() && case_context->operand == nullptr) {
        AddError(
            "WHEN a, b, … lists values of a simple CASE x WHEN …; a searched CASE takes one "
            "condition per WHEN (combine them with OR)",
            Span(when->values.front()));
      }
      for (P::ExpressionContext* value : when->values) {
        expression->whens.push_back(
            ast::WhenClause{BuildExpression(value), BuildExpression(when->result), Span(when)});
      }
    }
    if (case_context->elseValue != nullptr) {
      expression->else_result = BuildExpression(case_context->elseValue);
    }
    result = std::move(expression);
  } else if (auto* cast = dynamic_cast<P::CastExpressionContext*>(current)) {
    auto expression = std::make_unique<ast::CastExpression>(span);
    expression->is_try = cast->TRY_CAST() != nullptr;
    expression->operand = BuildExpression(cast->expression());
    expression->target = BuildDataType(cast->dataType());
    result = std::move(expression);
  } else if (auto* extract = dynamic_cast<P::ExtractExpressionContext*>(current)) {
    auto expression = std::make_unique<ast::ExtractExpression>(span);
    expression->unit = BuildExtractUnit(extract->extractUnit());
    expression->unit_span = Span(extract->extractUnit());
    expression->operand = BuildExpression(extract->expression());
    result = std::move(expression);
  } else if (auto* substring = dynamic_cast<P::SubstringExpressionContext*>(current)) {
    auto call = std::make_unique<ast::FunctionCallExpression>(span);
    call->name = SingleName("SUBSTRING", Span(substring->SUBSTRING()));
    for (P::ExpressionContext* argument : substring->expression()) {
      call->arguments.push_back(BuildExpression(argument));
    }
    result = std::move(call);
  } else if (auto* trim = dynamic_cast<P::TrimExpressionContext*>(current)) {
    auto call = std::make_unique<ast::FunctionCallExpression>(span);
    const char* name = "TRIM";
    if (trim->trimMode != nullptr && trim->trimMode->getType() == P::LEADING) name = "LTRIM";
    if (trim->trimMode != nullptr && trim->trimMode->getType() == P::TRAILING) name = "RTRIM";
    call->name = SingleName(name, Span(trim->TRIM()));
    call->arguments.push_back(BuildExpression(trim->expression()));
    if (trim->trimChars != nullptr) call->arguments.push_back(BuildValue(trim->trimChars));
    result = std::move(call);
  } else if (auto* position = dynamic_cast<P::PositionExpressionContext*>(current)) {
    auto call = std::make_unique<ast::FunctionCallExpression>(span);
    call->name = SingleName("POSITION", Span(position->POSITION()));
    call->arguments.push_back(BuildValue(position->needle));
    call->arguments.push_back(BuildExpression(position->haystack));
    result = std::move(call);
  } else if (auto* rounding = dynamic_cast<P::FloorCeilExpressionContext*>(current)) {
    // FLOOR(ts TO unit) → FLOOR_TIMESTAMP(ts, 'UNIT'); CEIL and CEILING → CEIL_TIMESTAMP.
    auto call = std::make_unique<ast::FunctionCallExpression>(span);
    ast::Identifier function = BuildIdentifier(rounding->roundingName);
    std::string upper = function.name;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const char* name = upper == "FLOOR"                        ? "FLOOR_TIMESTAMP"
                       : upper == "CEIL" || upper == "CEILING" ? "CEIL_TIMESTAMP"
                                                               : nullptr;
    call->name = SingleName(name != nullptr ? name : function.name, function.span);
    call->arguments.push_back(BuildExpression(rounding->expression()));
    auto unit = std::make_unique<ast::LiteralExpression>(Span(rounding->timeUnit()));
    unit->literal_kind = ast::LiteralKind::kString;
    unit->value = ast::TimeUnitName(BuildTimeUnit(rounding->timeUnit()));
    call->arguments.push_back(std::move(unit));
    result = std::move(call);
  } else if (auto* overlay = dynamic_cast<P::OverlayExpressionContext*>(current)) {
    // OVERLAY(s PLACING r FROM start [FOR length]) → OVERLAY(s, r, start [, length])
    auto call = std::make_unique<ast::FunctionCallExpression>(span);
    call->name = SingleName("OVERLAY", Span(overlay->OVERLAY()));
    call->arguments.push_back(BuildExpression(overlay->target));
    call->arguments.push_back(BuildExpression(overlay->replacement));
    call->arguments.push_back(BuildExpression(overlay->start));
    if (overlay->length != nullptr) call->arguments.push_back(BuildExpression(overlay->length));
    result = std::move(call);
  } else if (auto* object = dynamic_cast<P::JsonObjectConstructorContext*>(current)) {
    auto call = std::make_unique<ast::FunctionCallExpression>(span);
    call->name = SingleName("JSON_OBJECT", Span(object->JSON_OBJECT()));
    for (P::JsonObjectEntryContext* entry : object->jsonObjectEntry()) {
      call->arguments.push_back(BuildValue(entry->key));
      call->arguments.push_back(BuildExpression(entry->value));
    }
    call->json_on_null = BuildJsonOnNull(object->jsonNullClause());
    result = std::move(call);
  } else if (auto* array = dynamic_cast<P::JsonArrayConstructorContext*>(current)) {
    auto call = std::make_unique<ast::FunctionCallExpression>(span);
    call->name = SingleName("JSON_ARRAY", Span(array->JSON_ARRAY()));
    for (P::ExpressionContext* item : array->expression()) {
      call->arguments.push_back(BuildExpression(item));
    }
    call->json_on_null = BuildJsonOnNull(array->jsonNullClause());
    result = std::move(call);
  } else if (auto* aggregate = dynamic_cast<P::JsonArrayAggregateContext*>(current)) {
    result = BuildJsonAggregate(
        span, Span(aggregate->JSON_ARRAYAGG()), nullptr, BuildExpression(aggregate->expression()),
        BuildJsonOnNull(aggregate->jsonNullClause()), aggregate->filterClause());
  } else if (auto* aggregate = dynamic_cast<P::JsonObjectAggregateContext*>(current)) {
    result = BuildJsonAggregate(
        span, Span(aggregate->JSON_OBJECTAGG()), BuildValue(aggregate->jsonObjectEntry()->key),
        BuildExpression(aggregate->jsonObjectEntry()->value),
        BuildJsonOnNull(aggregate->jsonNullClause()), aggregate->filterClause());
  } else if (auto* row = dynamic_cast<P::RowConstructorContext*>(current)) {
    auto call = std::make_unique<ast::FunctionCallExpression>(span);
    call->name = SingleName("ROW", Span(row->ROW()));
    for (P::ExpressionContext* argument : row->expression())
      call->arguments.push_back(BuildExpression(argument));
    result = std::move(call);
  } else if (auto* array = dynamic_cast<P::ArrayConstructorContext*>(current)) {
    auto call = std::make_unique<ast::FunctionCallExpression>(span);
    call->name = SingleName("ARRAY", Span(array->ARRAY()));
    for (P::ExpressionContext* item : array->expression()) {
      call->arguments.push_back(BuildExpression(item));
    }
    result = std::move(call);
  } else if (auto* map = dynamic_cast<P::MapConstructorContext*>(current)) {
    auto call = std::make_unique<ast::FunctionCallExpression>(span);
    call->name = SingleName("MAP", Span(map->MAP()));
    for (P::ExpressionContext* item : map->expression()) {
      call->arguments.push_back(BuildExpression(item));
    }
    result = std::move(call);
  } else if (auto* subquery = dynamic_cast<P::SubqueryExpressionContext*>(current)) {
    auto expression = std::make_unique<ast::SubqueryExpression>(span);
    expression->query = BuildQuery(subquery->query());
    result = std::move(expression);
  } else if (auto* parenthesized = dynamic_cast<P::ParenthesizedExpressionContext*>(current)) {
    std::vector<P::ExpressionContext*> items = parenthesized->expression();
    if (items.size() == 1) {
      result = BuildExpression(items[0]);
    } else {
      // (e1, e2, ...): Flink's implicit row constructor, ROW(e1, e2, ...) with two or more
      // fields.
      auto call = std::make_unique<ast::FunctionCallExpression>(span);
      call->name = SingleName("ROW", Span(parenthesized->LPAREN()));
      call->implicit_row = true;
      for (P::ExpressionContext* item : items) call->arguments.push_back(BuildExpression(item));
      result = std::move(call);
    }
  } else if (auto* function = dynamic_cast<P::FunctionCallExpressionContext*>(current)) {
    result = BuildFunctionCall(function->functionCall());
  } else {
    auto* column = dynamic_cast<P::ColumnReferenceContext*>(current);
    auto expression = std::make_unique<ast::ColumnRefExpression>(span);
    expression->parts.push_back(BuildIdentifier(column->identifier()));
    result = std::move(expression);
  }
  for (auto it = spine.rbegin(); it != spine.rend(); ++it) {
    base::SourceSpan step_span = Span(*it);
    if (auto* dereference = dynamic_cast<P::DereferenceContext*>(*it)) {
      ast::Identifier field = BuildIdentifier(dereference->fieldName);
      if (result->Is<ast::ColumnRefExpression>()) {
        result->Cast<ast::ColumnRefExpression>().parts.push_back(std::move(field));
        result->span = step_span;
      } else {
        auto access = std::make_unique<ast::FieldAccessExpression>(step_span);
        access->base = std::move(result);
        access->field = std::move(field);
        result = std::move(access);
      }
    } else {
      auto* subscript = dynamic_cast<P::SubscriptContext*>(*it);
      auto expression = std::make_unique<ast::SubscriptExpression>(step_span);
      expression->base = std::move(result);
      expression->index = BuildValue(subscript->index);
      result = std::move(expression);
    }
  }
  return result;
}

std::string AstBuilder::HexLiteralBytes(antlr4::tree::TerminalNode* node) {
  std::string text = Text(node);  // X'...'
  std::string_view digits(text.data() + 2, text.size() - 3);
  auto digit_value = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < digits.size(); ++i) {
    if (digit_value(digits[i]) < 0) {
      AddError(
          fmt::format("invalid binary literal {}: '{}' at offset {} is not a hexadecimal digit",
                      text, digits[i], i),
          Span(node));
      return "";
    }
  }
  if (digits.size() % 2 != 0) {
    AddError(fmt::format("invalid binary literal {}: an odd number of hexadecimal digits ({}); "
                         "each byte takes two",
                         text, digits.size()),
             Span(node));
    return "";
  }
  std::string bytes;
  bytes.reserve(digits.size() / 2);
  for (size_t i = 0; i < digits.size(); i += 2) {
    bytes += static_cast<char>(digit_value(digits[i]) * 16 + digit_value(digits[i + 1]));
  }
  return bytes;
}

ast::ExpressionPtr AstBuilder::BuildLiteral(P::LiteralContext* context) {
  auto literal = std::make_unique<ast::LiteralExpression>(Span(context));
  if (dynamic_cast<P::IntegerLiteralContext*>(context) != nullptr) {
    literal->literal_kind = ast::LiteralKind::kInteger;
    literal->value = Text(context->getStart());
  } else if (dynamic_cast<P::DecimalLiteralContext*>(context) != nullptr) {
    literal->literal_kind = ast::LiteralKind::kDecimal;
    literal->value = Text(context->getStart());
  } else if (dynamic_cast<P::ApproximateLiteralContext*>(context) != nullptr) {
    literal->literal_kind = ast::LiteralKind::kApproximate;
    literal->value = Text(context->getStart());
  } else if (auto* string = dynamic_cast<P::StringLiteralContext*>(context)) {
    literal->literal_kind = ast::LiteralKind::kString;
    literal->value = Unquote(string->STRING());
  } else if (auto* binary = dynamic_cast<P::BinaryLiteralContext*>(context)) {
    literal->literal_kind = ast::LiteralKind::kBinary;
    literal->value = HexLiteralBytes(binary->BINARY_STRING());
  } else if (auto* boolean = dynamic_cast<P::BooleanLiteralContext*>(context)) {
    literal->literal_kind = ast::LiteralKind::kBoolean;
    literal->boolean_value = boolean->TRUE() != nullptr;
    literal->value = literal->boolean_value ? "TRUE" : "FALSE";
  } else if (auto* typed = dynamic_cast<P::TypedLiteralContext*>(context)) {
    switch (typed->getStart()->getType()) {
      case P::DATE: literal->literal_kind = ast::LiteralKind::kDate; break;
      case P::TIME: literal->literal_kind = ast::LiteralKind::kTime; break;
      case P::TIMESTAMP_LTZ: literal->literal_kind = ast::LiteralKind::kTimestampLtz; break;
      default: literal->literal_kind = ast::LiteralKind::kTimestamp; break;
    }
    literal->value = Unquote(typed->STRING());
  } else if (auto* interval = dynamic_cast<P::IntervalLiteralContext*>(context)) {
    literal->literal_kind = ast::LiteralKind::kInterval;
    literal->negative_interval = interval->sign != nullptr && interval->sign->getType() == P::MINUS;
    literal->value = interval->STRING() != nullptr ? Unquote(interval->STRING())
                                                   : Text(interval->INTEGER_VALUE());
    literal->interval = BuildIntervalQualifier(interval->intervalQualifier());
  }
  return literal;  // kNull by default
}

ast::ExpressionPtr AstBuilder::BuildJsonAggregate(base::SourceSpan span, base::SourceSpan name_span,
                                                  ast::ExpressionPtr key, ast::ExpressionPtr value,
                                                  ast::JsonOnNull on_null,
                                                  P::FilterClauseContext* filter) {
  // JSON_ARRAYAGG(v) = '[' || COALESCE(LISTAGG(json(v), ','), '') || ']' and JSON_OBJECTAGG(KEY k
  // VALUE v) = '{' || COALESCE(LISTAGG(JSON_QUOTE(k) || ':' || json(v), ','), '') || '}', with
  // json(v) = JSON_STRING(v), or v itself when it is a JSON_OBJECT / JSON_ARRAY (inserted as
  // JSON, Flink's rule). A NULL value is left out (ABSENT ON NULL, JSON_ARRAYAGG's default) or
  // is `null` (NULL ON NULL, JSON_OBJECTAGG's); LISTAGG skips the NULL texts.
  auto call = [&](const char* name, std::vector<ast::ExpressionPtr> arguments) {
    auto built = std::make_unique<ast::FunctionCallExpression>(span);
    built->name = SingleName(name, name_span);
    built->arguments = std::move(arguments);
    return built;
  };
  auto text = [&](std::string value) {
    auto literal = std::make_unique<ast::LiteralExpression>(span);
    literal->literal_kind = ast::LiteralKind::kString;
    literal->value = std::move(value);
    return literal;
  };
  auto concat = [&](ast::ExpressionPtr left, ast::ExpressionPtr right) {
    auto binary = std::make_unique<ast::BinaryExpression>(span);
    binary->op = ast::BinaryOperator::kConcat;
    binary->left = std::move(left);
    binary->right = std::move(right);
    return binary;
  };
  const bool object = key != nullptr;
  bool nested_json = false;
  if (value->Is<ast::FunctionCallExpression>()) {
    const std::string& name = value->Cast<ast::FunctionCallExpression>().name.Last().name;
    nested_json = name == "JSON_OBJECT" || name == "JSON_ARRAY";
  }
  ast::ExpressionPtr item;
  if (nested_json) {
    item = std::move(value);
  } else {
    std::vector<ast::ExpressionPtr> arguments;
    arguments.push_back(std::move(value));
    item = call("JSON_STRING", std::move(arguments));
  }
  const bool null_on_null =
      object ? on_null != ast::JsonOnNull::kAbsent : on_null == ast::JsonOnNull::kNull;
  if (null_on_null) {
    std::vector<ast::ExpressionPtr> arguments;
    arguments.push_back(std::move(item));
    arguments.push_back(text("null"));
    item = call("COALESCE", std::move(arguments));
  }
  if (object) {
    std::vector<ast::ExpressionPtr> arguments;
    arguments.push_back(std::move(key));
    item = concat(concat(call("JSON_QUOTE", std::move(arguments)), text(":")), std::move(item));
  }
  std::vector<ast::ExpressionPtr> listagg_arguments;
  listagg_arguments.push_back(std::move(item));
  listagg_arguments.push_back(text(","));
  auto listagg = call("LISTAGG", std::move(listagg_arguments));
  if (filter != nullptr) listagg->filter = BuildExpression(filter->expression());
  std::vector<ast::ExpressionPtr> coalesce_arguments;
  coalesce_arguments.push_back(std::move(listagg));
  coalesce_arguments.push_back(text(""));
  return concat(concat(text(object ? "{" : "["), call("COALESCE", std::move(coalesce_arguments))),
                text(object ? "}" : "]"));
}

std::unique_ptr<ast::FunctionCallExpression> AstBuilder::BuildFunctionCall(
    P::FunctionCallContext* context) {
  auto call = std::make_unique<ast::FunctionCallExpression>(Span(context));
  P::FunctionNameContext* name = context->functionName();
  if (name->qualifiedName() != nullptr) {
    call->name = BuildQualifiedName(name->qualifiedName());
  } else {
    call->name = SingleName(Text(name->getStart()), Span(name));
  }
  if (context->STAR() != nullptr) {
    call->arguments.push_back(std::make_unique<ast::StarExpression>(Span(context->STAR())));
  }
  call->distinct =
      context->setQuantifier() != nullptr && context->setQuantifier()->DISTINCT() != nullptr;
  for (P::FunctionArgumentContext* argument : context->functionArgument()) {
    call->arguments.push_back(BuildFunctionArgument(argument));
  }
  if (context->returning != nullptr) call->returning = BuildDataType(context->returning);
  if (P::JsonWrapperContext* wrapper = context->jsonWrapper()) {
    call->json_wrapper =
        wrapper->WITHOUT() != nullptr ? ast::JsonWrapper::kWithout
        : wrapper->wrapperKind != nullptr && wrapper->wrapperKind->getType() == P::CONDITIONAL
            ? ast::JsonWrapper::kConditional
            : ast::JsonWrapper::kUnconditional;
  }
  for (P::JsonBehaviorContext* behavior : context->jsonBehavior()) {
    ast::JsonBehavior built;
    built.span = Span(behavior);
    if (behavior->DEFAULT() != nullptr) {
      built.kind = ast::JsonBehavior::Kind::kDefault;
      built.default_value = BuildExpression(behavior->expression());
    } else if (behavior->NULL_() != nullptr) {
      built.kind = ast::JsonBehavior::Kind::kNull;
    } else if (behavior->TRUE() != nullptr) {
      built.kind = ast::JsonBehavior::Kind::kTrue;
    } else if (behavior->FALSE() != nullptr) {
      built.kind = ast::JsonBehavior::Kind::kFalse;
    } else if (behavior->UNKNOWN() != nullptr) {
      built.kind = ast::JsonBehavior::Kind::kUnknown;
    } else if (behavior->emptyValue != nullptr) {
      built.kind = behavior->emptyValue->getType() == P::ARRAY
                       ? ast::JsonBehavior::Kind::kEmptyArray
                       : ast::JsonBehavior::Kind::kEmptyObject;
    } else {
      built.kind = ast::JsonBehavior::Kind::kError;
    }
    built.on_empty = behavior->target->getType() == P::EMPTY;
    call->json_behaviors.push_back(std::move(built));
  }
  if (context->filterClause() != nullptr) {
    call->filter = BuildExpression(context->filterClause()->expression());
  }
  if (P::OverClauseContext* over = context->overClause()) {
    if (over->windowSpecification() != nullptr) {
      call->over = BuildWindow(over->windowSpecification());
    } else {
      call->over_window_name = BuildIdentifier(over->identifier());
    }
  }
  return call;
}

ast::JsonOnNull AstBuilder::BuildJsonOnNull(P::JsonNullClauseContext* context) {
  if (context == nullptr) return ast::JsonOnNull::kDefault;
  return context->ABSENT() != nullptr ? ast::JsonOnNull::kAbsent : ast::JsonOnNull::kNull;
}

ast::ExpressionPtr AstBuilder::BuildFunctionArgument(P::FunctionArgumentContext* context) {
  P::ArgumentValueContext* value_context = context->argumentValue();
  ast::ExpressionPtr value;
  if (auto* table = dynamic_cast<P::TableArgumentContext*>(value_context)) {
    auto argument = std::make_unique<ast::TableArgumentExpression>(Span(table));
    argument->table = BuildQualifiedName(table->qualifiedName());
    for (P::ExpressionContext* key : table->expression())
      argument->partition_by.push_back(BuildExpression(key));
    argument->order_by = BuildOrderBy(table->orderByClause());
    value = std::move(argument);
  } else if (auto* descriptor = dynamic_cast<P::DescriptorArgumentContext*>(value_context)) {
    auto argument = std::make_unique<ast::DescriptorExpression>(Span(descriptor));
    for (P::IdentifierContext* column : descriptor->identifier()) {
      argument->columns.push_back(BuildIdentifier(column));
    }
    value = std::move(argument);
  } else {
    value =
        BuildExpression(dynamic_cast<P::ExpressionArgumentContext*>(value_context)->expression());
  }
  if (context->identifier() == nullptr) return value;
  auto named = std::make_unique<ast::NamedArgumentExpression>(Span(context));
  named->name = BuildIdentifier(context->identifier());
  named->value = std::move(value);
  return named;
}

std::unique_ptr<ast::WindowSpecification> AstBuilder::BuildWindow(
    P::WindowSpecificationContext* context) {
  auto window = std::make_unique<ast::WindowSpecification>();
  window->span = Span(context);
  for (P::ExpressionContext* key : context->expression())
    window->partition_by.push_back(BuildExpression(key));
  window->order_by = BuildOrderBy(context->orderByClause());
  if (P::WindowFrameContext* frame = context->windowFrame()) {
    ast::WindowFrame window_frame;
    window_frame.unit =
        frame->frameUnit->getType() == P::ROWS ? ast::FrameUnit::kRows : ast::FrameUnit::kRange;
    window_frame.start = BuildFrameBound(frame->start);
    if (frame->end != nullptr) {
      window_frame.end = BuildFrameBound(frame->end);
    } else {
      window_frame.end.kind = ast::FrameBoundKind::kCurrentRow;
    }
    window_frame.span = Span(frame);
    window->frame = std::move(window_frame);
  }
  return window;
}

ast::FrameBound AstBuilder::BuildFrameBound(P::FrameBoundContext* context) {
  ast::FrameBound bound;
  bound.span = Span(context);
  bool preceding = context->boundKind != nullptr && context->boundKind->getType() == P::PRECEDING;
  if (context->CURRENT() != nullptr) {
    bound.kind = ast::FrameBoundKind::kCurrentRow;
  } else if (context->UNBOUNDED() != nullptr) {
    bound.kind = preceding ? ast::FrameBoundKind::kUnboundedPreceding
                           : ast::FrameBoundKind::kUnboundedFollowing;
  } else {
    bound.kind = preceding ? ast::FrameBoundKind::kPreceding : ast::FrameBoundKind::kFollowing;
    bound.offset = BuildValue(context->valueExpression());
  }
  return bound;
}

ast::IntervalQualifier AstBuilder::BuildIntervalQualifier(P::IntervalQualifierContext* context) {
  ast::IntervalQualifier qualifier;
  qualifier.span = Span(context);
  qualifier.start = BuildTimeUnit(context->from);
  if (context->fromPrecision != nullptr) {
    qualifier.start_precision = static_cast<int32_t>(ParseInteger(context->INTEGER_VALUE(0), 9));
  }
  if (context->to != nullptr) {
    qualifier.end = BuildTimeUnit(context->to);
    if (context->toPrecision != nullptr) {
      qualifier.end_precision = static_cast<int32_t>(
          ParseInteger(context->INTEGER_VALUE(context->INTEGER_VALUE().size() - 1), 9));
    }
  }
  return qualifier;
}

ast::TimeUnit AstBuilder::BuildExtractUnit(P::ExtractUnitContext* context) {
  if (context->timeUnit() != nullptr) return BuildTimeUnit(context->timeUnit());
  switch (context->getStart()->getType()) {
    case P::DOW: return ast::TimeUnit::kDayOfWeek;
    case P::DOY: return ast::TimeUnit::kDayOfYear;
    case P::ISODOW: return ast::TimeUnit::kIsoDayOfWeek;
    case P::ISOYEAR: return ast::TimeUnit::kIsoYear;
    case P::DECADE: return ast::TimeUnit::kDecade;
    case P::CENTURY: return ast::TimeUnit::kCentury;
    case P::MILLENNIUM: return ast::TimeUnit::kMillennium;
    case P::EPOCH: return ast::TimeUnit::kEpoch;
    case P::MICROSECOND: return ast::TimeUnit::kMicrosecond;
    default: return ast::TimeUnit::kNanosecond;
  }
}

ast::TimeUnit AstBuilder::BuildTimeUnit(P::TimeUnitContext* context) {
  switch (context->getStart()->getType()) {
    case P::YEAR:
    case P::YEARS: return ast::TimeUnit::kYear;
    case P::QUARTER: return ast::TimeUnit::kQuarter;
    case P::MONTH:
    case P::MONTHS: return ast::TimeUnit::kMonth;
    case P::WEEK: return ast::TimeUnit::kWeek;
    case P::DAY:
    case P::DAYS: return ast::TimeUnit::kDay;
    case P::HOUR:
    case P::HOURS: return ast::TimeUnit::kHour;
    case P::MINUTE:
    case P::MINUTES: return ast::TimeUnit::kMinute;
    case P::MILLISECOND: return ast::TimeUnit::kMillisecond;
    default: return ast::TimeUnit::kSecond;
  }
}

}  // namespace sluice::parser
