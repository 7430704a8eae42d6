#include "compiler/parser/parser.h"

#include <algorithm>
#include <cctype>
#include <mutex>

#include "SluiceLexer.h"
#include "SluiceParser.h"
#include "antlr4-runtime.h"
#include "compiler/parser/ast_builder.h"
#include "compiler/parser/source_text.h"
#include "compiler/parser/syntax_error_strategy.h"

namespace sluice::parser {

namespace {

using grammar::SluiceLexer;
using grammar::SluiceParser;

// Nesting beyond this is reported instead of parsed: ANTLR and the AST builder recurse per
// level, and no real query comes close.
constexpr int kMaxNesting = 200;
// Flat chains (a + b + c ...) are built without recursion, but they still make the AST as deep
// as they are long, and later passes recurse over it.
constexpr int kMaxOperators = 5000;
// Longer scripts are refused up front; spans are 32-bit.
constexpr size_t kMaxScriptBytes = 64u << 20;

/// Feeds already-decoded code points to the lexer (ANTLRInputStream would throw on invalid
/// UTF-8).
class CodePointStream : public antlr4::ANTLRInputStream {
 public:
  explicit CodePointStream(const std::u32string& code_points) {
    _data = code_points;
    p = 0;
  }
};

base::Diagnostic SyntaxError(std::string message, base::SourceSpan span) {
  return base::Diagnostic{base::ErrorCode::kSyntax, std::move(message), span, {}};
}

// Returns the first token where brackets, CASE/END, EXPLAIN, type angle brackets or a run of
// prefix operators nest deeper than kMaxNesting, or where operators exceed kMaxOperators, with
// the reason in `message`; nullptr when the statement is fine. Runs before ANTLR, whose
// recursion would otherwise follow the nesting.
antlr4::Token* FindTooComplex(const std::vector<antlr4::Token*>& tokens, std::string* message) {
  int depth = 0;
  int prefix_run = 0;
  int operators = 0;
  size_t previous_type = 0;
  std::vector<size_t> openers;  // the kind of each open bracket, to close angles correctly
  for (antlr4::Token* token : tokens) {
    size_t type = token->getType();
    bool prefix =
        type == SluiceParser::NOT || type == SluiceParser::MINUS || type == SluiceParser::PLUS;
    prefix_run = prefix ? prefix_run + 1 : 0;
    switch (type) {
      case SluiceParser::AND:
      case SluiceParser::OR:
      case SluiceParser::PLUS:
      case SluiceParser::MINUS:
      case SluiceParser::STAR:
      case SluiceParser::SLASH:
      case SluiceParser::PERCENT:
      case SluiceParser::CONCAT:
      case SluiceParser::EQ:
      case SluiceParser::NEQ:
      case SluiceParser::LTE:
      case SluiceParser::GTE:
      case SluiceParser::UNION:
      case SluiceParser::JOIN:
      case SluiceParser::PIPE:
        if (++operators > kMaxOperators) {
          *message =
              "statement too complex (more than " + std::to_string(kMaxOperators) + " operators)";
          return token;
        }
        break;
      case SluiceParser::LPAREN:
      case SluiceParser::LBRACKET:
      case SluiceParser::CASE:
      case SluiceParser::EXPLAIN: ++depth; break;
      case SluiceParser::RPAREN:
      case SluiceParser::RBRACKET:
      case SluiceParser::END: depth = std::max(depth - 1, 0); break;
      case SluiceParser::LT:
        // `ROW<`, `ARRAY<`, `MAP<` open a nested type; a comparison does not.
        if (previous_type == SluiceParser::ROW || previous_type == SluiceParser::IDENTIFIER) {
          ++depth;
          openers.push_back(type);
        }
        break;
      case SluiceParser::GT:
        if (!openers.empty()) {
          openers.pop_back();
          depth = std::max(depth - 1, 0);
        }
        break;
      default: break;
    }
    if (depth + prefix_run > kMaxNesting) {
      *message =
          "expression nested too deeply (more than " + std::to_string(kMaxNesting) + " levels)";
      return token;
    }
    previous_type = type;
  }
  return nullptr;
}

// Parses the default-channel tokens of one statement (ending with its ';' if any). Returns the
// statement context, or nullptr after adding one error to `errors`.
SluiceParser::SingleStatementContext* ParseStatementTokens(const std::vector<antlr4::Token*>& chunk,
                                                           SluiceParser* parser,
                                                           SyntaxErrorStrategy* strategy,
                                                           antlr4::CommonTokenStream* stream) {
  (void)chunk;
  parser->setErrorHandler(std::make_shared<antlr4::BailErrorStrategy>());
  parser->getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(
      antlr4::atn::PredictionMode::SLL);
  try {
    return parser->singleStatement();
  } catch (const antlr4::ParseCancellationException&) {
  } catch (const antlr4::RecognitionException&) {
  }
  // SLL failed: either a real error or a case that needs full context. Retry with LL and the
  // reporting strategy.
  stream->seek(0);
  parser->reset();
  parser->setErrorHandler(
      std::shared_ptr<antlr4::ANTLRErrorStrategy>(strategy, [](antlr4::ANTLRErrorStrategy*) {}));
  parser->getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(
      antlr4::atn::PredictionMode::LL);
  try {
    return parser->singleStatement();
  } catch (const antlr4::ParseCancellationException&) {
  } catch (const antlr4::RecognitionException&) {
  }
  return nullptr;
}

class ScriptParser {
 public:
  explicit ScriptParser(const std::string& text) : source_(text) {}

