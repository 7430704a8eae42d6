#include "compiler/parser/ast_builder.h"

namespace sluice::parser {

namespace {

// Quantifier bounds above this are refused: the pattern is expanded into one state per
// repetition.
constexpr int64_t kMaxRepetitions = 1000;

}  // namespace

ast::TableRefPtr AstBuilder::BuildMatchRecognize(P::MatchRecognizeContext* context,
                                                 ast::TableRefPtr input) {
  auto ref = std::make_unique<ast::MatchRecognizeRef>(Span(context));
  ref->input = std::move(input);
  // (The clause's own expressions are the PARTITION BY list: the others are in sub-rules.)
  for (P::ExpressionContext* expression : context->expression()) {
    ref->partition_by.push_back(BuildExpression(expression));
  }
  for (P::OrderItemContext* item : context->orderItem()) {
    ref->order_by.push_back(BuildOrderItem(item));
  }
  ref->order_span = Span(context->MATCH_RECOGNIZE());
  for (P::MeasureItemContext* measure : context->measureItem()) {
    ref->measures.push_back(ast::MatchRecognizeRef::Measure{
        BuildExpression(measure->expression()), BuildIdentifier(measure->identifier())});
  }
  if (P::RowsPerMatchContext* rows = context->rowsPerMatch()) {
    ref->all_rows = rows->ALL() != nullptr;
    ref->rows_span = Span(rows);
  }
  if (P::SkipToContext* skip = context->skipTo()) {
    ref->skip_span = Span(skip);
    if (dynamic_cast<P::SkipPastLastRowContext*>(skip) != nullptr) {
      ref->skip = ast::MatchRecognizeRef::SkipKind::kPastLastRow;
    } else if (dynamic_cast<P::SkipToNextRowContext*>(skip) != nullptr) {
      ref->skip = ast::MatchRecognizeRef::SkipKind::kToNextRow;
    } else {
      auto* to_variable = dynamic_cast<P::SkipToVariableContext*>(skip);
      // SKIP TO v is SKIP TO LAST v (SQL:2016).
      bool first = to_variable->position != nullptr && to_variable->position->getType() == P::FIRST;
      ref->skip = first ? ast::MatchRecognizeRef::SkipKind::kToFirst
                        : ast::MatchRecognizeRef::SkipKind::kToLast;
      ref->skip_variable = BuildIdentifier(to_variable->identifier());
    }
  }
  ref->pattern = BuildPattern(context->patternAlternation());
  if (context->within != nullptr) ref->within = BuildLiteral(context->within);
  for (P::DefineItemContext* define : context->defineItem()) {
    ref->defines.push_back(ast::MatchRecognizeRef::Define{BuildIdentifier(define->identifier()),
                                                          BuildExpression(define->expression())});
  }
  return ref;
}

ast::PatternTerm AstBuilder::BuildPattern(P::PatternAlternationContext* context) {
  std::vector<P::PatternConcatenationContext*> branches = context->patternConcatenation();
  if (branches.size() == 1) return BuildPatternConcatenation(branches[0]);
  ast::PatternTerm term;
  term.kind = ast::PatternTerm::Kind::kAlternation;
  term.span = Span(context);
  for (P::PatternConcatenationContext* branch : branches) {
    term.children.push_back(BuildPatternConcatenation(branch));
  }
  return term;
}

ast::PatternTerm AstBuilder::BuildPatternConcatenation(P::PatternConcatenationContext* context) {
  ast::PatternTerm sequence;
  sequence.kind = ast::PatternTerm::Kind::kConcatenation;
  sequence.span = Span(context);
  for (P::PatternQuantifiedContext* quantified : context->patternQuantified()) {
    ast::PatternTerm term;
    P::PatternPrimaryContext* primary = quantified->patternPrimary();
    if (auto* variable = dynamic_cast<P::PatternVariableContext*>(primary)) {
      term.kind = ast::PatternTerm::Kind::kVariable;
      term.variable = BuildIdentifier(variable->identifier());
      term.span = Span(variable);
    } else {
      auto* group = dynamic_cast<P::PatternGroupContext*>(primary);
      ast::PatternTerm inner = BuildPattern(group->patternAlternation());
      if (inner.kind == ast::PatternTerm::Kind::kConcatenation && inner.children.size() == 1) {
        term = std::move(inner.children[0]);
      } else {
        term = std::move(inner);
      }
      term.span = Span(group);
    }
    if (P::PatternQuantifierContext* quantifier = quantified->patternQuantifier()) {
      ast::PatternTerm wrapped;
      if (term.quantified) {
        // (A+)* : quantify a group holding the quantified term.
        wrapped.kind = ast::PatternTerm::Kind::kConcatenation;
        wrapped.span = term.span;
        wrapped.children.push_back(std::move(term));
        term = std::move(wrapped);
      }
      term.quantified = true;
      term.quantifier_span = Span(quantifier);
      term.reluctant = quantifier->reluctant != nullptr;
      if (quantifier->kind != nullptr) {
        switch (quantifier->kind->getType()) {
          case P::STAR: term.min = 0, term.max = -1; break;
          case P::PLUS: term.min = 1, term.max = -1; break;
          default: term.min = 0, term.max = 1; break;
        }
      } else if (quantifier->exact != nullptr) {
        term.min = term.max = ParseInteger(quantifier->INTEGER_VALUE(0), kMaxRepetitions);
      } else {
        term.min = quantifier->lower != nullptr
                       ? ParseInteger(quantifier->INTEGER_VALUE(0), kMaxRepetitions)
                       : 0;
        if (quantifier->upper != nullptr) {
          term.max = ParseInteger(quantifier->INTEGER_VALUE(quantifier->lower != nullptr ? 1 : 0),
                                  kMaxRepetitions);
        } else {
          term.max = -1;
        }
      }
    }
    sequence.children.push_back(std::move(term));
  }
  if (sequence.children.size() == 1 && !sequence.children[0].quantified) {
    return std::move(sequence.children[0]);
  }
  return sequence;
}

}  // namespace sluice::parser
