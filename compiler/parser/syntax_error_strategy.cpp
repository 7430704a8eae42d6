#include "compiler/parser/syntax_error_strategy.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "SluiceParser.h"

namespace sluice::parser {

namespace {

using grammar::SluiceParser;

constexpr size_t kMaxExpected = 5;
constexpr size_t kMaxShownText = 30;

std::string Upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

// Optimal string alignment distance, capped: we only care whether it is 0, 1 or more.
int EditDistance(const std::string& a, const std::string& b) {
  const size_t n = a.size(), m = b.size();
  if (n > m + 1 || m > n + 1) return 2;
  std::vector<std::vector<int>> d(n + 1, std::vector<int>(m + 1));
  for (size_t i = 0; i <= n; ++i) d[i][0] = static_cast<int>(i);
  for (size_t j = 0; j <= m; ++j) d[0][j] = static_cast<int>(j);
  for (size_t i = 1; i <= n; ++i) {
    for (size_t j = 1; j <= m; ++j) {
      int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

// Returns the clause keyword a misspelled identifier most likely meant, or "".
std::string SuggestKeyword(const std::string& word) {
  static const std::array<const char*, 20> kKeywords = {
      "SELECT", "FROM",    "WHERE",     "GROUP",  "ORDER",     "HAVING",  "JOIN",
      "LIMIT",  "UNION",   "INSERT",    "INTO",   "CREATE",    "TABLE",   "VIEW",
      "VALUES", "BETWEEN", "AGGREGATE", "EXTEND", "WATERMARK", "DISTINCT"};
  if (word.size() < 4) return "";
  std::string upper = Upper(word);
  for (const char* keyword : kKeywords) {
    if (EditDistance(upper, keyword) == 1) return keyword;
  }
  return "";
}

}  // namespace

void SyntaxErrorStrategy::reportNoViableAlternative(antlr4::Parser* parser,
                                                    const antlr4::NoViableAltException& e) {
  Fail(parser, e.getOffendingToken(), "unexpected " + Describe(e.getOffendingToken()));
}

void SyntaxErrorStrategy::reportInputMismatch(antlr4::Parser* parser,
                                              const antlr4::InputMismatchException& e) {
  std::string message = "unexpected " + Describe(e.getOffendingToken());
  std::string expected = Expected(parser, e.getExpectedTokens());
  if (!expected.empty()) message += ": " + expected;
  Fail(parser, e.getOffendingToken(), message);
}

void SyntaxErrorStrategy::reportFailedPredicate(antlr4::Parser* parser,
                                                const antlr4::FailedPredicateException& e) {
  Fail(parser, e.getOffendingToken(), "unexpected " + Describe(e.getOffendingToken()));
}

void SyntaxErrorStrategy::reportUnwantedToken(antlr4::Parser* parser) {
  antlr4::Token* token = parser->getCurrentToken();
  std::string message = "unexpected " + Describe(token);
  std::string expected = Expected(parser, getExpectedTokens(parser));
  if (!expected.empty()) message += ": " + expected;
  Fail(parser, token, message);
}

void SyntaxErrorStrategy::reportMissingToken(antlr4::Parser* parser) {
  antlr4::Token* token = parser->getCurrentToken();
  std::string expected = Expected(parser, getExpectedTokens(parser));
  if (expected.rfind("expected ", 0) == 0) {
    Fail(parser, token, "missing " + expected.substr(9) + " before " + Describe(token));
  }
  Fail(parser, token, "unexpected " + Describe(token));
}

void SyntaxErrorStrategy::Fail(antlr4::Parser* parser, antlr4::Token* offending,
                               std::string message) {
  if (offending->getType() == SluiceParser::HINT) {
    message =
        "unexpected hint: hints go right after SELECT, a pipe operator keyword or a table name";
  }
  if (!diagnostic_.has_value()) {
    base::SourceSpan span;
    if (offending->getType() == antlr4::Token::EOF) {
      span = source_.Span(offending->getStartIndex(), offending->getStartIndex() - 1);
    } else {
      span = source_.Span(offending->getStartIndex(), offending->getStopIndex());
    }
    // A misspelled keyword usually parses as an identifier (often an alias) and the error
    // surfaces at it or right after it; point at the misspelling instead.
    antlr4::TokenStream* tokens = parser->getTokenStream();
    size_t index = offending->getTokenIndex();
    for (size_t candidate_index : {index, index - 1}) {
      if (index == 0 && candidate_index != index) break;
      if (candidate_index >= tokens->size()) continue;
      antlr4::Token* candidate = tokens->get(candidate_index);
      if (candidate->getType() != SluiceParser::IDENTIFIER) continue;
      std::string word = source_.Slice(candidate->getStartIndex(), candidate->getStopIndex());
      std::string keyword = SuggestKeyword(word);
      if (keyword.empty()) continue;
      message = "unexpected '" + word + "' (did you mean " + keyword + "?)";
      span = source_.Span(candidate->getStartIndex(), candidate->getStopIndex());
      break;
    }
    diagnostic_ = base::Diagnostic{base::ErrorCode::kSyntax, std::move(message), span, {}};
  }
  throw antlr4::ParseCancellationException();
}

std::string SyntaxErrorStrategy::Describe(antlr4::Token* token) const {
  switch (token->getType()) {
    case antlr4::Token::EOF: return "end of input";
    case SluiceParser::HINT: return "hint";
    default: break;
  }
  std::string text = source_.Slice(token->getStartIndex(), token->getStopIndex());
  bool truncated = text.size() > kMaxShownText;
  if (truncated) {
    text.resize(kMaxShownText);
    // Do not cut a UTF-8 sequence in half.
    while (!text.empty() && (static_cast<unsigned char>(text.back()) & 0xC0) == 0x80)
      text.pop_back();
    if (!text.empty() && static_cast<unsigned char>(text.back()) >= 0xC0) text.pop_back();
    text += "...";
  }
  if (token->getType() == SluiceParser::STRING) return "string " + text;
  return "'" + text + "'";
}

std::string SyntaxErrorStrategy::Expected(antlr4::Parser* parser,
                                          const antlr4::misc::IntervalSet& expected) const {
  std::vector<ssize_t> types = expected.toList();
  if (expected.contains(static_cast<ssize_t>(SluiceParser::IDENTIFIER))) {
    // Every non-reserved keyword is an identifier too; say "identifier" once.
    const antlr4::atn::ATN& atn = parser->getATN();
    antlr4::misc::IntervalSet non_reserved =
        atn.nextTokens(atn.ruleToStartState[SluiceParser::RuleNonReserved]);
    types.erase(std::remove_if(types.begin(), types.end(),
                               [&](ssize_t type) {
                                 return non_reserved.contains(type) ||
                                        type == SluiceParser::QUOTED_IDENTIFIER;
                               }),
                types.end());
  }
  if (types.empty() || types.size() > kMaxExpected) return "";
  const antlr4::dfa::Vocabulary& vocabulary = parser->getVocabulary();
  std::vector<std::string> names;
  for (ssize_t type : types) {
    if (type == static_cast<ssize_t>(antlr4::Token::EOF)) {
      names.push_back("end of input");
      continue;
    }
    switch (type) {
      case SluiceParser::IDENTIFIER: names.push_back("identifier"); continue;
      case SluiceParser::STRING: names.push_back("string"); continue;
      case SluiceParser::INTEGER_VALUE: names.push_back("integer"); continue;
      case SluiceParser::DECIMAL_VALUE:
      case SluiceParser::DOUBLE_VALUE: names.push_back("number"); continue;
      case SluiceParser::HINT: names.push_back("hint"); continue;
      default: break;
    }
    std::string literal = vocabulary.getLiteralName(type);
    std::string symbolic = vocabulary.getSymbolicName(type);
    if (!symbolic.empty() && symbolic.back() == '_') symbolic.pop_back();  // NULL_ (a C macro)
    names.push_back(!literal.empty() ? literal : symbolic);
  }
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::string out = "expected ";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " or " : ", ";
    out += names[i];
  }
  return out;
}

}  // namespace sluice::parser