  void Run(ParseResult* result) {
    CodePointStream input(source_.code_points());
    SluiceLexer lexer(&input);
    lexer.removeErrorListeners();
    antlr4::CommonTokenStream tokens(&lexer);
    tokens.fill();

    std::vector<antlr4::Token*> chunk;
    bool chunk_failed = false;
    for (antlr4::Token* token : tokens.getTokens()) {
      size_t type = token->getType();
      if (type == antlr4::Token::EOF) break;
      if (token->getChannel() != antlr4::Token::DEFAULT_CHANNEL) continue;
      std::string lexical_error = LexicalError(token);
      if (!lexical_error.empty()) {
        if (!chunk_failed) result->errors.push_back(SyntaxError(lexical_error, ErrorSpan(token)));
        chunk_failed = true;
      }
      chunk.push_back(token);
      if (type == SluiceParser::SEMI) {
        if (!chunk_failed) ParseChunk(chunk, result);
        chunk.clear();
        chunk_failed = false;
      }
    }
    if (!chunk_failed) ParseChunk(chunk, result);
    if (in_statement_set_) {
      result->errors.push_back(
          SyntaxError("BEGIN STATEMENT SET has no matching END", statement_set_span_));
    }
  }

 private:
  std::string LexicalError(antlr4::Token* token) const {
    switch (token->getType()) {
      case SluiceParser::UNTERMINATED_STRING: return "unterminated string literal";
      case SluiceParser::UNTERMINATED_QUOTED_IDENTIFIER: return "unterminated quoted identifier";
      case SluiceParser::UNTERMINATED_COMMENT: return "unterminated comment";
      case SluiceParser::UNEXPECTED_CHARACTER: {
        std::string text = source_.Slice(token->getStartIndex(), token->getStopIndex());
        unsigned char c = text.empty() ? 0 : static_cast<unsigned char>(text[0]);
        if (c < 0x20 || c == 0x7F) {
          char buffer[16];
          std::snprintf(buffer, sizeof(buffer), "0x%02X", c);
          return std::string("unexpected character ") + buffer;
        }
        return "unexpected character '" + text + "'";
      }
      default: return "";
    }
  }

  base::SourceSpan ErrorSpan(antlr4::Token* token) const {
    base::SourceSpan span = source_.Span(token->getStartIndex(), token->getStopIndex());
    // An unterminated literal runs to the end; underline its opening only.
    if (token->getType() != SluiceParser::UNEXPECTED_CHARACTER) span.length = 1;
    return span;
  }

  void ParseChunk(const std::vector<antlr4::Token*>& chunk, ParseResult* result) {
    if (chunk.empty() || (chunk.size() == 1 && chunk[0]->getType() == SluiceParser::SEMI)) return;
    // Flink's `EXECUTE STATEMENT SET BEGIN INSERT …; INSERT …; END;`: the script splits at ';',
    // so the opening words come with the first INSERT. They open a statement set as
    // `BEGIN STATEMENT SET;` does, and the rest of the chunk is that INSERT.
    static const char* const kExecuteStatementSet[] = {"EXECUTE", "STATEMENT", "SET", "BEGIN"};
    if (chunk.size() > 4) {
      bool opens = true;
      for (size_t i = 0; i < 4 && opens; ++i) {
        std::string word = chunk[i]->getText();
        for (char& c : word) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        opens = word == kExecuteStatementSet[i];
      }
      if (opens) {
        base::SourceSpan span = source_.Span(chunk[0]->getStartIndex(), chunk[3]->getStopIndex());
        if (in_statement_set_) {
          result->errors.push_back(SyntaxError("statement sets cannot be nested", span));
        }
        in_statement_set_ = true;
        statement_set_span_ = span;
        ParseChunk(std::vector<antlr4::Token*>(chunk.begin() + 4, chunk.end()), result);
        return;
      }
    }
    std::string complexity;
    if (antlr4::Token* token = FindTooComplex(chunk, &complexity)) {
      result->errors.push_back(
          SyntaxError(complexity, source_.Span(token->getStartIndex(), token->getStopIndex())));
      return;
    }
    std::vector<std::unique_ptr<antlr4::Token>> copies;
    copies.reserve(chunk.size());
    for (antlr4::Token* token : chunk)
      copies.push_back(std::make_unique<antlr4::CommonToken>(token));
    antlr4::ListTokenSource token_source(std::move(copies));
    antlr4::CommonTokenStream stream(&token_source);
    SluiceParser parser(&stream);
    parser.removeErrorListeners();
    SyntaxErrorStrategy strategy(source_);
    SluiceParser::SingleStatementContext* tree =
        ParseStatementTokens(chunk, &parser, &strategy, &stream);
    if (tree == nullptr) {
      if (strategy.diagnostic().has_value()) {
        result->errors.push_back(*strategy.diagnostic());
      } else {
        result->errors.push_back(SyntaxError(
            "syntax error", source_.Span(chunk[0]->getStartIndex(), chunk[0]->getStopIndex())));
      }
      return;
    }
    SluiceParser::StatementContext* statement = tree->statement();
    if (dynamic_cast<SluiceParser::BeginStatementSetContext*>(statement) != nullptr) {
      base::SourceSpan span = source_.Span(statement->getStart()->getStartIndex(),
                                           statement->getStop()->getStopIndex());
      if (in_statement_set_) {
        result->errors.push_back(SyntaxError("statement sets cannot be nested", span));
      }
      in_statement_set_ = true;
      statement_set_span_ = span;
      return;
    }
    if (dynamic_cast<SluiceParser::EndStatementSetContext*>(statement) != nullptr) {
      if (!in_statement_set_) {
        result->errors.push_back(SyntaxError("END without BEGIN STATEMENT SET",
                                             source_.Span(statement->getStart()->getStartIndex(),
                                                          statement->getStart()->getStopIndex())));
      }
      in_statement_set_ = false;
      return;
    }
    AstBuilder builder(source_, &result->errors);
    ast::StatementPtr built = builder.BuildStatement(statement);
    if (built != nullptr) result->statements.push_back(std::move(built));
  }

  SourceText source_;
  bool in_statement_set_ = false;
  base::SourceSpan statement_set_span_;
};

// The generated parser shares its DFA cache between instances without locking.
std::mutex& ParserMutex() {
  static std::mutex mutex;
  return mutex;
}

}  // namespace

ParseResult ParseScript(const std::string& text) {
  ParseResult result;
  if (text.size() > kMaxScriptBytes) {
    result.errors.push_back(SyntaxError("script too large (more than 64 MiB)", base::SourceSpan{}));
    return result;
  }
  std::lock_guard<std::mutex> lock(ParserMutex());
  try {
    ScriptParser(text).Run(&result);
  } catch (const std::exception& e) {
    result.statements.clear();
    result.errors.push_back(SyntaxError(std::string("internal parser error: ") + e.what(), {}));
  } catch (...) {
    result.statements.clear();
    result.errors.push_back(SyntaxError("internal parser error", {}));
  }
  std::stable_sort(result.errors.begin(), result.errors.end(),
                   [](const base::Diagnostic& a, const base::Diagnostic& b) {
                     return a.span.offset < b.span.offset;
                   });
  return result;
}

}  // namespace sluice::parser
